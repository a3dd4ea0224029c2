"""Quality of the spending-claims extractor against hand-labelled real sentences.

    .venv/bin/python -m bench.claims_quality            # the figures
    .venv/bin/python -m bench.claims_quality --errors   # ... and every disagreement
    .venv/bin/python -m bench.claims_quality --draw [dev|heldout]  # candidates (labelling)

Reads the texts from ../shared/corpora (and the seed article in seeds/) by the keys in
bench/eval/claims_labels.csv (no article text is stored in the repo); see
bench/eval/CLAIMS_README.md for how the two splits (``dev``, ``heldout``) were drawn and
labelled. Exits 2 with "skipped: ..." when the corpora are absent.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import html
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
LABELS = REPO / "bench" / "eval" / "claims_labels.csv"
SEED = 20250513
TARGETS = {"value": 0.95, "actor": 0.90, "year": 0.90}

RSS = "rss-world-news-2022-2023"
GNEWS = "gnews-us-top-headlines-2025-2026"
KZ = "kremlin-zelenskyy-press-releases-2021-2022"
DOD = "dod-dvids-defense-releases"
BBC = "bbc-news-2225"
AG = "ag-news-test"
UWN = "ukraine-war-news-multilingual-uk-ru-pl"
# The held-out split: sources the dev draw did not read.
PAGES = "html-article-fixtures"
FEEDS = "feed-fixtures"
SEEDS = "seeds"  # the seed article(s), <repo>/seeds/*.txt, not a shared corpus
CNN = "cnn-ukraine-liveblog-headlines"
DOD_GOLD = "dod-dvids-defense-releases/gold"  # the 54 gold snippets the dev draw skipped
DEV_CORPORA = (RSS, GNEWS, KZ, DOD, BBC, AG, UWN)
HELDOUT_CORPORA = (PAGES, FEEDS, SEEDS, CNN, DOD_GOLD)
CORPUS_DIRS = DEV_CORPORA + HELDOUT_CORPORA
SPLITS = {"dev": DEV_CORPORA, "heldout": HELDOUT_CORPORA}


class CorporaMissing(FileNotFoundError):
    """A corpus folder the labels need is not there."""


@dataclass(frozen=True)
class Doc:
    corpus: str
    key: str
    title: str
    text: str
    published_at: datetime | None


# ---- reading the corpora (title and text as the pipeline would see them) ----

def _utc(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip().replace("Z", "+00:00")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    return None


def _rows(path: Path, **kw) -> Iterator[dict[str, str]]:
    csv.field_size_limit(10**9)
    with (gzip.open(path, "rt", encoding="utf-8", newline="") if path.suffix == ".gz"
          else path.open(encoding="utf-8", newline="")) as f:
        yield from csv.DictReader(f, **kw)


def _ag_clean(s: str) -> str:
    s = s.replace("\\", " ")
    s = re.sub(r"\s?#(\d+);", lambda m: chr(int(m.group(1))), s)
    return html.unescape(re.sub(r"(?<!&)\b(quot|amp|lt|gt);", r"&\1;", s))


def corpus_dir(root: Path, corpus: str) -> Path:
    """The folder ``corpus`` is read from (the seeds live in the repo, not under root)."""
    return REPO / "seeds" if corpus == SEEDS else root / corpus


def _page_meta(path: Path, name: str) -> tuple[str, str, datetime | None]:
    """Title, trafilatura text and date of a saved page, by the project's page reader."""
    from analytics.sources.parse.html_pages import extract_page

    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    # The pipeline's settings (analytics.sources.web.read_pages), but a short text is kept
    # so that a benchmark page always gives its title and date.
    res = extract_page(data, source=PAGES, location=name, min_text_chars=0)
    if res.articles.height == 0:
        return "", "", None
    row = res.articles.row(0, named=True)
    return row["title"] or "", row["text"] or "", row["published_at"]


def read_corpus(root: Path, corpus: str) -> Iterator[Doc]:
    """Every article of ``corpus``: the key the labels use, title, text, published date."""
    base = corpus_dir(root, corpus)
    if corpus == RSS:
        for r in _rows(base / "world_news_rss_2022_2023.csv.gz"):
            yield Doc(corpus, r["link"], r["title"] or "", r["description"] or "",
                      _utc(r["published_utc"]))
    elif corpus == GNEWS:
        for i, r in enumerate(_rows(base / "gnews_us_top_headlines_2025_2026.csv")):
            yield Doc(corpus, str(i), r["title"] or "", "", _utc(r["first_seen_utc"]))
    elif corpus == KZ:
        for r in _rows(base / "kremlin_putin_press_releases.csv"):
            summary = "" if r["summary"] == "NA" else r["summary"]
            yield Doc(corpus, r["link"], r["headline"] or "",
                      "\n".join(p for p in (summary, r["body"]) if p), _utc(r["date"]))
        for r in _rows(base / "president_gov_ua_zelenskyy_press_releases.csv"):
            yield Doc(corpus, r["link"], r["headline"] or "", r["body"] or "", _utc(r["date"]))
    elif corpus == DOD:
        dates: dict[str, str] = {}
        for manifest in ("manifest.csv", "manifest_manual.csv"):
            dates |= {r["id"]: r["published_date"] for r in _rows(base / "corpus" / manifest)}
        for path in sorted((base / "corpus").glob("*.txt")):
            title, _, body = path.read_text(encoding="utf-8").partition("\n")
            yield Doc(corpus, path.name, title.strip(), body.strip(),
                      _utc(dates.get(path.stem)))
    elif corpus == BBC:
        for path in sorted(base.glob("*/*.txt")):
            raw = path.read_bytes().decode("utf-8", errors="replace")
            title, _, body = raw.partition("\n")
            yield Doc(corpus, f"{path.parent.name}/{path.name}", title.strip(), body.strip(),
                      None)
    elif corpus == AG:
        for i, r in enumerate(_rows(base / "test.csv", fieldnames=["label", "title", "desc"])):
            yield Doc(corpus, str(i), _ag_clean(r["title"]), _ag_clean(r["desc"]), None)
    elif corpus == UWN:
        for r in _rows(base / "ukraine_war_news_multilingual.csv"):
            if r["language"] == "en":
                yield Doc(corpus, r["id"], r["title"] or "", r["text"] or "", _utc(r["date"]))
    elif corpus == PAGES:
        # Benchmark pages: the human-checked ground-truth body (as bench/eval/test_corpora.py
        # reads it); title and date from the page by the project's reader (extract_page).
        bench = base / "article-extraction-benchmark"
        truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
        for key in sorted(truth):
            title, _, published = _page_meta(bench / "html" / f"{key}.html.gz", key)
            yield Doc(corpus, key, title, (truth[key].get("articleBody") or "").strip(),
                      published)
        # trafilatura's cache pages have no ground truth: the project's reader gives all.
        for path in sorted((base / "trafilatura-cache").glob("*.html")):
            title, text, published = _page_meta(path, path.name)
            yield Doc(corpus, f"trafilatura-cache/{path.name}", title, text, published)
    elif corpus == FEEDS:
        from analytics.sources.parse.feeds import parse_feed

        for path in sorted(base.iterdir()):
            if path.suffix not in (".rss", ".atom", ".xml"):
                continue
            res = parse_feed(path.read_bytes(), source=FEEDS, location=path.name)
            for row in res.articles.iter_rows(named=True):
                yield Doc(corpus, row["location"], row["title"] or "", row["text"] or "",
                          row["published_at"])
    elif corpus == SEEDS:
        from analytics.sources.parse.article_files import parse_article_text

        for path in sorted(base.glob("*.txt")):
            fields = parse_article_text(path.read_text(encoding="utf-8"))
            yield Doc(corpus, path.name, fields.title, fields.text, _utc(fields.date))
    elif corpus == CNN:
        for i, r in enumerate(_rows(base / "cnn_ukraine_liveblog_headlines.csv")):
            yield Doc(corpus, str(i), r["headline"] or "", "", _utc(r["first_seen_utc"]))
    elif corpus == DOD_GOLD:
        for r in _rows(base / "gold.csv"):
            yield Doc(corpus, r["id"], "", r["text"] or "", None)
    else:
        raise ValueError(f"unknown corpus {corpus}")


# ---- the frozen sentence splitter and the candidate rule (see CLAIMS_README.md) ----

_SPLIT = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(A-Z0-9])|\n+")


def sentences(doc: Doc) -> list[str]:
    """The title, then the text's sentences, whitespace collapsed (the labels' units)."""
    parts = [doc.title] if doc.title and not doc.text.startswith(doc.title) else []
    parts += _SPLIT.split(doc.text)
    return [s for s in (" ".join(p.split()) for p in parts) if s]


def sentence_hash(sentence: str) -> str:
    return hashlib.sha1(" ".join(sentence.split()).encode()).hexdigest()[:10]


_WORDNUM = r"(?:one|two|three|four|five|six|seven|eight|nine|ten)"
_PCT = re.compile(rf"(?:\d+(?:[.,]\d+)?|\b{_WORDNUM}(?:\s+and\s+a\s+half)?)\s*-?\s*"
                  r"(?:%|per\s*cent\b|percent\b|pc\b|pct\b)", re.IGNORECASE)
_GDP = re.compile(r"\b(?:gdp|gross\s+domestic\s+product|output|national\s+income|"
                  r"national\s+wealth|of\s+(?:\w+\s+){0,2}econom(?:y|ies))\b", re.IGNORECASE)
_GOAL = re.compile(r"(?:%|cent|pc|pct)\W+(?:\w+\W+){0,3}?(?:target|goal|guideline|benchmark|"
                   r"threshold|pledge|commitment)\b", re.IGNORECASE)
_SPEND = re.compile(r"\b(?:spend\w*|budget\w*|expenditure\w*|outlays?|funding|invest\w*)\b",
                    re.IGNORECASE)
_DEFENCE_WORDS = re.compile(r"\b(?:defen[cs]e|militar\w*|nato|armed\s+forces|army|"
                            r"armies|weapons|rearm\w*|security\s+spending)\b", re.IGNORECASE)


def candidate(sents: list[str], i: int, title: str) -> str | None:
    """The stratum of sentence ``i`` under the draw rule, or None."""
    s = sents[i]
    if not _PCT.search(s):
        return None
    gdp, goal = bool(_GDP.search(s)), bool(_GOAL.search(s))
    defence = bool(_DEFENCE_WORDS.search(s))
    if gdp or goal:
        kind = "gdp" if gdp else "goal"
        if defence:
            return f"{kind}+defence"
        around = " ".join([title, *sents[max(0, i - 2): i], *sents[i + 1: i + 3]])
        return f"{kind}+context" if _DEFENCE_WORDS.search(around) else None
    return "spend+defence" if defence and _SPEND.search(s) else None


Candidate = tuple[str, str, int, str, str, str]


def _candidates(root: Path, corpora: tuple[str, ...], seen: set[str]) -> list[Candidate]:
    out = []
    for corpus in corpora:
        for doc in read_corpus(root, corpus):
            sents = sentences(doc)
            for i in range(len(sents)):
                stratum = candidate(sents, i, doc.title)
                h = sentence_hash(sents[i])
                if stratum and h not in seen:
                    seen.add(h)
                    out.append((corpus, doc.key, i, h, stratum, sents[i]))
    out.sort(key=lambda r: (r[0], r[1], r[2]))
    random.Random(SEED).shuffle(out)
    return out


def draw_splits(root: Path) -> dict[str, list[Candidate]]:
    """Every candidate (corpus, key, sentence index, hash, stratum, sentence) of each split,
    each shuffled with SEED; repeated sentences (the same story in two feeds) kept once.
    The held-out split is drawn after the dev one, so a sentence already in dev is not in it."""
    seen: set[str] = set()
    dev = _candidates(root, DEV_CORPORA, seen)
    return {"dev": dev, "heldout": _candidates(root, HELDOUT_CORPORA, seen)}


def draw(root: Path, split: str = "dev") -> list[Candidate]:
    """The candidates of one split (see ``draw_splits``)."""
    if split == "dev":
        return _candidates(root, DEV_CORPORA, set())
    return draw_splits(root)[split]


# ---- the labels and the figures ----

@dataclass(frozen=True)
class Label:
    corpus: str
    key: str
    index: int
    hash: str
    stratum: str
    claims: tuple[tuple[float, str | None, int | None, str], ...]  # value, actor, year, kind
    note: str
    split: str = "dev"  # "dev" (the 61 sentences the extractor was built with), "heldout"


def read_labels(path: Path = LABELS) -> list[Label]:
    out = []
    with path.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            claims: tuple[tuple[float, str | None, int | None, str], ...] = ()
            if r["claim"] == "1":
                parts = [r[c].split(";") for c in ("values", "actors", "years", "kinds")]
                claims = tuple((float(v), a or None, int(y) if y else None, k)
                               for v, a, y, k in zip(*parts, strict=True))
            split = r["split"]
            if split not in SPLITS:
                raise ValueError(f"{path.name}: split {split!r} is not one of {list(SPLITS)}")
            out.append(Label(r["corpus"], r["key"], int(r["sentence"]), r["hash"],
                             r["stratum"], claims, r["note"], split))
    return out


def labelled_docs(root: Path, labels: list[Label]) -> dict[tuple[str, str], Doc]:
    """The articles the labels name; CorporaMissing if a corpus folder is absent,
    KeyError if a key is gone."""
    missing = sorted({lb.corpus for lb in labels if not corpus_dir(root, lb.corpus).is_dir()})
    if missing:
        raise CorporaMissing(f"corpora not found under {root}: {', '.join(missing)}")
    wanted = {(lb.corpus, lb.key) for lb in labels}
    docs = {}
    for corpus in sorted({c for c, _ in wanted}):
        for doc in read_corpus(root, corpus):
            if (corpus, doc.key) in wanted:
                docs[(corpus, doc.key)] = doc
    gone = wanted - set(docs)
    if gone:
        raise KeyError(f"{len(gone)} labelled articles not in the corpora, e.g. {sorted(gone)[:3]}")
    return docs


def _same(snippet: str, sentence: str) -> bool:
    a, b = " ".join(snippet.split()), " ".join(sentence.split())
    return a == b or (len(a) >= 400 and b.startswith(a)) or (len(b) > 40 and (a in b or b in a))


@dataclass
class Scores:
    n_sentences: int = 0
    n_claim_sentences: int = 0
    truth: int = 0  # labelled claims
    predicted: int = 0  # claims the extractor gives on the labelled sentences
    matched: int = 0  # labelled claims found with the right value
    value_exact: int = 0  # claim sentences whose set of values is exactly the labelled one
    actor: int = 0
    year: int = 0
    kind: int = 0


def evaluate(labels: list[Label], docs: dict[tuple[str, str], Doc],
             errors: list[str] | None = None) -> Scores:
    """Run the extractor on each labelled article; score the claims of the labelled
    sentence. A labelled claim is matched by value (one prediction each, the one agreeing
    on most of actor, year and kind)."""
    from analytics.topics.claims import article_claims

    sc = Scores()
    cache: dict[tuple[str, str], list] = {}
    for lb in labels:
        doc = docs[(lb.corpus, lb.key)]
        sents = sentences(doc)
        if lb.index >= len(sents) or sentence_hash(sents[lb.index]) != lb.hash:
            found = [s for s in sents if sentence_hash(s) == lb.hash]
            if not found:
                raise KeyError(f"{lb.corpus} {lb.key}: sentence {lb.index} ({lb.hash}) changed")
            sentence = found[0]
        else:
            sentence = sents[lb.index]
        if (lb.corpus, lb.key) not in cache:
            cache[(lb.corpus, lb.key)] = article_claims(doc.title, doc.text, doc.published_at)
        pred = list(dict.fromkeys((c.value, c.actor, c.target_year, c.kind)
                                  for c in cache[(lb.corpus, lb.key)]
                                  if _same(c.snippet, sentence)))
        sc.n_sentences += 1
        sc.predicted += len(pred)
        sc.truth += len(lb.claims)
        where = f"{lb.corpus[:12]} {lb.key[-60:]} [{lb.index}]"
        if lb.claims:
            sc.n_claim_sentences += 1
            exact = {v for v, *_ in pred} == {v for v, *_ in lb.claims}
            sc.value_exact += exact
            if errors is not None and not exact:
                errors.append(f"VALUES {where}: got {sorted({v for v, *_ in pred})}, "
                              f"want {sorted({v for v, *_ in lb.claims})}")
        elif pred and errors is not None:
            errors.append(f"NOT A CLAIM {where}: got {pred} ({lb.note})")
        free = list(pred)
        for want in lb.claims:
            same_value = [p for p in free if abs(p[0] - want[0]) < 1e-9]
            if not same_value:
                continue
            best = max(same_value, key=lambda p: sum(p[i] == want[i] for i in (1, 2, 3)))
            free.remove(best)
            sc.matched += 1
            sc.actor += best[1] == want[1]
            sc.year += best[2] == want[2]
            sc.kind += best[3] == want[3]
            if errors is not None and best[1:] != want[1:]:
                errors.append(f"FIELDS {where}: got {best}, want {want}")
        if errors is not None and lb.claims:
            for p in free:
                errors.append(f"EXTRA {where}: {p}")
    return sc


def sum_scores(parts) -> Scores:
    """The scores of several splits taken together."""
    total = Scores()
    for sc in parts:
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(sc, name))
    return total


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}% ({a}/{b})" if b else "  n/a"


def report(sc: Scores) -> str:
    p = sc.matched / sc.predicted if sc.predicted else 1.0
    r = sc.matched / sc.truth if sc.truth else 1.0
    lines = [
        f"labelled sentences: {sc.n_sentences} ({sc.n_claim_sentences} with claims, "
        f"{sc.truth} claims; {sc.n_sentences - sc.n_claim_sentences} not a claim)",
        f"value exact  {_pct(sc.value_exact, sc.n_claim_sentences)}  "
        f"(claim sentences whose values are exactly the labelled ones; "
        f"target >= {TARGETS['value']:.0%})",
        f"actor right  {_pct(sc.actor, sc.matched)}  (of claims found; target >= "
        f"{TARGETS['actor']:.0%})",
        f"year right   {_pct(sc.year, sc.matched)}  (of claims found; target >= "
        f"{TARGETS['year']:.0%})",
        f"kind right   {_pct(sc.kind, sc.matched)}  (of claims found)",
        f"detection    precision {p:.1%} ({sc.matched}/{sc.predicted})  "
        f"recall {r:.1%} ({sc.matched}/{sc.truth})",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="print every disagreement")
    ap.add_argument("--draw", nargs="?", const="dev", choices=tuple(SPLITS),
                    help="print the candidate sentences of the draw rule for a split "
                         "(default dev; for labelling)")
    args = ap.parse_args()
    if args.draw:
        wanted = DEV_CORPORA if args.draw == "dev" else CORPUS_DIRS
        missing = [c for c in wanted if not corpus_dir(CORPORA, c).is_dir()]
        if missing:
            print(f"skipped: corpora not found under {CORPORA}: {', '.join(missing)}",
                  file=sys.stderr)
            return 2
        for n, (corpus, key, i, h, stratum, s) in enumerate(draw(CORPORA, args.draw)):
            print(f"{n}\t{corpus}\t{key}\t{i}\t{h}\t{stratum}\t{s}")
        return 0
    labels = read_labels()
    try:
        docs = labelled_docs(CORPORA, labels)
    except CorporaMissing as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    errors: list[str] | None = [] if args.errors else None
    by_split: dict[str, Scores] = {}
    for split in SPLITS:
        part = [lb for lb in labels if lb.split == split]
        split_errors: list[str] | None = [] if errors is not None else None
        by_split[split] = evaluate(part, docs, split_errors)
        if errors is not None:
            errors += [f"[{split}] {line}" for line in split_errors or []]
    for split, sc in by_split.items():
        print(f"== {split}\n{report(sc)}\n")
    print(f"== all (dev + heldout)\n{report(sum_scores(by_split.values()))}")
    if errors:
        print()
    for line in errors or []:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Does a learned second opinion (rule OR model) raise the tagger's recall at precision >= .90?

    .venv/bin/python -m bench.learned_tagger [--split test|dev] [--weak N]

Per core topic a TF-IDF (word 1-2 grams) + logistic regression model is trained on the dev
sets (bench/eval/labels.csv, dev2_labels.csv and dev3_labels.csv where present; hand
labels) plus a seeded sample of the RSS corpus labelled
by the rule tagger (weak labels). Its proposals are ADDED to the rule tagger's matches.
Each topic's probability threshold is chosen on the dev set only: 5-fold cross-validation
over the dev rows (the weak rows are always in training) gives out-of-fold probabilities,
and the threshold is the lowest one keeping dev precision of rule-OR-model >= .92 while
adding at least one dev true positive; otherwise the model is off for that topic.
The test labels are read only to score the final models (``--split test``, the default);
``--split dev`` prints the dev cross-validation table instead (optimistic: the thresholds
were chosen on those same out-of-fold scores).

Verdict ``ship: yes`` only if micro recall on the test set rises, micro precision stays
>= .90 and no topic's precision drops by more than .05. Texts are read from
../shared/corpora; exit 2 with ``skipped: ...`` when they (or the test labels) are absent.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from analytics.contracts.taxonomy import load_taxonomy
from analytics.topics.tagging import tag_topics
from bench.eval.load import DEV_SETS, RSS, TOPICS, CorporaMissingError, load_eval_set
from bench.eval.test_corpora import load_test_set

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
TEST_LABELS = REPO / "bench" / "eval" / "test_labels.csv"
TAXONOMY = REPO / "seeds" / "taxonomy.toml"
RSS_FILE = CORPORA / RSS / "world_news_rss_2022_2023.csv.gz"
WEAK_N, WEAK_SEED = 20_000, 7
DEV_PRECISION, SHIP_PRECISION, MAX_DROP = 0.92, 0.90, 0.05
FOLDS = 5
GRID = np.round(np.arange(0.50, 0.991, 0.01), 2)


def rule_matrix(frame: pl.DataFrame, taxonomy) -> np.ndarray:
    """Boolean (rows x TOPICS) matrix of the rule tagger's matches."""
    arts = frame.with_row_index("i").select(
        article_id=pl.col("i").cast(pl.String), title=pl.col("title").fill_null(""),
        text=pl.col("text").fill_null(""))
    mentions = tag_topics(arts, taxonomy)
    out = np.zeros((frame.height, len(TOPICS)), dtype=bool)
    col = {t: j for j, t in enumerate(TOPICS)}
    for aid, topic in mentions.select("article_id", "topic_id").iter_rows():
        if topic in col:
            out[int(aid), col[topic]] = True
    return out


def truth_matrix(frame: pl.DataFrame) -> np.ndarray:
    return np.column_stack([frame[t].fill_null(False).to_numpy() for t in TOPICS]).astype(bool)


def weak_sample(exclude_keys: set[str], n: int) -> pl.DataFrame:
    """Seeded RSS sample (not in the dev set), text = title + description as in the dev set."""
    df = pl.read_csv(RSS_FILE, infer_schema_length=0).filter(
        pl.col("title").is_not_null() & ~pl.col("link").is_in(sorted(exclude_keys)))
    df = df.unique("link", keep="first", maintain_order=True).sample(n=n, seed=WEAK_SEED)
    return df.select(
        title=pl.col("title"),
        text=pl.concat_str(["title", "description"], separator="\n", ignore_nulls=True))


def fit_predict(train_texts: list[str], train_y: np.ndarray, apply_texts: list[str]
                ) -> np.ndarray:
    """Per-topic P(topic) for ``apply_texts`` (rows x TOPICS); 0 where a topic has one class."""
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    x_train = vec.fit_transform(train_texts)
    x_apply = vec.transform(apply_texts)
    probs = np.zeros((len(apply_texts), len(TOPICS)))
    for j in range(len(TOPICS)):
        y = train_y[:, j]
        if y.min() == y.max():
            continue
        model = LogisticRegression(class_weight="balanced", max_iter=1000, random_state=0)
        model.fit(x_train, y)
        probs[:, j] = model.predict_proba(x_apply)[:, 1]
    return probs


def pr(pred: np.ndarray, truth: np.ndarray) -> tuple[int, int, int, float, float]:
    tp = int((pred & truth).sum())
    fp = int((pred & ~truth).sum())
    fn = int((~pred & truth).sum())
    return tp, fp, fn, (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def choose_thresholds(rule: np.ndarray, probs: np.ndarray, truth: np.ndarray) -> list[float]:
    """Per topic: lowest grid threshold with dev precision(rule OR model) >= DEV_PRECISION and
    at least one more dev true positive than the rule alone; inf (model off) if none."""
    out = []
    for j in range(len(TOPICS)):
        base_tp = pr(rule[:, j], truth[:, j])[0]
        chosen = float("inf")
        for t in GRID:
            tp, _, _, p, _ = pr(rule[:, j] | (probs[:, j] >= t), truth[:, j])
            if p >= DEV_PRECISION and tp > base_tp:
                chosen = float(t)
                break
        out.append(chosen)
    return out


def report(name: str, rule: np.ndarray, probs: np.ndarray, truth: np.ndarray,
           thresholds: list[float]) -> bool:
    model = probs >= np.array(thresholds)[None, :]
    both = rule | model
    print(f"{name}: {truth.shape[0]} labelled articles; model added to rule matches "
          f"(rule OR model)\n")
    print(f"{'topic':22} {'pos':>4} {'thresh':>6} {'rule P':>7} {'rule R':>7} "
          f"{'+mod P':>7} {'+mod R':>7} {'extra':>6} {'+tp':>4}")
    drop_ok = True
    for j, topic in enumerate(TOPICS):
        _, _, _, p0, r0 = pr(rule[:, j], truth[:, j])
        tp1, _, _, p1, r1 = pr(both[:, j], truth[:, j])
        tp0 = pr(rule[:, j], truth[:, j])[0]
        extra = int((model[:, j] & ~rule[:, j]).sum())
        thr = "off" if thresholds[j] == float("inf") else f"{thresholds[j]:.2f}"
        flag = ""
        if p0 - p1 > MAX_DROP:
            drop_ok, flag = False, "  <- precision drop > .05"
        print(f"{topic:22} {int(truth[:, j].sum()):>4} {thr:>6} {p0:>7.3f} {r0:>7.3f} "
              f"{p1:>7.3f} {r1:>7.3f} {extra:>6} {tp1 - tp0:>4}{flag}")
    _, _, _, mp0, mr0 = pr(rule.ravel(), truth.ravel())
    _, _, _, mp1, mr1 = pr(both.ravel(), truth.ravel())
    extra = int((model & ~rule).sum())
    print(f"\nmicro-average  rule-only P {mp0:.3f} R {mr0:.3f};  rule-or-model "
          f"P {mp1:.3f} R {mr1:.3f};  extra pairs {extra}")
    ship = mr1 > mr0 and mp1 >= SHIP_PRECISION and drop_ok
    return ship


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("test", "dev"), default="test")
    ap.add_argument("--weak", type=int, default=WEAK_N, help="weakly labelled RSS rows")
    args = ap.parse_args()
    start = time.perf_counter()
    try:
        # every dev set's hand labels train the model (never the test set's)
        dev = pl.concat([load_eval_set(CORPORA, labels) for labels in DEV_SETS.values()
                         if labels.is_file()])
        if not RSS_FILE.is_file():
            raise CorporaMissingError(f"{RSS_FILE} not found")
        test = None
        if args.split == "test":
            if not TEST_LABELS.is_file():
                print(f"skipped: {TEST_LABELS} not found (use --split dev)", file=sys.stderr)
                return 2
            test = load_test_set(CORPORA, TEST_LABELS)
    except CorporaMissingError as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2

    taxonomy = load_taxonomy(TAXONOMY)
    rss_keys = set(dev.filter(pl.col("corpus") == RSS)["key"].to_list())
    weak = weak_sample(rss_keys, args.weak)
    weak_y = rule_matrix(weak, taxonomy)
    weak_texts = weak["text"].to_list()
    dev_texts = dev["text"].fill_null("").to_list()
    dev_y, dev_rule = truth_matrix(dev), rule_matrix(dev, taxonomy)
    print(f"training: {dev.height} dev rows (hand labels) + {weak.height} RSS rows "
          f"(rule labels, seed {WEAK_SEED}; {int(weak_y.any(axis=1).sum())} with a topic)\n")

    # out-of-fold dev probabilities: the weak rows are always in training
    oof = np.zeros(dev_y.shape)
    for train_idx, held_idx in KFold(FOLDS, shuffle=True, random_state=0).split(dev_texts):
        texts = weak_texts + [dev_texts[i] for i in train_idx]
        y = np.vstack([weak_y, dev_y[train_idx]])
        oof[held_idx] = fit_predict(texts, y, [dev_texts[i] for i in held_idx])
    thresholds = choose_thresholds(dev_rule, oof, dev_y)

    if test is None:
        ship = report(f"dev ({FOLDS}-fold CV, thresholds chosen on these scores)",
                      dev_rule, oof, dev_y, thresholds)
    else:
        test_texts = test["text"].fill_null("").to_list()
        probs = fit_predict(weak_texts + dev_texts, np.vstack([weak_y, dev_y]), test_texts)
        ship = report("test (frozen; thresholds from dev CV)", rule_matrix(test, taxonomy),
                      probs, truth_matrix(test), thresholds)
    print(f"runtime {time.perf_counter() - start:.0f} s")
    print(f"ship: {'yes' if ship else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Draw the candidate sample for the hand-labelled evaluation set (reproducible).

Usage::

    .venv/bin/python bench/eval/sample.py /work/shared/corpora OUT.parquet

Writes the candidate rows (corpus, file, key, text_fields, stratum, title, text) to
OUT.parquet *outside* the repository (the texts are (c) their publishers and must not be
committed).  The keyword patterns below are used ONLY to pre-select likely positives and
hard negatives (stratification); the labels in ``labels.csv`` were assigned by reading
each text, not from these patterns.

Sampling design (seed ``SEED``), per corpus:

1. shuffle the eligible rows with a fixed seed;
2. for every core topic (rarest first) take the first ``per_topic`` rows whose text
   matches that topic's broad cue pattern and that are not yet taken;
3. for every hard-negative pattern take the first ``per_hard_neg`` matching rows;
4. fill up to the corpus quota with plain random rows (background/negatives).

Stage 2 ("top-up"): after labelling stage 1, logistics, defence spending, terrorism,
nuclear, drones and NATO enlargement had too few confirmed positives, so ``TOPUP`` draws
extra rows with narrower cue patterns (same procedure, seed ``SEED + 1``, excluding rows
already drawn), plus a few more random background headlines.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polars as pl

SEED = 20250101
MAX_BODY_CHARS = 6000  # kremlin/zelenskyy: only bodies <= 6000 chars are eligible

# Broad candidate cues (pre-selection only; deliberately over-inclusive).
TOPIC_CUES: dict[str, str] = {
    "logistics": r"logistic|supply (line|route|chain)|resuppl|military mobility|"
    r"replenishment|transport(ing)? (of )?(troops|weapons|equipment)",
    "defense_spending": r"defen[cs]e (spending|budget)|military (spending|budget)|"
    r"% of (gdp|gross)|per ?cent of (gdp|gross)|percent of (gdp|gross)|burden.shar",
    "defense_industry": r"defen[cs]e (industr|industrial|manufactur|compan|contract)|"
    r"arms (production|industry|maker|manufactur)|ammunition production|shell production|"
    r"production contract|military.industrial|rheinmetall|lockheed|raytheon|\brtx\b|"
    r"northrop|general dynamics|contract award",
    "nato_enlargement": r"nato membership|join(ing)? nato|nato (accession|enlargement|"
    r"expansion)|membership (bid|application)|open.door|expansion of nato|"
    r"(finland|sweden)[^.]{0,60}nato|nato[^.]{0,60}(finland|sweden)",
    "terrorism": r"terror|isis|islamic state|al.qaeda|al.shabaab|jihadi",
    "peace_negotiations": r"peace (talk|plan|deal|process|settlement|negotiat|agreement)|"
    r"ceasefire|cease-fire|truce|negotiat|minsk agreement|normandy format",
    "nuclear_deterrence": r"nuclear (weapon|deterr|arsenal|threat|war|forces|strike|"
    r"missile|warhead|test|blackmail)|tactical nuclear|atomic bomb|non.proliferation",
    "defense_spending_2": r"military aid budget|defen[cs]e outlays",
    "air_missile_defense": r"air defen[cs]e|missile defen[cs]e|anti.aircraft|patriot|"
    r"iris-t|nasams|samp/t|s-[34]00|iron dome|intercept|shot down|shoot down|air shield",
    "long_range_strike": r"long.range|atacms|storm shadow|scalp|taurus|tomahawk|kalibr|"
    r"iskander|kinzhal|ballistic|cruise missile|missile (strike|attack)|hypersonic|"
    r"himars",
    "drones": r"drone|\buav|unmanned|shahed|bayraktar|loitering",
    "sanctions": r"sanction|embargo|price cap|asset freeze|export control|frozen assets",
    "ukraine_military_aid": r"(military|security|defen[cs]e) (aid|assistance|support|"
    r"package)|weapons? (deliver|suppl|to ukraine)|ramstein|contact group|lend.lease|"
    r"arms (to|for) ukraine",
    "ground_forces": r"troops|brigade|battalion|\btanks?\b|armou?red|infantry|"
    r"counter.?offensive|front ?line|ground (forces|offensive)",
}

# Hard negatives: look topical but usually are not (or only sometimes are).
HARD_NEG_CUES: dict[str, str] = {
    "nuclear_power": r"nuclear (power|plant|station|energy|reactor)|zaporizhzhia",
    "think_tank": r"think.tank",
    "energy_price_cap": r"(energy|electricity|gas|household|bill)s? price cap|"
    r"price cap on (energy|bills)",
    "trade_talks": r"trade (talks|negotiat|deal|agreement)|tariff",
    "eu_accession": r"(eu|european union) (membership|candidate|accession)|candidate status",
    "domestic_budget": r"\bbudget\b",
    "civil_drone": r"drone (deliver|show|footage|photograph|light)|"
    r"drones? (at|over) (airport|stadium)",
    "patriot_other": r"patriot(s|ic| act| day)",
    "sport_ban": r"(fifa|uefa|olympic|wimbledon|ioc)",
    "missile_other": r"anti.tank|javelin|stinger",
}

# quotas: (total, per_topic, per_hard_neg)
QUOTAS: dict[str, tuple[int, int, int]] = {
    "kremlin": (28, 1, 1),
    "zelenskyy": (32, 1, 1),
    "dod": (40, 3, 1),
    "rss": (55, 3, 1),
    "cnn": (22, 1, 1),
    "gnews": (20, 1, 1),
}
# order rarest-first so scarce topics get first pick
TOPIC_ORDER = [
    "logistics",
    "defense_spending",
    "defense_spending_2",
    "defense_industry",
    "nato_enlargement",
    "terrorism",
    "peace_negotiations",
    "nuclear_deterrence",
    "air_missile_defense",
    "long_range_strike",
    "drones",
    "sanctions",
    "ukraine_military_aid",
    "ground_forces",
]

# stage 2 top-up: source -> list of (label, pattern, n)
TOPUP: dict[str, list[tuple[str, str, int]]] = {
    "rss": [
        (
            "logistics",
            r"supply (line|route)s?|resuppl|logistics hub|military logistic|"
            r"ammunition depot|fuel depot",
            4,
        ),
        (
            "defense_spending",
            r"defen[cs]e (spending|budget)|military (spending|budget)|"
            r"% of gdp|per ?cent of gdp",
            3,
        ),
        ("terrorism", r"terroris|islamic state|al.qaeda", 2),
        ("drones", r"drone|\buav|shahed", 1),
        ("nato_enlargement", r"join(ing)? nato|nato (membership|accession)", 1),
    ],
    "cnn": [
        ("logistics", r"supply (line|route)s?|resuppl|logistic|ammunition depot|fuel depot", 3),
        ("nuclear_deterrence", r"nuclear (weapon|arsenal|deterr|war|threat|test)", 1),
        ("drones", r"drone|\buav|shahed", 1),
    ],
    "gnews": [
        ("logistics", r"supply (line|route)s?|resuppl|military logistic", 2),
        (
            "defense_spending",
            r"defen[cs]e (spending|budget)|military (spending|budget)|"
            r"% of gdp|percent of gdp",
            3,
        ),
        ("terrorism", r"terroris|islamic state|al.qaeda", 2),
        ("nuclear_deterrence", r"nuclear (weapon|arsenal|deterr|war|threat|test)", 1),
        ("drones", r"drone|\buav|shahed", 1),
        ("random", r".", 3),
    ],
    "zelenskyy": [
        ("logistics", r"logistic|supply (line|route)s?|resuppl|fuel depot|ammunition depot", 2),
    ],
    "kremlin": [
        ("terrorism", r"terroris", 2),
    ],
}

KZ = "kremlin-zelenskyy-press-releases-2021-2022"


def load_pools(root: Path) -> dict[str, pl.DataFrame]:
    """Return per-stratum pools with columns corpus, file, key, text_fields, title, text."""
    pools: dict[str, pl.DataFrame] = {}
    k = pl.read_csv(
        root / KZ / "kremlin_putin_press_releases.csv", null_values=["NA"], infer_schema_length=0
    )
    pools["kremlin"] = k.filter(pl.col("body").str.len_chars() <= MAX_BODY_CHARS).select(
        pl.lit(KZ).alias("corpus"),
        pl.lit("kremlin_putin_press_releases.csv").alias("file"),
        pl.col("link").alias("key"),
        pl.lit("headline+summary+body").alias("text_fields"),
        pl.col("headline").alias("title"),
        pl.concat_str(
            [pl.col("headline"), pl.col("summary"), pl.col("body")],
            separator="\n",
            ignore_nulls=True,
        ).alias("text"),
    )
    z = pl.read_csv(
        root / KZ / "president_gov_ua_zelenskyy_press_releases.csv", infer_schema_length=0
    )
    pools["zelenskyy"] = z.filter(pl.col("body").str.len_chars() <= MAX_BODY_CHARS).select(
        pl.lit(KZ).alias("corpus"),
        pl.lit("president_gov_ua_zelenskyy_press_releases.csv").alias("file"),
        pl.col("link").alias("key"),
        pl.lit("headline+body").alias("text_fields"),
        pl.col("headline").fill_null("").alias("title"),
        pl.concat_str(
            [pl.col("headline"), pl.col("body")], separator="\n", ignore_nulls=True
        ).alias("text"),
    )
    ddir = root / "dod-dvids-defense-releases" / "corpus"
    rows = []
    for p in sorted(ddir.glob("*.txt")):
        t = p.read_text(encoding="utf-8")
        rows.append(
            {
                "corpus": "dod-dvids-defense-releases",
                "file": "corpus/" + p.name,
                "key": p.name,
                "text_fields": "headline+body",
                "title": t.split("\n", 1)[0].strip(),
                "text": t,
            }
        )
    pools["dod"] = pl.DataFrame(rows)
    r = pl.read_csv(
        root / "rss-world-news-2022-2023" / "world_news_rss_2022_2023.csv.gz",
        infer_schema_length=0,
    )
    pools["rss"] = r.select(
        pl.lit("rss-world-news-2022-2023").alias("corpus"),
        pl.lit("world_news_rss_2022_2023.csv.gz").alias("file"),
        pl.col("link").alias("key"),
        pl.lit("title+description").alias("text_fields"),
        pl.col("title").fill_null(""),
        pl.concat_str(
            [pl.col("title"), pl.col("description")], separator="\n", ignore_nulls=True
        ).alias("text"),
    )
    c = pl.read_csv(
        root / "cnn-ukraine-liveblog-headlines" / "cnn_ukraine_liveblog_headlines.csv",
        infer_schema_length=0,
    ).with_row_index("idx")
    pools["cnn"] = c.select(
        pl.lit("cnn-ukraine-liveblog-headlines").alias("corpus"),
        pl.lit("cnn_ukraine_liveblog_headlines.csv").alias("file"),
        pl.col("idx").cast(pl.Utf8).alias("key"),
        pl.lit("headline").alias("text_fields"),
        pl.col("headline").alias("title"),
        pl.col("headline").alias("text"),
    )
    g = pl.read_csv(
        root / "gnews-us-top-headlines-2025-2026" / "gnews_us_top_headlines_2025_2026.csv",
        infer_schema_length=0,
    ).with_row_index("idx")
    pools["gnews"] = g.select(
        pl.lit("gnews-us-top-headlines-2025-2026").alias("corpus"),
        pl.lit("gnews_us_top_headlines_2025_2026.csv").alias("file"),
        pl.col("idx").cast(pl.Utf8).alias("key"),
        pl.lit("title").alias("text_fields"),
        pl.col("title"),
        pl.col("title").alias("text"),
    )
    return pools


def draw(pool: pl.DataFrame, name: str) -> pl.DataFrame:
    total, per_topic, per_hn = QUOTAS[name]
    pool = pool.filter(pl.col("text").str.len_chars() > 0).sample(
        fraction=1.0, shuffle=True, seed=SEED
    )
    # dod: keep all six SEC industry releases (the only industry-side texts)
    forced = pool.filter(pl.col("key").str.starts_with("9")) if name == "dod" else pool.head(0)
    taken: list[int] = []
    strata: list[str] = []
    texts = pool["text"].str.to_lowercase().to_list()
    keys = pool["key"].to_list()
    forced_keys = set(forced["key"].to_list())
    for i, key in enumerate(keys):
        if key in forced_keys:
            taken.append(i)
            strata.append("forced:sec")

    def take(pattern: str, n: int, label: str) -> None:
        rx = re.compile(pattern)
        got = 0
        for i, t in enumerate(texts):
            if got >= n or len(taken) >= total:
                return
            if i not in taken and rx.search(t):
                taken.append(i)
                strata.append(label)
                got += 1

    for topic in TOPIC_ORDER:
        take(TOPIC_CUES[topic], per_topic, "topic:" + topic)
    for hn, pat in HARD_NEG_CUES.items():
        take(pat, per_hn, "hardneg:" + hn)
    take(r".", total - len(taken), "random")
    out = pool[taken].with_columns(pl.Series("stratum", strata), pl.lit(name).alias("source"))
    return out


def draw_topup(pool: pl.DataFrame, name: str, exclude: set[str]) -> pl.DataFrame:
    pool = pool.filter(
        (pl.col("text").str.len_chars() > 0) & ~pl.col("key").is_in(list(exclude))
    ).sample(fraction=1.0, shuffle=True, seed=SEED + 1)
    texts = pool["text"].str.to_lowercase().to_list()
    taken: list[int] = []
    strata: list[str] = []
    for label, pat, n in TOPUP.get(name, []):
        rx = re.compile(pat)
        got = 0
        for i, t in enumerate(texts):
            if got >= n:
                break
            if i not in taken and rx.search(t):
                taken.append(i)
                strata.append("topup:" + label)
                got += 1
    return pool[taken].with_columns(
        pl.Series("stratum", strata, dtype=pl.Utf8), pl.lit(name).alias("source")
    )


def main() -> None:
    root = Path(sys.argv[1])
    out = Path(sys.argv[2])
    pools = load_pools(root)
    parts = [draw(pools[name], name) for name in QUOTAS]
    drawn = set(pl.concat(parts)["key"].to_list())
    parts += [draw_topup(pools[name], name, drawn) for name in TOPUP]
    df = pl.concat(parts).with_row_index("cand_id")
    df.write_parquet(out)
    print(df.group_by("source", "stratum").len().sort("source", "stratum"))


if __name__ == "__main__":
    main()

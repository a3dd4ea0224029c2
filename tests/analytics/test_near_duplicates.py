from datetime import UTC, datetime

import polars as pl
import pytest

from analytics.near_duplicates import mark_near_duplicates, minhash, similar_pairs

STORY = (
    "NATO defence ministers met in Brussels on Thursday to agree new capability targets, "
    "with air and missile defence, long-range weapons, logistics and large ground formations "
    "named as the priorities. Secretary General Mark Rutte said allies would need "
    "significantly more defence spending and expected most allies to reach two per cent of "
    "GDP this year, while the Nuclear Planning Group would meet on Friday."
)
VARIANTS = [
    STORY,
    "UPDATED: " + STORY.replace("on Thursday", "on June 5") + " This story has been updated.",
    STORY.replace("Secretary General Mark Rutte said", "Rutte told reporters").replace(
        " while the Nuclear Planning Group would meet on Friday", ""),
]
OTHER = ("Heavy rain flooded parts of the city overnight, closing schools and roads while "
         "emergency services rescued residents from cars stranded in rising water.")


def _articles(texts, days=None):
    n = len(texts)
    days = days or list(range(1, n + 1))
    return pl.DataFrame({
        "article_id": [f"id{i}" for i in range(n)],
        "published_at": [datetime(2025, 6, d, tzinfo=UTC) for d in days],
        "text": texts, "duplicate_of": [None] * n,
    }, schema_overrides={"duplicate_of": pl.String})


def test_variants_of_one_story_are_marked_and_unrelated_is_not():
    out = mark_near_duplicates(_articles([VARIANTS[1], OTHER, VARIANTS[0], VARIANTS[2]],
                                         days=[3, 1, 2, 4]))
    assert out.height == 4  # never adds or drops rows
    marks = dict(zip(out["article_id"], out["duplicate_of"], strict=True))
    # the earliest variant (id2, June 2) is canonical
    assert marks == {"id0": "id2", "id1": None, "id2": None, "id3": "id2"}


def test_known_article_stays_canonical():
    known = _articles([VARIANTS[0]], days=[9]).with_columns(article_id=pl.lit("stored"))
    out = mark_near_duplicates(_articles([VARIANTS[1], OTHER]), known)
    assert out["duplicate_of"].to_list() == ["stored", None]


@pytest.mark.parametrize("threshold", [0.5, 0.65, 0.8])
def test_threshold_orders_pairs(threshold):
    texts = pl.Series([VARIANTS[0], VARIANTS[2], OTHER])
    sims = similar_pairs(texts, threshold=0.0)
    kept = similar_pairs(texts, threshold=threshold)
    assert kept.height == sims.filter(pl.col("sim") >= threshold).height
    assert (0, 2) not in set(kept.select("i", "j").iter_rows())


def test_signatures_are_deterministic_and_handle_short_and_empty_texts():
    texts = pl.Series(["a b", "", "one two three four", None])
    a, b = minhash(texts), minhash(texts)
    assert (a == b).all()
    assert (a[1] == a[3]).all() and a[1, 0] == a.max()
    assert not (a[0] == a[2]).all()
    assert similar_pairs(pl.Series(["", ""])).is_empty()

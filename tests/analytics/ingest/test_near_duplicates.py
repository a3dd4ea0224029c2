from datetime import UTC, datetime

import polars as pl
import pytest

from analytics.ingest.near_duplicates import mark_near_duplicates, minhash, similar_pairs

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


def _dated(texts, dates):
    return pl.DataFrame({
        "article_id": [f"id{i:03d}" for i in range(len(texts))],
        "published_at": dates, "text": texts, "duplicate_of": [None] * len(texts),
    }, schema_overrides={"duplicate_of": pl.String})


def test_window_compares_only_articles_close_in_time():
    dates = [datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 20, tzinfo=UTC),
             datetime(2025, 9, 1, tzinfo=UTC)]
    arts = _dated([VARIANTS[0], VARIANTS[1], VARIANTS[2]], dates)
    wide = mark_near_duplicates(arts)["duplicate_of"].to_list()
    assert wide == [None, "id000", "id000"]
    # 19 days apart stay near duplicates; the copy three months later is compared with no one.
    assert mark_near_duplicates(arts, window_days=31)["duplicate_of"].to_list() == [
        None, "id000", None]
    assert mark_near_duplicates(arts, window_days=10)["duplicate_of"].to_list() == [
        None, None, None]


def test_window_known_articles_outside_it_are_not_canonical():
    known = _dated([VARIANTS[0]], [datetime(2024, 1, 1, tzinfo=UTC)]).with_columns(
        article_id=pl.lit("old"))
    arts = _dated([VARIANTS[1]], [datetime(2025, 6, 1, tzinfo=UTC)])
    assert mark_near_duplicates(arts, known)["duplicate_of"].to_list() == ["old"]
    assert mark_near_duplicates(arts, known, window_days=31)["duplicate_of"].to_list() == [None]


def test_chunked_window_equals_one_pass():
    """Small chunks (with their look-back) find exactly the pairs one pass finds."""
    texts, dates = [], []
    for k in range(40):  # 40 stories, each with edited copies spread over a few days
        story = f"Story {k}: " + " ".join(f"w{k}x{n}" for n in range(30))
        for copy in range(k % 4):
            texts.append(f"{story} update {copy}")
            dates.append(datetime(2025, 1, 1 + (k + copy * 3) % 28, tzinfo=UTC))
    arts = _dated(texts, dates)
    one = mark_near_duplicates(arts, threshold=0.6, window_days=5, chunk=10_000)
    for chunk in (3, 7, 16):
        assert mark_near_duplicates(arts, threshold=0.6, window_days=5,
                                    chunk=chunk).equals(one)
    assert one["duplicate_of"].is_not_null().sum() > 20

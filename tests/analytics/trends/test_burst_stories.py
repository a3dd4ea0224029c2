"""The stories inside a burst's peak: same-event titles grouped, labelled, ranked."""

from datetime import UTC, date, datetime

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import TfidfVectorizer

from analytics.contracts import schema
from analytics.trends.burst_stories import _title_vectorizer, burst_peaks, burst_stories

DAY = date(2023, 6, 24)


def _bursts(rows):
    base = {"period": "day", "level": "burst"}
    return pl.DataFrame([{**base, **r} for r in rows]).with_columns(
        pl.col("articles").cast(pl.UInt32))


def _articles(rows):
    return pl.DataFrame(
        [{"article_id": f"a{i}", "source": src, "url": f"https://{src}/{i}", "title": title,
          "published_at": datetime(d.year, d.month, d.day, 6 + i % 12, tzinfo=UTC)}
         for i, (title, src, d) in enumerate(rows)],
        schema_overrides={"published_at": schema.UTC_DATETIME})


MUTINY = [
    ("Wagner mercenaries seize Rostov military headquarters in mutiny", "bbc", DAY),
    ("Prigozhin's Wagner mutiny: fighters take Rostov headquarters", "reuters", DAY),
    ("Wagner chief Prigozhin marches on Moscow in armed mutiny", "guardian", DAY),
    ("Putin vows to crush Wagner mutiny, calls it treason", "ap", DAY),
    ("Wagner mutiny: Prigozhin fighters head north to Moscow", "bbc", DAY),
    ("Wagner recruits mercenaries in Africa for Sudan gold mines", "aljazeera", DAY),
    ("Mutiny in Rostov: Wagner seizes headquarters", "cnn", date(2023, 6, 25)),  # next day
    ("Wagner mercenaries in Mali accused of killings", "france24", date(2023, 6, 20)),
]


BACKGROUND = [(f"{w} report on {x} in {y}", "wire", date(2023, 6, d))
              for d, (w, x, y) in enumerate([
                  ("Markets", "inflation", "Europe"), ("Weather", "storms", "Texas"),
                  ("Election", "polls", "Spain"), ("Football", "transfers", "England"),
                  ("Court", "ruling", "Brazil"), ("Markets", "oil prices", "Asia"),
                  ("Health", "vaccines", "Africa"), ("Tech", "chips", "Taiwan")], start=1)]


def test_a_peaks_stories_are_its_same_event_titles_largest_first():
    articles = _articles(MUTINY + BACKGROUND)
    mentions = articles.head(len(MUTINY)).select("article_id",
                                                 topic_id=pl.lit("mercenary_forces"))
    bursts = _bursts([{"topic_id": "mercenary_forces", "period_start": DAY, "onset": DAY,
                       "articles": 6}])
    stories = burst_stories(bursts, articles, mentions, min_similarity=0.2)
    assert dict(stories.schema) == schema.BURST_STORIES
    top = stories.row(0, named=True)
    assert top["rank"] == 1 and top["articles"] >= 4  # the mutiny titles of that day
    assert "mutiny" in top["label"].lower()
    assert top["sources"] == len(set(top["outlets"])) and len(top["urls"]) <= 3
    # the Sudan recruitment story is not part of it; the next day's and the earlier
    # Mali title are outside the peak day
    assert stories["articles"].sum() == 6
    assert not any("Mali" in s for s in stories["label"])
    assert any("Sudan" in s for s in stories["label"])


def test_a_run_of_flagged_days_gives_one_peak_its_busiest_day():
    bursts = _bursts([
        {"topic_id": "t", "period_start": date(2023, 6, 24), "onset": date(2023, 6, 24),
         "articles": 40},
        {"topic_id": "t", "period_start": date(2023, 6, 25), "onset": date(2023, 6, 24),
         "articles": 90},
        {"topic_id": "u", "period_start": date(2023, 1, 3), "onset": date(2023, 1, 3),
         "articles": 9, "level": "watch"},
    ])
    peaks = burst_peaks(bursts)
    assert peaks.select("topic_id", "period_start").rows() == [("t", date(2023, 6, 25))]


def test_no_bursts_no_stories():
    empty = burst_stories(schema.empty("bursts"), _articles(MUTINY),
                          pl.DataFrame(schema=schema.TOPIC_MENTIONS))
    assert empty.is_empty() and dict(empty.schema) == schema.BURST_STORIES


def _full_fit(heads):
    """The vectorizer fitted on every word of the stream (what the weights must equal)."""
    return TfidfVectorizer(stop_words="english", sublinear_tf=True,
                           token_pattern=r"(?u)\b[^\W\d_]{2,}\b").fit(heads)


def test_weights_learnt_for_the_compared_words_only_equal_a_full_fit():
    # Words shared with the stream, repeated words (sublinear tf), a word the stream
    # lacks ("Zelenskyy"), stop words, words glued to digits ("F16s", "x_y") and
    # non-ASCII case ("ÉTAT", "Σοφία") all weigh exactly as in the full fit.
    stream = [t for t, _, _ in MUTINY + BACKGROUND] + [
        "État d'urgence: ÉTAT Σοφία F16s x_y and the mutiny", "Rostov Rostov Rostov 2023"]
    compared = [t for t, _, _ in MUTINY[:5]] + [
        "Zelenskyy: mutiny mutiny in Rostov", "état ΣΟΦΊΑ F16s", "the and of"]
    weights = _title_vectorizer(_articles([(t, "w", DAY) for t in stream]), compared)
    full = _full_fit(stream)
    ours, theirs = weights.transform(compared), full.transform(compared)
    assert ours.nnz == theirs.nnz
    assert np.array_equal((ours @ ours.T).toarray(), (theirs @ theirs.T).toarray())
    names = full.get_feature_names_out()
    assert list(weights.get_feature_names_out()) == sorted(
        {names[j] for j in theirs.indices})  # the compared words, in the full fit's order
    assert np.array_equal(ours.data, theirs.data)


def test_weights_without_a_compared_word_in_the_stream_or_without_words():
    stream = _articles([(t, "w", DAY) for t, _, _ in BACKGROUND])
    unseen = _title_vectorizer(stream, ["Zelenskyy visits Kyiv"])
    assert unseen is not None and unseen.transform(["Zelenskyy visits Kyiv"]).nnz == 0
    assert _title_vectorizer(_articles([("2023", "w", DAY), ("", "w", DAY)]),
                             ["12 34"]) is None

"""Theme model and theme tables: estimator conventions, determinism, edge cases, stable ids."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer

from analytics.contracts import schema
from analytics.themes.clustering import fit_themes, match_themes, theme_trends
from analytics.themes.model import (
    STOP_WORDS,
    TOKEN_PATTERN,
    TermCounter,
    ThemeModel,
    coherent_terms,
    elbow,
)

SUBJECTS = {
    "football": [
        "The striker scored twice as the football club won the league match at home",
        "Football fans cheered the goalkeeper after the league match ended in a penalty win",
        "The club manager praised the striker and the goalkeeper after the football match",
        "A late penalty gave the football club victory in the league match on Saturday",
        "The league leaders won again; their striker scored a penalty in the football match",
        "The goalkeeper saved a penalty and the club stayed top of the football league",
    ],
    "markets": [
        "Shares fell on the stock market as investors feared higher interest rates",
        "The central bank raised interest rates and bond yields rose while shares slipped",
        "Investors sold shares and bonds after the central bank warned about inflation",
        "Stock market investors watched inflation data and interest rates from the bank",
        "Bond yields and interest rates climbed as the stock market fell for a third day",
        "Inflation pushed the central bank to lift interest rates, and shares dropped",
    ],
    "defence": [
        "Air defence units fired interceptors at incoming missiles over the capital",
        "The army deployed Patriot air defence batteries to shoot down missiles and drones",
        "Interceptors from air defence systems destroyed drones and cruise missiles overnight",
        "Allies pledged more Patriot interceptors to strengthen the country's air defence",
        "Missiles and drones were shot down by air defence crews using Patriot batteries",
        "The ministry asked for more interceptors as missiles and drones hit the army base",
    ],
}


def _articles(texts: list[str], duplicate_of: list[str | None] | None = None) -> pl.DataFrame:
    n = len(texts)
    return pl.DataFrame(
        {
            "article_id": [f"a{i:02d}" for i in range(n)],
            "title": [""] * n,
            "text": texts,
            "published_at": [dt.datetime(2024, 1, 1 + i % 28, tzinfo=dt.UTC) for i in range(n)],
            "duplicate_of": duplicate_of or [None] * n,
        },
        schema_overrides={"title": pl.String, "text": pl.String, "duplicate_of": pl.String,
                          "published_at": schema.UTC_DATETIME},
    )


@pytest.fixture(scope="session")
def texts() -> list[str]:
    # Interleaved so no subject sits in one block of rows.
    return [t for trio in zip(*SUBJECTS.values(), strict=True) for t in trio]


@pytest.fixture(scope="session")
def articles(texts) -> pl.DataFrame:
    return _articles(texts)


@pytest.fixture(scope="session")
def result(articles):
    return fit_themes(articles, n_themes=3, min_theme_size=2)


def test_model_follows_estimator_conventions(texts):
    model = ThemeModel(3, min_theme_size=2)
    assert clone(model).get_params() == model.get_params()
    assert model.get_params()["random_state"] == 0
    assert not [k for k in vars(model) if k.endswith("_")]  # __init__ only stores params
    assert model.fit(texts) is model
    assert model.n_themes_ == 3
    assert model.transform(texts).shape == (len(texts), 3)
    assert model.labels_.shape == (len(texts),)


def test_model_separates_three_subjects(texts):
    labels = ThemeModel(3, min_theme_size=2).fit(texts).labels_
    by_subject = labels.reshape(-1, 3).T  # rows: football, markets, defence
    assert all(len(set(row)) == 1 for row in by_subject)
    assert len({row[0] for row in by_subject}) == 3


def test_model_predicts_new_texts(texts):
    model = ThemeModel(3, min_theme_size=2).fit(texts)
    new = ["The striker missed a penalty in the league match",
           "Zebra xylophone quokka"]
    predicted = model.predict(new)
    assert predicted[0] == model.labels_[0]
    assert predicted[1] == -1  # no known term: an outlier, not a guess


def test_top_terms_are_single_words_unique_to_one_theme(texts):
    model = ThemeModel(3, min_theme_size=2).fit(texts)
    words = [w for row in model.top_terms_ for w in row]
    assert all(w.isalpha() and len(w) >= 3 for w in words)
    assert len(words) == len(set(words))  # no word describes two themes


def test_coherent_terms_prefer_words_that_meet():
    # Term 0 is best; 1 and 2 score the same, but only 2 appears with 0 in the texts.
    scores = np.array([[1.0, 0.6, 0.6]])
    present = sp.csc_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 0], [0, 0, 0]],
                                     dtype=np.float32))
    assert coherent_terms(scores, present, 2) == [[0, 2]]


def test_outlier_threshold_is_relative_to_the_theme(texts):
    model = ThemeModel(3, min_theme_size=2, outlier_threshold=0.0).fit(texts)
    assert (model.labels_ >= 0).all()
    strict = ThemeModel(3, min_theme_size=2, outlier_threshold=1.0).fit(texts)
    # At 1.0 x the median member similarity, about half of each theme falls below it.
    assert 0.2 < np.mean(strict.labels_ < 0) < 0.8


def test_term_counter_matches_count_vectorizer(texts):
    ours = TermCounter(min_df=2, max_df=0.5)
    counts = ours.fit_transform(texts)
    sk = CountVectorizer(token_pattern=TOKEN_PATTERN, stop_words=sorted(STOP_WORDS),
                         ngram_range=(1, 2), min_df=2, max_df=0.5)
    expected = sk.fit_transform(texts)
    assert list(ours.get_feature_names_out()) == list(sk.get_feature_names_out())
    assert (counts != expected).nnz == 0
    assert (ours.transform(texts[:4]) != sk.transform(texts[:4])).nnz == 0


def test_a_loaded_term_counter_names_its_columns_as_the_fitted_one(texts):
    fitted = TermCounter(min_df=2, max_df=0.5).fit(texts)
    loaded = TermCounter.from_state(*fitted.to_state())
    names = loaded.get_feature_names_out()  # built on first use
    assert names.dtype == fitted.feature_names_.dtype
    assert list(names) == list(fitted.get_feature_names_out())
    assert any(" " in n for n in names)  # bigrams named "word word"
    assert (loaded.transform(texts) != fitted.transform(texts)).nnz == 0
    assert not hasattr(TermCounter(), "feature_names_")  # unfitted: no names


def test_fit_themes_tables_follow_contracts(result, articles):
    assert result.status == ""
    schema.validate(result.themes, "themes")
    schema.validate(result.article_themes, "article_themes")
    assert result.themes["theme_id"].to_list() == [0, 1, 2]
    assert result.themes["size"].sum() == articles.height
    main = result.article_themes.unique("article_id")
    assert main.height == articles.height  # every article has a row
    assert set(result.coords["article_id"]) == set(articles["article_id"])
    assert result.term_weights.columns == ["theme_id", "term", "weight"]


def test_labels_are_readable_words(result):
    for label in result.themes["label"]:
        parts = label.split(" / ")
        assert 1 <= len(parts) <= 3
        assert all(w.isalpha() and len(w) >= 3 for p in parts for w in p.split())
    assert any("defence" in label or "interceptors" in label for label in result.themes["label"])


def test_fit_themes_is_deterministic(articles, result):
    again = fit_themes(articles, n_themes=3, min_theme_size=2)
    assert again.themes.equals(result.themes)
    assert again.article_themes.equals(result.article_themes)
    assert again.coords.equals(result.coords)


def test_duplicates_are_skipped(texts):
    dup = [None] * len(texts)
    dup[-1] = "a00"
    result = fit_themes(_articles(texts, dup), n_themes=3, min_theme_size=2)
    assert "a17" not in result.article_themes["article_id"].to_list()
    assert result.article_themes["article_id"].n_unique() == len(texts) - 1


def test_outliers_are_counted_not_dropped(texts):
    odd = ["Zebra xylophone quokka", "Marmalade origami"]
    result = fit_themes(_articles(texts + odd), n_themes=3, min_theme_size=2)
    rows = result.article_themes.filter(pl.col("theme_id") == -1)
    assert sorted(rows["article_id"]) == ["a18", "a19"]
    assert result.outlier_share == pytest.approx(2 / 20)


@pytest.mark.parametrize(
    "texts",
    [[], ["Only one article about football"], ["The same words again and again"] * 12,
     [""] * 12, [None] * 3],
    ids=["zero", "one", "identical", "empty", "null"],
)
def test_too_small_corpus_gives_status_and_empty_tables(texts):
    result = fit_themes(_articles(texts))
    assert result.status.startswith("not enough articles for themes")
    assert result.themes.schema == pl.Schema(schema.THEMES)
    assert result.article_themes.schema == pl.Schema(schema.ARTICLE_THEMES)
    assert result.coords.is_empty() and result.term_weights.is_empty()


def test_auto_stays_within_bounds(texts):
    model = ThemeModel("auto", min_theme_size=3, max_themes=5).fit(texts)
    assert 2 <= model.n_themes_ <= 5
    assert set(model.k_scores_) <= set(range(2, 6))


def test_auto_finds_the_three_subjects(texts):
    model = ThemeModel("auto", min_theme_size=2).fit(texts)
    assert model.n_themes_ == 3
    assert max(model.k_scores_, key=model.k_scores_.get) == 3


def test_elbow_takes_the_knee_not_the_maximum():
    # Quality climbs fast to k=5, then creeps up: the knee is 5, the maximum 30.
    rising = {2: 0.10, 3: 0.20, 4: 0.28, 5: 0.33, 6: 0.335, 8: 0.34, 10: 0.345, 15: 0.35,
              30: 0.36}
    assert elbow(rising) == 5
    # A dip after the knee does not move it; a flat curve gives the fewest themes.
    assert elbow({**rising, 6: 0.2}) == 5
    assert elbow({2: 0.3, 3: 0.3, 4: 0.3}) == 2
    assert elbow({2: 0.1, 3: 0.5}) == 3


def test_theme_trends_zero_fill(result, articles):
    trends = theme_trends(result.article_themes, articles, period="week")
    assert trends.schema == pl.Schema(
        {"period_start": pl.Date, "theme_id": pl.Int32, "articles": pl.UInt32})
    assert trends["articles"].sum() == articles.height
    weeks = trends["period_start"].unique().sort()
    assert all(d.weekday() == 0 for d in weeks)  # weeks start on Monday
    assert trends.height == weeks.len() * result.themes.height  # every theme, every week
    assert theme_trends(result.article_themes.head(0), articles).is_empty()


def test_match_themes_keeps_ids(result):
    shuffled = result.themes.with_columns(theme_id=pl.Series([7, 8, 9], dtype=pl.Int32))
    shuffled = shuffled.reverse()
    match = match_themes(result.themes, shuffled)
    assert dict(zip(match.themes["label"], match.themes["theme_id"], strict=True)) == dict(
        zip(result.themes["label"], result.themes["theme_id"], strict=True))
    assert match.new == [] and match.vanished == []


def test_match_themes_reports_new_and_vanished(result):
    previous = result.themes.head(2)
    current = pl.concat([
        result.themes.slice(1, 1),
        pl.DataFrame({"theme_id": [5], "label": ["weather"],
                      "top_terms": [["rain", "storm", "flood"]], "size": [4]},
                     schema=schema.THEMES),
    ])
    match = match_themes(previous, current)
    assert match.themes["theme_id"].to_list() == [1, 2]  # the new theme gets a fresh id
    assert match.new == [2] and match.vanished == [0]
    assert np.isclose(match.mapping["jaccard"][0], 1.0)


def test_sampled_fit_assigns_every_text(texts):
    # Above fit_sample texts the model learns on a sample and assigns the rest in chunks.
    model = ThemeModel(3, min_theme_size=2, fit_sample=12, chunk_size=4)
    sims = model.fit_transform(texts)
    assert sims.shape == (len(texts), model.n_themes_)
    assert model.labels_.shape == (len(texts),)
    assert (model.labels_ >= 0).sum() >= len(texts) - 1  # 12 texts learnt: one may not fit
    # Rows outside the sample get exactly what predict/transform give for them.
    assert np.array_equal(model.labels_, model.predict(texts))
    assert np.allclose(sims, model.transform(texts), atol=1e-6)
    assert len(model.counter_.get_feature_names_out()) < len(
        ThemeModel(3, min_theme_size=2).fit(texts).counter_.get_feature_names_out())
    by_subject = model.labels_.reshape(-1, 3).T
    assert all(len(set(row) - {-1}) == 1 for row in by_subject)


def test_fit_sample_at_corpus_size_changes_nothing(texts):
    full = ThemeModel(3, min_theme_size=2).fit(texts)
    edge = ThemeModel(3, min_theme_size=2, fit_sample=len(texts)).fit(texts)
    assert np.array_equal(full.labels_, edge.labels_)
    assert full.top_terms_ == edge.top_terms_

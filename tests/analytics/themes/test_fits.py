"""Runs between refits place new articles into the last fit's themes (``extend_themes``),
and fits are kept in the store (``ThemeFits``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.themes.clustering import extend_themes, fit_themes
from analytics.themes.fits import ThemeFits
from analytics.themes.history import stabilise
from tests.analytics.themes.test_clustering import SUBJECTS, _articles

PARAMS = {"n_themes": "3", "random_state": "0"}


@pytest.fixture(scope="module")
def corpus() -> pl.DataFrame:
    texts = [t for trio in zip(*SUBJECTS.values(), strict=True) for t in trio]
    later = [t + " Reported again later." for t in texts[:6]]  # the same stories, new ids
    return _articles(texts + later)


@pytest.fixture(scope="module")
def fitted(corpus):
    return fit_themes(corpus.head(18), n_themes=3, min_theme_size=2)


def _main(frame: pl.DataFrame) -> dict[str, tuple[int, float]]:
    first = frame.unique("article_id", keep="first", maintain_order=True)
    return {a: (t, w) for a, t, w in first.select("article_id", "theme_id", "weight").iter_rows()}


def test_new_articles_join_the_themes_of_their_stories(corpus, fitted):
    grown = extend_themes(fitted, corpus)
    main = _main(grown.article_themes)
    assert set(main) == set(corpus["article_id"])  # every article placed
    for i in range(6):  # a story reported again lands in the story's theme
        assert main[f"a{18 + i:02d}"][0] == main[f"a{i:02d}"][0]
    # The fit's own rows, themes' labels and terms do not move; sizes count everyone.
    assert_frame_equal(grown.article_themes.head(fitted.article_themes.height),
                       fitted.article_themes)
    assert_frame_equal(grown.themes.drop("size").sort("theme_id"),
                       fitted.themes.drop("size").sort("theme_id"))
    placed = sum(1 for t, _ in main.values() if t >= 0)
    assert grown.themes["size"].sum() == placed
    assert grown.coords.height == corpus.height
    assert extend_themes(grown, corpus).article_themes.equals(grown.article_themes)


def test_extension_keeps_stable_ids(corpus, fitted):
    previous = fitted.themes.with_columns(pl.col("theme_id") + 10)
    stable = stabilise(fitted, previous).result
    assert set(stable.theme_ids) == {10, 11, 12}
    grown = extend_themes(stable, corpus)
    assert set(grown.article_themes["theme_id"].unique()) - {-1} <= {10, 11, 12}
    main = _main(grown.article_themes)
    assert main["a18"][0] == main["a00"][0] >= 10


def test_fits_round_trip_and_are_found_by_date_and_parameters(any_store, corpus, fitted):
    fits = ThemeFits(any_store)
    fits.save(date(2025, 6, 1), PARAMS, fitted)
    found = fits.latest(date(2025, 6, 5), PARAMS)
    assert found is not None and found.fitted_on == date(2025, 6, 1)
    for name in ("themes", "article_themes", "term_weights", "coords"):
        assert_frame_equal(getattr(found.result, name), getattr(fitted, name))
    assert_frame_equal(extend_themes(found.result, corpus).article_themes,
                       extend_themes(fitted, corpus).article_themes)
    assert fits.latest(date(2025, 5, 31), PARAMS) is None  # made after that run date
    assert fits.latest(date(2025, 6, 5), {**PARAMS, "n_themes": "4"}) is None
    fits.save(date(2025, 6, 3), PARAMS, replace(fitted, status="x"))
    fits.storage.remove(fits.root / "run_date=2025-06-03" / "fit.json")  # unfinished
    assert fits.latest(date(2025, 6, 5), PARAMS).fitted_on == date(2025, 6, 1)


def test_extending_needs_a_model(corpus, fitted):
    with pytest.raises(ValueError, match="model"):
        extend_themes(replace(fitted, model=None), corpus)


def test_a_run_between_refits_places_exactly_what_extending_over_the_store_would(
        tmp_path, corpus):
    """The run reads texts only of the months holding unplaced articles; the result equals
    extending the fit by every stored article."""
    from analytics.contracts.schema import conform
    from analytics.store.articles import ArticleStore
    from analytics.themes.fits import themes_for_run

    months = [datetime(2024, m, 2, tzinfo=UTC) for m in (3, 3, 3, 5, 5, 5)]
    later = corpus.tail(6).with_columns(  # spread over two later months, one near duplicate
        published_at=pl.Series(months, dtype=corpus["published_at"].dtype),
        duplicate_of=pl.Series([None, None, None, None, None, "a18"], dtype=pl.String))
    store = ArticleStore(tmp_path / "data")
    store.add(conform(corpus.head(18), "articles"))
    kwargs = {"n_themes": 3, "random_state": 0, "refit_days": 7}
    themes_for_run(store, date(2024, 2, 1), **kwargs)
    store.add(conform(later.select(corpus.columns), "articles"))
    run = themes_for_run(store, date(2024, 2, 3), **kwargs)
    assert run.placed == 5 and run.fitted_on == date(2024, 2, 1)
    fit = ThemeFits(store.url).latest(date(2024, 2, 1), PARAMS)
    expected = extend_themes(fit.result, store.read())
    assert_frame_equal(run.stable.result.article_themes, expected.article_themes)
    assert_frame_equal(run.stable.result.coords, expected.coords)

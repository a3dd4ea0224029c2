"""Runs between refits place new articles into the last fit's themes (``extend_themes``),
and fits are kept in the store (``ThemeFits``)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import pickle
from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.themes.clustering import extend_themes, fit_themes
from analytics.themes.fits import ThemeFits
from analytics.themes.history import stabilise
from analytics.themes.model import ThemeModel
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
    for name in ("themes", "article_themes", "term_weights", "coords", "boilerplate"):
        assert_frame_equal(getattr(found.result, name), getattr(fitted, name))
    loaded, in_memory = extend_themes(found.result, corpus), extend_themes(fitted, corpus)
    assert_frame_equal(loaded.article_themes, in_memory.article_themes, check_exact=True)
    assert_frame_equal(loaded.coords, in_memory.coords, check_exact=True)
    assert {p.name for p in fits.storage.glob(fits.root / "run_date=2025-06-01", "*")} == {
        "model.npz", "model.json", "fit.json", "themes.parquet", "article_themes.parquet",
        "term_weights.parquet", "coords.parquet", "boilerplate.parquet"}
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


NEW_TEXTS = [
    "The striker scored a late penalty as the club won the league match",
    "Interest rates rose and shares fell; the central bank warned about inflation",
    "Patriot batteries shot down drones while the football club played its league match",
    "Zebra xylophone quokka",  # no known term: an outlier
]


def test_a_model_state_is_plain_data_that_rebuilds_the_same_model(corpus, fitted):
    arrays, meta = fitted.model.to_state()
    assert all(a.dtype != object for a in arrays.values())
    meta = json.loads(json.dumps(meta))  # JSON holds all of it
    model = ThemeModel.from_state(arrays, meta)
    texts = corpus["text"].to_list() + NEW_TEXTS
    assert np.array_equal(model.transform(texts), fitted.model.transform(texts))
    assert np.array_equal(model.predict(texts), fitted.model.predict(texts))
    assert model.top_terms_ == fitted.model.top_terms_
    assert model.get_params() == fitted.model.get_params()
    with pytest.raises(ValueError, match="version"):
        ThemeModel.from_state(arrays, {**meta, "version": 99})


def test_a_loaded_fit_places_new_articles_exactly_as_the_fit_in_memory(tmp_path, corpus, fitted):
    fits = ThemeFits(tmp_path / "data")
    fits.save(date(2025, 6, 1), PARAMS, fitted)
    loaded = fits.latest(date(2025, 6, 1), PARAMS).result
    new = _articles(corpus["text"].to_list() + NEW_TEXTS)
    got, expected = extend_themes(loaded, new), extend_themes(fitted, new)
    assert _main(got.article_themes) == _main(expected.article_themes)  # ids and weights
    assert_frame_equal(got.article_themes, expected.article_themes, check_exact=True)
    assert_frame_equal(got.themes, expected.themes, check_exact=True)
    assert _main(got.article_themes)[f"a{len(new) - 1:02d}"][0] == -1


class _Payload:
    """Unpickling this creates ``marker``: what a planted pickle could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _saved_fit(tmp_path, fitted, run_date=date(2025, 6, 1)):
    fits = ThemeFits(tmp_path / "data")
    return fits, fits.save(run_date, PARAMS, fitted)


def _warnings(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_a_planted_pickle_is_never_loaded_and_the_run_refits(tmp_path, corpus, caplog):
    """An old-format fit folder whose model.pkl would create a file when unpickled."""
    from analytics.contracts.schema import conform
    from analytics.store.articles import ArticleStore
    from analytics.themes.fits import themes_for_run

    store = ArticleStore(tmp_path / "data")
    store.add(conform(corpus.head(18), "articles"))
    kwargs = {"n_themes": 3, "random_state": 0, "refit_days": 7}
    themes_for_run(store, date(2024, 2, 1), **kwargs)
    fits = ThemeFits(store.url)
    folder = fits.root / "run_date=2024-02-01"
    marker = tmp_path / "pwned"
    with pickle.loads(pickle.dumps(_Payload(marker))):  # the payload works when unpickled
        assert marker.exists()
    marker.unlink()
    for name in ("model.npz", "model.json"):
        fits.storage.remove(folder / name)
    fits.storage.write_bytes(folder / "model.pkl", pickle.dumps({"model": _Payload(marker)}))
    with caplog.at_level(logging.WARNING, logger="analytics.themes.fits"):
        run = themes_for_run(store, date(2024, 2, 3), **kwargs)
    assert not marker.exists()
    assert run.placed is None and run.fitted_on == date(2024, 2, 3)  # refitted
    assert f"{folder / 'model.pkl'}: a pickle of the old format" in _warnings(caplog)
    assert fits.latest(date(2024, 2, 3), PARAMS).fitted_on == date(2024, 2, 3)


def test_pickled_arrays_in_the_npz_are_never_loaded(tmp_path, fitted, caplog):
    fits, folder = _saved_fit(tmp_path, fitted)
    marker = tmp_path / "pwned"
    arrays = dict(np.load(io.BytesIO(fits.storage.read_bytes(folder / "model.npz"))))
    arrays["centroids"] = np.array([_Payload(marker)], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    meta = json.loads(fits.storage.read_bytes(folder / "model.json"))
    meta["npz_sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()  # a consistent forgery
    fits.storage.write_bytes(folder / "model.npz", buf.getvalue())
    fits.storage.write_bytes(folder / "model.json", json.dumps(meta).encode())
    with caplog.at_level(logging.WARNING, logger="analytics.themes.fits"):
        assert fits.latest(date(2025, 6, 1), PARAMS) is None
    assert not marker.exists()
    assert f"{folder / 'model.npz'}: not a readable array file" in _warnings(caplog)


def _truncate_npz(storage, folder):
    blob = storage.read_bytes(folder / "model.npz")
    storage.write_bytes(folder / "model.npz", blob[: len(blob) // 2])


def _garble_json(storage, folder):
    storage.write_bytes(folder / "model.json",
                        storage.read_bytes(folder / "model.json")[:40] + b"\x00garbage")


def _edit_json(**changes):
    def edit(storage, folder):
        meta = json.loads(storage.read_bytes(folder / "model.json"))
        for key, value in changes.items():
            section, _, field = key.rpartition("__")
            (meta[section] if section else meta)[field] = value
        storage.write_bytes(folder / "model.json", json.dumps(meta).encode())
    return edit


@pytest.mark.parametrize(("damage", "path", "reason"), [
    (_truncate_npz, "model.npz", "truncated or changed"),
    (_garble_json, "model.json", "not JSON"),
    (lambda s, f: s.remove(f / "model.npz"), "model.npz", "missing"),
    (lambda s, f: s.remove(f / "model.json"), "model.json", "missing"),
    (_edit_json(format=1), "model.json", "unknown format version 1"),  # before furniture
    (_edit_json(model__version=2), "model.json", "unknown theme model state version 2"),
    (_edit_json(columns=[0, 1]), "model.json", "do not match 3 themes"),
    (lambda s, f: s.remove(f / "coords.parquet"), "", "a table is missing or damaged"),
], ids=["truncated-npz", "garbled-json", "no-npz", "no-json", "format", "model-version",
        "columns", "no-table"])
def test_a_damaged_fit_is_no_fit_and_says_why(any_store, fitted, caplog, damage, path, reason):
    fits = ThemeFits(any_store)
    folder = fits.save(date(2025, 6, 1), PARAMS, fitted)
    damage(fits.storage, folder)
    with caplog.at_level(logging.WARNING, logger="analytics.themes.fits"):
        assert fits.latest(date(2025, 6, 5), PARAMS) is None
    assert f"{folder / path if path else folder}: " in _warnings(caplog)
    assert reason in _warnings(caplog)
    fits.save(date(2025, 6, 1), PARAMS, fitted)  # the refit's save replaces it whole
    assert fits.latest(date(2025, 6, 5), PARAMS) is not None

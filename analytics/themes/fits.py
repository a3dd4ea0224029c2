"""Fitted theme models kept in the store, so that runs between refits only place new articles.

A full fit reads the text of every stored article (about two minutes for a million on
two cores); a daily run adds a few thousand. A run therefore refits only when the last
fit with the same parameters is ``refit_days`` old or more, or there is none; otherwise
it loads that fit and assigns just the articles the fit has not seen
(``themes.extend_themes``), keeping every theme's id, label and top terms.

Layout, one folder per fit (written by the run of that date)::

    data/themes/fits/run_date=2025-06-05/model.pkl            ThemeModel + column maps
    data/themes/fits/run_date=2025-06-05/<table>.parquet      themes, article_themes, ...
    data/themes/fits/run_date=2025-06-05/fit.json             parameters; written last

``model.pkl`` is a pickle (scikit-learn's own way to keep a fitted estimator); it is
only ever read from this store, never from an input.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath

import polars as pl

from analytics.contracts import schema
from analytics.store.articles import ArticleStore
from analytics.store.backends import open_storage
from analytics.themes.clustering import ThemeResult, extend_themes, fit_themes
from analytics.themes.history import StableThemes, stabilise

MODEL = "model.pkl"
STAMP = "fit.json"
TEXT_FIELDS = ["article_id", "title", "text", "duplicate_of"]  # what themes read of articles
_TABLES = ("themes", "article_themes", "term_weights", "coords")


@dataclass(frozen=True)
class ThemeFit:
    fitted_on: date
    result: ThemeResult


class ThemeFits:
    def __init__(self, root: str | Path):
        """``root``: the store's folder or URL."""
        self.storage = open_storage(root)
        self.root = self.storage.root / "themes" / "fits"

    def save(self, run_date: date, params: dict, result: ThemeResult) -> PurePath:
        """Keep the fit of ``run_date`` (a result with a model; stable theme ids)."""
        folder = self.root / f"run_date={run_date.isoformat()}"
        self.storage.remove(folder / STAMP)
        state = {"model": result.model, "columns": result.columns,
                 "theme_ids": result.theme_ids, "projection": result.projection}
        self.storage.write_bytes(folder / MODEL, pickle.dumps(state, protocol=5))
        for name in _TABLES:
            self.storage.write_parquet(getattr(result, name), folder / f"{name}.parquet")
        stamp = {"run_date": run_date.isoformat(), "params": params,
                 "status": result.status, "outlier_share": result.outlier_share}
        self.storage.write_bytes(folder / STAMP, json.dumps(stamp, sort_keys=True).encode())
        return folder

    def latest(self, run_date: date, params: dict) -> ThemeFit | None:
        """The newest complete fit made on or before ``run_date`` with ``params``."""
        for folder in reversed(self.storage.glob(self.root, "run_date=*")):
            fitted_on = date.fromisoformat(folder.name.split("=", 1)[1])
            if fitted_on > run_date:
                continue
            try:
                stamp = json.loads(self.storage.read_bytes(folder / STAMP))
            except (OSError, ValueError):
                continue  # an unfinished or broken fit
            if stamp.get("params") != params:
                continue
            state = pickle.loads(self.storage.read_bytes(folder / MODEL))
            frames = self.storage.read_frames([folder / f"{n}.parquet" for n in _TABLES])
            tables = dict(zip(_TABLES, frames, strict=True))
            return ThemeFit(fitted_on, ThemeResult(
                **tables, status=stamp["status"], outlier_share=stamp["outlier_share"],
                **state))
        return None


@dataclass(frozen=True)
class ThemeRun:
    stable: StableThemes
    fitted_on: date  # the run date of the fit whose themes these are
    placed: int | None  # articles placed into an earlier fit; None when this run refitted


def themes_for_run(store: ArticleStore, run_date: date, *, n_themes: int | str,
                   random_state: int, refit_days: int) -> ThemeRun:
    """The themes of the run of ``run_date``: the last fit with these parameters, extended
    by the articles it has not seen, while it is less than ``refit_days`` old; else a new
    fit over every stored article, with ids matched to the previous run's themes and kept
    for the runs that follow. Writes the run's themes table (for later id matching)."""
    fits = ThemeFits(store.url)
    params = {"n_themes": str(n_themes), "random_state": str(random_state)}
    last = fits.latest(run_date, params)
    if last is not None and (run_date - last.fitted_on).days < refit_days:
        before = last.result.article_themes["article_id"].n_unique()
        result = extend_themes(last.result, _unseen(store, last.result))
        placed = result.article_themes["article_id"].n_unique() - before
        run = ThemeRun(StableThemes(result, [], []), last.fitted_on, placed)
    else:
        articles = store.read(TEXT_FIELDS)
        result = fit_themes(articles, n_themes=n_themes, random_state=random_state)
        run = ThemeRun(stabilise(result, store.previous_themes(run_date)), run_date, None)
        if result.model is not None:
            fits.save(run_date, params, run.stable.result)
    store.write_themes(run_date, run.stable.result.themes)
    return run


def _unseen(store: ArticleStore, fit: ThemeResult) -> pl.DataFrame:
    """The stored canonical articles ``fit`` has not placed, with their texts; only the
    partitions that hold them are read for texts (a daily run's: one month)."""
    keys = store.read(["article_id", "published_at", "duplicate_of"]).filter(
        pl.col("duplicate_of").is_null()).join(
        fit.article_themes.select("article_id"), on="article_id", how="anti")
    if keys.is_empty():
        return schema.empty("articles").select(TEXT_FIELDS)
    months = keys["published_at"].dt.strftime("%Y-%m")
    rows = store.read(TEXT_FIELDS, first_month=months.min(), last_month=months.max())
    return rows.join(keys.select("article_id"), on="article_id", how="semi")

"""Fitted theme models kept in the store, so that runs between refits only place new articles.

A full fit reads the text of every stored article (about two minutes for a million on
two cores); a daily run adds a few thousand. A run therefore refits only when the last
fit with the same parameters is ``refit_days`` old or more, or there is none; otherwise
it loads that fit and assigns just the articles the fit has not seen
(``themes.extend_themes``), keeping every theme's id, label and top terms.

Layout, one folder per fit (written by the run of that date)::

    data/themes/fits/run_date=2025-06-05/model.npz            arrays: model, map projection
    data/themes/fits/run_date=2025-06-05/model.json           vocabulary, parameters, columns
    data/themes/fits/run_date=2025-06-05/<table>.parquet      themes, article_themes, ...,
                                                              boilerplate (stripped furniture)
    data/themes/fits/run_date=2025-06-05/fit.json             parameters; written last

A fit is plain data (``ThemeModel.to_state``): loading one runs no code from the store and
does not depend on where the model's class lives. ``model.json`` holds the format version
and the SHA-256 of ``model.npz``. A fit that is missing, damaged, of another version, or
an old ``model.pkl`` (a pickle, never read) is no usable fit: the run refits, with a
warning.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import polars as pl

from analytics.contracts import schema
from analytics.store.articles import ArticleStore
from analytics.store.backends import open_storage
from analytics.themes.clustering import ThemeResult, extend_themes, fit_themes
from analytics.themes.history import StableThemes, stabilise

# Of model.npz + model.json + the tables; any other means refit. 2: the fit strips each
# source's furniture (boilerplate.parquet) before fitting, so a fit of 1 is refitted.
FORMAT = 2
ARRAYS = "model.npz"
META = "model.json"
LEGACY = "model.pkl"  # the pickled model of earlier versions: never read, removed on save
STAMP = "fit.json"
# What themes read of articles (the source: whose furniture to strip).
TEXT_FIELDS = ["article_id", "source", "title", "text", "duplicate_of"]
_TABLES = ("themes", "article_themes", "term_weights", "coords", "boilerplate")
_PROJECTION = ("projection_mean", "projection_axes")
_NPZ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
_STATE_ERRORS = (KeyError, TypeError, ValueError, IndexError)

log = logging.getLogger(__name__)


class UnusableFit(ValueError):
    """A stored fit that cannot be loaded; the message names the file and the reason."""


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
        self.storage.remove(folder / LEGACY)
        arrays, meta = _state(result)
        blob = _npz_bytes(arrays)
        self.storage.write_bytes(folder / ARRAYS, blob)
        meta["npz_sha256"] = hashlib.sha256(blob).hexdigest()
        self.storage.write_bytes(folder / META, json.dumps(meta, sort_keys=True).encode())
        for name in _TABLES:
            self.storage.write_parquet(getattr(result, name), folder / f"{name}.parquet")
        stamp = {"run_date": run_date.isoformat(), "params": params,
                 "status": result.status, "outlier_share": result.outlier_share}
        self.storage.write_bytes(folder / STAMP, json.dumps(stamp, sort_keys=True).encode())
        return folder

    def latest(self, run_date: date, params: dict) -> ThemeFit | None:
        """The newest complete fit made on or before ``run_date`` with ``params``; None
        (and a warning) when that fit cannot be loaded, so that the run refits."""
        for folder in reversed(self.storage.glob(self.root, "run_date=*")):
            fitted_on = date.fromisoformat(folder.name.split("=", 1)[1])
            if fitted_on > run_date:
                continue
            try:
                stamp = json.loads(self.storage.read_bytes(folder / STAMP))
            except (OSError, ValueError):
                continue  # an unfinished or broken fit
            if not isinstance(stamp, dict) or stamp.get("params") != params:
                continue
            try:
                state = self._read_state(folder)
                tables: dict[str, Any] = self._read_tables(folder)  # ThemeResult's frames
            except UnusableFit as exc:
                log.warning("no usable theme fit, refitting: %s", exc)
                return None
            return ThemeFit(fitted_on, ThemeResult(
                **tables, status=stamp["status"], outlier_share=stamp["outlier_share"],
                **state))
        return None

    def _read_state(self, folder: PurePath) -> dict:
        """``ThemeResult``'s model, columns, theme ids and projection, from plain data."""
        meta = self._read_meta(folder)
        arrays = self._read_arrays(folder / ARRAYS, meta.get("npz_sha256"))
        try:
            return _result_state(arrays, meta)
        except _STATE_ERRORS as exc:
            raise UnusableFit(f"{folder / META}: no usable model ({_why(exc)})") from exc

    def _read_meta(self, folder: PurePath) -> dict:
        path = folder / META
        try:
            meta = json.loads(self.storage.read_bytes(path))
        except FileNotFoundError:
            if self.storage.exists(folder / LEGACY):
                raise UnusableFit(f"{folder / LEGACY}: a pickle of the old format, "
                                  "never loaded") from None
            raise UnusableFit(f"{path}: missing") from None
        except (OSError, ValueError) as exc:
            raise UnusableFit(f"{path}: unreadable or not JSON ({_why(exc)})") from exc
        version = meta.get("format") if isinstance(meta, dict) else None
        if version != FORMAT:
            raise UnusableFit(f"{path}: unknown format version {version!r}")
        return meta

    def _read_arrays(self, path: PurePath, digest: str | None) -> dict[str, np.ndarray]:
        try:
            blob = self.storage.read_bytes(path)
        except FileNotFoundError:
            raise UnusableFit(f"{path}: missing") from None
        except OSError as exc:
            raise UnusableFit(f"{path}: unreadable ({_why(exc)})") from exc
        if hashlib.sha256(blob).hexdigest() != digest:
            raise UnusableFit(f"{path}: truncated or changed (not the SHA-256 in {META})")
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
                return {name: npz[name] for name in npz.files}
        except _NPZ_ERRORS as exc:
            raise UnusableFit(f"{path}: not a readable array file ({_why(exc)})") from exc

    def _read_tables(self, folder: PurePath) -> dict[str, pl.DataFrame]:
        try:
            frames = self.storage.read_frames([folder / f"{n}.parquet" for n in _TABLES])
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise UnusableFit(f"{folder}: a table is missing or damaged ({_why(exc)})") from exc
        return dict(zip(_TABLES, frames, strict=True))


def _state(result: ThemeResult) -> tuple[dict[str, np.ndarray], dict]:
    """What ``extend_themes`` needs of ``result``, as arrays and JSON-ready data."""
    if result.model is None or result.projection is None:
        raise ValueError("only a theme result with a model and a projection can be saved")
    arrays, model = result.model.to_state()
    arrays = {**arrays, **dict(zip(_PROJECTION, result.projection, strict=True))}
    meta = {"format": FORMAT, "model": model, "columns": list(result.columns),
            "theme_ids": list(result.theme_ids)}
    return arrays, meta


def _result_state(arrays: dict[str, np.ndarray], meta: dict) -> dict:
    """The inverse of ``_state``: ValueError (or KeyError, ...) if the parts do not fit."""
    from analytics.themes.model import ThemeModel  # scikit-learn: only when a fit is read

    model = ThemeModel.from_state(arrays, meta["model"])
    columns = tuple(int(c) for c in meta["columns"])
    theme_ids = tuple(int(t) for t in meta["theme_ids"])
    mean, axes = (arrays[name] for name in _PROJECTION)
    k = model.n_themes_
    if sorted(columns) != list(range(k)) or len(theme_ids) != k:
        raise ValueError(f"columns and theme ids do not match {k} themes")
    if mean.shape != (k,) or axes.ndim != 2 or axes.shape[0] != k:
        raise ValueError(f"projection shapes {mean.shape}, {axes.shape} for {k} themes")
    return {"model": model, "columns": columns, "theme_ids": theme_ids,
            "projection": (mean, axes)}


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, allow_pickle=False, **arrays)
    return buf.getvalue()


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


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


def placed_themes(store: ArticleStore, n_themes: int | str,
                  random_state: int) -> dict[str, pl.DataFrame]:
    """``themes``, ``article_themes`` and ``theme_coords`` of the newest fit with these
    parameters, the articles it has not seen placed into it (as the last daily run placed
    them); empty tables when there is no fit."""
    last = ThemeFits(store.url).latest(
        date.max, {"n_themes": str(n_themes), "random_state": str(random_state)})
    if last is None:
        return {name: schema.empty(name) for name in ("themes", "article_themes", "theme_coords")}
    result = extend_themes(last.result, _unseen(store, last.result))
    return {"themes": result.themes, "article_themes": result.article_themes,
            "theme_coords": result.coords}


def _unseen(store: ArticleStore, fit: ThemeResult) -> pl.DataFrame:
    """The stored canonical articles ``fit`` has not placed, with their texts; only the
    partitions that hold them are read for texts (a daily run's: one month)."""
    keys = store.read(["article_id", "published_at", "duplicate_of"]).filter(
        pl.col("duplicate_of").is_null()).join(
        fit.article_themes.select("article_id"), on="article_id", how="anti")
    if keys.is_empty():
        return schema.empty("articles").select(TEXT_FIELDS)
    months = keys["published_at"].dt.strftime("%Y-%m")
    first, last = months.min(), months.max()
    assert isinstance(first, str | None) and isinstance(last, str | None)
    rows = store.read(TEXT_FIELDS, first_month=first, last_month=last)
    return rows.join(keys.select("article_id"), on="article_id", how="semi")

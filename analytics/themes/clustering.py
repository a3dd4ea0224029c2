"""Themes of the article stream: fit, trend over time, keep ids stable across runs.

Pure functions over polars frames (no files, clock or Prefect); the model itself lives in
``analytics.themes.model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from analytics.contracts import schema

# The model, the boilerplate finder and the labels (scikit-learn, its stop words) load
# when a fit or a placement runs: theme trends, matching and the theme charts do without.
if TYPE_CHECKING:
    from analytics.themes.model import ThemeModel

OUTLIER = -1
_PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}


def _no_boilerplate() -> pl.DataFrame:
    from analytics.themes.boilerplate import no_boilerplate

    return no_boilerplate()


@dataclass(frozen=True)
class ThemeResult:
    """``themes`` and ``article_themes`` follow ``schema.THEMES`` / ``ARTICLE_THEMES``;
    ``term_weights`` (theme_id, term, weight) and ``coords`` (article_id, x, y) as above;
    ``boilerplate`` the furniture stripped from each source's texts before fitting
    (``boilerplate.BOILERPLATE``), stripped again from articles placed later."""

    themes: pl.DataFrame
    article_themes: pl.DataFrame
    term_weights: pl.DataFrame
    coords: pl.DataFrame
    status: str = ""
    outlier_share: float = 0.0
    # What ``extend_themes`` needs to place more articles: the fitted model, the model
    # column of each theme in size order, that theme's id, and the map's projection.
    model: ThemeModel | None = field(default=None, repr=False, compare=False)
    columns: tuple[int, ...] = ()
    theme_ids: tuple[int, ...] = ()
    projection: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False,
                                                            compare=False)
    boilerplate: pl.DataFrame = field(default_factory=_no_boilerplate, repr=False,
                                      compare=False)


def fit_themes(articles: pl.DataFrame, *, n_themes: int | str = "auto", random_state: int = 0,
               min_theme_size: int = 5, max_themes: int = 30, secondary_ratio: float = 0.8,
               outlier_threshold: float = 0.25, max_fit_docs: int = 5_000,
               boilerplate: bool = True) -> ThemeResult:
    """Cluster the canonical articles (``duplicate_of`` null) into themes.

    Needs ``article_id``, ``title``, ``text``, and ``source`` for ``boilerplate`` (without
    it all articles are one source); duplicates are skipped. With ``boilerplate``, each
    source's furniture (lines and phrases recurring in many of its items,
    ``analytics.themes.boilerplate``) is stripped from the texts the model sees. Every
    canonical
    article gets one ``article_themes`` row for its main theme (``weight`` = cosine
    similarity to the theme centroid; theme -1 = outlier) plus rows for other themes whose
    similarity is at least ``secondary_ratio`` of the main one. Theme ids are numbered by
    size, largest first; ``label`` joins up to three c-TF-IDF terms, phrases kept whole
    (``analytics.themes.labels``), ``top_terms`` are ten single words (see
    ``analytics.themes.model``). ``outlier_threshold`` is relative to
    each theme's median member similarity. A corpus too small or uniform to split gives
    empty frames and the reason in ``status``.
    """
    from analytics.themes.boilerplate import find_boilerplate, no_boilerplate, strip_boilerplate
    from analytics.themes.labels import make_label
    from analytics.themes.model import NotEnoughData, ThemeModel

    canonical = _canonical(articles)
    texts, sources = _texts(canonical), _sources(canonical)
    furniture = find_boilerplate(sources, texts) if boilerplate else no_boilerplate()
    texts = strip_boilerplate(sources, texts, furniture)
    model = ThemeModel(n_themes, min_theme_size=min_theme_size, max_themes=max_themes,
                       max_fit_docs=max_fit_docs, outlier_threshold=outlier_threshold,
                       random_state=random_state)
    try:
        sims = model.fit_transform(texts.to_list())
    except NotEnoughData as exc:
        return _empty_result(str(exc))
    # Largest theme first, so ids read in order of importance and do not depend on NMF order.
    sizes = np.bincount(model.labels_[model.labels_ >= 0], minlength=model.n_themes_)
    order = np.argsort(-sizes, kind="stable")
    new_id = np.empty_like(order)
    new_id[order] = np.arange(len(order))
    sims = sims[:, order]
    labels = np.where(model.labels_ >= 0, new_id[np.maximum(model.labels_, 0)], OUTLIER)
    ids = canonical.get_column("article_id")
    terms = [model.top_terms_[j] for j in order]
    themes = pl.DataFrame({
        "theme_id": np.arange(len(order)),
        "label": [make_label(model.label_terms_[j]) for j in order],
        "top_terms": terms,
        "size": sizes[order],
    }, schema_overrides={"top_terms": pl.List(pl.String)})
    term_weights = pl.DataFrame({
        "theme_id": np.repeat(np.arange(len(order)), [len(t) for t in terms]),
        "term": [t for row in terms for t in row],
        "weight": [w for j in order for w in model.top_term_weights_[j]],
    }, schema_overrides={"term": pl.String})
    projection = _projection(sims)
    return ThemeResult(
        themes=schema.validate(schema.conform(themes, "themes"), "themes"),
        article_themes=_article_themes(ids, sims, labels, secondary_ratio),
        term_weights=term_weights.cast(pl.Schema(schema.THEME_TERMS)),
        coords=_coords(ids, sims, projection),
        outlier_share=float(np.mean(labels == OUTLIER)),
        model=model, columns=tuple(int(c) for c in order),
        theme_ids=tuple(range(len(order))), projection=projection, boilerplate=furniture,
    )


def main_themes(article_themes: pl.DataFrame) -> pl.DataFrame:
    """``article_id, theme_id``: each article's highest-weight theme (-1 = outlier), the
    lowest id on a tie; articles in order of first appearance."""
    return article_themes.group_by("article_id", maintain_order=True).agg(
        pl.col("theme_id").sort_by(["weight", "theme_id"], descending=[True, False],
                                   nulls_last=True).first())


def _canonical(articles: pl.DataFrame) -> pl.DataFrame:
    if "duplicate_of" in articles.columns:
        return articles.filter(pl.col("duplicate_of").is_null())
    return articles


def _texts(articles: pl.DataFrame) -> pl.Series:
    return articles.select(
        pl.concat_str(pl.col("title").fill_null(""), pl.col("text").fill_null(""),
                      separator="\n")
    ).to_series()


def _sources(articles: pl.DataFrame) -> pl.Series:
    if "source" in articles.columns:
        return articles.get_column("source").cast(pl.String)
    return pl.Series("source", [None] * articles.height, dtype=pl.String)


def extend_themes(result: ThemeResult, articles: pl.DataFrame, *,
                  secondary_ratio: float = 0.8) -> ThemeResult:
    """``result`` (a fit, with its model) with the canonical ``articles`` it has not seen
    placed into its themes, as the fit placed its own: main theme or outlier, other themes
    above ``secondary_ratio``, a point on the same map. Themes keep their ids, labels and
    top terms; sizes and the outlier share count every article."""
    from analytics.themes.boilerplate import strip_boilerplate

    if result.model is None:
        raise ValueError("extend_themes needs a fitted result (its model is missing)")
    seen = result.article_themes.select("article_id").unique()
    fresh = _canonical(articles).join(seen, on="article_id", how="anti")
    if fresh.is_empty():
        return result
    if result.projection is None:
        raise ValueError("extend_themes needs a fitted result (its projection is missing)")
    texts = strip_boilerplate(_sources(fresh), _texts(fresh), result.boilerplate).to_list()
    columns = list(result.columns)
    sims = result.model.transform(texts)[:, columns]
    model_labels = result.model.predict(texts)
    position = np.full(result.model.n_themes_, OUTLIER)
    position[columns] = np.arange(len(columns))
    labels = np.where(model_labels >= 0, position[np.maximum(model_labels, 0)], OUTLIER)
    ids = fresh.get_column("article_id")
    to_id = pl.DataFrame({"theme_id": range(len(columns)), "stable_id": result.theme_ids,
                          "jaccard": 1.0}, schema=schema.THEME_ID_MAPPING)
    added = apply_theme_ids(_article_themes(ids, sims, labels, secondary_ratio), to_id)
    article_themes = pl.concat([result.article_themes, added])
    main = main_themes(article_themes)
    outlier_share = (main.get_column("theme_id") == OUTLIER).mean()
    assert isinstance(outlier_share, float)
    sizes = main.filter(pl.col("theme_id") != OUTLIER).group_by("theme_id").len("n")
    themes = (result.themes.join(sizes, on="theme_id", how="left")
              .with_columns(size=pl.col("n").fill_null(0).cast(result.themes["size"].dtype))
              .drop("n").sort("size", "theme_id", descending=[True, False]))
    return replace(
        result, themes=themes, article_themes=article_themes,
        coords=pl.concat([result.coords, _coords(ids, sims, result.projection)]),
        outlier_share=float(outlier_share),
    )


def _empty_result(status: str) -> ThemeResult:
    return ThemeResult(
        themes=schema.empty("themes"),
        article_themes=schema.empty("article_themes"),
        term_weights=pl.DataFrame(schema=schema.THEME_TERMS),
        coords=pl.DataFrame(schema=schema.THEME_COORDS),
        status=status,
    )


def _article_themes(ids: pl.Series, sims: np.ndarray, labels: np.ndarray,
                    secondary_ratio: float) -> pl.DataFrame:
    rows = np.arange(len(labels))
    best = sims[rows, np.maximum(labels, 0)]
    main = pl.DataFrame({"row": rows, "theme_id": labels, "weight": best})
    extra_r, extra_t = np.nonzero(
        (sims >= secondary_ratio * best[:, None]) & (labels[:, None] >= 0) & (best[:, None] > 0)
    )
    not_main = extra_t != labels[extra_r]
    extra = pl.DataFrame({"row": extra_r[not_main], "theme_id": extra_t[not_main],
                          "weight": sims[extra_r[not_main], extra_t[not_main]]})
    out = (pl.concat([main, extra], how="vertical_relaxed")
           .sort("row", "weight", descending=[False, True]))
    out = out.with_columns(article_id=ids.gather(out.get_column("row")))
    return schema.validate(schema.conform(out, "article_themes"), "article_themes")


def _projection(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and first two principal axes of the article x theme similarity matrix, with
    the sign fixed (largest loading positive) so reruns draw the same map."""
    mean = sims.mean(axis=0)
    centred = sims - mean
    _, vecs = np.linalg.eigh(centred.T @ centred)
    vecs = vecs[:, ::-1][:, :2]
    vecs = vecs * np.sign(vecs[np.abs(vecs).argmax(axis=0), [0, 1][: vecs.shape[1]]])
    return mean, vecs


def _coords(ids: pl.Series, sims: np.ndarray,
            projection: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    """Each article's point on the theme map: its similarities projected on ``projection``."""
    mean, vecs = projection
    xy = np.zeros((len(sims), 2))
    xy[:, : vecs.shape[1]] = (sims - mean) @ vecs
    coords = pl.DataFrame({"article_id": ids, "x": xy[:, 0], "y": xy[:, 1]})
    return coords.cast(pl.Schema(schema.THEME_COORDS))


def theme_trends(article_themes: pl.DataFrame, articles: pl.DataFrame, *,
                 period: str = "week") -> pl.DataFrame:
    """Articles per main theme per period, zero-filled: (period_start Date, theme_id,
    articles). Needs ``article_themes`` (article_id, theme_id, weight) and ``articles``
    (article_id, published_at); the main theme is an article's highest-weight row;
    outliers count under theme -1; articles without a date are left out. Weeks start
    on Monday."""
    if period not in _PERIODS:
        raise ValueError(f"period must be one of {sorted(_PERIODS)}, got {period!r}")
    main = main_themes(article_themes)
    dated = (main.join(articles.select("article_id", "published_at"), on="article_id")
             .drop_nulls("published_at")
             .with_columns(period_start=pl.col("published_at").dt.truncate(_PERIODS[period])
                           .dt.date()))
    if dated.is_empty():
        return pl.DataFrame(schema=schema.THEME_TRENDS)
    counts = dated.group_by("period_start", "theme_id").len("articles")
    first, last = dated["period_start"].min(), dated["period_start"].max()
    assert isinstance(first, date) and isinstance(last, date)
    periods = pl.date_range(first, last, _PERIODS[period], eager=True).alias("period_start")
    grid = periods.to_frame().join(dated.select("theme_id").unique(), how="cross")
    return (grid.join(counts, on=["period_start", "theme_id"], how="left")
            .with_columns(pl.col("articles").fill_null(0))
            .sort("period_start", "theme_id")
            .cast(pl.Schema(schema.THEME_TRENDS)))


@dataclass(frozen=True)
class ThemeMatch:
    """``themes`` with ids replaced by stable ones; ``mapping`` (theme_id of this run,
    stable_id, jaccard); ``new`` and ``vanished`` stable ids."""

    themes: pl.DataFrame
    mapping: pl.DataFrame
    new: list[int]
    vanished: list[int]


def match_themes(previous: pl.DataFrame, current: pl.DataFrame, *,
                 min_jaccard: float = 0.2) -> ThemeMatch:
    """Give ``current`` themes the ids of ``previous`` ones they continue.

    Both frames follow ``schema.THEMES``. Themes are paired one-to-one by maximising the
    Jaccard similarity of their ``top_terms`` (Hungarian assignment); a pair counts only
    at ``min_jaccard`` or above (0.2 is about 3 shared of 10 terms). Unmatched current
    themes get fresh ids above every previous id; unmatched previous themes are vanished.
    """
    from analytics.themes.model import match_term_sets

    prev_terms = previous.get_column("top_terms").to_list()
    cur_terms = current.get_column("top_terms").to_list()
    pairs, jac = match_term_sets(cur_terms, prev_terms)
    good = jac >= min_jaccard
    prev_ids = previous.get_column("theme_id").to_list()
    cur_ids = current.get_column("theme_id").to_list()
    stable = {cur_ids[c]: (prev_ids[p], j) for (c, p), j in zip(pairs[good], jac[good],
                                                               strict=True)}
    next_id = max(prev_ids, default=-1) + 1
    new = []
    for cid in cur_ids:
        if cid not in stable:
            stable[cid] = (next_id, 0.0)
            new.append(next_id)
            next_id += 1
    mapping = pl.DataFrame({
        "theme_id": cur_ids,
        "stable_id": [stable[c][0] for c in cur_ids],
        "jaccard": [stable[c][1] for c in cur_ids],
    }, schema=schema.THEME_ID_MAPPING)
    kept = {s for s, _ in stable.values()}
    return ThemeMatch(
        themes=apply_theme_ids(current, mapping),
        mapping=mapping,
        new=new,
        vanished=sorted(p for p in prev_ids if p not in kept),
    )


def apply_theme_ids(frame: pl.DataFrame, mapping: pl.DataFrame) -> pl.DataFrame:
    """Replace ``theme_id`` in any frame that has it (themes, article_themes, term_weights)
    by ``mapping``'s ``stable_id``; theme -1 (outliers) stays -1."""
    lookup = dict(zip(mapping["theme_id"].to_list(), mapping["stable_id"].to_list(),
                      strict=True))
    return frame.with_columns(
        pl.col("theme_id").replace_strict(lookup, default=pl.col("theme_id"),
                                          return_dtype=pl.Int32)
    )

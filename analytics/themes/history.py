"""Theme ids that persist across runs: this run's themes take the ids of the last run's."""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from analytics.themes.clustering import ThemeResult, apply_theme_ids, match_themes


@dataclass(frozen=True)
class StableThemes:
    result: ThemeResult  # ids replaced by stable ones
    new: list[int]  # stable ids of themes that did not exist in the previous run
    vanished: list[int]  # previous themes with no successor


def stabilise(result: ThemeResult, previous: pl.DataFrame | None) -> StableThemes:
    """Rename ``result``'s theme ids after ``previous`` (a ``themes`` table) by top-term
    similarity; with no previous themes the ids stay as they are and all are new."""
    if previous is None or previous.is_empty() or result.themes.is_empty():
        return StableThemes(result, result.themes["theme_id"].to_list(), [])
    match = match_themes(previous, result.themes)
    stable_of = dict(zip(match.mapping["theme_id"], match.mapping["stable_id"], strict=True))
    renamed = replace(
        result,
        themes=match.themes.sort("size", "theme_id", descending=[True, False]),
        article_themes=apply_theme_ids(result.article_themes, match.mapping),
        term_weights=apply_theme_ids(result.term_weights, match.mapping),
        theme_ids=tuple(stable_of.get(t, t) for t in result.theme_ids),
    )
    return StableThemes(renamed, match.new, match.vanished)

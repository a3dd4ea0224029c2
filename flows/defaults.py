"""The defaults of the flow and of every command, declared once.

The seed corpus and the default taxonomy ship inside the package: the checkout's
``seeds/`` folder is installed as the data-only package ``topicwatch_seeds`` (see
``[tool.setuptools]`` in pyproject.toml), so they are found from any working directory,
installed or editable. A project folder (``topicwatch init``) has its own
``sources.toml`` and ``taxonomy.toml``: when the working directory holds them, they are
the defaults instead. The store and the reports go to the working directory.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

SEED_PACKAGE = "topicwatch_seeds"  # the installed name of seeds/
TAXONOMY_FILE = "taxonomy.toml"  # in the seed folder and in a project folder
SOURCES_FILE = "sources.toml"  # in a project folder

DATA_DIR = "data"  # relative: under the working directory
REPORTS_DIR = "reports"
THEMES = "auto"
RANDOM_STATE = 0
THEMES_REFIT_DAYS = 7

# A number of themes (1 or more) or "auto"; Prefect validates flow parameters with it.
Themes = Annotated[int, Field(ge=1)] | Literal["auto"]


def seed_dir() -> Path:
    """The folder of the seed corpus and the default taxonomy (``seeds/`` of the checkout
    in an editable install, ``<site-packages>/topicwatch_seeds`` in a regular one)."""
    try:
        package = importlib.import_module(SEED_PACKAGE)
    except ModuleNotFoundError:  # a source checkout on sys.path, not installed
        return Path(__file__).resolve().parents[1] / "seeds"
    # A data-only (namespace) package: its __path__ may also hold import-hook entries.
    for entry in package.__path__:
        if (Path(entry) / TAXONOMY_FILE).is_file():
            return Path(entry)
    raise FileNotFoundError(f"{SEED_PACKAGE} has no {TAXONOMY_FILE}: {list(package.__path__)}")


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it lies inside it (``seeds`` in the
    checkout), else as it is: shorter in logs and reports, and the same file."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def default_taxonomy() -> Path:
    """``./taxonomy.toml`` when the working directory has one, else the seed taxonomy."""
    local = Path(TAXONOMY_FILE)
    return local if local.is_file() else _shown(seed_dir() / TAXONOMY_FILE)


def default_sources() -> Path:
    """``./sources.toml`` when the working directory has one, else the seed folder."""
    local = Path(SOURCES_FILE)
    return local if local.is_file() else _shown(seed_dir())


def seed_articles() -> list[Path]:
    """The seed article files (what ``topicwatch init`` copies into ``articles/``)."""
    return sorted(p for p in seed_dir().iterdir() if p.is_file() and p.suffix in {".txt", ".md"})


REPORTS_URL_ENV = "TOPICWATCH_REPORTS_URL"
REPORTS_HOST = "127.0.0.1"  # `topicwatch reports serve`: loopback unless told otherwise
REPORTS_PORT = 8765


def reports_url() -> str | None:
    """Where the reports folder is served (``topicwatch reports serve``), from
    ``TOPICWATCH_REPORTS_URL``; None when unset."""
    return os.environ.get(REPORTS_URL_ENV, "").strip().rstrip("/") or None

"""``topicwatch init DIR``: a project folder that runs at once.

It holds ``sources.toml`` (one folder source, ``articles/``, with commented examples of
the other kinds), ``taxonomy.toml`` (a copy of the default taxonomy, to edit),
``articles/`` with the seed article, and ``prefect.yaml``, which deploys the installed
flow by its module path (``flows.topic_report.topic_report``): Prefect 3's ``prefect
deploy`` and its workers import a module entrypoint instead of reading a file, so
nothing is uploaded or pulled, and the worker needs the same topicwatch installed.
``cd DIR && topicwatch run`` then reads ``sources.toml`` and ``taxonomy.toml`` there
(``flows.defaults``) and writes ``data/``, ``reports/`` and ``.prefect/`` beside them.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from analytics.store import atomic
from flows import defaults

ARTICLES = "articles"
FLOW_ENTRYPOINT = "flows.topic_report.topic_report"  # module path: the installed flow

SOURCES_TOML = f"""\
# topicwatch sources of this project; paths are relative to this file.
# `topicwatch sources check` validates it; `topicwatch run` in this folder reads it
# (and taxonomy.toml beside it). Every key: the README, "Sources".

# [settings]                      # all optional
# on_missing_date = "run_date"    # default "quarantine": articles without a date are not stored
# min_date = "1990-01-01"         # earlier publication dates are quarantined

[[source]]
id = "{ARTICLES}"
kind = "folder"                   # article files: .txt and .md, optional front matter
path = "{ARTICLES}"

# A table (CSV, JSONL or Parquet; .gz is read directly):
# [[source]]
# id = "press"
# kind = "table"
# path = "press/releases.csv"
# columns = {{ text = "body", title = "headline", date = "date", url = "link" }}

# A feed (RSS or Atom), fetched on every run:
# [[source]]
# id = "guardian"
# kind = "feed"
# url = "https://www.theguardian.com/world/rss"

# Saved HTML article pages (or `urls = [...]` to fetch them):
# [[source]]
# id = "saved-pages"
# kind = "page"
# path = "pages/"
# include = ["**/*.html"]
"""

PREFECT_YAML = """\
# topicwatch on a Prefect work pool, for this project folder. In this folder, with
# PREFECT_API_URL pointing at a running server (`prefect server start`):
#
#   prefect work-pool create topicwatch-pool --type process   # once
#   prefect deploy --all
#   prefect worker start --pool topicwatch-pool
#
# The entrypoint is the installed flow's module path, not a file: the worker imports it
# from its own installed topicwatch (install the same version there); runs start in
# this folder (working_dir), so the relative paths below are this project's.
name: @NAME@
prefect-version: @PREFECT_VERSION@

build: null
push: null
pull: []  # nothing to fetch: the code is the installed package

deployments:
  - name: daily-0600-utc
    description: "topicwatch: ingest the sources and write the day's topic report."
    entrypoint: @ENTRYPOINT@
    tags: [topicwatch]
    # run_date stays unset: each run reports on its scheduled day (UTC). Parameters left
    # out take the flow's defaults (`topicwatch run --help`): data/ and reports/ here,
    # themes auto, refitted weekly.
    parameters:
      sources: sources.toml
      taxonomy: taxonomy.toml
    schedules:
      - cron: "0 6 * * *"
        timezone: UTC
        active: true
    # Never two runs at once: a run due while another is still going waits for it.
    concurrency_limit:
      limit: 1
      collision_strategy: ENQUEUE
    work_pool:
      name: topicwatch-pool
      work_queue_name: default
      job_variables:
        # Resolved when you run `prefect deploy`: the folder the runs start in.
        working_dir: "{{ $PWD }}"
"""


def _prefect_version() -> str:
    try:
        return version("prefect")
    except PackageNotFoundError:  # pragma: no cover - prefect is a dependency
        return "3"


def project_files(directory: Path) -> dict[Path, bytes]:
    """What ``init`` writes into ``directory``: relative path -> content."""
    name = Path(directory).resolve().name or "topicwatch"
    yaml = (PREFECT_YAML.replace("@NAME@", json.dumps(name))
            .replace("@PREFECT_VERSION@", _prefect_version())
            .replace("@ENTRYPOINT@", FLOW_ENTRYPOINT))
    files = {
        Path(defaults.SOURCES_FILE): SOURCES_TOML.encode(),
        Path(defaults.TAXONOMY_FILE): (defaults.seed_dir() / defaults.TAXONOMY_FILE).read_bytes(),
        Path("prefect.yaml"): yaml.encode(),
    }
    for article in defaults.seed_articles():
        files[Path(ARTICLES) / article.name] = article.read_bytes()
    return files


def init_project(directory: Path, *, force: bool = False) -> list[Path]:
    """Write a project into ``directory`` (created if missing); the paths written.

    Raises ``FileExistsError`` naming every file that exists already, before writing
    anything, unless ``force`` (then they are replaced; other files are left alone)."""
    directory = Path(directory)
    files = project_files(directory)
    existing = [str(rel) for rel in files if (directory / rel).exists()]
    if existing and not force:
        raise FileExistsError(", ".join(existing))
    (directory / ARTICLES).mkdir(parents=True, exist_ok=True)
    written = []
    for rel, content in files.items():
        written.append(atomic.write_bytes(directory / rel, content))
    return written

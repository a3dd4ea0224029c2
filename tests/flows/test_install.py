"""Installed from a wheel (not editable) and run from a user's own folder: the seed corpus
and the default taxonomy come with the package, and everything a run writes goes to the
working directory, never into the installed package or the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCE = ("pyproject.toml", "README.md", "analytics", "flows", "seeds")  # what a build reads
RUN_DATE = "2025-06-07"  # not a date the checkout's own runs use
CLI = "from flows.cli import app; app()"
PROBE = """
import json, os, flows, analytics, topicwatch_seeds
from flows import defaults
print(json.dumps({"flows": flows.__file__, "analytics": analytics.__file__,
                  "seeds": str(defaults.seed_dir()), "sources": str(defaults.default_sources()),
                  "taxonomy": str(defaults.default_taxonomy()),
                  "prefect_home": os.environ["PREFECT_HOME"]}))
"""


def _skip_or_fail(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true requires it")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the checkout's sources (the build writes build/ and
    *.egg-info beside its sources; the checkout stays untouched)."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    for name in SOURCE:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    # pip's ordinary build: an isolated environment with the setuptools pyproject asks for
    # (from PyPI or the configured local index); this venv's own setuptools is too old.
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"),
         str(src)], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        _skip_or_fail(f"cannot build a wheel here (no package index?): {proc.stderr[-2000:]}")
    [built] = (root / "dist").glob("topicwatch-*.whl")
    return built


def test_wheel_holds_every_module_the_seeds_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for pkg in ("analytics", "flows")
               for p in (REPO / pkg).rglob("*.py") if "__pycache__" not in p.parts}
    assert modules - names == set()  # a package missing from [tool.setuptools] packages
    seeds = {n for n in names if n.startswith("topicwatch_seeds/")}
    assert seeds == {"topicwatch_seeds/taxonomy.toml",
                     *(f"topicwatch_seeds/{p.name}" for p in (REPO / "seeds").glob("*.txt"))}
    assert "analytics/py.typed" in names
    assert not any(n.startswith(("seeds/", "tests/")) for n in names)


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (compiled bytecode aside): size and modification time."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.e2e
def test_installed_package_inits_and_runs_a_project_from_any_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, timeout=600)
    work = tmp_path / "work"
    work.mkdir()
    # Only the installed copy on the path, and none of the project's Prefect settings:
    # PREFECT_HOME must come from the working directory.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = str(target)
    installed = _listing(target)
    # (Other runs in the checkout may write data/ and reports/<today>/ meanwhile.)
    checkout = {name: _listing(REPO / name) for name in ("seeds", f"reports/{RUN_DATE}")}

    def call(*args: str, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=600)

    init = call(CLI, "init", "demo", cwd=work)
    assert init.returncode == 0, init.stderr
    demo = work / "demo"
    assert sorted(p.name for p in (demo / "articles").iterdir()) == sorted(
        p.name for p in (REPO / "seeds").glob("*.txt"))

    probe = call(PROBE, cwd=demo)
    assert probe.returncode == 0, probe.stderr
    where = json.loads(probe.stdout)
    for name in ("flows", "analytics", "seeds"):
        assert where[name].startswith(str(target)), where  # not the editable checkout
    assert (where["sources"], where["taxonomy"]) == ("sources.toml", "taxonomy.toml")
    assert where["prefect_home"] == str(demo / ".prefect")

    run = call(CLI, "run", "--run-date", RUN_DATE, cwd=demo)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"topicwatch {RUN_DATE}: read 1, new 1, stored 1" in run.stdout
    assert (demo / "reports" / RUN_DATE / "report.pdf").stat().st_size > 10_000
    assert (demo / "data").is_dir() and (demo / ".prefect").is_dir()
    assert _listing(target) == installed  # nothing written into the installed package
    assert {name: _listing(REPO / name) for name in checkout} == checkout

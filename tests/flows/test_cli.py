"""The command line: option checks and config errors stop a run before any work."""

from pathlib import Path

from typer.testing import CliRunner

from analytics.contracts.sources_config import load_sources
from flows.cli import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_help_lists_every_run_option():
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--sources", "--taxonomy", "--data-dir", "--reports-dir", "--run-date",
                   "--themes"):
        assert option in result.output


def test_bad_taxonomy_stops_before_any_work(tmp_path):
    bad = tmp_path / "tax.toml"
    bad.write_text('[[topic]]\nid = "a"\nlabel = "A"\nphrases = []\n')
    result = runner.invoke(app, ["run", "--taxonomy", str(bad), "--data-dir", str(tmp_path / "d"),
                                 "--reports-dir", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert f"{bad}:4: topic a, key 'phrases'" in result.output
    assert not (tmp_path / "d").exists() and not (tmp_path / "r").exists()


def test_bad_options(tmp_path):
    assert runner.invoke(app, ["run", "--themes", "many"]).exit_code == 2
    assert runner.invoke(app, ["run", "--run-date", "2025-13-01"]).exit_code == 2


def test_checks_and_explain(tmp_path):
    result = runner.invoke(app, ["taxonomy", "check", str(REPO / "seeds" / "taxonomy.toml")])
    assert result.exit_code == 0 and "topics," in result.output
    result = runner.invoke(app, ["sources", "check", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2 and "missing.toml" in result.output
    # explain reads the store: build one with the ingest step, no flow needed
    from datetime import date

    from analytics.contracts.sources_config import load_sources
    from analytics.ingest.pipeline import ingest
    from analytics.sources.registry import read_source
    from analytics.store.articles import ArticleStore

    cfg = load_sources(REPO / "seeds")
    store = ArticleStore(tmp_path / "data")
    ingest([read_source(s, cfg.settings) for s in cfg.sources], store,
           run_date=date(2025, 6, 5), settings=cfg.settings)
    article_id = store.read()["article_id"][0]
    result = runner.invoke(app, ["explain", article_id[:8], "--data-dir", str(tmp_path / "data"),
                                 "--taxonomy", str(REPO / "seeds" / "taxonomy.toml")])
    assert result.exit_code == 0, result.output
    assert "nuclear_deterrence" in result.output and "[Nuclear Planning Group] by phrase 'Nuclear Planning Group'" in result.output
    assert "spending claim (pledge, NATO): 2% of GDP for 2025" in result.output


def test_data_dir_takes_a_url(store_url):
    """``--data-dir s3://bucket/prefix`` reaches the store as a URL, not as a path."""
    from datetime import date

    from analytics.contracts.sources_config import load_sources
    from analytics.ingest.pipeline import ingest
    from analytics.sources.registry import read_source
    from analytics.store.articles import ArticleStore

    cfg = load_sources(REPO / "seeds")
    store = ArticleStore(store_url)
    ingest([read_source(s, cfg.settings) for s in cfg.sources], store,
           run_date=date(2025, 6, 5), settings=cfg.settings)
    article_id = store.read()["article_id"][0]
    result = runner.invoke(app, ["explain", article_id[:8], "--data-dir", store_url,
                                 "--taxonomy", str(REPO / "seeds" / "taxonomy.toml")])
    assert result.exit_code == 0, result.output
    assert "nuclear_deterrence" in result.output


# `topicwatch init`, --version, -h, and the defaults that make a project folder run.

def _uncommented_examples(text: str) -> str:
    """The commented-out [settings] and [[source]] blocks of a sources file, uncommented."""
    out, inside = [], False
    for line in text.splitlines():
        if line in ("# [settings]", "# [[source]]") or line.startswith("# [settings] "):
            inside = True
        elif not line.startswith("# "):
            inside = False
        if inside:
            out.append(line[2:])
    return "\n".join(out)


def test_init_writes_a_project_that_reads_its_articles(tmp_path):
    from analytics.contracts.sources_config import parse_sources

    result = runner.invoke(app, ["init", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    demo = tmp_path / "demo"
    assert {p.name for p in demo.iterdir()} == {"sources.toml", "taxonomy.toml", "prefect.yaml",
                                                "articles"}
    assert (demo / "taxonomy.toml").read_bytes() == (REPO / "seeds" / "taxonomy.toml").read_bytes()
    assert [p.name for p in (demo / "articles").iterdir()] == [
        p.name for p in (REPO / "seeds").glob("*.txt")]
    [source] = load_sources(demo / "sources.toml").sources
    assert (source.id, source.kind, source.path) == ("articles", "folder", demo / "articles")
    # The commented examples are valid sources when uncommented: a table, a feed, a page.
    text = (demo / "sources.toml").read_text()
    examples = parse_sources(_uncommented_examples(text), "sources.toml", demo)
    assert [s.kind for s in examples.sources] == ["table", "feed", "page"]
    assert runner.invoke(app, ["sources", "check", str(demo / "sources.toml")]).exit_code == 0


def test_init_prefect_yaml_deploys_the_installed_flow(tmp_path):
    import yaml
    from prefect.flows import load_flow_from_entrypoint

    assert runner.invoke(app, ["init", str(tmp_path / "demo")]).exit_code == 0
    config = yaml.safe_load((tmp_path / "demo" / "prefect.yaml").read_text())
    [dep] = config["deployments"]
    # A module path: `prefect deploy` and the worker import it, wherever topicwatch is installed.
    assert load_flow_from_entrypoint(dep["entrypoint"]).name == "topic-report"
    assert dep["parameters"] == {"sources": "sources.toml", "taxonomy": "taxonomy.toml"}
    assert dep["work_pool"]["job_variables"]["working_dir"] == "{{ $PWD }}"
    assert config["pull"] == [] and config["name"] == "demo"


def test_init_refuses_to_overwrite_unless_forced(tmp_path):
    demo = tmp_path / "demo"
    assert runner.invoke(app, ["init", str(demo)]).exit_code == 0
    (demo / "taxonomy.toml").write_text("# mine\n")
    (demo / "articles" / "mine.txt").write_text("date 2025-06-01\nMy own article.\n")
    result = runner.invoke(app, ["init", str(demo)])
    assert result.exit_code == 2
    assert "sources.toml, taxonomy.toml, prefect.yaml" in result.output
    assert "--force" in result.output
    assert (demo / "taxonomy.toml").read_text() == "# mine\n"
    result = runner.invoke(app, ["init", str(demo), "--force"])
    assert result.exit_code == 0, result.output
    assert (demo / "taxonomy.toml").read_bytes() == (REPO / "seeds" / "taxonomy.toml").read_bytes()
    assert (demo / "articles" / "mine.txt").exists()  # files init does not write stay


def test_version_is_the_package_version():
    import tomllib

    expected = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"topicwatch {expected}"


def test_dash_h_is_help_on_every_command():
    for command in ([], ["run"], ["serve"], ["init"], ["explain"], ["taxonomy"],
                    ["taxonomy", "check"], ["sources"], ["sources", "check"]):
        short = runner.invoke(app, [*command, "-h"])
        assert short.exit_code == 0, (command, short.output)
        assert "Usage:" in short.output
        assert short.output == runner.invoke(app, [*command, "--help"]).output


def test_themes_option_is_a_positive_number_or_auto():
    from flows.cli import _themes

    assert (_themes("auto"), _themes("12")) == ("auto", 12)
    for bad in ("abc", "0", "-3", "2.5"):
        result = runner.invoke(app, ["run", "--themes", bad])
        assert result.exit_code == 2
        words = " ".join(w for w in result.output.split() if w.strip("│╭╮╰╯─"))
        assert "whole number of themes (1 or more) or 'auto'" in words


def test_defaults_are_the_packaged_seeds_or_the_project_files(tmp_path, monkeypatch):
    from flows import defaults

    # In the checkout: the seeds, shown as the relative paths the reports have always named.
    monkeypatch.chdir(REPO)
    assert (defaults.default_sources(), defaults.default_taxonomy()) == (
        Path("seeds"), Path("seeds/taxonomy.toml"))
    # Anywhere else: the seed folder that ships with the package, by its full path.
    monkeypatch.chdir(tmp_path)
    assert defaults.default_taxonomy() == defaults.seed_dir() / "taxonomy.toml"
    assert defaults.default_taxonomy().is_file()
    assert defaults.default_sources() == defaults.seed_dir()
    # A project folder: its own files.
    (tmp_path / "sources.toml").write_text("")
    (tmp_path / "taxonomy.toml").write_text("")
    assert (defaults.default_sources(), defaults.default_taxonomy()) == (
        Path("sources.toml"), Path("taxonomy.toml"))


def test_prefect_home_defaults_to_the_working_directory(tmp_path, monkeypatch):
    from flows import prefect_env

    monkeypatch.chdir(tmp_path)
    env: dict[str, str] = {}
    prefect_env.apply(env)
    assert env["PREFECT_HOME"] == str(tmp_path / ".prefect")
    env = {"PREFECT_HOME": "/elsewhere"}
    prefect_env.apply(env)
    assert env["PREFECT_HOME"] == "/elsewhere"  # an explicit setting wins


def test_sources_check_reads_each_tables_header(tmp_path):
    from tests.analytics.test_bad_input import missing_column_project

    sources = missing_column_project(tmp_path)
    result = runner.invoke(app, ["sources", "check", str(sources)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["good", "table", "ok", str(tmp_path / "good.csv")]
    for name, line, columns in (("wire.csv", 15, "the file's header"),
                                ("wire.jsonl", 26, "the keys of its first 2 records"),
                                ("wire.parquet", 33, "the file's columns")):
        assert (f"    {tmp_path / name}: mapped column not in the file: 'published' "
                f"(columns.date, {sources}:{line}; did you mean 'published_at'?); "
                f"{columns}: headline, body, published_at, link") in lines, result.output
    assert lines[-1] == f"{sources}: 4 sources, 3 problems"


def test_settings_typo_stops_a_run_with_file_line_and_key(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text('[settings]\nretries = 2\nmax_file_byte = 1000\n\n'
                       f'[[source]]\nid = "seed"\nkind = "folder"\npath = "{REPO / "seeds"}"\n')
    result = runner.invoke(app, ["run", "--sources", str(sources), "--data-dir",
                                 str(tmp_path / "d"), "--reports-dir", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert (f"error: {sources}:3: [settings], key 'max_file_byte': unknown key; did you mean "
            "'max_file_bytes'?") in result.output
    assert "unexpected keyword" not in result.output
    assert not (tmp_path / "d").exists() and not (tmp_path / "r").exists()
    result = runner.invoke(app, ["sources", "check", str(sources)])
    assert result.exit_code == 2 and f"{sources}:3: [settings]" in result.output


def test_taxonomy_check_prints_the_regex_engines_message(tmp_path):
    tax = tmp_path / "taxonomy.toml"
    tax.write_text('[[topic]]\nid = "drones"\nlabel = "Drones"\nphrases = ["drone"]\n'
                   'patterns = [\n  "shot down \\\\d+ drones",\n  "(?P<n>\\\\d+ uav",\n]\n')
    result = runner.invoke(app, ["taxonomy", "check", str(tax)])
    assert result.exit_code == 2
    assert (f"error: {tax}:7: topic drones, key 'patterns': invalid regex '(?P<n>\\\\d+ uav': "
            "regex parse error:\n    (?P<n>\\d+ uav\n    ^\nerror: unclosed group\n"
            ) in result.output, result.output


# What a light command or the flow's import must not load: each costs 0.3-1.5 s at start.
HEAVY = {"matplotlib", "sklearn", "scipy", "prefect_dask", "distributed"}


def _imported(args: list[str], cwd: Path) -> set[str]:
    """Top-level packages the real command ``args`` imported, run in its own process as a
    user runs it (``PYTHONPROFILEIMPORTTIME`` lists every import on stderr)."""
    import os
    import re
    import subprocess

    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", proc.stderr, re.M)
    assert "polars" in names, proc.stderr[-500:]  # the listing was read
    return {n.split(".")[0] for n in names}


def test_light_commands_import_no_plotting_learning_or_prefect(tmp_path):
    import sys

    cli = str(Path(sys.executable).parent / "topicwatch")
    for args in (["--help"], ["run", "--help"], ["sources", "check", str(REPO / "seeds")],
                 ["taxonomy", "check", str(REPO / "seeds" / "taxonomy.toml")]):
        loaded = _imported([cli, *args], tmp_path)
        assert not loaded & (HEAVY | {"prefect"}), (args, sorted(loaded & (HEAVY | {"prefect"})))


def test_the_flow_imports_each_stage_when_it_runs(tmp_path):
    """Importing the flow (a served run's process does it first) loads Prefect, but not
    the plotting, the theme model or Dask: the stages import them when they run."""
    import sys

    loaded = _imported([sys.executable, "-c", "import flows.topic_report, flows.serve"],
                       tmp_path)
    assert "prefect" in loaded and not loaded & HEAVY, sorted(loaded & HEAVY)

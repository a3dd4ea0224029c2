"""The command line: option checks and config errors stop a run before any work."""

from pathlib import Path

from typer.testing import CliRunner

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
    assert "nuclear_deterrence" in result.output and "[Nuclear Planning Group]" in result.output
    assert "spending claim: 2% of GDP" in result.output


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

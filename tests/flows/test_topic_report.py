"""End to end: the topic-report flow on the seed corpus, under Prefect's test harness."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path

import polars as pl
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)

from analytics.report.markdown import md_escape
from flows.topic_report import topic_report

REPO = Path(__file__).resolve().parents[2]
SEED_TOPICS = {
    "air_missile_defense", "long_range_strike", "logistics", "ground_forces",
    "defense_spending", "defense_industry", "ukraine_military_aid", "peace_negotiations",
    "nuclear_deterrence", "terrorism",
}
RUN_DATE = "2025-06-05"
# The brief's sections at the top of summary.md, as the Prefect artifact shows them.
BRIEF_HEADINGS = ("What changed", "New spending claims", "Data quality")


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _exported(data_dir: str | Path, themes: str = "auto",
              folder: Path | None = None) -> dict[str, pl.DataFrame]:
    """The whole-store tables of a run (not in its report folder), by ``topicwatch export``."""
    from analytics.report.export import export_tables

    out = folder or Path(str(data_dir)).parent / "export"
    written = export_tables(str(data_dir), out, taxonomy=REPO / "seeds" / "taxonomy.toml",
                            themes=themes)
    return {name: pl.read_parquet(path) for name, path in written.items()}


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    """Two runs of the seed corpus: the first without SOURCE_DATE_EPOCH, the rerun with
    another epoch (the report must not depend on it), and the environment of each run."""
    root = tmp_path_factory.mktemp("seed-run")
    records = _Records()
    logging.getLogger("prefect").addHandler(records)
    epoch = os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        kwargs = dict(sources=str(REPO / "seeds"), taxonomy=str(REPO / "seeds" / "taxonomy.toml"),
                      data_dir=str(root / "data"), reports_dir=str(root / "reports"),
                      run_date=RUN_DATE)
        # scikit-learn sets KMP_* on its first import, which the themes stage does now:
        # imported first, so the comparison is of what the run itself leaves.
        import sklearn  # noqa: F401

        environ = dict(os.environ)
        first = topic_report(**kwargs)
        environ_after = dict(os.environ)
        out = root / "reports" / RUN_DATE
        hashes = {p.relative_to(out): _sha(p) for p in sorted(out.rglob("*")) if p.is_file()}
        os.environ["SOURCE_DATE_EPOCH"] = "86400"
        second = topic_report(**kwargs)
    finally:
        logging.getLogger("prefect").removeHandler(records)
        os.environ.pop("SOURCE_DATE_EPOCH", None)
        if epoch is not None:
            os.environ["SOURCE_DATE_EPOCH"] = epoch
    return root, first, second, hashes, records.messages, (environ, environ_after)


def test_writes_report_charts_and_tables(seed_run):
    root, first, *_ = seed_run
    out = root / "reports" / RUN_DATE
    assert (out / "report.pdf").stat().st_size > 10_000
    for chart in ("topic_totals", "topic_trends", "themes"):
        assert (out / "charts" / f"{chart}.png").exists()
    for table in ("claims", "topic_trends", "themes", "quarantine"):
        assert (out / "tables" / f"{table}.parquet").exists()
    for table in ("articles", "topic_mentions", "article_themes"):  # in the store: export
        assert not (out / "tables" / f"{table}.parquet").exists()
    assert first.rows_read == 1 and first.new_articles == 1 and first.quarantined == 0


def test_seed_topics_and_claim(seed_run):
    root, *_ = seed_run
    tables = root / "reports" / RUN_DATE / "tables"
    store = _exported(root / "data")
    mentions = store["topic_mentions"]
    assert set(mentions["topic_id"]) >= SEED_TOPICS
    assert mentions["evidence"].null_count() == 0
    claims = pl.read_parquet(tables / "claims.parquet")
    assert claims["value"].to_list() == [2.0] == store["claims"]["value"].to_list()
    articles = store["articles"]
    assert articles["published_at"].dt.date().to_list()[0].isoformat() == "2025-06-04"


def test_rerun_adds_nothing_and_is_byte_identical(seed_run):
    root, first, second, hashes, *_ = seed_run
    assert (second.new_articles, second.duplicates) == (first.new_articles, first.duplicates)
    assert second.stored_articles == first.stored_articles == 1
    out = root / "reports" / RUN_DATE
    again = {p.relative_to(out): _sha(p) for p in sorted(out.rglob("*")) if p.is_file()}
    assert again == hashes


def test_artifacts_recorded_with_keys(seed_run):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["topic-report-summary", "topic-counts", "topic-report-pdf"])
        ))
    assert {a.key for a in found} == {"topic-report-summary", "topic-counts", "topic-report-pdf"}
    summary = next(a for a in found if a.key == "topic-report-summary")
    assert "Nuclear weapons and deterrence" in summary.data and "## What changed" in summary.data
    # One article: page 1 has no chart (a line says why), so neither has the artifact.
    assert "data:image/png;base64," not in summary.data
    assert "## Run parameters" not in summary.data  # the run's Parameters tab has them
    # No URL given: no dead file:// link, but the path and how to serve it.
    pdf = (seed_run[0] / "reports" / RUN_DATE / "report.pdf").resolve()
    for artifact in (summary, next(a for a in found if a.key == "topic-report-pdf")):
        assert "file://" not in artifact.data and "topicwatch reports serve" in artifact.data
        assert md_escape(str(pdf)) in artifact.data
    counts = next(a for a in found if a.key == "topic-counts").data
    rows = json.loads(counts) if isinstance(counts, str) else counts
    totals = pl.read_parquet(seed_run[0] / "reports" / RUN_DATE / "tables" / "topic_totals.parquet")
    ranked = totals.with_row_index().sort(["articles", "index"], descending=[True, False])
    assert [r["topic"] for r in rows] == ranked["label"].to_list()  # most articles first
    assert [r["articles"] for r in rows] == [f"{n:,}" for n in ranked["articles"]]
    assert [r["share"] for r in rows] == [f"{x:.1%}" for x in ranked["share"]]


def test_every_run_has_its_own_name(seed_run):
    """The seed run and its rerun report on one date, under two names."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(like_=f"topic-report-{RUN_DATE}-")))
    names = [r.name for r in runs]
    assert len(names) >= 2 and len(set(names)) == len(names), names
    assert all(re.fullmatch(rf"topic-report-{RUN_DATE}-[0-9a-f]{{6}}", n) for n in names), names


def test_no_cache_key_errors(seed_run):
    *_, messages, _ = seed_run
    assert not [m for m in messages if "Error encountered when computing cache key" in m]


def test_the_flow_leaves_the_environment_alone(seed_run):
    *_, (before, after) = seed_run
    assert after == before and "SOURCE_DATE_EPOCH" not in after


def test_themes_parameter_is_a_positive_number_or_auto():
    """Prefect validates flow parameters with pydantic (a bad ``themes`` fails the run
    before any work) and the server checks a deployment's run parameters against the
    flow's schema (a bad one is refused when the run is created)."""
    from prefect.exceptions import ParameterTypeError
    from prefect.utilities.callables import parameter_schema
    from prefect.utilities.schema_tools import ValidationError, validate

    assert topic_report.validate_parameters({"themes": "3"})["themes"] == 3
    assert topic_report.validate_parameters({"themes": "auto"})["themes"] == "auto"
    schema = parameter_schema(topic_report).model_dump_for_openapi()
    for bad, reason in (("abc", "unable to parse string as an integer"),
                        (0, "greater than or equal to 1")):
        with pytest.raises(ParameterTypeError, match=f"themes.*{reason}"):
            topic_report.validate_parameters({"themes": bad})
        with pytest.raises(ValidationError, match="field 'themes'"):
            validate({"themes": bad}, schema, raise_on_error=True, ignore_required=True)
    validate({"themes": 12}, schema, raise_on_error=True, ignore_required=True)


def _sources_file(tmp_path: Path, server, *, seeds: bool) -> Path:
    """A gone feed on the loopback ``server``, after the seed folder when ``seeds``."""
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[settings]\nallowed_networks = ["127.0.0.1/32"]\ntimeout_seconds = 2\n\n'
        + (f'[[source]]\nid = "seeds"\nkind = "folder"\npath = "{REPO / "seeds"}"\n\n'
           if seeds else "")
        + f'[[source]]\nid = "gone-feed"\nkind = "feed"\nurl = "{server.url("/gone.xml")}"\n'
    )
    return sources


def _artifact(flow_run_id, key: str):
    with get_client(sync_client=True) as client:
        [found] = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[key]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return found


def test_failing_source_does_not_stop_the_run(tmp_path):
    """One of two sources failed: the run is Completed and says so; the brief in the UI
    names the failed source and the quarantine reasons; with a reports URL the artifacts
    link to the PDF there."""
    from tests.helpers import require_tool
    from tests.loopback_server import LoopbackServer, Reply

    pdftotext = require_tool("pdftotext")
    with LoopbackServer() as server:
        server.script("/gone.xml", Reply(404))
        state = topic_report(sources=str(_sources_file(tmp_path, server, seeds=True)),
                             taxonomy=str(REPO / "seeds" / "taxonomy.toml"),
                             data_dir=str(tmp_path / "data"), reports_dir=str(tmp_path / "r"),
                             run_date=RUN_DATE, reports_url="http://127.0.0.1:8765/",
                             return_state=True)
    assert state.is_completed() and state.message.startswith("1 of 2 sources failed (gone-feed")
    summary = state.result()
    outcomes = {s.source: s for s in summary.sources}
    assert outcomes["seeds"].status == "ok" and outcomes["gone-feed"].status == "failed"
    assert "404" in outcomes["gone-feed"].message
    assert summary.new_articles == 1 and summary.quarantined == 1
    import subprocess
    text = subprocess.run([pdftotext, str(tmp_path / "r" / RUN_DATE / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "gone-feed" in text and "failed" in text

    run_id = state.state_details.flow_run_id
    brief = _artifact(run_id, "topic-report-summary").data
    for heading in BRIEF_HEADINGS:
        assert f"## {heading}" in brief, heading
    assert summary.quarantine_reasons
    for reason in summary.quarantine_reasons:
        assert md_escape(reason) in brief, reason
    assert "gone-feed" in brief
    url = f"http://127.0.0.1:8765/{RUN_DATE}/report.pdf"
    assert f"[Open the PDF report]({url})" in brief
    assert f"(http://127.0.0.1:8765/{RUN_DATE}/charts/topic_totals.png)" in brief
    assert _artifact(run_id, "topic-report-pdf").data == f"[report.pdf ({RUN_DATE})]({url})"


def test_all_sources_failed_fails_the_run_after_the_report(tmp_path):
    """Every source failed: the flow is Failed with the reason, after writing the report
    that says why; ``topicwatch run`` exits 1 with that reason on one line."""
    from typer.testing import CliRunner

    from flows.cli import app
    from tests.loopback_server import LoopbackServer, Reply

    with LoopbackServer() as server:
        server.script("/gone.xml", Reply(404))
        sources = _sources_file(tmp_path, server, seeds=False)
        args = dict(sources=str(sources), taxonomy=str(REPO / "seeds" / "taxonomy.toml"),
                    data_dir=str(tmp_path / "data"), reports_dir=str(tmp_path / "r"))
        state = topic_report(**args, run_date=RUN_DATE, return_state=True)
        result = CliRunner().invoke(app, ["run", "--run-date", "2025-06-06", *(
            a for k, v in args.items() for a in (f"--{k.replace('_', '-')}", v))])
    assert state.is_failed()
    assert state.message.startswith("every source failed (gone-feed: ")
    assert "404" in state.message and str(tmp_path / "r" / RUN_DATE / "report.pdf") in state.message
    assert (tmp_path / "r" / RUN_DATE / "report.pdf").stat().st_size > 10_000
    assert "gone-feed" in (tmp_path / "r" / RUN_DATE / "summary.md").read_text()
    assert result.exit_code == 1, result.output
    [line] = [x for x in result.output.splitlines() if x.startswith("error: ")]
    assert line.startswith("error: every source failed (gone-feed: ") and "404" in line
    assert (tmp_path / "r" / "2025-06-06" / "report.pdf").exists()


def test_rerun_tags_no_partition_again(seed_run):
    *_, messages, _ = seed_run
    planned = [m for m in messages if m.startswith("partitions to tag:")]
    assert planned == ["partitions to tag: 1 (2025-06)", "partitions to tag: 0 ()"]


def _md(folder: Path, name: str, day: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(f"---\ntitle: {name}\ndate: {day}\n---\n{text}\n")


def test_later_run_tags_only_the_partitions_that_changed(tmp_path):
    from analytics.contracts.taxonomy import load_taxonomy
    from analytics.store.articles import ArticleStore
    from analytics.topics.tagging import tag_topics

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    _md(corpus, "april", "2025-04-10", "Air defence batteries intercepted drones overnight.")
    _md(corpus, "may", "2025-05-02", "Allies discussed sanctions and nuclear deterrence.")
    kwargs = dict(sources=str(corpus), taxonomy=str(REPO / "seeds" / "taxonomy.toml"),
                  data_dir=str(data), reports_dir=str(tmp_path / "reports"), themes="2")
    records = _Records()
    logging.getLogger("prefect").addHandler(records)
    try:
        topic_report(**kwargs, run_date="2025-06-01")
        april = next((data / "derived").glob("tagger=*/month=2025-04/partition.json"))
        stamp = april.stat().st_mtime_ns
        _md(corpus, "may-2", "2025-05-20", "A long-range strike hit a logistics hub.")
        summary = topic_report(**kwargs, run_date="2025-06-02")
    finally:
        logging.getLogger("prefect").removeHandler(records)
    planned = [m for m in records.messages if m.startswith("partitions to tag:")]
    assert planned == ["partitions to tag: 2 (2025-04, 2025-05)",
                       "partitions to tag: 1 (2025-05)"]
    assert april.stat().st_mtime_ns == stamp
    assert summary.new_articles == 1 and summary.stored_articles == 3
    mentions = _exported(data)["topic_mentions"]
    expected = tag_topics(ArticleStore(data).read(), load_taxonomy(kwargs["taxonomy"]))
    assert mentions.equals(expected)
    assert {"long_range_strike", "logistics", "drones"} <= set(mentions["topic_id"])


LATER = [
    "The goalkeeper and the striker signed new contracts with the football club",
    "Bond yields slipped and shares rose after the central bank kept interest rates",
    "Patriot air defence crews shot down missiles and drones near the army base",
]


def test_runs_between_refits_place_new_articles_into_the_last_fit(tmp_path):
    from tests.analytics.themes.test_clustering import SUBJECTS

    corpus = tmp_path / "corpus"
    stories = [t for trio in zip(*SUBJECTS.values(), strict=True) for t in trio]
    for i, text in enumerate(stories):
        _md(corpus, f"s{i:02d}", f"2025-05-{1 + i:02d}", text)
    kwargs = dict(sources=str(corpus), taxonomy=str(REPO / "seeds" / "taxonomy.toml"),
                  data_dir=str(tmp_path / "data"), reports_dir=str(tmp_path / "reports"),
                  themes="3")
    records = _Records()
    logging.getLogger("prefect").addHandler(records)
    try:
        placed = {}  # article_themes stay in the store: exported after each run
        topic_report(**kwargs, run_date="2025-06-01")
        placed["2025-06-01"] = _exported(tmp_path / "data", themes="3")["article_themes"]
        for i, text in enumerate(LATER):
            _md(corpus, f"later{i}", "2025-05-30", text)
        topic_report(**kwargs, run_date="2025-06-02")
        placed["2025-06-02"] = _exported(tmp_path / "data", themes="3")["article_themes"]
        topic_report(**kwargs, run_date="2025-06-03", themes_refit_days=0)
        placed["2025-06-03"] = _exported(tmp_path / "data", themes="3")["article_themes"]
    finally:
        logging.getLogger("prefect").removeHandler(records)

    def tables(day):
        out = tmp_path / "reports" / day / "tables"
        return pl.read_parquet(out / "themes.parquet"), placed[day]

    themes_1, placed_1 = tables("2025-06-01")
    themes_2, placed_2 = tables("2025-06-02")
    logged = [m for m in records.messages if m.startswith("themes:")]
    assert "themes: 3 themes of the fit of 2025-06-01, 3 articles placed into them" in logged
    assert themes_2.drop("size").sort("theme_id").equals(themes_1.drop("size").sort("theme_id"))
    assert themes_2["size"].sum() == themes_1["size"].sum() + 3
    assert placed_2["article_id"].n_unique() == placed_1["article_id"].n_unique() + 3
    assert sum(m.startswith("themes: 3 themes (") for m in logged) == 2  # fit, refit
    _, placed_3 = tables("2025-06-03")
    assert placed_3["article_id"].n_unique() == placed_2["article_id"].n_unique()


def test_store_on_s3_gives_the_tables_of_a_local_store_and_stays_incremental(s3_url, tmp_path):
    from polars.testing import assert_frame_equal

    from tests.analytics.themes.test_clustering import SUBJECTS

    corpus = tmp_path / "corpus"
    stories = [t for trio in zip(*SUBJECTS.values(), strict=True) for t in trio]
    for i, text in enumerate(stories):
        _md(corpus, f"s{i:02d}", f"2025-0{4 + i % 2}-{1 + i:02d}", text)
    kwargs = dict(sources=str(corpus), taxonomy=str(REPO / "seeds" / "taxonomy.toml"),
                  run_date="2025-06-01", themes="3")
    topic_report(**kwargs, data_dir=str(tmp_path / "data"), reports_dir=str(tmp_path / "local"))
    records = _Records()
    logging.getLogger("prefect").addHandler(records)
    try:
        first = topic_report(**kwargs, data_dir=s3_url, reports_dir=str(tmp_path / "s3"))
        second = topic_report(**kwargs, data_dir=s3_url, reports_dir=str(tmp_path / "s3-again"))
    finally:
        logging.getLogger("prefect").removeHandler(records)

    def tables(reports, data_dir):
        out = tmp_path / reports / "2025-06-01" / "tables"
        small = {name: pl.read_parquet(out / f"{name}.parquet") for name in (
            "claims", "topic_trends", "themes")}
        return {**small, **_exported(data_dir, themes="3", folder=tmp_path / reports / "x")}

    local, remote = tables("local", str(tmp_path / "data")), tables("s3", s3_url)
    assert local["articles"].height == len(stories) == first.stored_articles
    assert local["articles"]["published_at"].dt.month().n_unique() == 2
    for name in local:
        assert_frame_equal(remote[name], local[name], check_exact=True)
    planned = [m for m in records.messages if m.startswith("partitions to tag:")]
    assert planned == ["partitions to tag: 2 (2025-04, 2025-05)", "partitions to tag: 0 ()"]
    assert second.stored_articles == first.stored_articles  # a rerun stores nothing twice
    assert any(m.startswith("themes: 3 themes of the fit of 2025-06-01") for m in records.messages)
    for name in local:
        assert_frame_equal(tables("s3-again", s3_url)[name], local[name], check_exact=True)

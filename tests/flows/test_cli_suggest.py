"""`topicwatch taxonomy suggest`: candidate cues mined from a folder of article files."""

import json
from io import StringIO
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from analytics.topics.suggest import SUGGESTIONS
from flows.cli import app

runner = CliRunner()

# A taxonomy of its own, so that the default taxonomy's growth (which now counts the
# humanitarian pause) does not change what there is to suggest.
TAXONOMY = """[[topic]]
id = "peace_negotiations"
label = "Peace talks and ceasefire"
phrases = ["ceasefire", "truce"]
"""
# (title, date, text); peace_negotiations counts "ceasefire" and "truce"
ARTICLES = [
    ("Ceasefire begins in Gaza", "2023-11-24",
     "A four-day ceasefire began at dawn. Aid trucks crossed at Rafah during the "
     "humanitarian pause, officials said."),
    ("Truce extended by two days", "2023-11-27",
     "Qatar said the truce would be extended. The humanitarian pause has let hostages go "
     "home and aid reach the south."),
    ("Mediators push for ceasefire in Sudan", "2023-05-20",
     "Saudi and US mediators pressed the warring sides for a ceasefire and a humanitarian "
     "pause in Khartoum."),
    ("Fighting resumes after humanitarian pause", "2023-12-01",
     "The humanitarian pause ended at seven in the morning and air strikes resumed, "
     "residents said."),
    ("Aid agencies [UN] call for humanitarian pause", "2023-10-20",
     "Aid agencies called for a humanitarian pause to let fuel in as hospitals ran low."),
    ("Central bank holds rates", "2023-11-01",
     "The central bank held interest rates, officials said, and markets were calm."),
    ("Storm closes schools", "2023-11-02",
     "A storm closed schools across the north; rail services were cut, officials said."),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("articles")
    for n, (title, day, text) in enumerate(ARTICLES):
        (folder / f"{n:02}.txt").write_text(
            f"---\ntitle: {title}\ndate: {day}\n---\n{text}\n", encoding="utf-8")
    return folder


def _suggest(corpus: Path, *options: str):
    taxonomy = corpus.parent / "taxonomy.toml"
    taxonomy.write_text(TAXONOMY, encoding="utf-8")
    # A fixed width, so that the table's sentences are not wrapped whatever the terminal.
    return runner.invoke(app, ["taxonomy", "suggest", "peace_negotiations", "--corpus",
                               str(corpus), "--min-support", "2", "--taxonomy", str(taxonomy),
                               *options],
                         env={"COLUMNS": "200"})


def test_table_lists_a_co_occurring_term_with_examples_from_untagged_articles(corpus):
    result = _suggest(corpus)
    assert result.exit_code == 0, result.output
    assert "peace_negotiations (Peace talks and ceasefire): 3 of 7 articles tagged" in result.output
    assert "humanitarian pause" in result.output
    # from the two untagged articles that say it, as written (no markup eaten)
    assert "Fighting resumes after humanitarian pause" in result.output
    assert "Aid agencies [UN] call for humanitarian pause" in result.output
    assert "│ said " not in result.output  # as frequent without the topic: lift under 1
    assert "ceasefire │" not in result.output  # a cue of the topic is never a candidate


def test_csv_and_json_carry_every_column(corpus):
    result = _suggest(corpus, "--format", "csv", "--top", "1")
    assert result.exit_code == 0, result.output
    assert pl.read_csv(StringIO(result.output))["term"].to_list() == ["aid"]
    result = _suggest(corpus, "--format", "csv")
    assert result.exit_code == 0, result.output
    table = pl.read_csv(StringIO(result.output))
    assert table.columns == list(SUGGESTIONS)
    assert table["term"].to_list() == ["aid", "humanitarian pause"]
    assert table["lift"].to_list() == sorted(table["lift"].to_list(), reverse=True)
    row = table.filter(pl.col("term") == "humanitarian pause").row(0, named=True)
    assert (row["topic_articles"], row["articles"], row["untagged"]) == (3, 5, 2)

    result = _suggest(corpus, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["topic"], data["articles"], data["tagged"]) == ("peace_negotiations", 7, 3)
    terms = {t["term"]: t for t in data["terms"]}
    assert terms["humanitarian pause"]["untagged_share"] == pytest.approx(0.4)
    assert terms["humanitarian pause"]["example_1"]


def test_errors_name_the_problem(corpus, tmp_path):
    result = runner.invoke(app, ["taxonomy", "suggest", "no_such_topic", "--corpus", str(corpus)])
    assert result.exit_code == 2 and "no topic 'no_such_topic'" in result.output
    table = tmp_path / "items.csv"
    table.write_text("headline,body\nCeasefire,A ceasefire began.\n", encoding="utf-8")
    result = runner.invoke(app, ["taxonomy", "suggest", "peace_negotiations", "--corpus",
                                 str(table)])
    assert result.exit_code == 2 and "no article read" in result.output
    result = _suggest(corpus, "--format", "xml")
    assert result.exit_code == 2
    result = runner.invoke(app, ["taxonomy", "suggest", "peace_negotiations", "--corpus",
                                 str(corpus)])  # min support 5: nothing qualifies
    assert result.exit_code == 0 and "no candidate term" in result.output

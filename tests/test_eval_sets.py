"""The frozen test set stays apart from the dev set, and every labelled key resolves."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from bench.eval import dev2_sample, kappa
from bench.eval.load import DEV_SETS, LABELS_CSV, TOPICS, load_eval_set
from bench.eval.test_corpora import TEST_CORPORA, load_test_set

EVAL = Path(__file__).resolve().parents[1] / "bench" / "eval"


def test_test_set_is_frozen_large_and_apart_from_the_dev_set():
    test = pl.read_csv(EVAL / "test_labels.csv", infer_schema_length=0)
    keys = pl.read_csv(EVAL / "test_keys.csv", infer_schema_length=0)
    dev = pl.read_csv(LABELS_CSV, infer_schema_length=0)
    assert keys.height >= 300
    # labelled exactly the drawn rows, once each
    assert sorted(test.select("corpus", "key").rows()) == sorted(keys.select("corpus", "key").rows())
    assert test.select(TOPICS).null_count().sum_horizontal().item() == 0
    assert test.select("corpus", "key").is_duplicated().sum() == 0
    assert set(test["corpus"]) <= set(TEST_CORPORA)
    assert not set(test["corpus"]) & set(dev["corpus"])
    assert set(test.select(TOPICS).unique().to_series().to_list()) <= {"0", "1"}


def test_every_test_key_resolves_to_its_text(shared_corpora):
    df = load_test_set(shared_corpora, EVAL / "test_labels.csv")
    labelled = pl.read_csv(EVAL / "test_labels.csv", infer_schema_length=0)
    assert df.height == labelled.height and df["text"].str.len_chars().min() > 0


def test_second_dev_set_is_new_rows_of_the_dev_corpora_drawn_by_its_rule(shared_corpora,
                                                                         tmp_path):
    dev1 = pl.read_csv(LABELS_CSV, infer_schema_length=0)
    keys = pl.read_csv(dev2_sample.KEYS_CSV, infer_schema_length=0)
    labels = pl.read_csv(DEV_SETS["dev2"], infer_schema_length=0)
    assert labels.select("corpus", "file", "key").rows() == keys.select(
        "corpus", "file", "key").rows()
    assert not set(labels["key"]) & set(dev1["key"])
    assert set(labels["corpus"]) <= set(dev1["corpus"])
    assert set(labels.select(TOPICS).unique().to_series().to_list()) <= {"0", "1"}
    texts = load_eval_set(shared_corpora, DEV_SETS["dev2"])
    assert texts.height == labels.height and texts["text"].str.len_chars().min() > 0
    again = tmp_path / "keys.csv"  # drawing again gives the same rows
    assert dev2_sample.main([str(shared_corpora), str(tmp_path / "rows.parquet"), str(again)]) == 0
    assert again.read_bytes() == dev2_sample.KEYS_CSV.read_bytes()


def test_third_dev_set_is_new_rows_again(shared_corpora, tmp_path):
    earlier = set(pl.read_csv(LABELS_CSV, infer_schema_length=0)["key"]) | set(
        pl.read_csv(dev2_sample.KEYS_CSV, infer_schema_length=0)["key"])
    keys = pl.read_csv(dev2_sample.KEYS3_CSV, infer_schema_length=0)
    labels = pl.read_csv(DEV_SETS["dev3"], infer_schema_length=0)
    assert labels.select("corpus", "file", "key").rows() == keys.select(
        "corpus", "file", "key").rows()
    assert not set(labels["key"]) & earlier
    assert load_eval_set(shared_corpora, DEV_SETS["dev3"]).height == labels.height
    again = tmp_path / "keys3.csv"
    assert dev2_sample.main([str(shared_corpora), str(tmp_path / "rows.parquet"), str(again),
                             "--set", "dev3"]) == 0
    assert again.read_bytes() == dev2_sample.KEYS3_CSV.read_bytes()


def test_second_pass_covers_60_drawn_items_and_kappa_uses_the_shared_ones():
    first = pl.read_csv(EVAL / "test_labels.csv", infer_schema_length=0)
    second = pl.read_csv(EVAL / "test_labels_second.csv", infer_schema_length=0)
    keys = pl.read_csv(EVAL / "test_keys.csv", infer_schema_length=0)
    assert second.height == 60
    assert set(second.select("corpus", "key").rows()) <= set(keys.select("corpus", "key").rows())
    shared = second.join(first, on=["corpus", "key"]).height
    assert kappa.agreement(first, second)["n"].to_list() == [shared] * len(TOPICS)


def test_cohen_kappa():
    assert kappa.cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == 1.0
    assert kappa.cohen_kappa([1, 1, 0, 0], [0, 0, 1, 1]) == -1.0
    assert kappa.cohen_kappa([0, 0], [0, 0]) is None


def test_claims_labels_keep_the_dev_split_and_add_a_held_out_one():
    from bench.claims_quality import DEV_CORPORA, HELDOUT_CORPORA, read_labels

    labels = read_labels()
    dev = [lb for lb in labels if lb.split == "dev"]
    held = [lb for lb in labels if lb.split == "heldout"]
    assert len(dev) == 61 and sum(len(lb.claims) for lb in dev) == 30
    assert held and len(dev) + len(held) == len(labels)
    assert {lb.corpus for lb in dev} <= set(DEV_CORPORA)
    assert {lb.corpus for lb in held} <= set(HELDOUT_CORPORA)
    assert len({lb.hash for lb in labels}) == len(labels)  # no sentence in both splits


def test_claims_labels_are_exactly_the_draw_and_resolve_to_their_sentences(shared_corpora):
    from bench.claims_quality import (
        draw_splits,
        labelled_docs,
        read_labels,
        sentence_hash,
        sentences,
    )

    labels = read_labels()
    drawn = draw_splits(shared_corpora)
    for split, rows in drawn.items():
        want = {(c, k, i, h, st) for c, k, i, h, st, _ in rows}
        got = {(lb.corpus, lb.key, lb.index, lb.hash, lb.stratum)
               for lb in labels if lb.split == split}
        assert got == want, split
    docs = labelled_docs(shared_corpora, labels)
    for lb in labels:
        assert sentence_hash(sentences(docs[(lb.corpus, lb.key)])[lb.index]) == lb.hash

"""Near-duplicate articles (a wire story lightly edited, re-headlined, updated) by MinHash.

Each text becomes a set of word 3-shingles (polars), a MinHash signature (numpy, fixed
seed), and LSH bands propose candidate pairs; a pair is a near duplicate when the share
of equal signature slots (an estimate of the shingle-set Jaccard similarity) reaches
``threshold``. Groups are closed transitively and the earliest article of a group is its
canonical; every other member gets ``duplicate_of`` = that article.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from analytics.ingest.normalize import text_key

_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_CHUNK_SHINGLES = 32_768
_EMPTY = np.iinfo(np.uint64).max


def shingle_hashes(texts: pl.Series, *, size: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(doc index, UInt64 hash) of every word ``size``-gram, grouped by document.

    Word hashes come from polars; a shingle's hash mixes its words' hashes with wrapping
    multiplication in numpy (no string building). A text shorter than ``size`` words
    uses its words as shingles, so it still gets a signature.
    """
    words = (
        pl.DataFrame({"t": texts})
        .with_row_index("doc")
        .select("doc", w=text_key(pl.col("t").fill_null("")).str.split(" "))
        .explode("w")
        .filter(pl.col("w").is_not_null() & (pl.col("w") != ""))
        .select("doc", h=pl.col("w").hash(seed=7))
    )
    doc = words["doc"].to_numpy().astype(np.int64)
    h = words["h"].to_numpy()
    if len(doc) < size:
        return doc, h
    n = len(doc) - size + 1
    mixed = h[:n] * _MIX[0]
    whole = np.ones(n, dtype=bool)
    for k in range(1, size):
        mixed = (mixed ^ (h[k : k + n] * _MIX[k % 3])) * _MIX[0]  # uint64 arithmetic wraps
        whole &= doc[k : k + n] == doc[:n]
    shingle_doc, shingle_h = doc[:n][whole], mixed[whole]
    short = np.setdiff1d(np.unique(doc), np.unique(shingle_doc), assume_unique=True)
    if len(short):
        keep = np.isin(doc, short)
        shingle_doc = np.concatenate([shingle_doc, doc[keep]])
        shingle_h = np.concatenate([shingle_h, h[keep]])
        order = np.argsort(shingle_doc, kind="stable")
        shingle_doc, shingle_h = shingle_doc[order], shingle_h[order]
    return shingle_doc, shingle_h


def minhash(texts: pl.Series, *, num_perm: int = 64, seed: int = 0) -> np.ndarray:
    """MinHash signatures, shape (len(texts), num_perm); texts without words get all-max.

    Each permutation is a multiply-add-shift hash ``((a * x + b) mod 2**64) >> 32`` of
    the shingle's low 32 bits (a odd, a and b random 64-bit values fixed by ``seed``;
    numpy's uint64 arithmetic wraps, which is the mod): cheap and universal.
    """
    n = len(texts)
    sig = np.full((n, num_perm), _EMPTY, dtype=np.uint64)
    docs, hashes = shingle_hashes(texts)
    if len(docs) == 0:
        return sig
    rng = np.random.default_rng(seed)
    top = np.iinfo(np.uint64).max
    a = (rng.integers(0, top, size=num_perm, dtype=np.uint64, endpoint=True)
         | np.uint64(1))[:, None]
    b = rng.integers(0, top, size=num_perm, dtype=np.uint64, endpoint=True)[:, None]
    x = hashes & np.uint64(0xFFFFFFFF)
    starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    ends = np.r_[starts[1:], len(docs)]
    buf = np.empty((num_perm, _CHUNK_SHINGLES), dtype=np.uint64)
    lo = 0
    while lo < len(starts):
        # A chunk ends on a document boundary so reduceat never mixes two documents; one
        # reused buffer keeps the work in cache instead of allocating per chunk.
        hi = max(lo + 1, int(np.searchsorted(ends, starts[lo] + _CHUNK_SHINGLES, "right")))
        s0, s1 = starts[lo], ends[hi - 1]
        if s1 - s0 > buf.shape[1]:
            buf = np.empty((num_perm, s1 - s0), dtype=np.uint64)
        block = buf[:, : s1 - s0]
        np.multiply(a, x[None, s0:s1], out=block)
        np.add(block, b, out=block)
        np.right_shift(block, np.uint64(32), out=block)
        sig[docs[starts[lo:hi]]] = np.minimum.reduceat(block, starts[lo:hi] - s0, axis=1).T
        lo = hi
    return sig


def candidate_pairs(sig: np.ndarray, *, bands: int = 16, max_bucket: int = 200) -> np.ndarray:
    """Index pairs (i < j) that share at least one LSH band; shape (k, 2), sorted."""
    n, num_perm = sig.shape
    rows = num_perm // bands
    frames = []
    for band in range(bands):
        part = sig[:, band * rows : (band + 1) * rows]
        key = np.zeros(n, dtype=np.uint64)
        for r in range(rows):
            key = (key ^ part[:, r]) * _MIX[1]
        df = pl.DataFrame({"k": key, "i": np.arange(n, dtype=np.int64)})
        # Huge buckets are boilerplate ("Good evening, great people..."), not copies.
        sizes = df.group_by("k").agg(pl.len().alias("m")).filter(
            (pl.col("m") > 1) & (pl.col("m") <= max_bucket)
        )
        members = df.join(sizes.select("k"), on="k")
        frames.append(
            members.join(members, on="k", suffix="_j").filter(pl.col("i") < pl.col("i_j"))
            .select("i", j="i_j")
        )
    pairs = pl.concat(frames).unique().sort("i", "j")
    return pairs.to_numpy().reshape(-1, 2).astype(np.int64)


def similar_pairs(texts: pl.Series, *, threshold: float = 0.6, num_perm: int = 64,
                  bands: int = 16, seed: int = 0) -> pl.DataFrame:
    """Row-index pairs ``i, j`` (i < j) with estimated Jaccard >= ``threshold``, and ``sim``."""
    sig = minhash(texts, num_perm=num_perm, seed=seed)
    empty = sig[:, 0] == _EMPTY
    cand = candidate_pairs(sig, bands=bands)
    cand = cand[~(empty[cand[:, 0]] | empty[cand[:, 1]])]
    sim = (sig[cand[:, 0]] == sig[cand[:, 1]]).mean(axis=1) if len(cand) else np.empty(0)
    keep = sim >= threshold
    return pl.DataFrame({"i": cand[keep, 0], "j": cand[keep, 1], "sim": sim[keep]},
                        schema={"i": pl.Int64, "j": pl.Int64, "sim": pl.Float64})


def _roots(n: int, pairs: pl.DataFrame) -> np.ndarray:
    """For each row, the lowest row index of its group (groups closed transitively)."""
    if pairs.is_empty():
        return np.arange(n)
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    graph = sp.coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    lowest = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(lowest, labels, np.arange(n))
    return lowest[labels]


def _pairs_in_window(pool: pl.DataFrame, *, threshold: float, seed: int, window_days: int,
                     chunk: int) -> pl.DataFrame:
    """Similar pairs (pool row indices, i < j) published at most ``window_days`` apart.

    The pool is walked in publication order, ``chunk`` rows at a time, each chunk with the
    rows of the ``window_days`` before it: every pair inside the window shares a chunk, and
    memory stays bounded by the chunk, whatever the size of the pool.
    """
    order = pool.select(pl.arg_sort_by("published_at", "article_id")).to_series().to_numpy()
    secs = pool["published_at"].dt.epoch("s").to_numpy()
    when = secs[order]
    window = np.int64(window_days * 86_400)
    frames = []
    for lo in range(0, len(order), chunk):
        hi = min(lo + chunk, len(order))
        start = int(np.searchsorted(when, when[lo] - window, "left"))
        rows = order[start:hi]
        pairs = similar_pairs(pool["text"].gather(rows), threshold=threshold, seed=seed)
        # Only pairs with a row of this chunk: pairs inside the look-back were found before.
        pairs = pairs.filter(pl.col("j") >= lo - start)
        i, j = rows[pairs["i"].to_numpy()], rows[pairs["j"].to_numpy()]
        frames.append(pl.DataFrame({"i": np.minimum(i, j), "j": np.maximum(i, j),
                                    "sim": pairs["sim"]}))
    pairs = pl.concat(frames).unique(["i", "j"]) if frames else pl.DataFrame(
        schema={"i": pl.Int64, "j": pl.Int64, "sim": pl.Float64})
    gap = np.abs(secs[pairs["i"].to_numpy()] - secs[pairs["j"].to_numpy()])
    return pairs.filter(pl.Series(gap <= window)).sort("i", "j")


def mark_near_duplicates(
    articles: pl.DataFrame, known: pl.DataFrame | None = None, *, threshold: float = 0.65,
    seed: int = 0, window_days: int | None = None, chunk: int = 50_000,
) -> pl.DataFrame:
    """Set ``duplicate_of`` on near duplicates in ``articles``; no row added or dropped.

    Needs ``article_id``, ``published_at``, ``text``, ``duplicate_of``. ``known`` rows
    (already stored canonical articles, same columns) can be the canonical of a new
    article but are never marked themselves. Rows already marked keep their mark; in a
    group the known article, else the earliest (then lowest id), is canonical. With
    ``window_days``, only articles published at most that many days apart are compared
    (in chunks of ``chunk`` rows, so memory does not grow with the store).
    """
    cols = ["article_id", "published_at", "text"]
    if known is None:
        known = articles.select(cols).clear()
    known = known.select(cols)
    if articles.is_empty() or articles.height + known.height < 2:
        return articles
    new = articles.with_row_index("_row").sort("published_at", "article_id")
    pool = pl.concat([known.sort("published_at", "article_id"), new.select(cols)])
    if window_days is None:
        pairs = similar_pairs(pool["text"], threshold=threshold, seed=seed)
    else:
        pairs = _pairs_in_window(pool, threshold=threshold, seed=seed,
                                 window_days=window_days, chunk=chunk)
    pairs = pairs.filter(pl.col("j") >= known.height)  # only pairs that touch a new row
    roots = _roots(pool.height, pairs)
    ids = pool["article_id"].to_numpy()
    mine = np.arange(known.height, pool.height)
    canon = ids[roots[mine]].astype(object)  # each new row's canonical id...
    canon[roots[mine] == mine] = None  # ...null where it is canonical itself
    marked = new.with_columns(pl.Series("_canon", canon.tolist(), dtype=pl.String)).with_columns(
        duplicate_of=pl.coalesce("duplicate_of", "_canon")
    )
    return marked.sort("_row").drop("_row", "_canon")

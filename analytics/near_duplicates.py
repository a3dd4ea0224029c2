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

from analytics.normalize import text_key

_MERSENNE = np.uint64((1 << 61) - 1)
_LOW32 = np.uint64(0xFFFFFFFF)
_CHUNK_SHINGLES = 32_768


def shingle_hashes(texts: pl.Series, *, size: int = 3) -> pl.DataFrame:
    """``doc`` (row index), ``h`` (UInt64 hash of each distinct word ``size``-gram)."""
    words = (
        pl.DataFrame({"t": texts})
        .with_row_index("doc")
        .select("doc", w=text_key(pl.col("t").fill_null("")).str.split(" "))
        .explode("w")
        .filter(pl.col("w").is_not_null() & (pl.col("w") != ""))
    )
    doc = pl.col("doc")
    grams = [pl.col("w")] + [pl.col("w").shift(-k) for k in range(1, size)]
    whole = pl.all_horizontal([doc.shift(-k) == doc for k in range(1, size)])
    shingles = words.select(
        "doc", s=pl.when(whole).then(pl.concat_str(grams, separator=" ")).otherwise(None)
    ).drop_nulls()
    # Short texts have no full shingle: their words stand in, so they still get a signature.
    short = words.join(shingles.select("doc").unique(), on="doc", how="anti")
    shingles = pl.concat([shingles, short.select("doc", s="w")])
    return shingles.select("doc", h=pl.col("s").hash(seed=7)).unique().sort("doc", "h")


def minhash(texts: pl.Series, *, num_perm: int = 64, seed: int = 0) -> np.ndarray:
    """MinHash signatures, shape (len(texts), num_perm); empty texts get all-max rows."""
    n = len(texts)
    sig = np.full((n, num_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
    if n == 0:
        return sig
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 1 << 32, size=num_perm, dtype=np.uint64)[:, None]
    b = rng.integers(0, 1 << 32, size=num_perm, dtype=np.uint64)[:, None]
    sh = shingle_hashes(texts)
    docs = sh["doc"].to_numpy()
    if len(docs) == 0:
        return sig
    hashes = sh["h"].to_numpy() & _LOW32  # 32-bit values keep a*x+b inside uint64
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
        np.multiply(a, hashes[None, s0:s1], out=block)
        np.add(block, b, out=block)
        np.remainder(block, _MERSENNE, out=block)
        sig[docs[starts[lo:hi]]] = np.minimum.reduceat(block, starts[lo:hi] - s0, axis=1).T
        lo = hi
    return sig


def candidate_pairs(sig: np.ndarray, *, bands: int = 16, max_bucket: int = 200) -> np.ndarray:
    """Index pairs (i < j) that share at least one LSH band; shape (k, 2)."""
    n, num_perm = sig.shape
    rows = num_perm // bands
    pairs = []
    for band in range(bands):
        part = np.ascontiguousarray(sig[:, band * rows : (band + 1) * rows])
        keys = part.view(np.dtype((np.void, part.dtype.itemsize * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        cut = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True])
        for lo, hi in zip(cut[:-1], cut[1:], strict=True):
            # Huge buckets are boilerplate ("Good evening, great people..."), not copies.
            if 1 < hi - lo <= max_bucket:
                members = np.sort(order[lo:hi])
                ii, jj = np.triu_indices(len(members), k=1)
                pairs.append(np.column_stack([members[ii], members[jj]]))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.vstack(pairs), axis=0)


def similar_pairs(texts: pl.Series, *, threshold: float = 0.6, num_perm: int = 64,
                  bands: int = 16, seed: int = 0) -> pl.DataFrame:
    """Row-index pairs ``i, j`` (i < j) with estimated Jaccard >= ``threshold``, and ``sim``."""
    sig = minhash(texts, num_perm=num_perm, seed=seed)
    empty = sig[:, 0] == np.iinfo(np.uint64).max
    cand = candidate_pairs(sig, bands=bands)
    cand = cand[~(empty[cand[:, 0]] | empty[cand[:, 1]])]
    sim = (sig[cand[:, 0]] == sig[cand[:, 1]]).mean(axis=1) if len(cand) else np.empty(0)
    keep = sim >= threshold
    return pl.DataFrame({"i": cand[keep, 0], "j": cand[keep, 1], "sim": sim[keep]},
                        schema={"i": pl.Int64, "j": pl.Int64, "sim": pl.Float64})


def _roots(n: int, pairs: pl.DataFrame) -> np.ndarray:
    parent = np.arange(n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs.select("i", "j").iter_rows():
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)  # the earlier row (lower index) stays root
    return np.array([find(x) for x in range(n)])


def mark_near_duplicates(
    articles: pl.DataFrame, known: pl.DataFrame | None = None, *, threshold: float = 0.65,
    seed: int = 0,
) -> pl.DataFrame:
    """Set ``duplicate_of`` on near duplicates in ``articles``; no row added or dropped.

    Needs ``article_id``, ``published_at``, ``text``, ``duplicate_of``. ``known`` rows
    (already stored canonical articles, same columns) can be the canonical of a new
    article but are never marked themselves. Rows already marked keep their mark; in a
    group the known article, else the earliest (then lowest id), is canonical.
    """
    cols = ["article_id", "published_at", "text"]
    if known is None:
        known = articles.select(cols).clear()
    known = known.select(cols)
    if articles.is_empty() or articles.height + known.height < 2:
        return articles
    new = articles.with_row_index("_row").sort("published_at", "article_id")
    pool = pl.concat([known.sort("published_at", "article_id"), new.select(cols)])
    pairs = similar_pairs(pool["text"], threshold=threshold, seed=seed)
    pairs = pairs.filter(pl.col("j") >= known.height)  # only pairs that touch a new row
    roots = _roots(pool.height, pairs)
    ids = pool["article_id"].to_numpy()
    mine = np.arange(known.height, pool.height)
    canon = np.where(roots[mine] == mine, None, ids[roots[mine]])
    marked = new.with_columns(pl.Series("_canon", canon.tolist(), dtype=pl.String)).with_columns(
        duplicate_of=pl.coalesce("duplicate_of", "_canon")
    )
    return marked.sort("_row").drop("_row", "_canon")

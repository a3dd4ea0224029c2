"""The theme model: a scikit-learn estimator that clusters texts into themes.

TF-IDF (sublinear tf, unigrams + bigrams, English stop words, letter-only tokens) → NMF
initialisation → spherical k-means refinement (cosine reassignment to theme centroids in
TF-IDF space). Terms are counted by ``TermCounter``, a polars re-implementation of
scikit-learn's ``CountVectorizer`` with the same output (a test checks this): it is 3–5x
faster, which is what lets 188k articles fit in seconds.

Describing a theme: ``top_terms_`` are single words of 3+ letters, each in one theme's
list only (the theme where its weight most exceeds its mean weight in the other themes,
measured on the theme's core members), chosen greedily for contrast and document
co-occurrence (``coherent_terms``); the label comes from c-TF-IDF terms, each grown to the
phrase it belongs to in the theme ("west" -> "west bank", ``analytics.themes.labels``).

Choosing k (``n_themes="auto"``): on a sample (by text hash, ``stable_sample``) of at most
``auto_sample`` texts, each k of a grid in ``[min_themes, max_themes]`` gets one quick
fit, scored by topic quality = coherence (size-weighted document-co-occurrence NPMI of
each theme's top-10 centroid terms) x diversity (distinct share of those terms)
(``select_k``). Quality keeps creeping up as themes get finer, so the highest score is not
the answer (it picked BBC 22, AG 27); auto takes the *elbow* of the curve, the k after
which more themes add little quality (Kneedle, ``elbow``). Validated in
bench/README_themes.md (``--auto``): on BBC it picks 5 (the 5 labelled classes), which is
also where themes stop being stable across subsamples; on AG it picks about 10 (4 classes,
but two of AG's raw themes are HTML markup; NMI vs labels is higher at 6-10 than at 4).
The cost is the same quick fits as before, bounded by ``auto_sample`` whatever the corpus
size.

Scale: above ``fit_sample`` texts, vocabulary, IDF, themes and their descriptions are
learned on a sample of that many texts (by text hash, so it changes little as the corpus
grows); then every text is vectorised and assigned in chunks of ``chunk_size``, so the
full TF-IDF matrix is never held at once (a million news items: 64-112 s and 2.3-2.4 GB
peak on 2 shared cores, bench/README_themes.md). Below ``fit_sample`` texts nothing
changes.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfTransformer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from analytics.themes.labels import whole_terms

# Words of two or more letters; tokens with digits or underscores are dropped whole.
TOKEN_PATTERN = r"\b[^\W\d_][^\W\d_]+\b"
# News boilerplate that would otherwise top every theme ("said", "mr", "bn").
NEWS_STOP_WORDS = frozenset(
    ["said", "says", "say", "told", "mr", "mrs", "ms", "dr", "bn", "mn", "km"]
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | NEWS_STOP_WORDS
# Version of ``ThemeModel.to_state``'s layout; ``from_state`` refuses any other.
STATE_VERSION = 1


class TermCounter(BaseEstimator):
    """Document-term counts, equal to ``CountVectorizer(lowercase=True,
    token_pattern=TOKEN_PATTERN, stop_words=..., ngram_range=(1, ngram_max), min_df, max_df)``.

    Tokenising, stop-word removal and n-gram keys run in polars; counting in scipy.
    """

    def __init__(self, *, ngram_max=2, min_df=2, max_df=0.5, stop_words=None):
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_df = max_df
        self.stop_words = stop_words

    def _stop_list(self) -> list[str]:
        return sorted(STOP_WORDS if self.stop_words is None else self.stop_words)

    def _tokens(self, texts: Sequence[str]) -> pl.DataFrame:
        stop = self._stop_list()
        return (
            pl.DataFrame({"text": pl.Series(list(texts), dtype=pl.String)})
            .with_row_index("doc")
            .select("doc", word=pl.col("text").fill_null("").str.to_lowercase()
                    .str.extract_all(TOKEN_PATTERN))
            .explode("word")
            .drop_nulls("word")
            .filter(~pl.col("word").is_in(stop))
        )

    def _keys(self, tokens: pl.DataFrame, n_words: int) -> pl.DataFrame:
        """(doc, key): a unigram's key is its word id w; a bigram's is n + w1 * n + w2."""
        uni = tokens.select("doc", key=pl.col("wid").cast(pl.Int64))
        if self.ngram_max < 2:
            return uni
        bi = (
            uni.select("doc", key=n_words + pl.col("key") * n_words + pl.col("key").shift(-1),
                       next_doc=pl.col("doc").shift(-1))
            .filter(pl.col("doc") == pl.col("next_doc"), pl.col("key").is_not_null())
            .drop("next_doc")
        )
        return pl.concat([uni, bi])

    def fit(self, texts, y=None):
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts, y=None) -> sp.csr_matrix:
        if self.ngram_max not in (1, 2):
            raise ValueError(f"ngram_max must be 1 or 2, got {self.ngram_max!r}")
        n_docs = len(texts)
        tokens = self._tokens(texts)
        words = tokens.select(pl.col("word").unique().sort()).with_row_index("wid")
        tokens = tokens.join(words, on="word", how="left", maintain_order="left")
        keys = self._keys(tokens, words.height)
        # Dense rank compacts the sparse key space into column numbers in one sort.
        col = keys.get_column("key").rank("dense").cast(pl.Int64).to_numpy() - 1
        n_cols = int(col.max()) + 1 if len(col) else 0
        key_of_col = np.empty(n_cols, dtype=np.int64)
        key_of_col[col] = keys.get_column("key").to_numpy()
        counts = _csr(keys.get_column("doc").to_numpy(), col, (n_docs, n_cols))
        df = np.bincount(counts.indices, minlength=n_cols)
        low = self.min_df if isinstance(self.min_df, int) else np.ceil(self.min_df * n_docs)
        high = self.max_df * n_docs if isinstance(self.max_df, float) else self.max_df
        keep = np.flatnonzero((df >= low) & (df <= high))
        names = _key_names(key_of_col[keep], words.get_column("word").to_numpy())
        order = np.argsort(names, kind="stable")
        self.words_ = words
        self.term_keys_ = pl.DataFrame(
            {"key": key_of_col[keep][order], "col": np.arange(len(keep), dtype=np.int64)}
        )
        self.feature_names_ = names[order]
        return counts[:, keep[order]].tocsr()

    def transform(self, texts) -> sp.csr_matrix:
        check_is_fitted(self, "term_keys_")
        tokens = self._tokens(texts).join(self.words_, on="word", how="left",
                                          maintain_order="left")
        keys = self._keys(tokens, self.words_.height).drop_nulls("key")
        hits = keys.join(self.term_keys_, on="key", how="inner")
        return _csr(hits.get_column("doc").to_numpy(), hits.get_column("col").to_numpy(),
                    (len(texts), self.term_keys_.height))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "feature_names_")
        return self.feature_names_

    @property
    def feature_names_(self) -> np.ndarray:
        """The name of each column ("word", "word word"). A counter loaded by
        ``from_state`` builds them on first use: placing new articles into a stored fit
        never reads them (300k names on the RSS stream, half a loaded fit's time)."""
        names = getattr(self, "_feature_names", None)
        if names is None:  # AttributeError (so hasattr is False) while not fitted
            names = _key_names(self.term_keys_["key"].to_numpy(),
                               self.words_["word"].to_numpy())
            self._feature_names = names
        return names

    @feature_names_.setter
    def feature_names_(self, names: np.ndarray) -> None:
        self._feature_names = names

    def to_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """The fitted counter as arrays and JSON-ready data, for ``from_state``."""
        check_is_fitted(self, "term_keys_")
        params = {**self.get_params(), "stop_words": None if self.stop_words is None
                  else sorted(self.stop_words)}
        meta = {"params": params, "token_pattern": TOKEN_PATTERN,
                "stop_words": self._stop_list(), "words": self.words_["word"].to_list()}
        return {"term_keys": self.term_keys_["key"].to_numpy()}, meta

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict) -> TermCounter:
        """The counter ``to_state`` described; ValueError if this code tokenises differently
        (its stored terms would no longer be found)."""
        counter = cls(**meta["params"])
        if meta["token_pattern"] != TOKEN_PATTERN or meta["stop_words"] != counter._stop_list():
            raise ValueError("the tokenizer (token pattern or stop words) changed since the fit")
        words = meta["words"]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError("words: expected a list of strings")
        keys = arrays["term_keys"]
        n = len(words)
        if keys.dtype != np.int64 or keys.ndim != 1 or (
                len(keys) and (keys.min() < 0 or keys.max() >= n * (n + 1))):
            raise ValueError("term_keys: expected int64 keys of the stored words")
        counter.words_ = pl.DataFrame({"word": pl.Series(words, dtype=pl.String)}
                                      ).with_row_index("wid")
        counter.term_keys_ = pl.DataFrame({"key": keys,
                                           "col": np.arange(len(keys), dtype=np.int64)})
        return counter  # its feature_names_ are built from term_keys_ and words_ when read


def _csr(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    data = np.ones(len(rows), dtype=np.float32)
    m = sp.csr_matrix((data, (rows.astype(np.int64), cols.astype(np.int64))), shape=shape)
    m.sum_duplicates()
    return m


def _key_names(keys: np.ndarray, words: np.ndarray) -> np.ndarray:
    n = len(words)
    names = np.empty(len(keys), dtype=object)
    uni = keys < n
    names[uni] = words[keys[uni]]
    pair = keys[~uni] - n
    names[~uni] = [f"{a} {b}" for a, b in zip(words[pair // n], words[pair % n], strict=True)]
    return names.astype(str)


def spherical_kmeans(x, labels, n_clusters, *, max_iter=20, tol=1e-3):
    """Reassign rows of L2-normalised ``x`` to the nearest centroid by cosine until fewer
    than ``tol`` of them move; returns (labels, centroids as a dense k x terms array)."""
    for _ in range(max_iter):
        centroids = _centroids(x, labels, n_clusters)
        new = np.asarray(x @ centroids.T).argmax(axis=1)
        moved = np.mean(new != labels)
        labels = new
        if moved < tol:
            break
    return labels, _centroids(x, labels, n_clusters)


def _centroids(x, labels, n_clusters) -> np.ndarray:
    member = sp.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
        shape=(n_clusters, x.shape[0]),
    )
    return normalize(sp.csr_matrix(member @ x)).toarray().astype(np.float32)


def class_counts(counts: sp.csr_matrix, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """How often each term occurs in each theme's texts (a dense themes x terms array)."""
    member = sp.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
        shape=(n_clusters, counts.shape[0]),
    )
    return (member @ counts).toarray()


def class_tfidf(counts: sp.csr_matrix, labels: np.ndarray, n_clusters: int, *,
                tf: np.ndarray | None = None) -> np.ndarray:
    """c-TF-IDF (BERTopic): each theme's documents as one document; tf per theme times
    log(1 + mean words per theme / the term's frequency over all themes). ``tf``: the
    ``class_counts`` when already at hand."""
    if tf is None:
        tf = class_counts(counts, labels, n_clusters)
    freq = tf.sum(axis=0)
    idf = np.log1p(tf.sum() / max(n_clusters, 1) / np.maximum(freq, 1))
    return normalize(tf, norm="l1") * idf


def top_terms(weights: np.ndarray, names: np.ndarray, n: int) -> list[list[tuple[str, float]]]:
    """Top ``n`` terms per row, skipping a term whose words all appear in better terms
    (so "defence" does not follow "air defence")."""
    out = []
    for row in weights:
        picked: list[tuple[str, float]] = []
        seen: set[str] = set()
        for j in np.argsort(-row, kind="stable"):
            if row[j] <= 0 or len(picked) == n:
                break
            words = set(names[j].split())
            if words <= seen:
                continue
            seen |= words
            picked.append((str(names[j]), float(row[j])))
        out.append(picked)
    return out


def exclusive(weights: np.ndarray) -> np.ndarray:
    """Keep each term's weight only in the theme where it is highest (others get -inf), so
    a word describes one theme and the themes' term lists do not repeat each other."""
    if weights.shape[0] == 0:
        return weights
    best = weights.argmax(axis=0)
    return np.where(np.arange(weights.shape[0])[:, None] == best[None, :], weights, -np.inf)


def contrast(centroids: np.ndarray) -> np.ndarray:
    """A term's centroid weight in a theme minus its mean weight in the other themes."""
    k = centroids.shape[0]
    if k < 2:
        return centroids
    return centroids - (centroids.sum(axis=0, keepdims=True) - centroids) / (k - 1)


def coherent_terms(scores: np.ndarray, present: sp.csc_matrix, n: int, *, pool: int = 30,
                   rank_weight: float = 1.0) -> list[list[int]]:
    """Per theme (row of ``scores``), ``n`` term columns chosen greedily among its ``pool``
    best-scored ones: the best first, then each time the term with the highest mean NPMI
    (document co-occurrence in ``present``, a binary texts x terms matrix) with the terms
    already chosen, plus ``rank_weight`` x its score relative to the best. Words that
    appear together in articles read as one subject; a high-scoring word that rarely meets
    the others (a name from one story) drops down the list. ``rank_weight`` 1.0 (was 0.5):
    with less pull from co-occurrence, one different early pick no longer steers the whole
    list towards another sub-subject, so lists hold across subsamples (BBC .771 -> .892
    Jaccard over 90% subsamples) at the same coherence (bench/README_themes.md)."""
    out = []
    for row in scores:
        cand = np.argsort(-row, kind="stable")[:pool]
        cand = cand[np.isfinite(row[cand]) & (row[cand] > 0)]
        if len(cand) <= 1:
            out.append([int(c) for c in cand])
            continue
        npmi = _npmi(present, cand)
        rel = row[cand] / row[cand[0]]
        chosen, rest = [0], list(range(1, len(cand)))
        while rest and len(chosen) < n:
            gain = npmi[np.ix_(rest, chosen)].mean(axis=1) + rank_weight * rel[rest]
            chosen.append(rest.pop(int(np.argmax(gain))))
        out.append([int(cand[i]) for i in chosen])
    return out


def _npmi(present: sp.csc_matrix, cols: np.ndarray) -> np.ndarray:
    """NPMI of every pair of the term columns ``cols``, by document co-occurrence in
    ``present`` (binary texts x terms); the diagonal pairs a term with itself."""
    n_docs = max(present.shape[0], 1)
    sub = present[:, cols]
    both = (sub.T @ sub).toarray().astype(np.float64) / n_docs
    p = np.diag(both).copy()
    joint = both + 1e-12
    return np.log(joint / np.maximum(np.outer(p, p), 1e-24)) / -np.log(joint)


def match_term_sets(a: list[list[str]], b: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian matching of two lists of term lists by Jaccard; returns (pairs, jaccard)."""
    if not a or not b:
        return np.empty((0, 2), dtype=int), np.empty(0)
    sim = np.array([[len(set(x) & set(y)) / max(len(set(x) | set(y)), 1) for y in b] for x in a])
    rows, cols = linear_sum_assignment(-sim)
    return np.column_stack([rows, cols]), sim[rows, cols]


class NotEnoughData(ValueError):
    """The texts cannot be split into themes; the message says why, for a status line."""


class ThemeModel(TransformerMixin, BaseEstimator):
    """Cluster texts into themes.

    ``n_themes`` is an int, or "auto": the k in ``[min_themes, max_themes]`` (and at most
    one theme per ``min_theme_size`` usable texts) at the elbow of the coherence x
    diversity curve on a sample of ``auto_sample`` texts (``select_k``, ``elbow``);
    ``k_scores_`` holds the curve. ``transform`` returns each text's
    cosine similarity to each theme centroid (n_texts x n_themes_); ``predict`` the best
    theme, or -1 (outlier) for a text with no known term or a best similarity below
    ``outlier_threshold`` x that theme's median member similarity (relative, so short
    texts with low similarities everywhere are not all outliers). Above ``max_fit_docs``
    texts the NMF initialisation runs on a random sample; every text still takes part in
    the refinement and gets a theme. Above ``fit_sample`` texts the whole fit (terms, IDF,
    themes, top terms) runs on a sample of that size (by text hash) and the other texts are
    assigned in chunks of ``chunk_size``; ``labels_`` and the returned similarities still
    cover every text.

    Learned: ``counter_``, ``tfidf_``, ``centroids_``, ``n_themes_``, ``labels_``,
    ``typical_similarity_``, ``top_terms_`` (per theme, best first, single words),
    ``top_term_weights_`` (contrast weights), ``label_terms_`` (c-TF-IDF, may hold
    phrases), ``k_scores_``. ``to_state`` and ``from_state`` keep a fit as plain data.
    """

    def __init__(self, n_themes="auto", *, min_themes=2, max_themes=30, min_theme_size=5,
                 auto_sample=2_000, ngram_max=2, min_df=2, max_df=0.5, max_fit_docs=5_000,
                 nmf_max_iter=200, refine_iter=20, outlier_threshold=0.25, n_top_terms=10,
                 fit_sample=200_000, chunk_size=100_000, random_state=0):
        self.n_themes = n_themes
        self.min_themes = min_themes
        self.max_themes = max_themes
        self.min_theme_size = min_theme_size
        self.auto_sample = auto_sample
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_df = max_df
        self.max_fit_docs = max_fit_docs
        self.nmf_max_iter = nmf_max_iter
        self.refine_iter = refine_iter
        self.outlier_threshold = outlier_threshold
        self.n_top_terms = n_top_terms
        self.fit_sample = fit_sample
        self.chunk_size = chunk_size
        self.random_state = random_state

    def fit(self, texts, y=None):
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts, y=None) -> np.ndarray:
        texts = list(texts)
        if len(texts) <= self.fit_sample:
            return self._fit(texts)
        # Learn on a sample, then assign every text in chunks: the full TF-IDF matrix of a
        # million texts is never held at once.
        rows = stable_sample(text_keys(texts, self.random_state), self.fit_sample)
        fitted = self._fit([texts[i] for i in rows])
        sims = np.empty((len(texts), self.n_themes_), dtype=fitted.dtype)
        labels = np.empty(len(texts), dtype=self.labels_.dtype)
        sims[rows], labels[rows] = fitted, self.labels_
        del fitted
        rest = np.setdiff1d(np.arange(len(texts)), rows)
        for start in range(0, len(rest), self.chunk_size):
            chunk = rest[start:start + self.chunk_size]
            x = self._vectorize([texts[i] for i in chunk])
            sims[chunk] = x @ self.centroids_.T
            labels[chunk] = self._labels(sims[chunk], x)
        self.labels_: np.ndarray = labels
        return sims

    def _vectorize(self, texts) -> sp.csr_matrix:
        return self.tfidf_.transform(self.counter_.transform(texts)).astype(np.float32)

    def _fit(self, texts: list) -> np.ndarray:
        self.counter_ = TermCounter(ngram_max=self.ngram_max, min_df=self.min_df,
                                    max_df=self.max_df)
        try:
            counts = self.counter_.fit_transform(texts)
        except ValueError as exc:  # min_df/max_df leave nothing on tiny or uniform corpora
            raise NotEnoughData(f"no usable terms ({exc})") from exc
        if counts.shape[1] == 0:
            self._n_themes(0, len(texts))  # raises NotEnoughData with the numbers
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        x = self.tfidf_.transform(counts).astype(np.float32)
        usable = np.flatnonzero(x.getnnz(axis=1) > 0)
        k_range = self._n_themes(len(usable), len(texts))
        rng = np.random.default_rng(self.random_state)
        keys = text_keys(texts, self.random_state)[usable]
        self.k_scores_ = {}
        if self.n_themes == "auto" and k_range[0] < k_range[1]:
            rows = usable[stable_sample(keys, self.auto_sample)]
            sample = x[rows]
            # Terms in 3+ sampled texts: enough to rank words, and NMF runs on far fewer.
            cols = np.flatnonzero(sample.getnnz(axis=0) >= 3)
            quick = functools.partial(self._cluster, max_iter=(50, 5))
            self.k_scores_ = select_k(sample[:, cols], _k_grid(*k_range), quick, rng)
            k = elbow(self.k_scores_)
        else:
            k = k_range[1]
        labels, self.centroids_ = self._cluster(x[usable], k, rng)
        present = np.unique(labels)  # refinement can empty a theme: drop it
        self.centroids_ = self.centroids_[present]
        self.n_themes_ = len(present)
        sims = np.asarray(x @ self.centroids_.T, dtype=np.float64)
        nearest = sims.argmax(axis=1)
        best = sims[np.arange(len(sims)), nearest]
        member = x.getnnz(axis=1) > 0
        self.typical_similarity_ = np.array([
            np.median(best[member & (nearest == j)]) if np.any(member & (nearest == j)) else 0.0
            for j in range(self.n_themes_)])
        self.labels_ = self._labels(sims, x)
        self._describe(x, counts, sims)
        return sims

    def _describe(self, x, counts, sims) -> None:
        """``top_terms_``: single words of 3+ letters, each in one theme's list only, picked
        for contrast and co-occurrence (``coherent_terms``); ``label_terms_``: c-TF-IDF
        terms (phrases allowed), also exclusive to one theme, each grown to its phrase in
        the theme (``labels.whole_terms``)."""
        kept = np.flatnonzero(self.labels_ >= 0)
        labels, k = self.labels_[kept], self.n_themes_
        names = self.counter_.feature_names_
        tf = class_counts(counts[kept], labels, k)
        ctfidf = exclusive(class_tfidf(counts, labels, k, tf=tf))
        # Label terms keep their phrases whole ("west" -> "west bank"), from how often
        # the theme's own texts hold each phrase.
        self.label_terms_ = whole_terms(
            [[t for t, _ in row] for row in top_terms(ctfidf, names, 6)], tf, names)
        # A theme's core (members at least as close as its median member) defines its
        # words; loosely attached members would blur them towards generic news words.
        core = kept[sims[kept, labels] >= self.typical_similarity_[labels]]
        series = pl.Series(names, dtype=pl.String)
        # Only single words compete; slicing them first keeps k x terms arrays small.
        words = np.flatnonzero(~series.str.contains(" ") & (series.str.len_chars() >= 3))
        core_centroids = _centroids(x[core][:, words], self.labels_[core], k)
        scores = exclusive(contrast(core_centroids))
        pool = 30
        pos = np.unique(np.argsort(-scores, axis=1, kind="stable")[:, :pool])
        scores, union = scores[:, pos], words[pos]
        # Columns first: a row subset of the full count matrix would copy all of it.
        present = (counts[:, union][kept] > 0).astype(np.float32).tocsc()
        chosen = coherent_terms(scores, present, self.n_top_terms, pool=pool)
        self.top_terms_ = [[str(names[union[j]]) for j in row] for row in chosen]
        self.top_term_weights_ = [[float(scores[t, j]) for j in row]
                                  for t, row in enumerate(chosen)]

    def _n_themes(self, n_usable: int, n_texts: int) -> tuple[int, int]:
        """The (lowest, highest) number of themes to try."""
        need = self.min_themes * self.min_theme_size
        if n_usable < need:
            raise NotEnoughData(
                f"not enough articles for themes ({n_texts} articles, {n_usable} with terms "
                f"shared by other articles; need at least {need})")
        cap = n_usable // self.min_theme_size
        if self.n_themes == "auto":
            return self.min_themes, max(self.min_themes, min(self.max_themes, cap))
        if not isinstance(self.n_themes, int | np.integer) or self.n_themes < 1:
            raise ValueError(f"n_themes must be a positive int or 'auto', got {self.n_themes!r}")
        return int(self.n_themes), min(int(self.n_themes), cap)

    def _cluster(self, x, k, rng, max_iter=None) -> tuple[np.ndarray, np.ndarray]:
        """NMF argmax on (a sample of) the rows, then spherical k-means on all of them;
        ``max_iter`` = (NMF, refinement) iterations, cut short while choosing k."""
        nmf_iter, refine_iter = max_iter or (self.nmf_max_iter, self.refine_iter)
        rows = np.arange(x.shape[0])
        if len(rows) > self.max_fit_docs:
            rows = np.sort(rng.choice(rows, self.max_fit_docs, replace=False))
        sample = x[rows]
        # NMF's cost grows with terms x k^2: seed it on terms shared by 2+ sampled texts.
        cols = np.flatnonzero(sample.getnnz(axis=0) >= min(2, len(rows)))
        nmf = NMF(k, init="nndsvda", max_iter=nmf_iter, tol=1e-3,
                  random_state=self.random_state)
        with warnings.catch_warnings():  # NMF only seeds the refinement; it need not converge
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = nmf.fit_transform(sample[:, cols]).argmax(axis=1)
        if len(rows) < x.shape[0]:
            start, _ = spherical_kmeans(sample, start, k, max_iter=refine_iter)
            start = np.asarray(x @ _centroids(sample, start, k).T).argmax(axis=1)
            # Seeded by a converged sample, a few full passes settle almost every row.
            return spherical_kmeans(x, start, k, max_iter=min(refine_iter, 4), tol=5e-3)
        return spherical_kmeans(x, start, k, max_iter=refine_iter)

    def _labels(self, sims: np.ndarray, x) -> np.ndarray:
        """The nearest theme, or -1 for a text with no known term or a similarity below
        ``outlier_threshold`` x its theme's typical (median member) similarity."""
        if not sims.shape[1]:
            return np.full(len(sims), -1)
        labels = sims.argmax(axis=1)
        best = sims[np.arange(len(sims)), labels]
        floor = self.outlier_threshold * self.typical_similarity_[labels]
        outlier = (x.getnnz(axis=1) == 0) | (best < floor)
        return np.where(outlier, -1, labels)

    def transform(self, texts) -> np.ndarray:
        check_is_fitted(self, "centroids_")
        x = self._vectorize(list(texts))
        return np.asarray(x @ self.centroids_.T, dtype=np.float64)

    def predict(self, texts) -> np.ndarray:
        check_is_fitted(self, "centroids_")
        x = self._vectorize(list(texts))
        return self._labels(np.asarray(x @ self.centroids_.T, dtype=np.float64), x)

    def to_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """The fit as plain data: numeric arrays (for an ``.npz``) and JSON-ready
        parameters, vocabulary and descriptions. Everything but ``labels_`` (one per fitted
        text), which ``transform`` and ``predict`` do not use."""
        check_is_fitted(self, "centroids_")
        arrays, counter = self.counter_.to_state()
        arrays = {**arrays, "idf": self.tfidf_.idf_, "centroids": self.centroids_,
                  "typical_similarity": self.typical_similarity_}
        meta = {
            "version": STATE_VERSION,
            "params": {k: _plain(v) for k, v in self.get_params().items()},
            "counter": counter,
            "tfidf": self.tfidf_.get_params(),
            "n_themes": self.n_themes_,
            "top_terms": self.top_terms_,
            "top_term_weights": self.top_term_weights_,
            "label_terms": self.label_terms_,
            "k_scores": [[k, q] for k, q in self.k_scores_.items()],
        }
        return arrays, meta

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict) -> ThemeModel:
        """The model ``to_state`` described, with the same ``transform`` and ``predict``.
        Raises ValueError (or KeyError, TypeError) for a state of another version or one
        whose parts do not fit together."""
        if meta["version"] != STATE_VERSION:
            raise ValueError(f"unknown theme model state version {meta['version']!r}")
        model = cls(**meta["params"])
        model.counter_ = TermCounter.from_state(arrays, meta["counter"])
        k, n_terms = int(meta["n_themes"]), model.counter_.term_keys_.height
        model.tfidf_ = TfidfTransformer(**meta["tfidf"])
        model.tfidf_.idf_ = _floats(arrays, "idf", (n_terms,))
        model.tfidf_.n_features_in_ = n_terms
        model.centroids_ = _floats(arrays, "centroids", (k, n_terms))
        model.typical_similarity_ = _floats(arrays, "typical_similarity", (k,))
        model.n_themes_ = k
        model.top_terms_ = meta["top_terms"]
        model.top_term_weights_ = meta["top_term_weights"]
        model.label_terms_ = meta["label_terms"]
        model.k_scores_ = {int(n): float(q) for n, q in meta["k_scores"]}
        described = (model.top_terms_, model.top_term_weights_, model.label_terms_)
        if any(len(d) != k for d in described):
            raise ValueError(f"theme descriptions do not match {k} themes")
        return model


def _plain(value):
    """A numpy scalar as the Python number JSON can hold; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def _floats(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    """``arrays[name]``, checked to be a float array of ``shape`` (its dtype is kept)."""
    a = arrays[name]
    if a.dtype.kind != "f" or a.shape != shape:
        raise ValueError(f"{name}: expected floats of shape {shape}, got {a.dtype} {a.shape}")
    return a


def text_keys(texts: Sequence[str], seed: int) -> np.ndarray:
    """A seeded 64-bit hash of each text: the order in which samples take texts."""
    return pl.Series(texts, dtype=pl.String).hash(seed=seed).to_numpy()


def stable_sample(keys: np.ndarray, n: int) -> np.ndarray:
    """Sorted positions of the ``n`` smallest ``keys`` (all of them if there are fewer).

    A sample by hash, not by random draw over positions: when the corpus grows by 1%, the
    sample changes by about 1%, so a weekly refit finds the themes it found before."""
    if len(keys) <= n:
        return np.arange(len(keys))
    return np.sort(np.argpartition(keys, n)[:n])


def _k_grid(low: int, high: int) -> list[int]:
    """Every k up to 10, then steps of about 25% (each candidate costs three quick fits)."""
    ks, k = [], low
    while k <= high:
        ks.append(k)
        k = k + 1 if k < 10 else int(k * 1.25)
    return ks if ks[-1] == high else [*ks, high]


def select_k(x, ks, cluster, rng, *, n_terms=10) -> dict:
    """Topic quality per k: coherence x diversity (Dieng, Ruiz & Blei 2020, "Topic
    modeling in embedding spaces"), both from the document-term matrix ``x`` (a sample).
    Coherence is the NPMI of each theme's top ``n_terms`` centroid terms (mean over pairs,
    document co-occurrence in ``x``) averaged with the themes' sizes as weights, so it is
    the coherence of the average text's theme (a tiny theme of boilerplate with perfectly
    co-occurring words cannot carry a split that leaves one catch-all theme); diversity is
    the share of distinct terms among all top lists. Too few themes mix subjects (low
    coherence); too many split one subject into themes that share their words (low
    diversity). Returns {k: quality}.
    """
    present = (x > 0).astype(np.float32).tocsc()
    scores = {}
    for k in ks:
        labels, centroids = cluster(x, k, rng)
        tops = [np.argsort(-c, kind="stable")[:n_terms] for c in centroids]
        npmi = []
        for top in tops:
            pair = _npmi(present, top)
            npmi.append(pair[np.triu_indices(len(top), 1)].mean())
        diversity = len({int(t) for top in tops for t in top}) / (n_terms * k)
        sizes = np.bincount(labels, minlength=len(centroids))
        scores[k] = float(np.average(npmi, weights=sizes + 1e-9) * diversity)
    return scores


def elbow(scores: dict) -> int:
    """The k where more themes stop paying: the largest gap between the quality curve and
    the straight line from its lowest to its highest point, both axes scaled to [0, 1]
    (Kneedle, Satopaa et al. 2011: argmax of normalised quality minus normalised k).
    Quality is taken cumulatively (best so far), so a dip does not make a knee; ties go to
    the smaller k."""
    ks = sorted(scores)
    if len(ks) < 3:
        return max(ks, key=lambda n: (scores[n], -n))
    q = np.maximum.accumulate(np.array([scores[n] for n in ks], dtype=np.float64))
    span = q[-1] - q[0]
    if span <= 0:
        return ks[0]
    gain = (q - q[0]) / span - (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
    return ks[int(np.argmax(gain))]

"""The hybrid ranker: semantic, English and lexical signals fused into one calibrated score per pair.

A pair's score is a logistic model over its signals (see `Calibration`):

    score = sigmoid(b + w_use·use + w_cov·coverage + w_en·english·minilm + w_eng·english
                    + w_lex·same_language·lexical + w_same·same_language)

- use: cosine of the multilingual USE vectors of the two documents (the mean of their
  passage vectors), the signal that works across Korean and English;
- coverage: for each passage of the challenge, its best match among the startup's
  passages, averaged; a long profile whose fitting part comes last still scores;
- minilm: cosine of all-MiniLM-L6-v2 vectors (of a document's mostly-English passages
  only), weighted by `english`, the product of the two documents' English word shares, so
  it speaks only where both sides are English;
- lexical: TF-IDF cosine of word stems (Korean particles stripped), weighted by `same_language`, the chance
  that a word drawn from each document is in the same language. A cross-language pair
  has a weight near 0, so the lexical signal can neither lift nor drag it.

The model is fitted on a labelled calibration set (benchmarks/calibrate.py), so a score
estimates the probability that a reviewer would call the pair a good fit, on the same
scale for every challenge: no per-query normalisation.

Large inputs are scored in two stages. Stage 1 folds every term into one matrix product,
taking coverage as equal to use and lexical at its typical value for the pair's languages,
and keeps each query's best candidates; stage 2 computes the exact score for those.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from importlib import resources
from typing import Callable, Mapping, Optional, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from matchmaker.cache import CacheStats, EmbeddingCache, embed_texts
from matchmaker.documents import Document
from matchmaker.eligibility import ELIGIBLE, EligibilityRules, check
from matchmaker.encoders import Encoder, LazyEncoder, passage_chars, unit_rows
from matchmaker.text import language_mix

FEATURES = ("use", "coverage", "minilm", "english", "lexical", "same_language")


@dataclass(frozen=True)
class Calibration:
    """Logistic weights that turn signals into a probability of a good fit.

    weights: feature name (FEATURES) -> weight on that feature as it enters the logit
    (minilm already multiplied by english, lexical by same_language).
    """

    intercept: float
    weights: Mapping[str, float]
    fitted_on: str = ""

    def logit(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        """Returns the log-odds for arrays of features of the same shape."""
        z = np.full(np.shape(features["use"]), self.intercept, dtype=np.float32)
        for name in FEATURES:
            weight = self.weights.get(name, 0.0)
            if weight:
                z += np.float32(weight) * features[name]
        return z

    def as_dict(self) -> dict:
        return {"intercept": self.intercept, "weights": dict(self.weights), "fitted_on": self.fitted_on}


@dataclass(frozen=True)
class Bands:
    """What a calibrated score means. strong: a reviewer would likely shortlist it;
    possible: worth a look; below possible: not a fit."""

    strong: float
    possible: float

    def name(self, score: float) -> str:
        """Returns 'strong', 'possible' or 'weak' for a score."""
        if score >= self.strong:
            return "strong"
        if score >= self.possible:
            return "possible"
        return "weak"


@lru_cache(maxsize=1)
def _shipped() -> dict:
    return json.loads(resources.files("matchmaker").joinpath("calibration.json").read_text(encoding="utf-8"))


def shipped_calibration() -> Calibration:
    """Returns the calibration fitted by benchmarks/calibrate.py and shipped with the engine."""
    data = _shipped()
    return Calibration(intercept=data["intercept"], weights=data["weights"], fitted_on=data.get("fitted_on", ""))


def shipped_bands() -> Bands:
    """Returns the score bands shipped with the calibration."""
    data = _shipped()["bands"]
    return Bands(strong=data["strong"], possible=data["possible"])


@dataclass(frozen=True)
class EngineConfig:
    """Everything that decides a score; recorded on each match run.

    english_model: another sentence-transformers model name or path for the `minilm`
    signal (None: the bundled all-MiniLM-L6-v2). use_english: False drops that signal.
    """

    semantic_encoder: str = "use-multilingual"
    english_encoder: str = "minilm"
    english_model: Optional[str] = None
    use_english: bool = True
    lexical_analyzer: str = "terms"
    calibration: Optional[Calibration] = None
    bands: Optional[Bands] = None
    rules: EligibilityRules = field(default_factory=lambda: EligibilityRules(require_field_interest=False))

    def resolved(self) -> "EngineConfig":
        """Fills in the shipped calibration and bands where none are given."""
        return replace(
            self,
            calibration=self.calibration or shipped_calibration(),
            bands=self.bands or shipped_bands(),
        )

    def as_dict(self) -> dict:
        config = self.resolved()
        return {
            "semantic_encoder": config.semantic_encoder,
            "english_encoder": config.english_encoder if config.use_english else None,
            "english_model": config.english_model,
            "lexical": {"analyzer": config.lexical_analyzer},
            "calibration": config.calibration.as_dict(),
            "bands": {"strong": config.bands.strong, "possible": config.bands.possible},
        }


@dataclass
class SideIndex:
    """The vectors of one side (challenges or startups).

    mix: (n, 2) float32 [Korean share, English share]; use_doc: (n, d_use) unit rows;
    use_passages: (p, d_use) unit rows with use_offsets (n + 1,) delimiting each document's
    passages; minilm_doc: (n, d_minilm) unit rows, or None when the signal is off;
    term_counts: (n, LEXICAL_FEATURES) sparse raw counts of hashed terms, which the
    scorer weights by IDF over whatever it is fitted on.
    """

    docs: Sequence[Document]
    mix: np.ndarray
    use_doc: np.ndarray
    use_passages: np.ndarray
    use_offsets: np.ndarray
    minilm_doc: Optional[np.ndarray]
    term_counts: sparse.csr_matrix
    # Rows already TF-IDF weighted with a fixed idf (set for the open-challenge index).
    weighted_terms: Optional[sparse.csr_matrix] = None


# The English model reads only passages at least this English (by words); it cannot read
# Korean, and a Korean passage costs it the most (every syllable is a word piece).
ENGLISH_PASSAGE_SHARE = 0.5


@lru_cache(maxsize=1 << 16)
def _english(passage: str) -> bool:
    return language_mix(passage).en >= ENGLISH_PASSAGE_SHARE


def embed_documents(
    encoder: Encoder, docs: Sequence[Document], cache, stats, progress, keep: Optional[Callable[[str], bool]] = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Embeds each document's passages (those `keep` accepts) and averages them per document.

    Returns (document vectors (n, dim) unit rows or zero where nothing was kept, passage
    vectors (p, dim), offsets (n + 1,)).
    """
    pieces = [d.passages(encoder.passage_chars) for d in docs]
    if keep is not None:
        pieces = [[p for p in ps if keep(p)] for ps in pieces]
    counts = np.array([len(p) for p in pieces], dtype=np.int64)
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    flat = [p for ps in pieces for p in ps]
    vectors = embed_texts(encoder, flat, cache=cache, stats=stats, progress=progress)
    # A document's vector is the mean of its passage vectors: its cosine with another
    # document is then the average of all passage-pair scores, so every passage counts.
    doc = np.zeros((len(docs), vectors.shape[1]), dtype=np.float32)
    has = counts > 0
    if has.any():
        doc[has] = np.add.reduceat(vectors, offsets[:-1][has], axis=0)
    return unit_rows(doc), vectors, offsets


def build_index(
    docs: Sequence[Document],
    config: EngineConfig,
    *,
    cache: Optional[EmbeddingCache] = None,
    stats: Optional[CacheStats] = None,
    progress: Optional[Callable[[int], None]] = None,
) -> SideIndex:
    """Embeds one side's documents (through the cache) into a SideIndex."""
    mix = np.array([[d.mix.ko, d.mix.en] for d in docs], dtype=np.float32).reshape(len(docs), 2)
    use_doc, use_passages, use_offsets = embed_documents(
        LazyEncoder(config.semantic_encoder), docs, cache, stats, progress
    )
    minilm_doc = None
    if config.use_english:
        minilm_doc, _, _ = embed_documents(
            LazyEncoder(config.english_encoder, config.english_model), docs, cache, stats, progress, keep=_english
        )
    return SideIndex(docs, mix, use_doc, use_passages, use_offsets, minilm_doc, count_terms(docs, config))


LEXICAL_FEATURES = 2**20
def _own_terms(tokens: list[str]) -> list[str]:
    return tokens


# analyzer name -> (what each document hands the hasher, the hasher's options)
LEXICAL_ANALYZERS: dict[str, tuple[Callable[[Document], object], dict]] = {
    # Word stems: as good as character n-grams on the calibration set, with a twelfth of the entries.
    # The document's own cached terms go in, so each text is tokenised once.
    "terms": (lambda d: d.terms, {"analyzer": _own_terms}),
    "char": (lambda d: d.text, {"analyzer": "char_wb", "ngram_range": (2, 4)}),
}


def count_terms(docs: Sequence[Document], config: EngineConfig) -> sparse.csr_matrix:
    """Counts each document's terms into hashed columns: (n, LEXICAL_FEATURES) float32, stateless per document."""
    try:
        source, options = LEXICAL_ANALYZERS[config.lexical_analyzer]
    except KeyError:
        raise ValueError(f"unknown lexical analyzer '{config.lexical_analyzer}'; known: {', '.join(LEXICAL_ANALYZERS)}") from None
    hasher = HashingVectorizer(n_features=LEXICAL_FEATURES, alternate_sign=False, norm=None, dtype=np.float32, **options)
    return hasher.transform([source(d) for d in docs]).tocsr()


def _summed(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    if counts.format == "csr" and counts.has_canonical_format:
        return counts
    counts = counts.tocsr(copy=True)
    counts.sum_duplicates()
    return counts


def idf_of(*parts: sparse.csr_matrix) -> np.ndarray:
    """Returns the smoothed inverse document frequency of each hashed term over the rows of all
    the given matrices together: (LEXICAL_FEATURES,)."""
    parts = tuple(_summed(p) for p in parts)
    df = sum(np.bincount(p.indices, minlength=p.shape[1]) for p in parts)
    n = sum(p.shape[0] for p in parts)
    return (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)


def tfidf(counts: sparse.csr_matrix, idf: Optional[np.ndarray] = None) -> sparse.csr_matrix:
    """Weights counts by sublinear TF and IDF (over these rows unless given), then scales rows to unit length."""
    counts = _summed(counts)
    if idf is None:
        idf = idf_of(counts)
    data = ((1 + np.log(counts.data)) * idf[counts.indices]).astype(np.float32)
    row_lengths = np.diff(counts.indptr)
    squares = np.zeros(counts.shape[0], dtype=np.float64)
    filled = row_lengths > 0
    if data.size:
        squares[filled] = np.add.reduceat(data.astype(np.float64) ** 2, counts.indptr[:-1][filled])
    norms = np.sqrt(squares)
    norms[norms == 0] = 1
    data /= np.repeat(norms, row_lengths).astype(np.float32)
    return sparse.csr_matrix((data, counts.indices.copy(), counts.indptr.copy()), shape=counts.shape)


def count_passages(docs: Sequence[Document], config: EngineConfig) -> int:
    """Returns how many texts build_index will embed (for a progress bar's total)."""
    total = 0
    encoders = [config.semantic_encoder] + ([config.english_encoder] if config.use_english else [])
    for name in encoders:
        keep = _english if name == config.english_encoder else (lambda p: True)
        total += sum(sum(1 for p in d.passages(passage_chars(name)) if keep(p)) for d in docs)
    return total


# Batches of at least this many pairs compute their lexical part on a second thread.
PARALLEL_PAIRS = 20_000
# Pairs whose vectors are gathered at once when paired dot products are taken.
PAIR_CHUNK = 2048


@lru_cache(maxsize=1)
def _side_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="matchmaker-lexical")


def _passage_rows(offsets: np.ndarray, docs: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns the passage rows of several documents laid end to end, and where each document starts."""
    seg = np.zeros(len(docs), dtype=np.int64)
    np.cumsum(lengths[:-1], out=seg[1:])
    rows = np.arange(lengths.sum()) - np.repeat(seg, lengths) + np.repeat(offsets[docs], lengths)
    return rows, seg


def _paired_dots(left: np.ndarray, li: np.ndarray, right: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Returns left[li[k]] . right[ri[k]] for every k. When one side is a single row (one profile's
    suggestions), one matrix-vector product, without copying that row once per pair."""
    if ri.size and (ri == ri[0]).all():
        return left[li] @ right[ri[0]]
    if li.size and (li == li[0]).all():
        return right[ri] @ left[li[0]]
    # In chunks: the gathered rows stay in cache and their buffers are reused, instead of two
    # round-sized copies touched once (page faults cost more than the arithmetic here).
    out = np.empty(li.size, dtype=np.result_type(left, right))
    for start in range(0, li.size, PAIR_CHUNK):
        stop = start + PAIR_CHUNK
        out[start:stop] = np.einsum("ij,ij->i", left[li[start:stop]], right[ri[start:stop]])
    return out


@dataclass(frozen=True)
class PairScores:
    """Scores of a list of pairs: every array has shape (n_pairs,); score in [0, 1]."""

    challenge: np.ndarray
    startup: np.ndarray
    score: np.ndarray
    features: Mapping[str, np.ndarray]
    rule: np.ndarray  # 0 eligible, else a code of matchmaker.eligibility.RULES


class Scorer:
    """Scores (challenge, startup) pairs between two indexed sides.

    Parameters are fixed at construction; `fit` does the work (lexical model, eligibility)
    and leaves its learned state in attributes ending in `_`.
    """

    def __init__(self, config: EngineConfig = EngineConfig()):
        self.config = config.resolved()

    def fit(self, challenges: SideIndex, startups: SideIndex, idf: Optional[np.ndarray] = None) -> "Scorer":
        """Prepares scoring between the two sides. `idf` fixes the lexical weights (rolling
        suggestions use the open challenges' own, so one profile never shifts them)."""
        self.challenges_ = challenges
        self.startups_ = startups
        if idf is not None and challenges.weighted_terms is not None:
            # The challenges' rows were weighted with this idf already: only the startups' need it.
            self.lexical_c_ = challenges.weighted_terms
            self.lexical_s_ = tfidf(startups.term_counts, idf)
        else:
            if idf is None:
                idf = idf_of(challenges.term_counts, startups.term_counts)
            self.lexical_c_ = tfidf(challenges.term_counts, idf)
            self.lexical_s_ = tfidf(startups.term_counts, idf)
        self.rules_ = check(self.config.rules, challenges.docs, startups.docs)
        return self

    @cached_property
    def _typical(self) -> tuple[float, float]:
        # Only stage 1 needs these; scoring a few pairs exactly never computes them.
        return self._typical_values()

    @property
    def lexical_mean_(self) -> float:
        """The mean lexical cosine of a same-language pair (stage 1 uses it in place of the exact value)."""
        return self._typical[0]

    @property
    def minilm_mean_(self) -> float:
        """The mean English-model cosine of an English pair (stage 1 uses it in place of the exact value)."""
        return self._typical[1]

    def _typical_values(self, sample: int = 4096) -> tuple[float, float]:
        """Estimates the mean lexical cosine of a same-language pair and the mean English-model
        cosine of an English pair, which stage 1 uses in place of the exact values."""
        n_c, n_s = len(self.challenges_.docs), len(self.startups_.docs)
        if n_c == 0 or n_s == 0:
            return 0.0, 0.0
        rng = np.random.default_rng(0)
        ci = rng.integers(0, n_c, size=min(sample, n_c * n_s))
        si = rng.integers(0, n_s, size=ci.size)
        c, s = self.challenges_, self.startups_
        english = c.mix[ci, 1] * s.mix[si, 1]
        same = c.mix[ci, 0] * s.mix[si, 0] + english
        lexical = float((self._lexical(ci, si) * same).sum() / same.sum()) if same.sum() > 0 else 0.0
        minilm = 0.0
        if c.minilm_doc is not None and english.sum() > 0:
            cosines = np.einsum("ij,ij->i", c.minilm_doc[ci], s.minilm_doc[si])
            minilm = float((cosines * english).sum() / english.sum())
        return lexical, minilm

    # --- exact scores for given pairs ----------------------------------------------------------

    def _coverage(self, ci: np.ndarray, si: np.ndarray, use: np.ndarray) -> np.ndarray:
        """For each pair: the mean over challenge passages of the best startup passage (cosine)."""
        c, s = self.challenges_, self.startups_
        c_len = np.diff(c.use_offsets)[ci]
        s_len = np.diff(s.use_offsets)[si]
        # With one passage on each side, coverage is the document cosine itself.
        out = use.astype(np.float32, copy=True)
        multi = np.flatnonzero((c_len > 1) | (s_len > 1))
        if multi.size == 0:
            return out
        # One matrix product per document of the side with fewer distinct documents: per
        # challenge in a round, per startup for one profile's suggestions.
        by_challenge = np.unique(ci[multi]).size <= np.unique(si[multi]).size
        key = ci if by_challenge else si
        order = multi[np.argsort(key[multi], kind="stable")]
        bounds = np.flatnonzero(np.diff(key[order])) + 1
        if by_challenge:
            # The candidates' passage rows for every pair at once; each challenge then takes its slice,
            # so the loop body is one gather, one product and one reduction.
            rows, seg = _passage_rows(s.use_offsets, si[order], s_len[order])
            starts = np.concatenate([[0], bounds])
            stops = np.concatenate([bounds, [order.size]])
            row_stops = np.append(seg, rows.size)
            for lo, hi in zip(starts.tolist(), stops.tolist()):
                i = ci[order[lo]]
                a = c.use_passages[c.use_offsets[i] : c.use_offsets[i + 1]]
                sims = a @ s.use_passages[rows[seg[lo] : row_stops[hi]]].T  # (passages of i, its candidates' passages)
                out[order[lo:hi]] = np.maximum.reduceat(sims, seg[lo:hi] - seg[lo], axis=1).mean(axis=0)
            return out
        for group in np.split(order, bounds):
            j = si[group[0]]
            b = s.use_passages[s.use_offsets[j] : s.use_offsets[j + 1]]
            rows, seg = _passage_rows(c.use_offsets, ci[group], c_len[group])
            best = (c.use_passages[rows] @ b.T).max(axis=1)  # each challenge passage's best match in j
            out[group] = np.add.reduceat(best, seg) / c_len[group]
        return out

    def _lexical(self, ci: np.ndarray, si: np.ndarray) -> np.ndarray:
        if si.size and (si == si[0]).all():
            # One startup against many challenges (a profile's suggestions): one product.
            return np.asarray((self.lexical_c_[ci] @ self.lexical_s_[si[0]].T).todense(), dtype=np.float32).ravel()
        left = self.lexical_c_[ci]
        right = self.lexical_s_[si]
        return np.asarray(left.multiply(right).sum(axis=1), dtype=np.float32).ravel()

    def features_for(self, ci: np.ndarray, si: np.ndarray, use: Optional[np.ndarray] = None) -> dict[str, np.ndarray]:
        """Returns every signal for the pairs (challenge ci[k], startup si[k]): arrays of shape (n_pairs,).

        `use` may pass the semantic cosines when the caller has them (stage 1 does). The
        English-model and lexical cosines are computed only where their weight is not zero.
        """
        c, s = self.challenges_, self.startups_
        if use is None:
            use = _paired_dots(c.use_doc, ci, s.use_doc, si)
        english = c.mix[ci, 1] * s.mix[si, 1]
        same = c.mix[ci, 0] * s.mix[si, 0] + english
        lexical = np.zeros(len(ci), dtype=np.float32)
        some = np.flatnonzero(same > 0)
        # The lexical part runs in compiled sparse code that lets go of the GIL: for a large
        # batch it overlaps with the dense parts on another core.
        pending = _side_pool().submit(self._lexical, ci[some], si[some]) if len(ci) >= PARALLEL_PAIRS else None
        minilm = np.zeros(len(ci), dtype=np.float32)
        if c.minilm_doc is not None:
            english_pairs = np.flatnonzero(english > 0)
            minilm[english_pairs] = _paired_dots(c.minilm_doc, ci[english_pairs], s.minilm_doc, si[english_pairs])
        coverage = self._coverage(ci, si, use)
        lexical[some] = pending.result() if pending is not None else self._lexical(ci[some], si[some])
        return {
            "use": use.astype(np.float32),
            "coverage": coverage,
            "minilm": (minilm * english).astype(np.float32),
            "english": english.astype(np.float32),
            "lexical": (lexical * same).astype(np.float32),
            "same_language": same.astype(np.float32),
            # The raw cosines, for explanations.
            "minilm_raw": minilm.astype(np.float32),
            "lexical_raw": lexical,
        }

    def score_pairs(self, ci: Sequence[int], si: Sequence[int], use: Optional[np.ndarray] = None) -> PairScores:
        """Scores given pairs exactly: calibrated scores in [0, 1] with their features and rule codes."""
        ci = np.asarray(ci, dtype=np.int64)
        si = np.asarray(si, dtype=np.int64)
        features = self.features_for(ci, si, use)
        score = 1.0 / (1.0 + np.exp(-self.config.calibration.logit(features)))
        return PairScores(ci, si, score.astype(np.float32), features, self.rules_[ci, si])

    def score_all(self) -> np.ndarray:
        """Scores every pair exactly: (n_challenges, n_startups) float32 in [0, 1]. For small inputs."""
        n_c, n_s = len(self.challenges_.docs), len(self.startups_.docs)
        ci, si = np.divmod(np.arange(n_c * n_s), n_s)
        return self.score_pairs(ci, si).score.reshape(n_c, n_s)

    # --- two-stage candidates for large inputs ---------------------------------------------------

    def _stage1_factors(self) -> tuple[np.ndarray, np.ndarray]:
        """Left (n_c, d) and right (n_s, d) factors whose product is the stage-1 logit.

        Stage 1 keeps the semantic signal (coverage taken equal to it), the language terms,
        and the lexical term at its typical same-language value; the English model only
        enters in stage 2, which keeps this product the size of a plain 512-wide one.
        """
        w = self.config.calibration.weights
        c, s = self.challenges_, self.startups_
        same = w.get("same_language", 0.0) + w.get("lexical", 0.0) * self.lexical_mean_
        english = w.get("english", 0.0) + w.get("minilm", 0.0) * self.minilm_mean_
        # Filled in place, in float32: the startups' side is as large as the round (one copy, not three).
        dim = c.use_doc.shape[1]
        left = np.empty((len(c.docs), dim + 3), dtype=np.float32)
        np.multiply(c.use_doc, w.get("use", 0.0) + w.get("coverage", 0.0), out=left[:, :dim])
        left[:, dim] = (english + same) * c.mix[:, 1]
        left[:, dim + 1] = same * c.mix[:, 0]
        left[:, dim + 2] = self.config.calibration.intercept
        right = np.empty((len(s.docs), dim + 3), dtype=np.float32)
        right[:, :dim] = s.use_doc
        right[:, dim] = s.mix[:, 1]
        right[:, dim + 1] = s.mix[:, 0]
        right[:, dim + 2] = 1.0
        return left, right

    def _use_from_stage1(self, ci: np.ndarray, si: np.ndarray, logit: np.ndarray) -> Optional[np.ndarray]:
        """Recovers the semantic cosines from stage-1 logits (the other stage-1 terms are cheap to subtract)."""
        w = self.config.calibration.weights
        scale = w.get("use", 0.0) + w.get("coverage", 0.0)
        if abs(scale) < 1e-6:
            return None
        c, s = self.challenges_, self.startups_
        english = c.mix[ci, 1] * s.mix[si, 1]
        same = c.mix[ci, 0] * s.mix[si, 0] + english
        rest = (self.config.calibration.intercept
                + (w.get("english", 0.0) + w.get("minilm", 0.0) * self.minilm_mean_) * english
                + (w.get("same_language", 0.0) + w.get("lexical", 0.0) * self.lexical_mean_) * same)
        return ((logit - rest) / scale).astype(np.float32)

    def candidates(self, top_n: int, *, per: str = "challenge", block: int = 20_000) -> PairScores:
        """Keeps the top_n eligible pairs per challenge (or per startup) and scores them exactly.

        Stage 1 ranks all pairs by one matrix product, block by block so memory stays at
        (n_queries, block) floats; stage 2 scores the kept pairs exactly. Returns pairs
        sorted by query, then best first (ties to the lower index).
        """
        import torch  # loaded already wherever the English model is; topk is far faster than argpartition

        left, right = self._stage1_factors()
        if per == "startup":
            left, right = right, left
        rules = self.rules_ if per == "challenge" else self.rules_.T
        any_filtered = bool(rules.any())
        n_q, n_d = left.shape[0], right.shape[0]
        k = min(top_n, n_d)
        best_val = torch.full((n_q, 0), -np.inf)
        best_idx = torch.zeros((n_q, 0), dtype=torch.int64)
        for start in range(0, n_d, block):
            stop = min(start + block, n_d)
            logits = left @ right[start:stop].T
            if any_filtered:
                np.copyto(logits, -np.inf, where=rules[:, start:stop] != ELIGIBLE)
            vals, idx = torch.from_numpy(logits).topk(min(k, stop - start), dim=1)
            vals = torch.cat([best_val, vals], dim=1)
            idx = torch.cat([best_idx, idx + start], dim=1)
            if vals.shape[1] > k:
                vals, pick = vals.topk(k, dim=1)
                idx = idx.gather(1, pick)
            best_val, best_idx = vals, idx
        best_val, best_idx = best_val.numpy(), best_idx.numpy()
        q = np.repeat(np.arange(n_q), best_idx.shape[1])
        d = best_idx.ravel()
        logit = best_val.ravel()
        keep = np.isfinite(logit)
        q, d, logit = q[keep], d[keep], logit[keep]
        ci, si = (q, d) if per == "challenge" else (d, q)
        pairs = self.score_pairs(ci, si, use=self._use_from_stage1(ci, si, logit))
        query = pairs.challenge if per == "challenge" else pairs.startup
        other = pairs.startup if per == "challenge" else pairs.challenge
        order = np.lexsort((other, -pairs.score, query))
        return PairScores(
            pairs.challenge[order], pairs.startup[order], pairs.score[order],
            {name: values[order] for name, values in pairs.features.items()}, pairs.rule[order],
        )

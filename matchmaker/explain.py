"""Why a pair scored as it did: each signal, the best-matching sentence pair, and the key terms both share."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from matchmaker.cache import EmbeddingCache, embed_texts
from matchmaker.documents import Document
from matchmaker.eligibility import RULES, explain_rule
from matchmaker.encoders import LazyEncoder
from matchmaker.scoring import PairScores, Scorer

MAX_TERMS = 8


@dataclass(frozen=True)
class Explanation:
    """The reasons behind one pair's score.

    components: each signal's raw value in [-1, 1] (semantic, coverage) or [0, 1]
    (english, lexical), None where the signal does not apply to this pair (English model
    on non-English text, lexical across languages); contributions: what each signal added
    to the log-odds of the score. best_pair: the challenge sentence and the startup
    sentence that mean the most alike, each in its own language.
    """

    score: float
    band: str
    components: dict[str, Optional[float]]
    contributions: dict[str, float]
    best_pair: dict[str, object]
    shared_terms: list[str]
    filtered: Optional[dict[str, str]] = None

    def as_dict(self) -> dict:
        out = {
            "score": round(self.score, 4),
            "band": self.band,
            "components": {k: (None if v is None else round(v, 4)) for k, v in self.components.items()},
            "contributions": {k: round(v, 4) for k, v in self.contributions.items()},
            "best_pair": self.best_pair,
            "shared_terms": self.shared_terms,
        }
        if self.filtered:
            out["filtered"] = self.filtered
        return out


@dataclass(frozen=True)
class TermFrequencies:
    """In how many documents each term occurs, to rank shared terms rarest first."""

    counts: Counter
    n_docs: int

    @classmethod
    def of(cls, docs: Sequence[Document]) -> "TermFrequencies":
        counts = Counter()
        for doc in docs:
            counts.update(set(doc.terms))
        return cls(counts, len(docs))

    def idf(self, term: str) -> float:
        n = max(self.n_docs, 1)
        return math.log((1 + n) / (1 + self.counts.get(term, 0))) + 1


# Below this weight a signal is reported as not applying to the pair.
_APPLIES = 0.2


class Explainer:
    """Builds explanations for pairs scored by a fitted Scorer; sentence vectors are embedded once per document."""

    def __init__(self, scorer: Scorer, cache: Optional[EmbeddingCache] = None, term_df: Optional["TermFrequencies"] = None):
        """term_df: document frequencies to rank shared terms by (default: counted over the scorer's documents)."""
        self.scorer = scorer
        self.cache = cache
        self._sentences: dict[tuple[str, str], tuple[list[str], np.ndarray]] = {}
        if term_df is None:
            term_df = TermFrequencies.of(list(scorer.challenges_.docs) + list(scorer.startups_.docs))
        self._df = term_df

    @staticmethod
    def _prose(doc: Document) -> list[str]:
        # The tag or technology list reads as a "sentence" and tends to match another list
        # best, which explains little; shared terms already show it. Prose sentences only.
        listed = ", ".join(doc.metadata.get("tags") or doc.metadata.get("technologies") or [])
        return [s for s in doc.sentences if s != listed] or doc.sentences or [doc.text]

    def prepare(self, pairs: PairScores, indices: Sequence[int]) -> None:
        """Embeds, in one batch, the sentences of every document the given pairs involve."""
        docs = {}
        for k in indices:
            for doc in (self.scorer.challenges_.docs[int(pairs.challenge[k])],
                        self.scorer.startups_.docs[int(pairs.startup[k])]):
                if (doc.kind, doc.id) not in self._sentences:
                    docs[(doc.kind, doc.id)] = doc
        if not docs:
            return
        sentences = {key: self._prose(doc) for key, doc in docs.items()}
        flat = [s for group in sentences.values() for s in group]
        vectors = embed_texts(LazyEncoder(self.scorer.config.semantic_encoder), flat, cache=self.cache)
        start = 0
        for key, group in sentences.items():
            self._sentences[key] = (group, vectors[start : start + len(group)])
            start += len(group)

    def _doc_sentences(self, doc: Document) -> tuple[list[str], np.ndarray]:
        key = (doc.kind, doc.id)
        if key not in self._sentences:
            sentences = self._prose(doc)
            encoder = LazyEncoder(self.scorer.config.semantic_encoder)
            self._sentences[key] = (sentences, embed_texts(encoder, sentences, cache=self.cache))
        return self._sentences[key]

    def best_pair(self, challenge: Document, startup: Document) -> dict[str, object]:
        """Returns the most alike sentence of each side (cross-language through the multilingual encoder)."""
        c_sentences, c_vectors = self._doc_sentences(challenge)
        s_sentences, s_vectors = self._doc_sentences(startup)
        sims = c_vectors @ s_vectors.T
        i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
        return {"challenge": c_sentences[i], "startup": s_sentences[j], "similarity": round(float(sims[i, j]), 4)}

    def shared_terms(self, challenge: Document, startup: Document) -> list[str]:
        """Returns the terms both texts use, rarest in the corpus first, at most MAX_TERMS."""
        c_terms = challenge.terms
        shared = set(c_terms) & set(startup.terms)
        first_seen = {t: i for i, t in reversed(list(enumerate(c_terms)))}
        ranked = sorted(shared, key=lambda t: (-self._df.idf(t), first_seen[t]))
        return ranked[:MAX_TERMS]

    def explain(self, pairs: PairScores, k: int) -> Explanation:
        """Explains pair k of a PairScores."""
        scorer = self.scorer
        i, j = int(pairs.challenge[k]), int(pairs.startup[k])
        challenge, startup = scorer.challenges_.docs[i], scorer.startups_.docs[j]
        f = {name: float(values[k]) for name, values in pairs.features.items()}
        weights = scorer.config.calibration.weights
        components = {
            "semantic": f["use"],
            "coverage": f["coverage"],
            "english": f["minilm_raw"] if f["english"] >= _APPLIES and scorer.challenges_.minilm_doc is not None else None,
            "lexical": f["lexical_raw"] if f["same_language"] >= _APPLIES else None,
        }
        contributions = {name: weights.get(name, 0.0) * f[name] for name in ("use", "coverage", "minilm", "lexical")}
        rule = int(pairs.rule[k])
        filtered = None
        if rule:
            filtered = {"rule": RULES[rule], "reason": explain_rule(rule, challenge, startup, scorer.config.rules)}
        score = float(pairs.score[k])
        return Explanation(
            score=score,
            band=scorer.config.bands.name(score),
            components=components,
            contributions={"semantic": contributions["use"], "coverage": contributions["coverage"],
                           "english": contributions["minilm"], "lexical": contributions["lexical"]},
            best_pair=self.best_pair(challenge, startup),
            shared_terms=self.shared_terms(challenge, startup),
            filtered=filtered,
        )

    def explain_all(self, pairs: PairScores, indices: Sequence[int]) -> list[Explanation]:
        """Explains several pairs of a PairScores (their sentences embedded in one batch)."""
        self.prepare(pairs, indices)
        return [self.explain(pairs, k) for k in indices]

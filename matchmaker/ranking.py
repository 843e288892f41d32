"""Ranking in either direction: for each challenge its best startups, or for each startup its best challenges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from matchmaker.cache import CacheStats, EmbeddingCache
from matchmaker.documents import Document
from matchmaker.explain import Explainer
from matchmaker.scoring import EngineConfig, PairScores, Scorer, build_index

# Up to this many pairs every pair is scored exactly; above it, stage 1 picks candidates.
EXACT_PAIRS = 2_000_000


@dataclass
class RankResult:
    """Scored pairs grouped by query, best first, with the scorer that made them (for explanations)."""

    pairs: PairScores
    scorer: Scorer
    per: str  # "challenge" or "startup"

    def groups(self) -> Iterator[tuple[int, np.ndarray]]:
        """Yields (query index, positions in `pairs` of its eligible pairs, best first) for every query."""
        query = self.pairs.challenge if self.per == "challenge" else self.pairs.startup
        n = len(self.scorer.challenges_.docs if self.per == "challenge" else self.scorer.startups_.docs)
        eligible = self.pairs.rule == 0
        starts = np.searchsorted(query, np.arange(n + 1))
        for q in range(n):
            span = np.arange(starts[q], starts[q + 1])
            yield q, span[eligible[span]]

    def filtered(self, q: int) -> np.ndarray:
        """Positions of the pairs of query q that an eligibility rule removed."""
        query = self.pairs.challenge if self.per == "challenge" else self.pairs.startup
        return np.flatnonzero((query == q) & (self.pairs.rule != 0))


def _sorted_all(scorer: Scorer, per: str) -> PairScores:
    n_c, n_s = len(scorer.challenges_.docs), len(scorer.startups_.docs)
    ci, si = np.divmod(np.arange(n_c * n_s), n_s)
    pairs = scorer.score_pairs(ci, si)
    query, other = (pairs.challenge, pairs.startup) if per == "challenge" else (pairs.startup, pairs.challenge)
    order = np.lexsort((other, -pairs.score, query))
    return PairScores(
        pairs.challenge[order], pairs.startup[order], pairs.score[order],
        {k: v[order] for k, v in pairs.features.items()}, pairs.rule[order],
    )


def rank(
    challenges: Sequence[Document],
    startups: Sequence[Document],
    *,
    per: str,
    top_k: int = 0,
    config: EngineConfig = EngineConfig(),
    cache: Optional[EmbeddingCache] = None,
    stats: Optional[CacheStats] = None,
    progress: Optional[Callable[[int], None]] = None,
) -> RankResult:
    """Scores and ranks: per='challenge' ranks startups for each challenge, per='startup' the reverse.

    top_k=0 keeps every pair; otherwise each query keeps at least its top_k eligible pairs.
    Scores are calibrated in [0, 1]; ties go to the lower index.
    """
    if per not in ("challenge", "startup"):
        raise ValueError("per must be 'challenge' or 'startup'")
    c_index = build_index(challenges, config, cache=cache, stats=stats, progress=progress)
    s_index = build_index(startups, config, cache=cache, stats=stats, progress=progress)
    scorer = Scorer(config).fit(c_index, s_index)
    if top_k == 0 or len(challenges) * len(startups) <= EXACT_PAIRS:
        pairs = _sorted_all(scorer, per)
    else:
        pairs = scorer.candidates(top_k, per=per)
    return RankResult(pairs, scorer, per)


def ranked_lines(result: RankResult, *, top_k: int, explain: bool, cache: Optional[EmbeddingCache] = None) -> Iterator[dict]:
    """Yields the command line's output objects, one per query, best first."""
    scorer = result.scorer
    explainer = Explainer(scorer, cache=cache) if explain else None
    if result.per == "challenge":
        query_key, item_key, queries, items = "challenge_id", "startup_id", scorer.challenges_.docs, scorer.startups_.docs
        item_of = result.pairs.startup
    else:
        query_key, item_key, queries, items = "startup_id", "challenge_id", scorer.startups_.docs, scorer.challenges_.docs
        item_of = result.pairs.challenge
    for q, positions in result.groups():
        if top_k:
            positions = positions[:top_k]
        ranked = []
        for k in positions:
            item = {item_key: items[item_of[k]].id, "score": round(float(result.pairs.score[k]), 4)}
            if explainer is not None:
                item["explanation"] = explainer.explain(result.pairs, int(k)).as_dict()
            ranked.append(item)
        line = {query_key: queries[q].id, "ranked": ranked}
        if explainer is not None:
            removed = result.filtered(q)
            if removed.size:
                line["filtered"] = [
                    {item_key: items[item_of[k]].id, **explainer.explain(result.pairs, int(k)).filtered}
                    for k in removed
                ]
        yield line

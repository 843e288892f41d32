"""Ranking metrics on graded labels: nDCG@k, Recall@k and MRR, overall or on a slice of the pairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence

import numpy as np

# Grades: 3 ideal fit, 2 good fit, 1 partial, 0 not a fit. Recall and MRR count a
# document as relevant from grade 2; nDCG uses every grade with gain 2^grade - 1.
RELEVANT_GRADE = 2


@dataclass(frozen=True)
class Metrics:
    ndcg: float
    recall: float
    mrr: float
    queries: int

    def as_row(self) -> tuple[float, float, float, int]:
        return (self.ndcg, self.recall, self.mrr, self.queries)


def _dcg(grades: np.ndarray) -> float:
    if grades.size == 0:
        return 0.0
    gains = np.power(2.0, grades) - 1.0
    discounts = 1.0 / np.log2(np.arange(2, grades.size + 2))
    return float(np.sum(gains * discounts))


def evaluate(
    scores: np.ndarray,
    grades: Mapping[tuple[int, int], int],
    *,
    k: int = 10,
    queries: Optional[Sequence[int]] = None,
    counts: Optional[Callable[[int, int], bool]] = None,
    allowed: Optional[np.ndarray] = None,
) -> Metrics:
    """Scores a ranking: scores (n_queries, n_docs), higher first; grades {(query, doc): grade}.

    `queries` limits the evaluation to some rows. `counts(q, d)` limits which relevant
    documents count: a relevant document it excludes is taken out of the ranking (it is
    neither a hit nor a miss), while every non-relevant document stays in as a distractor.
    That is how a slice such as "Korean queries, English documents" is measured fairly.
    `allowed` (same shape, bool) drops filtered pairs from the ranking. Ties are broken by
    the lower document index. Queries without a counted relevant document are skipped.
    """
    n_queries, n_docs = scores.shape
    rows = range(n_queries) if queries is None else queries
    ndcgs, recalls, rrs = [], [], []
    by_query: dict[int, dict[int, int]] = {}
    for (q, d), g in grades.items():
        if g > 0:
            by_query.setdefault(q, {})[d] = g
    for q in rows:
        relevant = {d: g for d, g in by_query.get(q, {}).items() if counts is None or counts(q, d)}
        if not relevant:
            continue
        excluded = set(by_query.get(q, {})) - set(relevant)
        keep = np.ones(n_docs, dtype=bool)
        if excluded:
            keep[list(excluded)] = False
        if allowed is not None:
            keep &= allowed[q]
        docs = np.flatnonzero(keep)
        order = docs[np.lexsort((docs, -scores[q, docs]))]
        ranked_grades = np.array([relevant.get(int(d), 0) for d in order[:k]], dtype=float)
        ideal = np.sort(np.array(list(relevant.values()), dtype=float))[::-1][:k]
        ndcgs.append(_dcg(ranked_grades) / _dcg(ideal) if _dcg(ideal) > 0 else 0.0)
        n_rel = sum(1 for g in relevant.values() if g >= RELEVANT_GRADE)
        if n_rel:
            recalls.append(float(np.sum(ranked_grades >= RELEVANT_GRADE)) / min(n_rel, k))
            rank = next((i for i, d in enumerate(order) if relevant.get(int(d), 0) >= RELEVANT_GRADE), None)
            rrs.append(0.0 if rank is None else 1.0 / (rank + 1))
    if not ndcgs:
        return Metrics(float("nan"), float("nan"), float("nan"), 0)
    return Metrics(
        ndcg=float(np.mean(ndcgs)),
        recall=float(np.mean(recalls)) if recalls else float("nan"),
        mrr=float(np.mean(rrs)) if rrs else float("nan"),
        queries=len(ndcgs),
    )

"""Ranking quality on the held-out labelled set: the ranker next to each single signal, in one run.

Prints, for both directions (challenge -> startups and startup -> challenges), nDCG@10,
Recall@10 and MRR overall, per language pair and per kind of startup, then a calibration
check and the acceptance criteria. Run: python -m benchmarks.quality [--set quality]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy import sparse

from benchmarks.labelled import LabelledSet, load
from matchmaker.evaluation import Metrics, evaluate
from matchmaker.encoders import LazyEncoder
from matchmaker.scoring import EngineConfig, Scorer, build_index, embed_documents, tfidf

K = 10
KINDS = ("direct", "paraphrase", "cross", "two-fit")


def _lang(doc) -> str:
    # Mixed-language texts are Korean texts with English terms in our data.
    return "en" if doc.language == "en" else "ko"


def signal_matrices(labelled: LabelledSet) -> dict[str, np.ndarray]:
    """Returns (n_challenges, n_startups) score matrices: the ranker and each single signal."""
    config = EngineConfig()
    t0 = time.perf_counter()
    challenges = build_index(labelled.challenges, config)
    startups = build_index(labelled.startups, config)
    scorer = Scorer(config).fit(challenges, startups)
    ranker = scorer.score_all()
    elapsed = time.perf_counter() - t0
    # The English model as a ranker on its own reads every passage (the ranker gives it only
    # the English ones): the baseline an English-only search would be.
    english = LazyEncoder("minilm")
    minilm = (embed_documents(english, labelled.challenges, None, None, None)[0]
              @ embed_documents(english, labelled.startups, None, None, None)[0].T)
    use = challenges.use_doc @ startups.use_doc.T
    # The lexical baseline on its own, as a plain TF-IDF search would run it.
    weighted = tfidf(sparse.vstack([challenges.term_counts, startups.term_counts], format="csr"))
    n_c = len(labelled.challenges)
    lexical = (weighted[:n_c] @ weighted[n_c:].T).toarray()
    print(f"scored {len(labelled.challenges)} challenges x {len(labelled.startups)} startups in {elapsed:.1f} s "
          f"(model loading and embedding included)\n")
    return {"ranker": ranker, "use-multilingual": use, "minilm": minilm, "lexical": lexical}


def _slices(labelled: LabelledSet, direction: str):
    c_lang = [_lang(d) for d in labelled.challenges]
    s_lang = [_lang(d) for d in labelled.startups]
    if direction == "c->s":
        q_lang, d_lang, d_kind = c_lang, s_lang, labelled.kinds
        yield "overall", {}
        for a in ("ko", "en"):
            for b in ("ko", "en"):
                yield f"{a}->{b}", {"queries": [i for i, x in enumerate(q_lang) if x == a],
                                    "counts": (lambda q, d, b=b: d_lang[d] == b)}
        yield "same-language", {"counts": lambda q, d: q_lang[q] == d_lang[d]}
        yield "cross-language", {"counts": lambda q, d: q_lang[q] != d_lang[d]}
        for kind in KINDS:
            yield f"kind {kind}", {"counts": (lambda q, d, kind=kind: d_kind[d] == kind)}
    else:
        q_lang, d_lang, q_kind = s_lang, c_lang, labelled.kinds
        yield "overall", {}
        for a in ("ko", "en"):
            for b in ("ko", "en"):
                yield f"{a}->{b}", {"queries": [i for i, x in enumerate(q_lang) if x == a],
                                    "counts": (lambda q, d, b=b: d_lang[d] == b)}
        yield "same-language", {"counts": lambda q, d: q_lang[q] == d_lang[d]}
        yield "cross-language", {"counts": lambda q, d: q_lang[q] != d_lang[d]}
        for kind in KINDS:
            yield f"kind {kind}", {"queries": [i for i, x in enumerate(q_kind) if x == kind]}


def metric_tables(labelled: LabelledSet, matrices: dict[str, np.ndarray]) -> dict[tuple[str, str, str], Metrics]:
    """Computes every metric: {(direction, slice, signal): Metrics}."""
    results = {}
    for direction in ("c->s", "s->c"):
        grades = labelled.grades if direction == "c->s" else labelled.transposed_grades()
        for name, kwargs in _slices(labelled, direction):
            for signal, matrix in matrices.items():
                scores = matrix if direction == "c->s" else matrix.T
                results[(direction, name, signal)] = evaluate(scores, grades, k=K, **kwargs)
    return results


def print_tables(results, signals) -> None:
    for direction, title in (("c->s", "challenge -> startups"), ("s->c", "startup -> challenges")):
        print(f"== {title}: nDCG@{K} / Recall@{K} / MRR  (queries)")
        header = f"{'slice':18s}" + "".join(f"{s:>26s}" for s in signals)
        print(header)
        names = [n for (d, n, s) in results if d == direction and s == signals[0]]
        for name in names:
            row = f"{name:18s}"
            for signal in signals:
                m = results[(direction, name, signal)]
                cell = f"{m.ndcg:.3f} / {m.recall:.3f} / {m.mrr:.3f} ({m.queries})" if m.queries else "n/a"
                row += f"{cell:>26s}"
            print(row)
        print()


def calibration_check(labelled: LabelledSet, ranker: np.ndarray) -> tuple[float, float]:
    """Returns (share of non-fitting startups whose top score is below 'possible',
    share of fitting startups whose top score is at least 'possible')."""
    bands = EngineConfig().resolved().bands
    top = ranker.max(axis=0)
    fits = np.array([labelled.fits(j) for j in range(len(labelled.startups))])
    below = float(np.mean(top[~fits] < bands.possible))
    inside = float(np.mean(top[fits] >= bands.possible))
    print(f"== calibration: bands strong >= {bands.strong}, possible >= {bands.possible}")
    print(f"top score of fitting startups:     p10 {np.percentile(top[fits], 10):.3f}  median {np.median(top[fits]):.3f}"
          f"  ({fits.sum()} startups)")
    print(f"top score of non-fitting startups: p90 {np.percentile(top[~fits], 90):.3f}  median {np.median(top[~fits]):.3f}"
          f"  ({(~fits).sum()} startups)")
    print(f"non-fitting below 'possible': {below:.1%}; fitting inside 'possible' or better: {inside:.1%}")
    for kind in ("look-alike", "no-fit"):
        idx = [j for j, k in enumerate(labelled.kinds) if k == kind and not fits[j]]
        if idx:
            print(f"  {kind:10s} top score median {np.median(top[idx]):.3f}, below 'possible': "
                  f"{np.mean(top[idx] < bands.possible):.1%}")
    print()
    return below, inside


def criteria(results, signals, below: float, inside: float) -> bool:
    ok = True
    print("== acceptance")
    for direction in ("c->s", "s->c"):
        ranker = results[(direction, "overall", "ranker")].ndcg
        best_name, best = max(((s, results[(direction, "overall", s)].ndcg) for s in signals if s != "ranker"),
                              key=lambda x: x[1])
        passed = ranker > best
        ok &= passed
        print(f"[{'PASS' if passed else 'FAIL'}] {direction}: ranker nDCG@{K} {ranker:.3f} beats the best single signal "
              f"({best_name} {best:.3f})")
        same = results[(direction, "same-language", "ranker")].ndcg
        cross = results[(direction, "cross-language", "ranker")].ndcg
        passed = abs(same - cross) <= 0.03 or cross > same
        ok &= passed
        print(f"[{'PASS' if passed else 'FAIL'}] {direction}: cross-language {cross:.3f} within 0.03 of same-language {same:.3f}")
    for text, value in (("non-fitting startups below 'possible'", below), ("fitting startups at 'possible' or better", inside)):
        passed = value >= 0.9
        ok &= passed
        print(f"[{'PASS' if passed else 'FAIL'}] {text}: {value:.1%} (needs 90%)")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="quality", choices=("quality", "calibration"),
                        help="labelled set (calibration is the one the weights were fitted on)")
    args = parser.parse_args(argv)
    labelled = load(args.set)
    kinds = {k: labelled.kinds.count(k) for k in dict.fromkeys(labelled.kinds)}
    print(f"labelled set fixtures/{args.set}: {len(labelled.challenges)} challenges, {len(labelled.startups)} startups "
          f"{kinds}, {len(labelled.grades)} labels")
    matrices = signal_matrices(labelled)
    signals = list(matrices)
    results = metric_tables(labelled, matrices)
    print_tables(results, signals)
    below, inside = calibration_check(labelled, matrices["ranker"])
    return 0 if criteria(results, signals, below, inside) else 1


if __name__ == "__main__":
    sys.exit(main())

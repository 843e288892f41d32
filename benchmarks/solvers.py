"""Proposal solvers at round scale: candidate selection and each solver's time, memory and total score.

Score matrices are synthetic but shaped like a calibrated ranker's output: startups and challenges sit
around ten field centroids (six LG fields, four Qualcomm), most pairs score near 0, and each challenge has
a few strong candidates, some of them popular with many challenges, so startup limits bind. The matrix is
generated and reduced to its top candidates one block of challenges at a time, so 100,000 x 1,000 never
exists in memory at once.

Run: python benchmarks/solvers.py [--sizes 10000x1000,100000x1000 --top-n 50 --k 5 --m 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    # Run as a file (python benchmarks/solvers.py): make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker.assignment import (  # noqa: E402
    SOLVERS,
    AssignmentProblem,
    Candidates,
    assign,
    candidates_from_matrix,
)

N_FIELDS = 10
DIM = 32
# Challenges per generated block: 50 x 100,000 float32 is 20 MB.
BLOCK_CHALLENGES = 50
# The field whose challenges score lower across the board, and the threshold of the demanding rows.
WEAK_FIELD = N_FIELDS - 1
DEMANDING_MIN_SCORE = 0.4


@dataclass(frozen=True)
class Round:
    """A synthetic round: its candidates and how long, and how much memory, building them took."""

    n_startups: int
    n_challenges: int
    candidates: Candidates
    challenge_field: np.ndarray
    generate_seconds: float
    select_seconds: float
    select_peak_bytes: int


def synthetic_round(n_startups: int, n_challenges: int, *, top_n: int, seed: int, trace: bool) -> Round:
    """Generates a score matrix block by block and keeps each challenge's top_n candidates."""
    rng = np.random.default_rng(seed)
    centroids = _unit(rng.standard_normal((N_FIELDS, DIM)))
    startup_field = rng.integers(0, N_FIELDS, n_startups)
    challenge_field = np.arange(n_challenges) % N_FIELDS
    startups = _unit(0.6 * centroids[startup_field] + rng.standard_normal((n_startups, DIM)) / np.sqrt(DIM))
    challenges = _unit(0.6 * centroids[challenge_field] + rng.standard_normal((n_challenges, DIM)) / np.sqrt(DIM))
    startups, challenges = startups.astype(np.float32), challenges.astype(np.float32)
    # A few startups write strong applications for everything: they top many lists.
    popularity = rng.normal(0.0, 0.6, n_startups).astype(np.float32)
    # One field scores lower across the board, as a niche field would.
    field_offset = np.where(np.arange(N_FIELDS) == WEAK_FIELD, -1.0, 0.0).astype(np.float32)

    generate = select = 0.0
    peak = 0
    parts = []
    for start in range(0, n_challenges, BLOCK_CHALLENGES):
        rows = slice(start, start + BLOCK_CHALLENGES)
        t0 = time.perf_counter()
        logits = challenges[rows] @ startups.T
        logits *= np.float32(9.0)
        logits += popularity
        logits += (field_offset[challenge_field[rows]] - np.float32(5.5))[:, None]
        scores = _sigmoid_inplace(logits)
        t1 = time.perf_counter()
        if trace:
            tracemalloc.reset_peak()
            baseline = tracemalloc.get_traced_memory()[0]
        block = candidates_from_matrix(scores, top_n=top_n)
        t2 = time.perf_counter()
        if trace:
            peak = max(peak, tracemalloc.get_traced_memory()[1] - baseline)
        generate += t1 - t0
        select += t2 - t1
        parts.append(block)
        del logits, scores
    candidates = Candidates(
        np.concatenate([p.challenge + start for p, start in zip(parts, range(0, n_challenges, BLOCK_CHALLENGES))]),
        np.concatenate([p.startup for p in parts]),
        np.concatenate([p.score for p in parts]),
    )
    return Round(n_startups, n_challenges, candidates, challenge_field, generate, select, peak)


def _unit(x: np.ndarray) -> np.ndarray:
    """Scales each row to length 1."""
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _sigmoid_inplace(x: np.ndarray) -> np.ndarray:
    """Maps logits to (0, 1) in place, to keep one block's memory."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += np.float32(1.0)
    np.reciprocal(x, out=x)
    return x


def problems(round_: Round, *, k: int, m: int) -> list[tuple[str, AssignmentProblem]]:
    """Builds the plain problem and a demanding one: a score threshold and a minimum for the weakest field.

    The weakest field's minimum is its full capacity, more than its candidates above the threshold can
    fill, so the row shows what planning for a minimum costs and what diagnose says about it.
    """
    plain = AssignmentProblem(
        candidates=round_.candidates,
        n_challenges=round_.n_challenges,
        n_startups=round_.n_startups,
        challenge_capacity=np.full(round_.n_challenges, k),
        startup_capacity=np.full(round_.n_startups, m),
        challenge_field=round_.challenge_field,
    )
    weak_capacity = int(plain.challenge_capacity[round_.challenge_field == WEAK_FIELD].sum())
    demanding = replace(plain, min_score=DEMANDING_MIN_SCORE, field_minimum={WEAK_FIELD: weak_capacity})
    return [("plain", plain), ("minimum", demanding)]


def measure(problem: AssignmentProblem, solver: str) -> tuple[float, int, object]:
    """Solves once untraced for the time, once traced for the peak memory."""
    t0 = time.perf_counter()
    result = assign(problem, solver)
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    assign(problem, solver)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, result


def field_count(problem: AssignmentProblem, result, field: int) -> int:
    """Counts the proposals to challenges of one field."""
    return int(np.isin(result.challenge, np.flatnonzero(problem.challenge_field == field)).sum())


def main(argv: list[str] | None = None) -> None:
    """Prints the solver table for each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000x1000,100000x1000", help="startups x challenges, comma-separated")
    parser.add_argument("--top-n", type=int, default=50)
    parser.add_argument("--k", type=int, default=5, help="proposals per challenge")
    parser.add_argument("--m", type=int, default=3, help="challenges per startup")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print(f"# {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}")
    print(f"# top_n={args.top_n} per challenge, k={args.k} proposals per challenge, m={args.m} challenges per startup")
    header = (
        f"{'solver':<7} {'startups x challenges':>21} {'pairs':>7} {'generate s':>10} {'select s':>8} "
        f"{'select MiB':>10} {'min score':>9} {'weak field':>11} {'solve s':>7} {'solve MiB':>9} "
        f"{'total score':>11} {'proposals':>9} {'mean':>5}"
    )
    print(header)
    print("-" * len(header))
    notes = []
    for size in args.sizes.split(","):
        n_startups, n_challenges = (int(x) for x in size.lower().split("x"))
        timed = synthetic_round(n_startups, n_challenges, top_n=args.top_n, seed=args.seed, trace=False)
        tracemalloc.start()
        traced = synthetic_round(n_startups, n_challenges, top_n=args.top_n, seed=args.seed, trace=True)
        tracemalloc.stop()
        for kind, problem in problems(timed, k=args.k, m=args.m):
            for solver in sorted(SOLVERS):
                seconds, peak, result = measure(problem, solver)
                weak = field_count(problem, result, WEAK_FIELD)
                wanted = problem.field_minimum.get(WEAK_FIELD)
                weak_text = f"{weak}" if wanted is None else f"{weak}/{wanted}"
                print(
                    f"{solver:<7} {f'{n_startups:,} x {n_challenges:,}':>21} {len(timed.candidates):>7,} "
                    f"{timed.generate_seconds:>10.2f} {timed.select_seconds:>8.2f} "
                    f"{traced.select_peak_bytes / 2**20:>10.1f} {problem.min_score:>9.2f} {weak_text:>11} "
                    f"{seconds:>7.2f} {peak / 2**20:>9.1f} {result.total_score:>11.2f} {len(result):>9,} "
                    f"{result.total_score / max(1, len(result)):>5.3f}"
                )
                if kind == "minimum":
                    notes.extend(f"{solver} {size}: {line}" for line in result.binding[:2])
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# process peak RSS {max_rss:.0f} MiB. 'select MiB': peak extra memory of candidates_from_matrix on one")
    print(f"# block of {BLOCK_CHALLENGES} challenges; 'solve MiB': peak traced memory of assign, reasons included.")
    print("# 'weak field': proposals to the low-scoring field's challenges / its minimum (its full capacity).")
    print("# First reasons of the demanding rows:")
    for note in notes:
        print(f"#   {note}")


if __name__ == "__main__":
    main()

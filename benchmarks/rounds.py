"""Match rounds at scale: warm, incremental and cold, greedy next to flow, with time and peak memory.

For each size (startups x 1,000 challenges) it builds a synthetic programme in a fresh
database, then runs the round in a child process per scenario (so peak memory is that
scenario's own):

- warm: every passage and sentence is in the embedding cache (seeded random vectors),
  once with the `flow` solver and once with `greedy`;
- incremental: 1% of the profiles edited, everything else cached;
- cold: nothing cached, the real models embed every text (slow: only with --cold).

Run: python -m benchmarks.rounds [--sizes 10000,100000] [--cold] [--database-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue as queue_module
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import rounddata
from benchmarks.speed import machine

SCENARIOS = ("warm-flow", "warm-greedy", "incremental", "cold")


def _child(url: str, round_id: int, solver: str, queue) -> None:
    from sqlalchemy import update
    from sqlmodel import select

    from matchmaker.rounds import run_round
    from models.db import make_engine, session_for
    from models.schema import Proposal, Round

    import torch  # noqa: F401  (a warm process has it loaded; its first import is not part of a round)

    engine = make_engine(url)
    # The benchmark's own data: after its first run the round is matched, which the write
    # layer rightly no longer lets anyone edit, so the solver is set directly.
    with engine.begin() as conn:
        conn.execute(update(Round).where(Round.id == round_id).values(solver=solver))
    t0 = time.perf_counter()
    run = run_round(engine=engine, round_id=round_id)
    elapsed = time.perf_counter() - t0
    with session_for(engine) as session:
        total = float(sum(session.exec(select(Proposal.score).where(Proposal.run_id == run.id))))
    # The floor for the scoring step: one plain product of the same shape as stage 1's main part.
    left = np.random.default_rng(0).standard_normal((run.n_challenges, 512)).astype(np.float32)
    right = np.random.default_rng(1).standard_normal((run.n_startups, 512)).astype(np.float32)
    t = time.perf_counter()
    left @ right.T
    floor = time.perf_counter() - t
    del left, right
    queue.put({
        "status": run.status.value, "seconds": elapsed, "timings": run.timings, "proposals": run.n_proposals,
        "total_score": total, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "floor": floor,
    })


def run_scenario(url: str, round_id: int, solver: str) -> dict:
    """Runs the round once in a fresh process and returns what it measured."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(url, round_id, solver, queue))
    process.start()
    try:
        while True:
            try:
                return queue.get(timeout=5)
            except queue_module.Empty:
                if not process.is_alive():
                    raise RuntimeError(f"the round's process ended with exit code {process.exitcode} and no result")
    finally:
        process.join(timeout=60)


def _database(base: str | None, folder: Path, name: str) -> str:
    from models import migrate

    if base:
        url = base
        migrate.downgrade(url, "base")  # an empty schema for each database the benchmark builds
    else:
        url = f"sqlite:///{folder / name}.db"
    migrate.upgrade(url)
    return url


def measure(n_startups: int, n_challenges: int, *, cold: bool, base_url: str | None, folder: Path) -> list[tuple]:
    from matchmaker.scoring import EngineConfig
    from models.db import make_engine

    rows = []
    url = _database(base_url, folder, f"warm-{n_startups}")
    engine = make_engine(url)
    t = time.perf_counter()
    data = rounddata.build(engine, n_startups=n_startups, n_challenges=n_challenges)
    c_docs, s_docs = rounddata.round_documents(engine, data.round_id)
    cached = rounddata.fill_cache(engine, c_docs + s_docs, config=EngineConfig())
    print(f"  built {n_startups:,} x {n_challenges:,} and cached {cached:,} vectors in {time.perf_counter() - t:.0f} s",
          file=sys.stderr)
    for scenario, solver in (("warm-flow", "flow"), ("warm-greedy", "greedy")):
        rows.append((n_startups, scenario, run_scenario(url, data.round_id, solver)))
    changed = rounddata.change_profiles(engine, 0.01)
    print(f"  edited {changed:,} profiles", file=sys.stderr)
    rows.append((n_startups, "incremental", run_scenario(url, data.round_id, "flow")))
    engine.dispose()
    if cold:
        url = _database(base_url, folder, f"cold-{n_startups}")
        engine = make_engine(url)
        data = rounddata.build(engine, n_startups=n_startups, n_challenges=n_challenges)
        engine.dispose()
        rows.append((n_startups, "cold", run_scenario(url, data.round_id, "flow")))
    return rows


def print_table(rows: list[tuple], n_challenges: int) -> None:
    print(f"== rounds: startups x {n_challenges:,} challenges")
    header = (f"{'startups':>9s} {'scenario':12s} {'seconds':>8s} {'embed':>7s} {'score':>6s} {'floor':>6s} "
              f"{'xfloor':>6s} {'assign':>6s} {'explain':>7s} {'hit rate':>8s} {'peak MiB':>9s} {'proposals':>9s} "
              f"{'total score':>11s}")
    print(header)
    for n, scenario, r in rows:
        t = r["timings"]
        hits, misses = t.get("cache_hits", 0), t.get("cache_misses", 0)
        rate = hits / (hits + misses) if hits + misses else 0.0
        print(f"{n:9,d} {scenario:12s} {r['seconds']:8.1f} {t.get('embed', 0):7.1f} {t.get('score', 0):6.2f} "
              f"{r['floor']:6.2f} {t.get('score', 0) / r['floor']:6.1f} {t.get('assign', 0):6.2f} "
              f"{t.get('explain', 0):7.1f} {rate:8.1%} {r['peak_mib']:9.0f} {r['proposals']:9,d} {r['total_score']:11.1f}")
    by = {(n, s): r for n, s, r in rows}
    for n in sorted({n for n, _, _ in rows}):
        if (n, "cold") in by and (n, "incremental") in by:
            share = by[(n, "incremental")]["seconds"] / by[(n, "cold")]["seconds"]
            print(f"{n:,} startups: incremental (1% changed) took {share:.1%} of the cold time (target: at most 10%)")
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="startup counts, comma-separated")
    parser.add_argument("--challenges", type=int, default=1000)
    parser.add_argument("--cold", action="store_true", help="also run with nothing cached (embeds every text: slow)")
    parser.add_argument("--database-url", default=None,
                        help="an empty PostgreSQL database to use instead of SQLite files (emptied per size)")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}\n")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(x) for x in args.sizes.split(",")):
            rows.extend(measure(n, args.challenges, cold=args.cold, base_url=args.database_url, folder=Path(folder)))
    print_table(rows, args.challenges)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Engine speed: documents embedded per second (cold), and scoring from cached embeddings next to its floor.

The floor is a plain numpy product of (n_challenges, 512) by (512, n_startups) float32:
the least any dense scorer of that shape must do. Scoring here means everything a
round needs from cached vectors: the lexical model, eligibility, stage 1 over all pairs,
and exact stage-2 scores for each challenge's top candidates.
Run: python -m benchmarks.speed [--startups 10000 --challenges 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time


from benchmarks.labelled import load
from benchmarks.synthetic import synthetic_documents, synthetic_index
from matchmaker.encoders import get_encoder
from matchmaker.scoring import EngineConfig, Scorer
from matchmaker.text import passages


def machine() -> str:
    return f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def embedding_rates(n_docs: int) -> list[tuple[str, int, int, float]]:
    """Embeds real labelled documents cold with each encoder: (encoder, docs, passages, seconds)."""
    labelled = load("quality")
    docs = (labelled.startups + labelled.challenges)[:n_docs]
    rows = []
    for name in ("use-multilingual", "minilm"):
        t0 = time.perf_counter()
        encoder = get_encoder(name)
        load_time = time.perf_counter() - t0
        texts = [p for d in docs for p in passages(d.text, encoder.passage_chars)]
        t0 = time.perf_counter()
        encoder.encode(texts)
        rows.append((name, len(docs), len(texts), time.perf_counter() - t0, load_time))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--startups", type=int, default=10_000)
    parser.add_argument("--challenges", type=int, default=1_000)
    parser.add_argument("--top-n", default="20,50",
                        help="candidates kept per challenge, comma-separated (a round keeps max(4k, 20): 20 for k = 5)")
    parser.add_argument("--embed-docs", type=int, default=200, help="documents to embed cold")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}\n")

    print("== embedding, cold (model loaded first, not timed in the rate)")
    print(f"{'encoder':18s}{'docs':>8s}{'passages':>10s}{'seconds':>10s}{'docs/s':>10s}{'passages/s':>12s}{'load s':>9s}")
    for name, n_docs, n_passages, seconds, load_time in embedding_rates(args.embed_docs):
        print(f"{name:18s}{n_docs:8d}{n_passages:10d}{seconds:10.2f}{n_docs / seconds:10.1f}"
              f"{n_passages / seconds:12.1f}{load_time:9.2f}")
    print()

    config = EngineConfig()
    challenge_docs = synthetic_documents(args.challenges, kind="challenge", seed=1)
    startup_docs = synthetic_documents(args.startups, kind="startup", seed=2)
    challenges = synthetic_index(challenge_docs, seed=3)
    startups = synthetic_index(startup_docs, seed=4)

    left = challenges.use_doc
    right = startups.use_doc
    floor = best_of(lambda: left @ right.T, args.repeat)

    sizes = [int(x) for x in args.top_n.split(",")]
    fit_time = best_of(lambda: Scorer(config).fit(challenges, startups), args.repeat)
    print(f"== scoring {args.startups:,} startups x {args.challenges:,} challenges from cached embeddings "
          f"(best of {args.repeat})")
    print(f"{'step':52s}{'seconds':>10s}{'x floor':>10s}")
    print(f"{f'floor: numpy ({args.challenges}x512) @ (512x{args.startups}) float32':52s}{floor:10.3f}{1.0:10.2f}")
    print(f"{'fit: lexical model and eligibility':52s}{fit_time:10.3f}{fit_time / floor:10.2f}")
    for n in sizes:
        def score(n=n):
            return Scorer(config).fit(challenges, startups).candidates(n, per="challenge")

        score()
        total = best_of(score, args.repeat)
        label = f"all of it, keeping the top {n} per challenge"
        print(f"{label:52s}{total:10.3f}{total / floor:10.2f}")
    print(f"\nthe ratio at {sizes[0]} candidates per challenge is the round's: aim under 3")
    return 0


if __name__ == "__main__":
    sys.exit(main())

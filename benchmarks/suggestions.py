"""Rolling suggestions: how fast a startup sees fresh suggestions after editing its profile.

For 1,000 and 10,000 open challenges (their vectors cached, as in a running service), each
iteration edits one profile's description (new text, so it must be embedded again) and
asks for its suggestions: embed the edited profile, score it against every open
challenge, explain the top 20. Next to it, the floor: embedding the same text alone.
The open-challenge index is built on the first call and reported separately.
Run: python -m benchmarks.suggestions [--challenges 1000,10000] [--iterations 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import rounddata
from benchmarks.speed import machine

EDITS = [
    "최근 온디바이스 음성 인식 모델을 NPU에 맞게 경량화했습니다.",
    "We recently shipped a smaller on-device vision model for edge cameras.",
    "INT8 양자화와 pruning으로 추론 지연을 30% 줄였습니다.",
    "Our team added a privacy-preserving mode that keeps every frame on the device.",
]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def measure(n_challenges: int, iterations: int, folder: Path) -> dict:
    from sqlmodel import select

    from matchmaker.rounds import startup_doc, suggest_challenges
    from matchmaker.scoring import EngineConfig, build_index
    from matchmaker.threads import single_threaded
    from models import crud, migrate
    from models.db import make_engine, session_for
    from models.schema import StartupProfile, StartupProfileUpdate

    url = f"sqlite:///{folder / f'suggest-{n_challenges}.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    data = rounddata.build(engine, n_startups=20, n_challenges=n_challenges)
    c_docs, _ = rounddata.round_documents(engine, data.round_id)
    rounddata.fill_cache(engine, c_docs, config=EngineConfig())

    with session_for(engine) as session:
        profile_id = session.exec(select(StartupProfile.id).order_by(StartupProfile.id)).first()
        t = time.perf_counter()
        suggest_challenges(session=session, profile=session.get(StartupProfile, profile_id))
        first = time.perf_counter() - t

    config = EngineConfig()
    latencies, floors = [], []
    for i in range(iterations):
        with session_for(engine, write=True) as session:
            profile = session.get(StartupProfile, profile_id)
            text = f"{profile.description.split(' [edit')[0]} [edit {i}] {EDITS[i % len(EDITS)]}"
            crud.update_profile(session=session, profile=profile, profile_in=StartupProfileUpdate(description=text),
                                expected_version=profile.version, actor_id=None)
            session.commit()
        with session_for(engine) as session:
            profile = session.get(StartupProfile, profile_id)
            t = time.perf_counter()
            results = suggest_challenges(session=session, profile=profile)
            latencies.append(time.perf_counter() - t)
            assert results, "no suggestions"
            doc = startup_doc(profile)
        # The floor: embedding the same text alone, as suggestions do (a variant, so no cache has it),
        # on one thread as suggestions run (matchmaker.threads), so neither leaves threads spinning for the other.
        floor_doc = type(doc)(id="floor", kind="startup", title="", text=doc.text + f" ({i})", language=doc.language)
        with single_threaded():
            t = time.perf_counter()
            build_index([floor_doc], config)
            floors.append(time.perf_counter() - t)
    engine.dispose()
    return {
        "challenges": n_challenges, "first": first, "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
        "floor_p50": statistics.median(floors), "floor_p95": percentile(floors, 95),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", default="1000,10000")
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}\n")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(x) for x in args.challenges.split(",")):
            rows.append(measure(n, args.iterations, Path(folder)))
    print(f"== suggestions for one edited profile ({args.iterations} edits each; milliseconds)")
    print(f"{'open challenges':>16s} {'first call':>10s} {'p50':>7s} {'p95':>7s} {'floor p50':>10s} {'floor p95':>10s} "
          f"{'p95/floor':>9s}")
    for r in rows:
        print(f"{r['challenges']:16,d} {r['first'] * 1000:10.0f} {r['p50'] * 1000:7.1f} {r['p95'] * 1000:7.1f} "
              f"{r['floor_p50'] * 1000:10.1f} {r['floor_p95'] * 1000:10.1f} {r['p95'] / r['floor_p50']:9.1f}")
    print("first call: builds the open-challenge index (vectors from the cache) and loads the models")
    worst = max(rows, key=lambda r: r["challenges"])
    print(f"{'PASS' if worst['p95'] < 0.150 else 'FAIL'}: p95 against {worst['challenges']:,} challenges "
          f"{worst['p95'] * 1000:.0f} ms (target: under 150 ms)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

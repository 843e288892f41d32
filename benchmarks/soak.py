"""Soak: sponsors decide on proposals concurrently while a manager re-runs the round; nothing is lost or doubled.

Serves the demo with gunicorn as the Procfile runs it. For a fixed time, several sponsor clients
(two per sponsor, as two browser tabs of one person would, so they race for the same proposals)
shortlist, invite and reject proposals through the JSON API, while a manager client starts
"run now" on the round again and again. Every answer is logged. At the end the database is read
back and checked:

- every decision the API confirmed (200) wrote exactly one audit event, and no event exists
  that no confirmed decision explains (nothing lost, nothing recorded twice);
- each proposal's status is the one its last event says;
- no answer was a 5xx; refusals are 409 (someone decided first) or 422 (not allowed from here);
- every run the manager started finished, succeeded or failed, none left running.

Run: python -m benchmarks.soak [--seconds 30] [--sponsor-clients 4] [--database-url postgresql://...]
Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks.speed import machine
from benchmarks.web import serving

ROOT = Path(__file__).resolve().parent.parent
SPONSORS = ("lg@demo.matchmaker.kr", "qualcomm@demo.matchmaker.kr")
MANAGER = "manager@demo.matchmaker.kr"
NEXT = {"proposed": ["shortlisted", "rejected"], "shortlisted": ["invited", "rejected"]}


def prepare(url: str) -> dict:
    """Migrates, seeds the demo, runs its first round; returns tokens and the round's id."""
    from matchmaker.rounds import run_round
    from models import crud, migrate, runs
    from models.db import make_engine, session_for
    from models.seed import load_fixtures

    if not url.startswith("sqlite"):
        migrate.downgrade(url, "base")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with session_for(engine, write=True) as session:
            load_fixtures(session=session, folder=ROOT / "fixtures" / "demo")
        with session_for(engine) as session:
            round_id = runs.scheduled_rounds(session=session)[0].id
        run = run_round(engine=engine, round_id=round_id)
        if run.status.value != "succeeded":
            raise RuntimeError(f"the demo round did not run: {run.error}")
        tokens = {}
        with session_for(engine, write=True) as session:
            for email in SPONSORS + (MANAGER,):
                user = crud.get_user_by_email(session=session, email=email)
                tokens[email] = crud.create_api_token(session=session, user_id=user.id, name="soak")[1]
            session.commit()
        return {"tokens": tokens, "round_id": round_id}
    finally:
        engine.dispose()


class Client:
    """One keep-alive connection speaking JSON with a bearer token; logs every answer."""

    def __init__(self, port: int, token: str, log: list, lock: threading.Lock):
        self.port, self.token, self.log, self.lock = port, token, log, lock
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            self.conn.request(method, "/api/v1" + path, body=None if body is None else json.dumps(body), headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            status, data = 0, json.dumps({"error": {"message": repr(exc)}}).encode()
        try:
            payload = json.loads(data) if data else {}
        except ValueError:
            payload = {"raw": data[:200].decode("utf-8", "replace")}
        with self.lock:
            self.log.append((method, path, body, status, payload))
        return status, payload


def sponsor_loop(client: Client, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    _, listing = client.call("GET", "/challenges?per_page=100")
    challenges = [c["id"] for c in listing.get("items", [])]
    while time.monotonic() < deadline and challenges:
        status, page = client.call("GET", f"/challenges/{rng.choice(challenges)}/proposals")
        items = [p for p in page.get("items", []) if p["status"] in NEXT] if status == 200 else []
        for proposal in rng.sample(items, min(3, len(items))):
            wanted = rng.choice(NEXT[proposal["status"]])
            body = {"status": wanted}
            if wanted == "rejected":
                body["reason"] = rng.choice(["기술 범위가 다릅니다.", "Out of scope for this field.", "일정이 맞지 않음 (timing)"])
            client.call("POST", f"/proposals/{proposal['id']}/decision", body)
            if time.monotonic() >= deadline:
                return


def manager_loop(client: Client, deadline: float, round_id: int) -> None:
    while time.monotonic() < deadline:
        client.call("POST", f"/rounds/{round_id}/runs")


def check(url: str, log: list) -> tuple[list[str], dict]:
    """Reads the database back; returns what is wrong (nothing, when all holds) and what it counted."""
    from sqlmodel import select

    from models.db import make_engine, session_for
    from models.enums import RunStatus
    from models.schema import Event, MatchRun, Proposal

    problems = []
    statuses = Counter(entry[3] for entry in log)
    if any(s >= 500 or s == 0 for s in statuses):
        problems.append(f"server errors or dropped connections: {dict(statuses)}")
    confirmed = Counter()
    for method, path, body, status, payload in log:
        if method == "POST" and path.endswith("/decision"):
            if status == 200:
                confirmed[(int(path.split("/")[2]), body["status"])] += 1
            elif status not in (409, 422):
                problems.append(f"decision answered {status}: {payload}")
    engine = make_engine(url)
    try:
        with session_for(engine) as session:
            events = session.exec(select(Event).where(Event.entity == "proposal", Event.action.like("status.%"))
                                   .order_by(Event.id)).all()
            recorded = Counter((e.entity_id, e.action.removeprefix("status.")) for e in events)
            if recorded != confirmed:
                lost = confirmed - recorded
                extra = recorded - confirmed
                problems.append(f"decisions confirmed but not recorded: {dict(lost)}; recorded but never confirmed "
                                f"or recorded twice: {dict(extra)}")
            last = {}
            for e in events:
                last[e.entity_id] = e.action.removeprefix("status.")
            proposals = {p.id: p for p in session.exec(select(Proposal).where(Proposal.id.in_(list(last)))).all()}
            for proposal_id, status in last.items():
                if proposals[proposal_id].status.value != status:
                    problems.append(f"proposal {proposal_id} is {proposals[proposal_id].status.value}, "
                                    f"its last event says {status}")
            runs = session.exec(select(MatchRun)).all()
            unfinished = [r.id for r in runs if r.status not in (RunStatus.succeeded, RunStatus.failed)]
            if unfinished:
                problems.append(f"runs left unfinished: {unfinished}")
            summary = {"events": len(events), "runs": len(runs),
                       "runs failed": sum(r.status == RunStatus.failed for r in runs)}
    finally:
        engine.dispose()
    return problems, summary


def soak(url: str, label: str, *, seconds: float, sponsor_clients: int) -> tuple[dict, list[str]]:
    setup = prepare(url)
    log: list = []
    lock = threading.Lock()
    with serving(url) as port:
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=manager_loop, args=(
            Client(port, setup["tokens"][MANAGER], log, lock), deadline, setup["round_id"]))]
        for n in range(sponsor_clients):
            token = setup["tokens"][SPONSORS[n % len(SPONSORS)]]
            threads.append(threading.Thread(target=sponsor_loop, args=(Client(port, token, log, lock), deadline, n)))
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    problems, counted = check(url, log)
    decisions = [e for e in log if e[0] == "POST" and e[1].endswith("/decision")]
    row = {
        "database": label, "seconds": elapsed, "requests": len(log),
        "decisions": len(decisions), "confirmed": sum(e[3] == 200 for e in decisions),
        "409": sum(e[3] == 409 for e in decisions), "422": sum(e[3] == 422 for e in decisions),
        "runs started": sum(e[0] == "POST" and e[1].endswith("/runs") and e[3] in (200, 201, 202) for e in log),
        **counted,
    }
    return row, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--sponsor-clients", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="an empty PostgreSQL database (emptied first); without it, SQLite only")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}\n")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(soak(f"sqlite:///{folder}/soak.db", "SQLite", seconds=args.seconds,
                            sponsor_clients=args.sponsor_clients))
    if args.database_url:
        results.append(soak(args.database_url, "PostgreSQL", seconds=args.seconds, sponsor_clients=args.sponsor_clients))
    print(f"== soak: {args.sponsor_clients} sponsor clients deciding while the manager re-runs the round")
    columns = ["database", "seconds", "requests", "decisions", "confirmed", "409", "422", "runs started", "runs",
               "runs failed", "events"]
    print(" ".join(f"{c:>12s}" for c in columns))
    for row, _ in results:
        print(" ".join(f"{row[c]:>12.1f}" if isinstance(row[c], float) else f"{row[c]!s:>12s}" for c in columns))
    failed = False
    for row, problems in results:
        for problem in problems:
            print(f"FAIL ({row['database']}): {problem}")
            failed = True
        if not problems:
            print(f"PASS ({row['database']}): every confirmed decision recorded exactly once, "
                  f"statuses agree with their events, no 5xx, every run finished")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

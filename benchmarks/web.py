"""The pages under load: requests per second and latency with 20 concurrent clients, on SQLite and PostgreSQL.

Serves the demo (fixtures loaded, one round run) with gunicorn as the Procfile runs it,
then 20 client threads with keep-alive connections on loopback request, for a fixed time:
the suggestions page of a signed-in startup, and one JSON API call (a sponsor's challenge
list with a bearer token). Every non-2xx answer counts as an error.
Run: python -m benchmarks.web [--seconds 20] [--clients 20] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from benchmarks.speed import machine

ROOT = Path(__file__).resolve().parent.parent
STARTUP = ("startup@demo.matchmaker.kr", "demo-startup-2025")
SPONSOR_EMAIL = "lg@demo.matchmaker.kr"


def procfile_web_command(port: int) -> list[str]:
    """Returns the Procfile's web command with the port filled in."""
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    # The benchmark serves on loopback only, whatever address the Procfile binds.
    command = line.split(":", 1)[1].strip().replace("${PORT:-5000}", str(port))
    command = command.replace("0.0.0.0", "127.0.0.1")  # nosec B104
    words = shlex.split(command)
    # The gunicorn installed beside this Python, whether or not its environment is activated.
    beside = Path(sys.executable).parent / words[0]
    return [str(beside) if beside.exists() else words[0]] + words[1:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str) -> str:
    """Migrates, seeds the demo, runs its rounds and returns an API token for the LG sponsor."""
    from matchmaker.rounds import run_round
    from models import crud, migrate, runs
    from models.db import make_engine, session_for
    from models.seed import load_fixtures

    if not url.startswith("sqlite"):
        migrate.downgrade(url, "base")
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_for(engine, write=True) as session:
        load_fixtures(session=session, folder=ROOT / "fixtures" / "demo")
    with session_for(engine) as session:
        round_ids = [r.id for r in runs.scheduled_rounds(session=session)]
    for round_id in round_ids:
        run_round(engine=engine, round_id=round_id)
    with session_for(engine, write=True) as session:
        sponsor = crud.get_user_by_email(session=session, email=SPONSOR_EMAIL)
        _, token = crud.create_api_token(session=session, user_id=sponsor.id, name="benchmark")
        session.commit()
    engine.dispose()
    return token


def sign_in(port: int) -> str:
    """Signs the demo startup in through the login form and returns its session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/auth/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"email": STARTUP[0], "password": STARTUP[1], "csrf_token": token})
    conn.request("POST", "/auth/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    assert response.status == 302, f"sign-in failed: {response.status}"
    return response.getheader("Set-Cookie").split(";", 1)[0]


def load(port: int, path: str, headers: dict, *, clients: int, seconds: float) -> dict:
    """Runs `clients` threads requesting `path` for `seconds`; returns counts and latencies."""
    latencies: list[float] = []
    errors = [0]
    failures: Counter = Counter()  # what each error was: a status code or the exception's name
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad, why = [], 0, Counter()
        while time.monotonic() < deadline:
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                if not ok:
                    why[str(response.status)] += 1
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ok = False
                why[type(exc).__name__] += 1
            if ok:
                mine.append(time.perf_counter() - t)
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad
            failures.update(why)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    values = np.array(latencies) if latencies else np.array([np.nan])
    return {"requests": len(latencies), "errors": errors[0], "failures": dict(failures), "rps": len(latencies) / elapsed,
            "p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}


@contextmanager
def serving(url: str) -> Iterator[int]:
    """Serves the database at `url` with gunicorn as the Procfile runs it; yields the port once it answers."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark-secret-" + "x" * 32, "SHOW_DEMO_LOGINS": "0"}
    server = subprocess.Popen(procfile_web_command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.3)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def measure(url: str, label: str, *, clients: int, seconds: float) -> list[tuple]:
    token = prepare(url)
    with serving(url) as port:
        cookie = sign_in(port)
        targets = [
            ("suggestions page", "/startup/suggestions", {"Cookie": cookie}),
            ("API: GET /api/v1/challenges", "/api/v1/challenges?per_page=20", {"Authorization": f"Bearer {token}"}),
        ]
        rows = []
        for name, path, headers in targets:
            # Warm every worker: each loads what it needs once (models, the open-challenge index).
            load(port, path, headers, clients=clients, seconds=3)
            rows.append((label, name, load(port, path, headers, clients=clients, seconds=seconds)))
        return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="an empty PostgreSQL database for the PostgreSQL run (emptied first); without it, SQLite only")
    args = parser.parse_args(argv)
    command = procfile_web_command(0)
    print(f"machine: {machine()}; server: {' '.join([Path(command[0]).name] + command[1:8])} ...\n")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows += measure(f"sqlite:///{folder}/web.db", "SQLite", clients=args.clients, seconds=args.seconds)
    if args.database_url:
        rows += measure(args.database_url, "PostgreSQL", clients=args.clients, seconds=args.seconds)
    print(f"== web: {args.clients} concurrent clients, {args.seconds:.0f} s each (milliseconds)")
    print(f"{'database':11s} {'request':30s} {'requests':>9s} {'errors':>7s} {'req/s':>7s} {'p50':>7s} {'p95':>7s}")
    for label, name, r in rows:
        print(f"{label:11s} {name:30s} {r['requests']:9,d} {r['errors']:7d} {r['rps']:7.1f} "
              f"{r['p50'] * 1000:7.1f} {r['p95'] * 1000:7.1f}")
    page = [r for _, name, r in rows if name == "suggestions page"]
    worst = max(r["p95"] for r in page)
    errors = sum(r["errors"] for _, _, r in rows)
    for label, name, r in rows:
        if r["failures"]:
            print(f"errors on {label} {name}: {r['failures']}")
    print(f"{'PASS' if worst < 0.3 and errors == 0 else 'FAIL'}: suggestions page p95 {worst * 1000:.0f} ms "
          f"(target: under 300 ms), {errors} errors\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

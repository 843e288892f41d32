"""The engine's command line: `python -m matchmaker rank --challenges C.jsonl --startups S.jsonl --for ... --top-k K`.

Output is JSON Lines on stdout, one line per query, best first. Bad input exits with
code 2 and one line on stderr naming file, line and problem; nothing goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from matchmaker.documents import Document, RecordError, challenge_document, startup_document

EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Input the command cannot use; the message is the one line printed on stderr."""


def read_jsonl(path: Path, build: Callable[[dict], Document]) -> list[Document]:
    """Reads a JSON Lines file into documents; the first problem raises InputError naming file and line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    docs, seen = [], {}
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from exc
                if not isinstance(record, dict):
                    raise InputError(f"{path}:{number}: expected a JSON object")
                try:
                    doc = build(record)
                except RecordError as exc:
                    raise InputError(f"{path}:{number}: {exc}") from exc
                if doc.id in seen:
                    raise InputError(f"{path}:{number}: id '{doc.id}' repeats line {seen[doc.id]}")
                seen[doc.id] = number
                docs.append(doc)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return docs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matchmaker", description="Rank startups and challenges.")
    commands = parser.add_subparsers(dest="command", required=True)
    rank = commands.add_parser("rank", help="rank startups for challenges, or challenges for startups")
    rank.add_argument("--challenges", type=Path, required=True, help="challenges as JSON Lines")
    rank.add_argument("--startups", type=Path, required=True, help="startups as JSON Lines")
    rank.add_argument("--for", dest="per", choices=("challenges", "startups"), required=True,
                      help="'challenges': one line per challenge ranking startups; 'startups': the reverse")
    rank.add_argument("--top-k", type=int, required=True, help="items per line; 0 means all")
    rank.add_argument("--explain", action="store_true", help="add an explanation to each ranked item")
    rank.add_argument("--veto", action="append", default=[], metavar="CHALLENGE:STARTUP",
                      help="never pair these two (repeatable)")
    return parser


def _progress(total: int):
    from tqdm import tqdm

    # Shown on stderr only when embedding takes more than a moment.
    return tqdm(total=total, desc="embedding", unit="text", file=sys.stderr, delay=1.0, leave=False)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.top_k < 0:
        parser.error("--top-k must be 0 or more")
    try:
        vetoes = set()
        for item in args.veto:
            c_id, sep, s_id = item.partition(":")
            if not sep or not c_id or not s_id:
                raise InputError(f"--veto {item!r}: expected CHALLENGE:STARTUP")
            vetoes.add((c_id, s_id))
        challenges = read_jsonl(args.challenges, challenge_document)
        startups = read_jsonl(args.startups, startup_document)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from matchmaker.eligibility import EligibilityRules
    from matchmaker.ranking import rank, ranked_lines
    from matchmaker.scoring import EngineConfig, count_passages

    config = EngineConfig(rules=EligibilityRules(vetoes=frozenset(vetoes), require_field_interest=False))
    per = "challenge" if args.per == "challenges" else "startup"
    with _progress(count_passages(challenges, config) + count_passages(startups, config)) as bar:
        result = rank(challenges, startups, per=per, top_k=args.top_k, config=config, progress=bar.update)
    out = sys.stdout
    for line in ranked_lines(result, top_k=args.top_k, explain=args.explain):
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.flush()
    return 0

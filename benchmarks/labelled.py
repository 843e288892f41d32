"""Loads a labelled set (challenges.jsonl, startups.jsonl, labels.jsonl) into documents and graded pairs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from matchmaker.documents import Document, challenge_document, startup_document

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LabelledSet:
    name: str
    challenges: list[Document]
    startups: list[Document]
    grades: dict[tuple[int, int], int]  # (challenge index, startup index) -> grade 0..3
    kinds: list[str]  # per startup: direct, paraphrase, cross, two-fit, look-alike, no-fit

    def transposed_grades(self) -> dict[tuple[int, int], int]:
        return {(s, c): g for (c, s), g in self.grades.items()}

    def fits(self, startup: int) -> bool:
        """Whether the startup is a good fit (grade >= 2) for some challenge."""
        return any(g >= 2 for (c, s), g in self.grades.items() if s == startup)


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load(name: str) -> LabelledSet:
    """Loads fixtures/<name>/ ('quality' or 'calibration')."""
    folder = ROOT / "fixtures" / name
    challenges = [challenge_document(r) for r in _jsonl(folder / "challenges.jsonl")]
    raw_startups = _jsonl(folder / "startups.jsonl")
    startups = [startup_document(r) for r in raw_startups]
    c_index = {d.id: i for i, d in enumerate(challenges)}
    s_index = {d.id: j for j, d in enumerate(startups)}
    grades = {
        (c_index[r["challenge_id"]], s_index[r["startup_id"]]): int(r["grade"])
        for r in _jsonl(folder / "labels.jsonl")
    }
    return LabelledSet(name, challenges, startups, grades, [r.get("kind", "") for r in raw_startups])

"""Eligibility rules: hard filters on (challenge, startup) pairs, each pair saying which rule removed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from matchmaker.documents import Document

STAGES = ("idea", "pre_seed", "seed", "series_a", "series_b", "series_c", "growth")

# Rule codes, in the order they are checked: a pair removed by several rules reports the first.
ELIGIBLE = 0
RULES = {
    1: "veto",
    2: "conflict",
    3: "field",
    4: "stage",
    5: "founded",
}
RULE_CODES = {name: code for code, name in RULES.items()}


@dataclass(frozen=True)
class EligibilityRules:
    """Which pairs may be matched at all.

    - vetoes: (challenge id, startup id) pairs that must never be proposed, e.g. a pair a
      sponsor rejected before or a conflict of interest declared by a reviewer.
    - conflicts: startup id -> sponsors it must not be matched with (e.g. it is owned by a
      competitor); compared with a challenge's `sponsor` metadata.
    - require_field_interest: a startup that names fields of interest is matched only with
      challenges in those fields; a startup that names none is open to every field.
    - stages: allowed stages (None: any); a startup with no stage given passes.
    - founded_within_years with reference_year: only startups founded at most that many years
      before reference_year (the programme's definition of a startup, e.g. 7 years); a
      startup with no founding year given passes.
    """

    vetoes: frozenset[tuple[str, str]] = frozenset()
    conflicts: dict[str, frozenset[str]] = field(default_factory=dict)
    require_field_interest: bool = True
    stages: Optional[frozenset[str]] = None
    founded_within_years: Optional[int] = None
    reference_year: Optional[int] = None

    def __post_init__(self):
        if self.stages is not None:
            unknown = set(self.stages) - set(STAGES)
            if unknown:
                raise ValueError(f"unknown stages {sorted(unknown)}; known: {', '.join(STAGES)}")
        if self.founded_within_years is not None and self.reference_year is None:
            raise ValueError("founded_within_years needs a reference_year")


def explain_rule(code: int, challenge: Document, startup: Document, rules: EligibilityRules) -> str:
    """Says in words why a pair was removed (code from `check`)."""
    name = RULES.get(code)
    if name == "veto":
        return f"the pair {challenge.id}–{startup.id} is vetoed"
    if name == "conflict":
        return f"{startup.title} has a declared conflict with sponsor {challenge.metadata.get('sponsor')}"
    if name == "field":
        return f"{startup.title} is not interested in the field '{challenge.fields[0] if challenge.fields else ''}'"
    if name == "stage":
        return f"stage '{startup.metadata.get('stage')}' is not among {', '.join(sorted(rules.stages or ()))}"
    if name == "founded":
        return (
            f"founded in {startup.metadata.get('founded')}, more than {rules.founded_within_years} years "
            f"before {rules.reference_year}"
        )
    return "eligible"


def check(rules: EligibilityRules, challenges: Sequence[Document], startups: Sequence[Document]) -> np.ndarray:
    """Applies the rules to every pair: (n_challenges, n_startups) uint8, 0 = eligible, else a code in RULES."""
    n_c, n_s = len(challenges), len(startups)
    codes = np.zeros((n_c, n_s), dtype=np.uint8)

    def mark(mask: np.ndarray, code: int) -> None:
        codes[(codes == ELIGIBLE) & mask] = code

    if rules.vetoes:
        c_index = {d.id: i for i, d in enumerate(challenges)}
        s_index = {d.id: j for j, d in enumerate(startups)}
        mask = np.zeros((n_c, n_s), dtype=bool)
        for c_id, s_id in rules.vetoes:
            if c_id in c_index and s_id in s_index:
                mask[c_index[c_id], s_index[s_id]] = True
        mark(mask, RULE_CODES["veto"])
    if rules.conflicts:
        sponsors = [d.metadata.get("sponsor") for d in challenges]
        mask = np.zeros((n_c, n_s), dtype=bool)
        for j, startup in enumerate(startups):
            conflicted = rules.conflicts.get(startup.id)
            if conflicted:
                mask[:, j] = [s in conflicted for s in sponsors]
        mark(mask, RULE_CODES["conflict"])
    if rules.require_field_interest:
        fields = sorted({f for d in challenges for f in d.fields})
        f_index = {f: k for k, f in enumerate(fields)}
        challenge_field = np.array([f_index[d.fields[0]] if d.fields else -1 for d in challenges])
        wants = np.zeros((n_s, len(fields) + 1), dtype=bool)
        for j, startup in enumerate(startups):
            if startup.fields:
                for f in startup.fields:
                    if f in f_index:
                        wants[j, f_index[f]] = True
                wants[j, -1] = True  # a challenge without a field is open to everyone
            else:
                wants[j, :] = True
        mark(~wants[:, challenge_field].T, RULE_CODES["field"])
    if rules.stages is not None:
        bad = np.array([d.metadata.get("stage") not in (None, *rules.stages) for d in startups])
        mark(np.broadcast_to(bad, (n_c, n_s)), RULE_CODES["stage"])
    if rules.founded_within_years is not None:
        oldest = rules.reference_year - rules.founded_within_years
        bad = np.array([(d.metadata.get("founded") or oldest) < oldest for d in startups])
        mark(np.broadcast_to(bad, (n_c, n_s)), RULE_CODES["founded"])
    return codes

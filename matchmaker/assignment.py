"""Proposals of startups to challenges under capacities: candidate pairs in, an assignment and its reasons out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

# Scores are scaled to integers for the min-cost-flow solver: 10**6 keeps the rounding (at most 5e-7 per
# pair) far below any difference a ranker's calibration can mean, and keeps every cost small enough for
# OR-Tools, which multiplies costs by the number of nodes internally.
SCORE_SCALE = 1_000_000

# The lowest score ever proposed, whatever min_score says: a pair scoring less carries no evidence of fit
# (a matrix that marks vetoed pairs with 0 stays safe), and every proposable pair is worth at least one
# unit to the flow solver, so it never has to choose arbitrarily between a pair and proposing nothing.
LOWEST_PROPOSABLE = 1 / SCORE_SCALE

# Rows of the score matrix handled at once by candidates_from_matrix; bounds the temporary memory to a
# few times ROW_BLOCK_ELEMENTS * 4 bytes whatever the matrix size.
ROW_BLOCK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class Candidates:
    """Scored (challenge, startup) pairs that may be proposed, in COO form.

    challenge: (n_pairs,) int32 index into challenges; startup: (n_pairs,) int32 index into startups;
    score: (n_pairs,) float32 in [0, 1]. Pairs absent from it are never proposed (vetoed, ineligible,
    conflicted, or not among a challenge's top candidates). Each pair appears at most once.
    """

    challenge: np.ndarray
    startup: np.ndarray
    score: np.ndarray

    def __post_init__(self) -> None:
        challenge = np.asarray(self.challenge)
        startup = np.asarray(self.startup)
        score = np.asarray(self.score, dtype=np.float32)
        if not (challenge.ndim == startup.ndim == score.ndim == 1) or not (
            challenge.shape == startup.shape == score.shape
        ):
            raise ValueError(
                "challenge, startup and score must be 1-D arrays of one length, got shapes "
                f"{challenge.shape}, {startup.shape}, {score.shape}"
            )
        for name, index in (("challenge", challenge), ("startup", startup)):
            if index.size and not np.issubdtype(index.dtype, np.integer):
                raise ValueError(f"{name} indices must be integers, got {index.dtype}")
            if index.size and index.min() < 0:
                raise ValueError(f"{name} indices must be >= 0")
        # NaN fails both comparisons, so it is refused here too.
        if score.size and not (score.min() >= 0.0 and score.max() <= 1.0):
            raise ValueError("scores must lie in [0, 1]")
        challenge = challenge.astype(np.int32, copy=False)
        startup = startup.astype(np.int32, copy=False)
        if challenge.size:
            keys = _pair_keys(challenge, startup, int(startup.max()) + 1)
            if np.unique(keys).size != keys.size:
                raise ValueError("a (challenge, startup) pair appears more than once")
        # The dataclass is frozen so callers cannot swap arrays; normalising dtypes here is the one write.
        object.__setattr__(self, "challenge", challenge)
        object.__setattr__(self, "startup", startup)
        object.__setattr__(self, "score", score)

    def __len__(self) -> int:
        return int(self.score.size)


def candidates_from_matrix(
    scores: np.ndarray,
    allowed: np.ndarray | None = None,
    *,
    top_n: int = 50,
    min_score: float = 0.0,
) -> Candidates:
    """Keeps, per challenge (row), the top_n allowed pairs scoring at least min_score.

    scores: (n_challenges, n_startups) float in [0, 1] (float32 preferred; NaN is refused).
    allowed: same shape bool, False = never propose; None allows every pair.
    Ties at a challenge's cut-off are broken by lower startup index, so the result is deterministic.
    Returns the pairs ordered by challenge, then startup index. Runs in O(n_challenges * n_startups)
    with argpartition-style selection, a block of rows at a time, so temporary memory stays small.
    """
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be (n_challenges, n_startups), got shape {scores.shape}")
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=bool)
        if allowed.shape != scores.shape:
            raise ValueError(f"allowed has shape {allowed.shape}, scores {scores.shape}")
    if top_n < 0:
        raise ValueError(f"top_n must be >= 0, got {top_n}")
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must lie in [0, 1], got {min_score}")
    n_challenges, n_startups = scores.shape
    keep_n = min(top_n, n_startups)
    rows_per_block = max(1, ROW_BLOCK_ELEMENTS // max(1, n_startups))
    challenge_parts, startup_parts, score_parts = [], [], []
    for start in range(0, n_challenges, rows_per_block):
        block = scores[start : start + rows_per_block].astype(np.float32, copy=False)
        if block.size and not (block.min() >= 0.0 and block.max() <= 1.0):
            raise ValueError(f"scores must lie in [0, 1]; rows {start}.. hold a value outside it or NaN")
        valid = block >= np.float32(min_score)
        if allowed is not None:
            valid &= allowed[start : start + rows_per_block]
        keep = _top_per_row(block, valid, keep_n)
        rows, cols = np.nonzero(keep)
        challenge_parts.append((rows + start).astype(np.int32))
        startup_parts.append(cols.astype(np.int32))
        score_parts.append(block[rows, cols])
    if not challenge_parts:
        empty_index = np.zeros(0, dtype=np.int32)
        return Candidates(empty_index, empty_index.copy(), np.zeros(0, dtype=np.float32))
    return Candidates(
        np.concatenate(challenge_parts), np.concatenate(startup_parts), np.concatenate(score_parts)
    )


def _top_per_row(block: np.ndarray, valid: np.ndarray, keep_n: int) -> np.ndarray:
    """Marks, per row of block, the keep_n highest valid entries (ties: lower column first)."""
    n_cols = block.shape[1]
    if keep_n == 0:
        return np.zeros_like(valid)
    if keep_n >= n_cols:
        return valid
    if valid.all():
        key = block
    else:
        # Scores are >= 0, so -1 ranks every invalid entry below every valid one.
        key = block.copy()
        key[~valid] = np.float32(-1.0)
    cutoff = np.partition(key, n_cols - keep_n, axis=1)[:, n_cols - keep_n][:, None]
    above = key > cutoff
    at_cutoff = key == cutoff
    still_needed = keep_n - above.sum(axis=1, keepdims=True)
    if (at_cutoff.sum(axis=1, keepdims=True) > still_needed).any():
        # More entries tie at the cut-off than places remain: the first ones by column index get them.
        at_cutoff &= np.cumsum(at_cutoff, axis=1, dtype=np.int32) <= still_needed
    return (above | at_cutoff) & valid


@dataclass(frozen=True)
class AssignmentProblem:
    """One match round's proposal problem.

    candidates: the pairs that may be proposed, scores in [0, 1].
    challenge_capacity: (n_challenges,) int >= 0, at most k proposals per challenge (may differ per challenge).
    startup_capacity: (n_startups,) int >= 0, at most m challenges per startup in this round.
    min_score: in [0, 1]; pairs scoring below it are never proposed, nor pairs scoring below
        LOWEST_PROPOSABLE (1e-6) whatever it is.
    challenge_field: (n_challenges,) int field index; required when field_minimum asks for anything.
    field_minimum: field index -> minimum number of proposals to challenges of that field. A soft lower
        bound: solvers that plan for it meet it whenever the capacities and candidates allow.
    field_names, challenge_names: labels for the messages of `diagnose`; indices are used where absent.
    """

    candidates: Candidates
    n_challenges: int
    n_startups: int
    challenge_capacity: np.ndarray
    startup_capacity: np.ndarray
    min_score: float = 0.0
    challenge_field: np.ndarray | None = None
    field_minimum: Mapping[int, int] = field(default_factory=dict)
    field_names: Mapping[int, str] = field(default_factory=dict)
    challenge_names: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.n_challenges < 0 or self.n_startups < 0:
            raise ValueError("n_challenges and n_startups must be >= 0")
        object.__setattr__(
            self, "challenge_capacity", _capacity(self.challenge_capacity, self.n_challenges, "challenge_capacity")
        )
        object.__setattr__(
            self, "startup_capacity", _capacity(self.startup_capacity, self.n_startups, "startup_capacity")
        )
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must lie in [0, 1], got {self.min_score}")
        cand = self.candidates
        if len(cand) and (cand.challenge.max() >= self.n_challenges or cand.startup.max() >= self.n_startups):
            raise ValueError(
                f"candidates index past the problem: {self.n_challenges} challenges, {self.n_startups} startups"
            )
        if self.challenge_field is not None:
            fields = np.asarray(self.challenge_field)
            if fields.shape != (self.n_challenges,) or (fields.size and not np.issubdtype(fields.dtype, np.integer)):
                raise ValueError(
                    f"challenge_field must be ({self.n_challenges},) int, got {fields.shape} {fields.dtype}"
                )
            object.__setattr__(self, "challenge_field", fields.astype(np.int64, copy=False))
        for f, minimum in self.field_minimum.items():
            if minimum < 0:
                raise ValueError(f"field_minimum for field {f} must be >= 0, got {minimum}")
        if self.challenge_field is None and any(self.field_minimum.values()):
            raise ValueError("field_minimum needs challenge_field to know which challenges are in which field")
        if self.challenge_names is not None and len(self.challenge_names) != self.n_challenges:
            raise ValueError(
                f"challenge_names has {len(self.challenge_names)} names for {self.n_challenges} challenges"
            )

    def eligible(self) -> np.ndarray:
        """Marks the candidates that can be proposed: (n_pairs,) bool, scoring enough, both capacities > 0."""
        cand = self.candidates
        return (
            self.scores_enough()
            & (self.challenge_capacity[cand.challenge] > 0)
            & (self.startup_capacity[cand.startup] > 0)
        )

    def scores_enough(self) -> np.ndarray:
        """Marks the candidates scoring at least min_score and LOWEST_PROPOSABLE: (n_pairs,) bool."""
        return self.candidates.score >= np.float32(max(self.min_score, LOWEST_PROPOSABLE))

    def threshold_words(self) -> str:
        """Says the score a pair needs, e.g. 'at least 0.50', or 'above 0' when min_score is 0."""
        if self.min_score < LOWEST_PROPOSABLE:
            return "above 0"
        text = f"{self.min_score:.2f}"
        return f"at least {text if float(text) == self.min_score else f'{self.min_score:g}'}"

    def active_field_minimum(self) -> dict[int, int]:
        """Returns the field minimums that ask for at least one proposal, by field index."""
        return {int(f): int(minimum) for f, minimum in sorted(self.field_minimum.items()) if minimum > 0}

    def challenge_label(self, c: int) -> str:
        """Names challenge c for a message."""
        return self.challenge_names[c] if self.challenge_names is not None else f"#{c}"

    def field_label(self, f: int) -> str:
        """Names field f for a message."""
        return self.field_names.get(f, f"#{f}")


def _capacity(values: np.ndarray, n: int, name: str) -> np.ndarray:
    """Checks a capacity vector: shape (n,), integer values >= 0; returns it as int64."""
    array = np.asarray(values)
    if array.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.mod(array, 1) == 0):
            raise ValueError(f"{name} must hold whole numbers")
    array = array.astype(np.int64)
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must be >= 0")
    return array


@dataclass(frozen=True)
class Assignment:
    """The proposals of one solve.

    challenge, startup: (n,) int32 indices; score: (n,) float32 in [0, 1]; ordered by challenge, then score
    (best first), then startup index. total_score: sum of score. solver: the name it was registered under.
    binding: the constraints that bind or cannot be met, in plain words (see `diagnose`).
    """

    challenge: np.ndarray
    startup: np.ndarray
    score: np.ndarray
    total_score: float
    solver: str
    binding: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.score.size)

    def by_challenge(self) -> dict[int, list[tuple[int, float]]]:
        """Lists the proposed startups of each challenge with a proposal, best score first (ties: lower index)."""
        result: dict[int, list[tuple[int, float]]] = {}
        for c, s, score in zip(self.challenge.tolist(), self.startup.tolist(), self.score.tolist()):
            result.setdefault(c, []).append((s, score))
        return result


def _assignment(problem: AssignmentProblem, chosen: np.ndarray, solver: str) -> Assignment:
    """Builds the Assignment of the candidates at positions `chosen`, in canonical order, with its reasons."""
    cand = problem.candidates
    challenge, startup, score = cand.challenge[chosen], cand.startup[chosen], cand.score[chosen]
    order = np.lexsort((startup, -score, challenge))
    unexplained = Assignment(
        challenge=challenge[order],
        startup=startup[order],
        score=score[order],
        total_score=float(score.sum(dtype=np.float64)),
        solver=solver,
    )
    return replace(unexplained, binding=diagnose(problem, unexplained))


def solve_greedy(problem: AssignmentProblem) -> Assignment:
    """Proposes pairs in descending score while both capacities allow; the baseline.

    Ties: lower challenge index, then lower startup index. Ignores field minimums (diagnose reports any
    shortfall). O(n_pairs log n_pairs): one numpy sort, then one pass over the pairs.
    """
    cand = problem.candidates
    eligible = np.flatnonzero(problem.eligible())
    order = eligible[np.lexsort((cand.startup[eligible], cand.challenge[eligible], -cand.score[eligible]))]
    room_c = problem.challenge_capacity.tolist()
    room_s = problem.startup_capacity.tolist()
    chosen = []
    # The capacities couple every pair to the ones before it, so this pass stays sequential; plain lists
    # keep it at about a microsecond per pair.
    for i, c, s in zip(order.tolist(), cand.challenge[order].tolist(), cand.startup[order].tolist()):
        if room_c[c] and room_s[s]:
            room_c[c] -= 1
            room_s[s] -= 1
            chosen.append(i)
    return _assignment(problem, np.asarray(chosen, dtype=np.int64), "greedy")


def solve_flow(problem: AssignmentProblem) -> Assignment:
    """Proposes the pairs that maximise the total score under the capacities, meeting field minimums first.

    A min-cost flow (OR-Tools SimpleMinCostFlow): source -> [field ->] challenge (capacity k_c) -> startup
    (one unit per pair, cost -round(score * 10**6)) -> sink (capacity m_s), plus a free source -> sink
    bypass so a unit need not be proposed at all. Scores are rounded to the nearest 10**-6 (SCORE_SCALE),
    so the total is optimal to within 10**-6 per proposal; every proposable pair is worth at least one unit
    (see LOWEST_PROPOSABLE), so a pair with room on both sides is never left out.

    Field minimums: each field with a minimum L gets two parallel arcs from the source, the first L units
    with a bonus B larger than any achievable total score, the rest without. So the solver first
    maximises the number of proposals that count towards minimums (meeting every minimum when that is
    feasible at all, whatever it costs in score), then the total score. Among optimal assignments the one
    returned is whatever the solver finds, the same for equal inputs.
    """
    cand = problem.candidates
    pairs = np.flatnonzero(problem.eligible())
    if pairs.size == 0:
        return _assignment(problem, pairs, "flow")
    pair_c = cand.challenge[pairs].astype(np.int64)
    value = np.rint(cand.score[pairs].astype(np.float64) * SCORE_SCALE).astype(np.int64)
    # Only startups with a candidate get a node: 100,000 startups with 50,000 pairs need far fewer.
    used_s, pair_s = np.unique(cand.startup[pairs], return_inverse=True)
    minimum = problem.active_field_minimum()
    fields = sorted(minimum)

    source, sink = 0, 1
    field_node = {f: 2 + i for i, f in enumerate(fields)}
    challenge_base = 2 + len(fields)
    startup_base = challenge_base + problem.n_challenges
    c_cap = problem.challenge_capacity
    s_cap = problem.startup_capacity[used_s]

    tails, heads, caps, costs = [], [], [], []

    def arcs(tail, head, cap, cost) -> None:
        tails.append(np.asarray(tail, dtype=np.int32))
        heads.append(np.asarray(head, dtype=np.int32))
        caps.append(np.asarray(cap, dtype=np.int64))
        costs.append(np.asarray(cost, dtype=np.int64))

    challenges = np.arange(problem.n_challenges)
    challenge_tail = np.full(problem.n_challenges, source, dtype=np.int64)
    if fields:
        field_of = problem.challenge_field
        for f in fields:
            challenge_tail[field_of == f] = field_node[f]
        bonus = _upper_bound_of_total(problem, pairs, value) + 1
        for f in fields:
            field_capacity = int(c_cap[field_of == f].sum())
            arcs([source, source], [field_node[f]] * 2, [min(minimum[f], field_capacity), field_capacity], [-bonus, 0])
    arcs(challenge_tail, challenges + challenge_base, c_cap, np.zeros(problem.n_challenges))
    first_pair_arc = sum(t.size for t in tails)
    arcs(pair_c + challenge_base, pair_s + startup_base, np.ones(pairs.size), -value)
    arcs(np.arange(used_s.size) + startup_base, np.full(used_s.size, sink), s_cap, np.zeros(used_s.size))
    units = int(min(c_cap.sum(), s_cap.sum(), pairs.size))
    arcs([source], [sink], [units], [0])

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    flow.set_node_supply(source, units)
    flow.set_node_supply(sink, -units)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow stopped with status {status!r} on {pairs.size} pairs")
    pair_flow = flow.flows(np.arange(first_pair_arc, first_pair_arc + pairs.size, dtype=np.int32))
    return _assignment(problem, pairs[np.asarray(pair_flow) > 0], "flow")


def _upper_bound_of_total(problem: AssignmentProblem, pairs: np.ndarray, value: np.ndarray) -> int:
    """Bounds the scaled total of any feasible assignment: each challenge's best k_c values, summed."""
    pair_c = problem.candidates.challenge[pairs]
    order = np.lexsort((-value, pair_c))
    sorted_c = pair_c[order]
    group_start = np.searchsorted(sorted_c, sorted_c, side="left")
    rank_in_challenge = np.arange(sorted_c.size) - group_start
    best = rank_in_challenge < problem.challenge_capacity[sorted_c]
    return int(value[order][best].sum())


SOLVERS: dict[str, Callable[[AssignmentProblem], Assignment]] = {
    "greedy": solve_greedy,
    "flow": solve_flow,
}


def assign(problem: AssignmentProblem, solver: str = "flow") -> Assignment:
    """Solves a proposal problem with the solver registered under `solver` in SOLVERS."""
    try:
        solve = SOLVERS[solver]
    except KeyError:
        raise ValueError(f"unknown solver {solver!r}; known solvers: {', '.join(sorted(SOLVERS))}") from None
    return solve(problem)


# --- reasons ---------------------------------------------------------------------------------


def diagnose(problem: AssignmentProblem, assignment: Assignment, *, max_lines: int = 20) -> tuple[str, ...]:
    """Says which constraints bind or cannot be met, in words a programme manager understands.

    Every number is computed from the problem and the assignment; every sentence is a true statement
    about them. In order: field minimums not met (with the reason), challenges that received fewer
    proposals than their capacity because too few candidates score enough (at most max_lines
    of these, then one line counting the rest), startups at their limit while challenges that want
    them have room, challenges at their limit while candidates with room are left out, and pairs left
    out although both sides had room. An empty tuple means no constraint stood in the way.
    """
    cand = problem.candidates
    eligible = problem.eligible()
    received = np.bincount(assignment.challenge, minlength=problem.n_challenges)
    taken = np.bincount(assignment.startup, minlength=problem.n_startups)
    c_cap, s_cap = problem.challenge_capacity, problem.startup_capacity
    threshold = problem.threshold_words()

    proposed = np.isin(
        _pair_keys(cand.challenge, cand.startup, problem.n_startups),
        _pair_keys(assignment.challenge, assignment.startup, problem.n_startups),
    )
    left_out = eligible & ~proposed
    c_room = received < c_cap
    s_room = taken < s_cap

    lines: list[str] = []
    lines.extend(_field_minimum_lines(problem, assignment, eligible, received))

    n_eligible = np.bincount(cand.challenge[eligible], minlength=problem.n_challenges)
    n_scoring = np.bincount(cand.challenge[problem.scores_enough()], minlength=problem.n_challenges)
    short = np.flatnonzero(c_room & (n_eligible < c_cap) & (received == n_eligible))
    for c in short[:max_lines].tolist():
        lines.append(_short_challenge_line(problem, c, int(received[c]), int(n_eligible[c]), int(n_scoring[c])))
    if short.size > max_lines:
        lines.append(
            f"{short.size - max_lines:,} more challenges received fewer proposals than their capacity "
            f"because too few candidates score {threshold}"
        )

    blocked_by_startup = left_out & c_room[cand.challenge] & ~s_room[cand.startup]
    full_startups = np.unique(cand.startup[blocked_by_startup])
    if full_startups.size:
        lines.append(
            f"{_count(full_startups.size, 'startup')} {_are_at(full_startups.size)} "
            f"{_limits(s_cap[full_startups], 'challenge')} while challenges that scored "
            f"{'it' if full_startups.size == 1 else 'them'} {threshold} still have room"
        )

    blocked_by_challenge = left_out & ~c_room[cand.challenge] & s_room[cand.startup]
    full_challenges = np.unique(cand.challenge[blocked_by_challenge])
    if full_challenges.size:
        waiting = np.unique(cand.startup[blocked_by_challenge]).size
        lines.append(
            f"{_count(full_challenges.size, 'challenge')} {_are_at(full_challenges.size)} "
            f"{_limits(c_cap[full_challenges], 'proposal')} while {_count(waiting, 'more candidate')} scoring "
            f"{threshold} still {'has' if waiting == 1 else 'have'} room"
        )

    unused = left_out & c_room[cand.challenge] & s_room[cand.startup]
    if unused.any():
        n_unused = int(unused.sum())
        was = "was" if n_unused == 1 else "were"
        lines.append(
            f"{_count(n_unused, 'pair')} scoring {threshold} {was} not proposed although both sides had room"
        )
    return tuple(lines)


def _short_challenge_line(problem: AssignmentProblem, c: int, received: int, n_eligible: int, n_scoring: int) -> str:
    """Explains why challenge c received fewer proposals than its capacity: too few candidates."""
    name = problem.challenge_label(c)
    capacity = int(problem.challenge_capacity[c])
    who = "no candidate" if n_eligible == 0 else f"only {_count(n_eligible, 'candidate')}"
    verb = "scores" if n_eligible <= 1 else "score"
    line = (
        f"challenge '{name}' received {received} of {_count(capacity, 'proposal')}: {who} {verb} "
        f"{problem.threshold_words()}"
    )
    if n_scoring > n_eligible:
        # Candidates that score high enough but have no places this round would otherwise go unmentioned.
        line += f", apart from {_count(n_scoring - n_eligible, 'startup')} with a limit of 0 challenges"
    return line


def _field_minimum_lines(
    problem: AssignmentProblem, assignment: Assignment, eligible: np.ndarray, received: np.ndarray
) -> list[str]:
    """Explains every field minimum the assignment does not meet."""
    minimum = problem.active_field_minimum()
    if not minimum:
        return []
    field_of = problem.challenge_field
    achieved = {f: int(received[field_of == f].sum()) for f in minimum}
    unmet = [f for f in minimum if achieved[f] < minimum[f]]
    if not unmet:
        return []
    threshold = problem.threshold_words()
    jointly = _max_proposals(problem, eligible, minimum)
    counted = sum(min(achieved[f], minimum[f]) for f in minimum)
    asked = sum(minimum.values())
    lines = []
    for f in unmet:
        name, want, got = problem.field_label(f), minimum[f], achieved[f]
        head = f"field '{name}' received {got} of its minimum of {_count(want, 'proposal')}"
        in_field = field_of == f
        alone = _max_proposals(problem, eligible, {f: want})
        unplanned = "; solver 'greedy' does not plan for field minimums" if assignment.solver == "greedy" else ""
        if alone < want:
            # Every reason states or implies the `alone` proposals possible; when the assignment falls short
            # of them too, say so rather than blame the candidates alone.
            line = f"{head}: {_field_limit_reason(problem, eligible, in_field, alone, threshold)}"
            if got < alone and counted < jointly:
                line += unplanned or f"; {alone:,} were possible"
            lines.append(line)
        elif counted >= jointly:
            lines.append(
                f"{head}: the fields' minimums compete for the same startups, and at most {jointly:,} of the "
                f"{asked:,} proposals they ask for can be met together"
            )
        else:
            lines.append(f"{head} although {want:,} were possible{unplanned}")
    return lines


def _field_limit_reason(
    problem: AssignmentProblem, eligible: np.ndarray, in_field: np.ndarray, possible: int, threshold: str
) -> str:
    """Says what caps a field's proposals at `possible`, the largest number its challenges can receive."""
    cand = problem.candidates
    n_challenges = int(in_field.sum())
    if n_challenges == 0:
        return "it has no challenges in this round"
    capacity = int(problem.challenge_capacity[in_field].sum())
    takes = "takes" if n_challenges == 1 else "take"
    if capacity == 0:
        return f"its {_count(n_challenges, 'challenge')} {takes} no proposals"
    in_field_pairs = in_field[cand.challenge] & (problem.challenge_capacity[cand.challenge] > 0)
    if not in_field_pairs.any():
        return "its challenges have no candidates"
    if not (in_field_pairs & problem.scores_enough()).any():
        return f"no candidate scores {threshold} on its challenges"
    field_pairs = eligible & in_field_pairs
    n_pairs = int(field_pairs.sum())
    if n_pairs == 0:
        return f"every startup scoring {threshold} on its challenges has a limit of 0 challenges"
    startups, per_startup = np.unique(cand.startup[field_pairs], return_counts=True)
    startup_bound = int(np.minimum(per_startup, problem.startup_capacity[startups]).sum())
    n_startups = int(startups.size)
    if capacity == possible:
        return f"its {_count(n_challenges, 'challenge')} {takes} at most {_count(capacity, 'proposal')} in total"
    if n_pairs == possible:
        verb = "scores" if n_startups == 1 else "score"
        return (
            f"only {_count(n_startups, 'eligible startup')} {verb} {threshold} on its challenges "
            f"({_count(n_pairs, 'pair')})"
        )
    per_challenge = np.bincount(cand.challenge[field_pairs], minlength=problem.n_challenges)
    challenge_bound = int(np.minimum(per_challenge, problem.challenge_capacity)[in_field].sum())
    if challenge_bound == possible:
        return (
            f"the candidates scoring {threshold} fill only {possible:,} of its challenges' "
            f"{capacity:,} places"
        )
    if startup_bound == possible:
        return (
            f"its {_count(n_startups, 'eligible startup')} (scoring {threshold}) can take at most "
            f"{possible:,} of its challenges within their limits"
        )
    return (
        f"at most {possible:,} are possible with the {_count(n_pairs, 'pair')} scoring {threshold} "
        "under the capacities"
    )


def _max_proposals(problem: AssignmentProblem, eligible: np.ndarray, minimum: Mapping[int, int]) -> int:
    """Computes the most proposals the fields' challenges can receive together, each field capped at its minimum."""
    cand = problem.candidates
    field_of = problem.challenge_field
    fields = sorted(minimum)
    in_fields = np.isin(field_of, fields)
    pairs = np.flatnonzero(eligible & in_fields[cand.challenge])
    if pairs.size == 0:
        return 0
    used_s, pair_s = np.unique(cand.startup[pairs], return_inverse=True)
    source, sink = 0, 1
    challenge_base = 2 + len(fields)
    startup_base = challenge_base + problem.n_challenges
    challenges = np.flatnonzero(in_fields)
    tails = [
        np.zeros(len(fields)),
        2 + np.searchsorted(fields, field_of[challenges]),
        cand.challenge[pairs] + challenge_base,
        np.arange(used_s.size) + startup_base,
    ]
    heads = [
        np.arange(len(fields)) + 2,
        challenges + challenge_base,
        pair_s + startup_base,
        np.full(used_s.size, sink),
    ]
    caps = [
        np.array([minimum[f] for f in fields]),
        problem.challenge_capacity[challenges],
        np.ones(pairs.size),
        problem.startup_capacity[used_s],
    ]
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64),
    )
    status = flow.solve(source, sink)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow stopped with status {status!r}")
    return int(flow.optimal_flow())


def _pair_keys(challenge: np.ndarray, startup: np.ndarray, n_startups: int) -> np.ndarray:
    """Encodes (challenge, startup) pairs as one int64 each, for set operations."""
    return challenge.astype(np.int64) * max(1, n_startups) + startup.astype(np.int64)


def _count(n: int, noun: str) -> str:
    """Writes '1 startup' or '12 startups'."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _are_at(n: int) -> str:
    """Writes 'is at its' or 'are at their', to agree with a count of n."""
    return "is at its" if n == 1 else "are at their"


def _limits(capacities: np.ndarray, noun: str) -> str:
    """Writes 'limit of 3 challenges' or, when the limits differ, 'limits (2 to 4 challenges)'."""
    low, high = int(capacities.min()), int(capacities.max())
    if low == high:
        return f"limit of {_count(low, noun)}"
    return f"limits ({low} to {high} {noun}s)"

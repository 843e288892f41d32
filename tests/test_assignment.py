"""Tests of the proposal solvers on hand-made score matrices whose optimum is known."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from matchmaker import assignment
from matchmaker.assignment import (
    SOLVERS,
    AssignmentProblem,
    Candidates,
    assign,
    candidates_from_matrix,
)

# The flow solver optimises scores rounded to 1e-6; its total may trail the exact optimum by that much per pair.
ROUNDING = 1e-6


def problem_from_matrix(scores, challenge_capacity, startup_capacity, allowed=None, **kwargs) -> AssignmentProblem:
    scores = np.asarray(scores, dtype=np.float32)
    n_challenges, n_startups = scores.shape
    return AssignmentProblem(
        candidates=candidates_from_matrix(scores, None if allowed is None else np.asarray(allowed, dtype=bool)),
        n_challenges=n_challenges,
        n_startups=n_startups,
        challenge_capacity=np.asarray(challenge_capacity),
        startup_capacity=np.asarray(startup_capacity),
        **kwargs,
    )


def pairs(result) -> set[tuple[int, int]]:
    return set(zip(result.challenge.tolist(), result.startup.tolist()))


def test_flow_beats_greedy_when_the_top_pair_blocks_two_good_ones():
    problem = problem_from_matrix(
        [[0.9, 0.8], [0.8, 0.0]], [1, 1], [1, 1], allowed=[[True, True], [True, False]]
    )

    greedy = assign(problem, "greedy")
    flow = assign(problem, "flow")

    assert pairs(greedy) == {(0, 0)}
    assert greedy.total_score == pytest.approx(0.9)
    assert pairs(flow) == {(0, 1), (1, 0)}
    assert flow.total_score == pytest.approx(1.6)
    assert flow.solver == "flow" and greedy.solver == "greedy"


def test_greedy_explains_that_the_top_pair_used_up_the_startup():
    problem = problem_from_matrix(
        [[0.9, 0.8], [0.8, 0.0]], [1, 1], [1, 1], allowed=[[True, True], [True, False]]
    )

    assert assign(problem, "greedy").binding == (
        "1 startup is at its limit of 1 challenge while challenges that scored it above 0 still have room",
        "1 challenge is at its limit of 1 proposal while 1 more candidate scoring above 0 still has room",
    )
    assert assign(problem, "flow").binding == ()


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_each_challenge_gets_at_most_its_own_capacity(solver):
    scores = [[0.9, 0.8, 0.7, 0.6], [0.5, 0.5, 0.5, 0.5]]
    problem = problem_from_matrix(scores, [1, 3], [1, 1, 1, 1])

    result = assign(problem, solver)

    assert result.by_challenge() == {0: [(0, pytest.approx(0.9))], 1: [(1, 0.5), (2, 0.5), (3, 0.5)]}
    assert result.total_score == pytest.approx(2.4)


def test_startup_capacity_limits_how_many_challenges_one_startup_gets():
    # Startup 0 is the best candidate everywhere but may take only two challenges: flow leaves it the two
    # where startup 1 is weakest (2.1), greedy spends it on the first two it meets (1.8).
    scores = [[0.9, 0.6], [0.8, 0.4], [0.7, 0.1]]
    problem = problem_from_matrix(scores, [1, 1, 1], [2, 3])

    flow = assign(problem, "flow")
    greedy = assign(problem, "greedy")

    assert pairs(flow) == {(0, 1), (1, 0), (2, 0)}
    assert flow.total_score == pytest.approx(2.1)
    assert pairs(greedy) == {(0, 0), (1, 0), (2, 1)}
    assert greedy.total_score == pytest.approx(1.8)
    for result in (flow, greedy):
        assert np.bincount(result.startup, minlength=2)[0] == 2


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_pairs_below_min_score_are_not_proposed(solver):
    problem = problem_from_matrix(
        [[0.9, 0.4], [0.45, 0.3]], [1, 1], [1, 1], min_score=0.5, challenge_names=["LG-TV-01", "QC-DRONE-02"]
    )

    result = assign(problem, solver)

    assert pairs(result) == {(0, 0)}
    assert result.binding == ("challenge 'QC-DRONE-02' received 0 of 1 proposal: no candidate scores at least 0.50",)


def test_a_short_challenge_mentions_candidates_whose_startups_have_no_places():
    problem = problem_from_matrix([[0.8, 0.7, 0.2]], [3], [1, 0, 1], min_score=0.5)

    assert assign(problem, "flow").binding == (
        "challenge '#0' received 1 of 3 proposals: only 1 candidate scores at least 0.50, apart from 1 startup "
        "with a limit of 0 challenges",
    )


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_startups_at_different_limits_are_reported_with_the_range_of_limits(solver):
    # Startup 0 (limit 1) and startup 1 (limit 2) are used up by better pairs while challenge 3 wants both.
    scores = np.array([[0.9, 0.0], [0.0, 0.9], [0.0, 0.8], [0.5, 0.5]])
    problem = problem_from_matrix(scores, [1, 1, 1, 1], [1, 2], allowed=scores > 0)

    result = assign(problem, solver)

    assert pairs(result) == {(0, 0), (1, 1), (2, 1)}
    assert result.binding == (
        "2 startups are at their limits (1 to 2 challenges) while challenges that scored them above 0 still have "
        "room",
    )


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_pairs_scoring_zero_are_never_proposed_even_without_a_min_score(solver):
    # A matrix that marks vetoed pairs with 0 must not turn them into proposals to fill capacity.
    problem = problem_from_matrix([[0.6, 0.0], [0.0, 0.0]], [2, 2], [2, 2])

    result = assign(problem, solver)

    assert pairs(result) == {(0, 0)}
    assert result.binding == (
        "challenge '#0' received 1 of 2 proposals: only 1 candidate scores above 0",
        "challenge '#1' received 0 of 2 proposals: no candidate scores above 0",
    )


def test_candidate_selection_drops_pairs_below_its_min_score():
    candidates = candidates_from_matrix(np.array([[0.9, 0.4], [0.45, 0.3]], dtype=np.float32), min_score=0.42)

    assert list(zip(candidates.challenge.tolist(), candidates.startup.tolist())) == [(0, 0), (1, 0)]


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_vetoed_and_absent_pairs_are_never_proposed(solver):
    scores = np.array([[1.0, 0.2, 0.1], [0.9, 0.95, 0.3]], dtype=np.float32)
    allowed = np.array([[False, True, True], [True, True, True]])
    vetoed = candidates_from_matrix(scores, allowed)
    # Also drop (1, 1) from the candidates, as a ranker's top-n cut would.
    keep = ~((vetoed.challenge == 1) & (vetoed.startup == 1))
    candidates = Candidates(vetoed.challenge[keep], vetoed.startup[keep], vetoed.score[keep])
    problem = AssignmentProblem(candidates, 2, 3, np.array([2, 2]), np.array([2, 2, 2]))

    result = assign(problem, solver)

    assert (0, 0) not in pairs(result) and (1, 1) not in pairs(result)
    assert pairs(result) == {(0, 1), (0, 2), (1, 0), (1, 2)}


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_a_round_with_nothing_in_the_way_reports_no_binding_constraint(solver):
    problem = problem_from_matrix([[0.7, 0.6], [0.2, 0.9]], [1, 1], [1, 1])

    result = assign(problem, solver)

    assert pairs(result) == {(0, 0), (1, 1)}
    assert result.binding == ()


def test_by_challenge_lists_startups_best_first_and_ties_by_lower_index():
    problem = problem_from_matrix([[0.5, 0.8, 0.5, 0.1], [0.0, 0.0, 0.3, 0.3]], [3, 2], [2, 2, 2, 2])

    result = assign(problem, "greedy")

    assert result.by_challenge() == {
        0: [(1, pytest.approx(0.8)), (0, 0.5), (2, 0.5)],
        1: [(2, pytest.approx(0.3)), (3, pytest.approx(0.3))],
    }


FIELDS = {0: "smart home", 1: "inspection drone"}


def field_problem(**kwargs) -> AssignmentProblem:
    # Challenge 0 (smart home) scores every startup 0.9, challenge 1 (inspection drone) only 0.6.
    return problem_from_matrix(
        [[0.9, 0.9, 0.9], [0.6, 0.6, 0.6]],
        [3, 3],
        [1, 1, 1],
        challenge_field=np.array([0, 1]),
        field_names=FIELDS,
        challenge_names=["LG-HOME-01", "QC-DRONE-02"],
        **kwargs,
    )


def test_without_a_field_minimum_flow_gives_everything_to_the_higher_scoring_field():
    result = assign(field_problem(), "flow")

    assert result.by_challenge() == {0: [(0, pytest.approx(0.9)), (1, pytest.approx(0.9)), (2, pytest.approx(0.9))]}


def test_field_minimum_moves_proposals_into_a_lower_scoring_field():
    result = assign(field_problem(field_minimum={1: 2}), "flow")

    assert np.bincount(result.challenge, minlength=2).tolist() == [1, 2]
    assert result.total_score == pytest.approx(0.9 + 0.6 + 0.6)
    assert not any(line.startswith("field") for line in result.binding)


def test_greedy_reports_the_field_minimum_it_does_not_plan_for():
    result = assign(field_problem(field_minimum={1: 2}), "greedy")

    assert np.bincount(result.challenge, minlength=2).tolist() == [3, 0]
    assert result.binding[0] == (
        "field 'inspection drone' received 0 of its minimum of 2 proposals although 2 were possible; "
        "solver 'greedy' does not plan for field minimums"
    )


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_infeasible_field_minimum_is_reported_in_plain_words(solver):
    # Only two startups score at least 0.50 on the drone challenge, which asks for five.
    scores = [[0.9, 0.9, 0.9, 0.9], [0.7, 0.55, 0.3, 0.2]]
    problem = problem_from_matrix(
        scores,
        [5, 5],
        [3, 3, 3, 3],
        min_score=0.5,
        challenge_field=np.array([0, 1]),
        field_minimum={1: 5},
        field_names=FIELDS,
        challenge_names=["LG-HOME-01", "QC-DRONE-02"],
    )

    result = assign(problem, solver)

    assert pairs(result) >= {(1, 0), (1, 1)}
    assert result.binding == (
        "field 'inspection drone' received 2 of its minimum of 5 proposals: only 2 eligible startups score at "
        "least 0.50 on its challenges (2 pairs)",
        "challenge 'LG-HOME-01' received 4 of 5 proposals: only 4 candidates score at least 0.50",
        "challenge 'QC-DRONE-02' received 2 of 5 proposals: only 2 candidates score at least 0.50",
    )


def test_field_minimum_beyond_the_fields_capacity_names_the_capacity():
    problem = field_problem(field_minimum={1: 4})

    result = assign(problem, "flow")

    assert result.binding[0] == (
        "field 'inspection drone' received 3 of its minimum of 4 proposals: its 1 challenge takes at most 3 "
        "proposals in total"
    )


def test_field_minimum_beyond_what_its_challenges_candidates_fill_says_so():
    # Drone challenge 1 has three good candidates but two places; drone challenge 2 has none.
    scores = [[0.9, 0.9, 0.9], [0.6, 0.6, 0.6], [0.2, 0.2, 0.2]]
    problem = problem_from_matrix(
        scores,
        [3, 2, 2],
        [1, 1, 1],
        min_score=0.5,
        challenge_field=np.array([0, 1, 1]),
        field_minimum={1: 3},
        field_names=FIELDS,
    )

    result = assign(problem, "flow")

    assert np.bincount(result.challenge, minlength=3).tolist() == [1, 2, 0]
    assert result.binding[0] == (
        "field 'inspection drone' received 2 of its minimum of 3 proposals: the candidates scoring at least 0.50 "
        "fill only 2 of its challenges' 4 places"
    )


def test_greedy_short_of_an_infeasible_field_minimum_also_says_what_was_possible():
    # Drone challenge 1 could take startups 0 and 1, but greedy gives both to the better-scoring challenge 0.
    scores = [[0.9, 0.9, 0.0], [0.6, 0.6, 0.0]]
    problem = problem_from_matrix(
        scores,
        [2, 3],
        [1, 1, 1],
        min_score=0.5,
        challenge_field=np.array([0, 1]),
        field_minimum={1: 3},
        field_names=FIELDS,
    )

    assert assign(problem, "greedy").binding[0] == (
        "field 'inspection drone' received 0 of its minimum of 3 proposals: only 2 eligible startups score at least "
        "0.50 on its challenges (2 pairs); solver 'greedy' does not plan for field minimums"
    )
    assert assign(problem, "flow").binding[0] == (
        "field 'inspection drone' received 2 of its minimum of 3 proposals: only 2 eligible startups score at least "
        "0.50 on its challenges (2 pairs)"
    )


def test_competing_field_minimums_are_reported_when_they_cannot_all_be_met():
    # One startup, wanted by both fields' only challenge: one minimum must go unmet.
    problem = problem_from_matrix(
        [[0.8], [0.7]],
        [1, 1],
        [1],
        challenge_field=np.array([0, 1]),
        field_minimum={0: 1, 1: 1},
        field_names=FIELDS,
    )

    result = assign(problem, "flow")

    assert pairs(result) == {(0, 0)}
    assert result.binding[0] == (
        "field 'inspection drone' received 0 of its minimum of 1 proposal: the fields' minimums compete for the "
        "same startups, and at most 1 of the 2 proposals they ask for can be met together"
    )


def test_many_short_challenges_are_summarised_after_max_lines():
    scores = np.zeros((25, 1), dtype=np.float32)
    problem = problem_from_matrix(scores, np.full(25, 2), [0], min_score=0.5)

    binding = assign(problem, "flow").binding

    assert len(binding) == 21
    assert binding[-1] == (
        "5 more challenges received fewer proposals than their capacity because too few candidates score at "
        "least 0.50"
    )


def brute_force_best(problem: AssignmentProblem) -> tuple[int, float]:
    """Finds the best (proposals counted towards field minimums, total score) by trying every subset."""
    cand = problem.candidates
    eligible = np.flatnonzero(problem.eligible())
    minimum = problem.active_field_minimum()
    best = (0, 0.0)
    for size in range(len(eligible) + 1):
        for subset in itertools.combinations(eligible.tolist(), size):
            chosen = np.asarray(subset, dtype=np.int64)
            per_challenge = np.bincount(cand.challenge[chosen], minlength=problem.n_challenges)
            per_startup = np.bincount(cand.startup[chosen], minlength=problem.n_startups)
            if (per_challenge > problem.challenge_capacity).any() or (per_startup > problem.startup_capacity).any():
                continue
            counted = sum(
                min(int(per_challenge[problem.challenge_field == f].sum()), want) for f, want in minimum.items()
            )
            total = float(cand.score[chosen].sum(dtype=np.float64))
            if (counted, total) > best:
                best = (counted, total)
    return best


def random_tiny_problem(seed: int) -> AssignmentProblem:
    rng = np.random.default_rng(seed)
    n_challenges, n_startups = int(rng.integers(2, 5)), int(rng.integers(2, 6))
    scores = np.round(rng.random((n_challenges, n_startups)), 2)
    allowed = rng.random((n_challenges, n_startups)) < 0.9
    # Keep the subsets to enumerate few: at most 12 pairs.
    flat = np.flatnonzero(allowed)
    if flat.size > 12:
        allowed.flat[rng.choice(flat, flat.size - 12, replace=False)] = False
    with_fields = seed % 2 == 1
    challenge_field = rng.permutation(np.arange(n_challenges) % 2)
    if with_fields:
        # Field 1 scores lower, so its minimum has to pull proposals away from field 0.
        scores[challenge_field == 1] *= 0.5
    return AssignmentProblem(
        candidates=candidates_from_matrix(scores.astype(np.float32), allowed),
        n_challenges=n_challenges,
        n_startups=n_startups,
        challenge_capacity=rng.choice([0, 1, 2, 2, 2, 3], n_challenges),
        startup_capacity=rng.choice([0, 1, 1, 1, 1, 2], n_startups),
        min_score=float(rng.choice([0.0, 0.1])),
        challenge_field=challenge_field if with_fields else None,
        field_minimum={0: int(rng.integers(0, 2)), 1: int(rng.integers(1, 3))} if with_fields else {},
    )


def assert_feasible(problem: AssignmentProblem, result) -> None:
    cand = problem.candidates
    listed = {
        (c, s): score
        for c, s, score in zip(cand.challenge.tolist(), cand.startup.tolist(), cand.score.tolist())
        if score >= problem.min_score
    }
    proposed = list(zip(result.challenge.tolist(), result.startup.tolist()))
    assert len(proposed) == len(set(proposed))
    assert all(pair in listed for pair in proposed)
    assert (np.bincount(result.challenge, minlength=problem.n_challenges) <= problem.challenge_capacity).all()
    assert (np.bincount(result.startup, minlength=problem.n_startups) <= problem.startup_capacity).all()
    assert result.total_score == pytest.approx(sum(listed[pair] for pair in proposed))


@pytest.mark.parametrize("seed", range(40))
def test_flow_matches_the_brute_force_optimum_and_greedy_never_exceeds_it(seed):
    problem = random_tiny_problem(seed)
    best_counted, best_total = brute_force_best(problem)
    minimum = problem.active_field_minimum()

    flow = assign(problem, "flow")
    greedy = assign(problem, "greedy")

    for result in (flow, greedy):
        assert_feasible(problem, result)
    per_challenge = np.bincount(flow.challenge, minlength=problem.n_challenges)
    counted = sum(min(int(per_challenge[problem.challenge_field == f].sum()), want) for f, want in minimum.items())
    assert counted == best_counted
    assert flow.total_score == pytest.approx(best_total, abs=ROUNDING * max(1, len(flow)))
    if not minimum:
        assert greedy.total_score <= best_total + 1e-9


def test_candidates_keep_the_top_n_per_challenge_with_ties_to_the_lower_startup_index():
    scores = np.array([[0.5, 0.9, 0.5, 0.5, 0.1], [0.2, 0.2, 0.2, 0.2, 0.2]], dtype=np.float32)

    candidates = candidates_from_matrix(scores, top_n=3)

    assert list(zip(candidates.challenge.tolist(), candidates.startup.tolist())) == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
    ]


@pytest.mark.parametrize("block_elements", [7, 10_000])
def test_candidate_selection_agrees_with_a_full_sort_across_row_blocks(monkeypatch, block_elements):
    # A small block size makes the matrix span many blocks, the way 1,000 x 100,000 does.
    monkeypatch.setattr(assignment, "ROW_BLOCK_ELEMENTS", block_elements)
    rng = np.random.default_rng(7)
    scores = np.round(rng.random((37, 23)), 1).astype(np.float32)
    allowed = rng.random((37, 23)) < 0.8

    candidates = candidates_from_matrix(scores, allowed, top_n=6, min_score=0.25)

    expected = []
    for c in range(scores.shape[0]):
        valid = [s for s in range(scores.shape[1]) if allowed[c, s] and scores[c, s] >= np.float32(0.25)]
        expected.extend((c, s) for s in sorted(sorted(valid, key=lambda s: (-scores[c, s], s))[:6]))
    assert list(zip(candidates.challenge.tolist(), candidates.startup.tolist())) == expected
    assert candidates.score.dtype == np.float32 and candidates.challenge.dtype == np.int32


def test_candidate_selection_keeps_everything_when_top_n_exceeds_the_startups():
    candidates = candidates_from_matrix(np.array([[0.3, 0.0]], dtype=np.float32), top_n=50)

    assert candidates.startup.tolist() == [0, 1]


@pytest.mark.parametrize("bad", [np.nan, -0.1, 1.5])
def test_scores_outside_zero_to_one_are_refused(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        candidates_from_matrix(np.array([[0.5, bad]], dtype=np.float32))


def test_a_pair_listed_twice_is_refused():
    with pytest.raises(ValueError, match="more than once"):
        Candidates(np.array([0, 0]), np.array([1, 1]), np.array([0.5, 0.6]))


def test_capacities_of_the_wrong_shape_are_refused():
    candidates = Candidates(np.array([0]), np.array([0]), np.array([0.5]))
    with pytest.raises(ValueError, match="challenge_capacity"):
        AssignmentProblem(candidates, 1, 1, np.array([1, 1]), np.array([1]))


def test_field_minimum_without_challenge_fields_is_refused():
    candidates = Candidates(np.array([0]), np.array([0]), np.array([0.5]))
    with pytest.raises(ValueError, match="challenge_field"):
        AssignmentProblem(candidates, 1, 1, np.array([1]), np.array([1]), field_minimum={0: 1})


def test_unknown_solver_name_lists_the_known_ones():
    problem = problem_from_matrix([[0.5]], [1], [1])

    with pytest.raises(ValueError, match="unknown solver 'hungarian'; known solvers: flow, greedy"):
        assign(problem, "hungarian")


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_equal_inputs_give_equal_proposals(solver):
    # Rounded scores make many ties, where an unstable solver could pick differently from run to run.
    rng = np.random.default_rng(11)
    scores = np.round(rng.random((40, 60)), 1).astype(np.float32)

    def solve():
        return assign(problem_from_matrix(scores.copy(), np.full(40, 3), np.full(60, 2)), solver)

    first, second = solve(), solve()
    assert first.challenge.tolist() == second.challenge.tolist()
    assert first.startup.tolist() == second.startup.tolist()
    assert first.binding == second.binding


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_a_round_of_1000_challenges_and_100000_startups_solves_within_seconds(solver):
    rng = np.random.default_rng(0)
    n_challenges, n_startups, top_n = 1000, 100_000, 50
    challenge = np.repeat(np.arange(n_challenges), top_n)
    # Popular startups appear for many challenges, so the startup limit of 3 binds.
    startup = np.concatenate(
        [rng.choice(n_startups // 20, top_n, replace=False) for _ in range(n_challenges)]
    )
    score = rng.beta(2, 5, challenge.size).astype(np.float32)
    problem = AssignmentProblem(
        Candidates(challenge, startup, score),
        n_challenges,
        n_startups,
        np.full(n_challenges, 5),
        np.full(n_startups, 3),
    )

    started = time.perf_counter()
    result = assign(problem, solver)
    elapsed = time.perf_counter() - started

    assert elapsed < 10
    assert len(result) == 5000
    assert_feasible(problem, result)

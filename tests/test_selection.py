"""Tests of the final selection: deferred acceptance under challenge and track capacities."""

from __future__ import annotations

import itertools
import random

import pytest

from matchmaker.selection import Selection, SelectionProblem, blocking_pairs, select

# The hospitals/residents example of the `matching` library's documentation (daffidwilde/matching,
# docs/discussion/hospital_resident/example.rst): five residents, three hospitals with two places each.
# Its stable matching, both resident- and hospital-optimal, is A-C, D-C, S-M, L-M, J-G; the matching with
# L at G instead of M has exactly one blocking pair, (L, M).
TEXTBOOK = dict(
    shortlists={"M": ["D", "L", "S", "J"], "C": ["D", "A", "S", "L", "J"], "G": ["D", "J", "L"]},
    interests={
        "A": ["C"],
        "S": ["C", "M"],
        "D": ["C", "M", "G"],
        "J": ["C", "G", "M"],
        "L": ["M", "C", "G"],
    },
    challenge_capacity={"M": 2, "C": 2, "G": 2},
)


def selection_of(problem: SelectionProblem, matches: dict) -> Selection:
    by_challenge = {
        c: tuple(s for s in problem.shortlists[c] if matches.get(s) == c) for c in problem.challenge_capacity
    }
    return Selection(matches=matches, by_challenge=by_challenge, problem=problem)


def test_textbook_instance_gives_the_known_resident_optimal_matching():
    selection = select(SelectionProblem(**TEXTBOOK))

    assert dict(selection.matches) == {"A": "C", "D": "C", "S": "M", "L": "M", "J": "G"}
    assert dict(selection.by_challenge) == {"C": ("D", "A"), "G": ("J",), "M": ("L", "S")}


def test_blocking_pairs_finds_the_textbook_blocking_pair():
    problem = SelectionProblem(**TEXTBOOK)
    unstable = selection_of(problem, {"A": "C", "D": "C", "S": "M", "L": "G", "J": "G"})

    assert blocking_pairs(problem, unstable) == [("L", "M")]
    assert blocking_pairs(problem, select(problem)) == []


TRACKS = dict(
    shortlists={"LG-TV-01": ["a", "b", "c"], "LG-HOME-02": ["d", "e"], "QC-01": ["c"]},
    interests={
        "a": ["LG-TV-01"],
        "b": ["LG-TV-01"],
        "c": ["LG-TV-01", "QC-01"],
        "d": ["LG-HOME-02"],
        "e": ["LG-HOME-02"],
    },
    challenge_capacity={"LG-TV-01": 2, "LG-HOME-02": 2, "QC-01": 1},
    challenge_track={"LG-TV-01": "lg", "LG-HOME-02": "lg", "QC-01": "qc"},
)


def test_without_a_track_capacity_every_challenge_fills_its_own_places():
    selection = select(SelectionProblem(**TRACKS))

    assert dict(selection.matches) == {
        "a": "LG-TV-01",
        "b": "LG-TV-01",
        "c": "QC-01",
        "d": "LG-HOME-02",
        "e": "LG-HOME-02",
    }


def test_track_capacity_binds_across_its_challenges_by_normalised_shortlist_position():
    # Normalised positions: a 0/3, b 1/3, d 0/2, e 1/2; the track keeps its three best: a, d, b.
    problem = SelectionProblem(**TRACKS, track_capacity={"lg": 3})

    selection = select(problem)

    assert dict(selection.matches) == {"a": "LG-TV-01", "b": "LG-TV-01", "c": "QC-01", "d": "LG-HOME-02"}
    assert sum(1 for c in selection.matches.values() if c.startswith("LG")) == 3
    assert selection.why_not("e") == (
        "'LG-HOME-02' (its 1st choice): the 'lg' track reached its 3 selections with startups ranked higher"
    )
    assert blocking_pairs(problem, selection) == []


def test_track_priority_by_raw_position_breaks_ties_by_challenge_id():
    # By raw position b and e tie (2nd each); 'LG-HOME-02' sorts before 'LG-TV-01', so e stays.
    problem = SelectionProblem(**TRACKS, track_capacity={"lg": 3}, track_priority="position")

    selection = select(problem)

    assert dict(selection.matches) == {"a": "LG-TV-01", "c": "QC-01", "d": "LG-HOME-02", "e": "LG-HOME-02"}
    assert selection.why_not("b") == (
        "'LG-TV-01' (its 1st choice): the 'lg' track reached its 3 selections with startups ranked higher"
    )
    assert blocking_pairs(problem, selection) == []


WHY_NOT = dict(
    shortlists={"LG-TV-01": ["a", "b"], "LG-LAB-03": ["c"], "QC-01": ["y", "d"], "QC-02": ["d"]},
    interests={
        "a": ["LG-TV-01"],
        "b": ["LG-TV-01", "QC-01"],
        "c": ["LG-LAB-03"],
        "d": ["QC-02", "QC-01"],
        "y": ["LG-TV-01"],
        "z": ["LG-TV-01"],
    },
    challenge_capacity={"LG-TV-01": 1, "LG-LAB-03": 0, "QC-01": 2, "QC-02": 1},
    challenge_track={"LG-TV-01": "lg", "LG-LAB-03": "lg", "QC-01": "qc", "QC-02": "qc"},
    track_capacity={"qc": 0},
)


@pytest.mark.parametrize(
    ("startup", "reason"),
    [
        ("z", "not on any shortlist"),
        ("y", "no interest in the challenges that shortlisted it ('QC-01')"),
        ("a", "selected by 'LG-TV-01' (its 1st choice)"),
        ("b", "'LG-TV-01' (its 1st choice) filled its 1 place with startups it ranked higher; 'QC-01' (its 2nd "
              "choice) did not shortlist it"),
        ("c", "'LG-LAB-03' (its 1st choice) has no places"),
        ("d", "'QC-02' (its 1st choice): the 'qc' track has no places; 'QC-01' (its 2nd choice): the 'qc' track "
              "has no places"),
    ],
)
def test_why_not_names_the_reason(startup, reason):
    assert select(SelectionProblem(**WHY_NOT)).why_not(startup) == reason


def test_why_not_for_a_startup_selected_below_its_first_choice_explains_the_first():
    selection = select(SelectionProblem(**TEXTBOOK))

    assert selection.why_not("S") == (
        "selected by 'M' (its 2nd choice); 'C' (its 1st choice) filled its 2 places with startups it ranked higher"
    )


def test_why_not_refuses_an_unknown_startup():
    with pytest.raises(ValueError, match="'nobody'"):
        select(SelectionProblem(**TEXTBOOK)).why_not("nobody")


def test_only_mutually_acceptable_pairs_match():
    # x wants C, which has room but did not shortlist it; C shortlisted w, which never asked.
    problem = SelectionProblem(
        shortlists={"C": ["w"]}, interests={"x": ["C"], "w": []}, challenge_capacity={"C": 3}
    )

    selection = select(problem)

    assert dict(selection.matches) == {}
    assert selection.why_not("x") == "not on any shortlist"
    assert selection.why_not("w") == "no interest in the challenges that shortlisted it ('C')"


def test_selection_is_the_same_whatever_order_the_mappings_list_ids_in():
    rng = random.Random(3)
    problem = random_problem(rng, n_startups=8, n_challenges=4)

    def shuffled(mapping):
        items = list(mapping.items())
        rng.shuffle(items)
        return dict(items)

    reordered = SelectionProblem(
        shortlists=shuffled(problem.shortlists),
        interests=shuffled(problem.interests),
        challenge_capacity=shuffled(problem.challenge_capacity),
        challenge_track=shuffled(problem.challenge_track),
        track_capacity=shuffled(problem.track_capacity),
    )

    first, again, other = select(problem), select(problem), select(reordered)
    assert first == again == other
    assert list(first.matches) == list(other.matches)
    assert list(first.by_challenge.items()) == list(other.by_challenge.items())


def random_problem(rng: random.Random, n_startups: int, n_challenges: int, dense: bool = False) -> SelectionProblem:
    """Builds a random problem; dense ones have long lists and tight tracks, so tracks bind often."""
    startups = [f"s{i}" for i in range(n_startups)]
    challenges = [f"c{i}" for i in range(n_challenges)]
    challenge_track = {c: rng.choice(["lg", "qc"]) for c in challenges if dense or rng.random() < 0.8}
    used_tracks = sorted(set(challenge_track.values()))
    shortest_shortlist, shortest_interest = (n_startups // 2, 1) if dense else (0, 0)
    return SelectionProblem(
        shortlists={c: rng.sample(startups, rng.randint(shortest_shortlist, n_startups)) for c in challenges},
        interests={s: rng.sample(challenges, rng.randint(shortest_interest, n_challenges)) for s in startups},
        challenge_capacity={c: rng.randint(0 if not dense else 1, 3) for c in challenges},
        challenge_track=challenge_track,
        track_capacity={t: rng.randint(0 if not dense else 1, 4) for t in used_tracks if dense or rng.random() < 0.7},
    )


@pytest.mark.parametrize("seed", range(200))
def test_deferred_acceptance_leaves_no_blocking_pair(seed):
    rng = random.Random(seed)
    problem = random_problem(rng, n_startups=rng.randint(1, 9), n_challenges=rng.randint(1, 5), dense=seed % 2 == 0)

    selection = select(problem)

    assert blocking_pairs(problem, selection) == []
    for startup, challenge in selection.matches.items():
        assert challenge in problem.interests[startup] and startup in problem.shortlists[challenge]


def reference_track_key(problem: SelectionProblem, startup, challenge) -> tuple:
    shortlist = problem.shortlists[challenge]
    position = shortlist.index(startup)
    return (position / len(shortlist), position, sorted(problem.challenge_capacity).index(challenge))


def reference_blocking_pairs(problem: SelectionProblem, matches: dict) -> list:
    """Lists blocking pairs by the choice-function definition: would the challenge's track choose the pair?

    The track (or the challenge alone, if its track has no capacity) chooses from the pairs it holds plus the
    new one, greedily in priority order, while the challenge and the track have places.
    """
    found = []
    for s in sorted(problem.interests):
        choices = problem.interests[s]
        preferred = choices if s not in matches else choices[: choices.index(matches[s])]
        for c in preferred:
            if s not in problem.shortlists[c]:
                continue
            track = problem.challenge_track.get(c)
            if track in problem.track_capacity:
                offered = [(t, h) for t, h in matches.items() if problem.challenge_track.get(h) == track] + [(s, c)]
                limit = problem.track_capacity[track]
            else:
                offered = [(t, h) for t, h in matches.items() if h == c] + [(s, c)]
                limit = len(offered)
            offered.sort(key=lambda pair: reference_track_key(problem, *pair))
            taken, per_challenge = [], {}
            for t, h in offered:
                if len(taken) < limit and per_challenge.get(h, 0) < problem.challenge_capacity[h]:
                    taken.append((t, h))
                    per_challenge[h] = per_challenge.get(h, 0) + 1
            if (s, c) in taken:
                found.append((s, c))
    return found


def feasible_selections(problem: SelectionProblem):
    """Yields every feasible matching of a small problem as a dict startup -> challenge."""
    startups = sorted(problem.interests)
    options = [[None] + [c for c in problem.interests[s] if s in problem.shortlists[c]] for s in startups]
    for choice in itertools.product(*options):
        matches = {s: c for s, c in zip(startups, choice) if c is not None}
        per_challenge, per_track = {}, {}
        for c in matches.values():
            per_challenge[c] = per_challenge.get(c, 0) + 1
            track = problem.challenge_track.get(c)
            if track in problem.track_capacity:
                per_track[track] = per_track.get(track, 0) + 1
        if all(n <= problem.challenge_capacity[c] for c, n in per_challenge.items()) and all(
            n <= problem.track_capacity[t] for t, n in per_track.items()
        ):
            yield matches


def test_blocking_pairs_agree_with_a_brute_force_check_on_every_possible_selection():
    checked = unstable = 0
    for seed in range(40):
        rng = random.Random(1000 + seed)
        problem = random_problem(rng, n_startups=rng.randint(2, 5), n_challenges=rng.randint(1, 3), dense=True)
        for matches in feasible_selections(problem):
            expected = reference_blocking_pairs(problem, matches)
            assert blocking_pairs(problem, selection_of(problem, matches)) == expected, (seed, matches)
            checked += 1
            unstable += bool(expected)
    # Planted instabilities must be among the selections checked, or the test would only prove silence.
    assert unstable > 300 and checked - unstable > 20


def choice_rank(problem: SelectionProblem, startup, challenge) -> int:
    """Ranks a startup's outcome: 0 for its first choice, past its list for no challenge."""
    interests = problem.interests[startup]
    return len(interests) if challenge is None else interests.index(challenge)


def test_every_startup_does_at_least_as_well_as_in_any_other_stable_selection():
    # Most random problems have one stable selection; keep drawing until 40 have several to compare.
    compared = 0
    for seed in itertools.count():
        rng = random.Random(2000 + seed)
        problem = random_problem(rng, n_startups=rng.randint(3, 5), n_challenges=rng.randint(2, 3), dense=True)
        stable = [m for m in feasible_selections(problem) if not reference_blocking_pairs(problem, m)]
        if len(stable) < 2:
            continue
        chosen = select(problem).matches

        assert dict(chosen) in stable
        for matches in stable:
            assert all(
                choice_rank(problem, s, chosen.get(s)) <= choice_rank(problem, s, matches.get(s))
                for s in problem.interests
            ), seed
        compared += 1
        if compared == 40:
            break


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"interests": {"a": ["LG-TV-01", "LG-NOPE"]}}, "unknown challenge 'LG-NOPE'"),
        ({"shortlists": {"LG-TV-01": ["a", "ghost"]}}, "unknown startup 'ghost'"),
        ({"shortlists": {"LG-NOPE": ["a"]}}, "unknown challenge 'LG-NOPE'"),
        ({"interests": {"a": ["LG-TV-01", "LG-TV-01"]}}, "'LG-TV-01' twice"),
        ({"challenge_track": {"LG-NOPE": "lg"}}, "unknown challenge 'LG-NOPE'"),
        ({"track_capacity": {"samsung": 2}}, "track 'samsung'"),
        ({"challenge_capacity": {"LG-TV-01": -1}}, "'LG-TV-01' has a negative capacity"),
        ({"track_priority": "alphabetical"}, "unknown track_priority 'alphabetical'"),
    ],
)
def test_unknown_or_invalid_ids_raise_value_error_naming_them(changes, message):
    base = dict(
        shortlists={"LG-TV-01": ["a"]},
        interests={"a": ["LG-TV-01"]},
        challenge_capacity={"LG-TV-01": 1},
        challenge_track={"LG-TV-01": "lg"},
        track_capacity={"lg": 1},
    )

    with pytest.raises(ValueError, match=message):
        SelectionProblem(**{**base, **changes})


def test_blocking_pairs_refuses_a_selection_over_capacity():
    problem = SelectionProblem(**TEXTBOOK)
    crowded = selection_of(problem, {"A": "C", "D": "C", "S": "C"})

    with pytest.raises(ValueError, match="over its capacity"):
        blocking_pairs(problem, crowded)


def test_blocking_pairs_refuses_a_pair_that_is_not_mutually_acceptable():
    problem = SelectionProblem(**TEXTBOOK)

    with pytest.raises(ValueError, match="not mutually acceptable"):
        blocking_pairs(problem, selection_of(problem, {"A": "M"}))

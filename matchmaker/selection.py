"""The final selection: a stable matching of startups to challenges over shortlists, interests and capacities."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType


def normalised_position(position: int, length: int) -> float:
    """Ranks a startup by its place on the holding challenge's shortlist as a share of its length: 0 is first."""
    return position / length


def shortlist_position(position: int, length: int) -> float:
    """Ranks a startup by its place on the holding challenge's shortlist: 0 is first, whatever the length."""
    return float(position)


# How a full track compares startups held by different challenges. Each function maps (0-based position
# on the holding challenge's shortlist, length of that shortlist) to a number, lower = preferred, and
# must increase with the position: then a track never prefers a startup its own challenge ranks lower,
# which is what keeps deferred acceptance stable.
TRACK_PRIORITIES: dict[str, Callable[[int, int], float]] = {
    "normalised_position": normalised_position,
    "position": shortlist_position,
}


@dataclass(frozen=True)
class SelectionProblem:
    """Shortlists, interests and capacities of a final selection.

    shortlists: challenge id -> startup ids, most preferred first; a startup not on a challenge's list is
        unacceptable to it. A challenge missing here shortlists nobody.
    interests: startup id -> challenge ids, most preferred first; a challenge not on the list is
        unacceptable to the startup. Its keys are the startups of the problem: a startup that expressed no
        interest is listed with an empty sequence.
    challenge_capacity: challenge id -> places (int >= 0). Its keys are the challenges of the problem.
    challenge_track: challenge id -> track id (e.g. the sponsor); challenges missing here have no track.
    track_capacity: track id -> the most selections across all its challenges (int >= 0); tracks missing
        here are unlimited.
    track_priority: name in TRACK_PRIORITIES. When a full track must choose between startups held by
        different challenges it keeps the pairs with the lower priority value of (position on the holding
        challenge's shortlist, shortlist length), then the better position, then the challenge that comes
        first in sorted id order; so every pair has its own place in one order. The default,
        "normalised_position", compares position / length: the 2nd of ten (0.1) beats the 2nd of three
        (0.33). Within one challenge this order is the shortlist's own, which is what keeps the
        two-level choice consistent and the selection stable.

    Ids are any hashable values; an id in a list that is not a key of interests or challenge_capacity,
    an id listed twice in one list, or a negative capacity raises ValueError naming it. The problem keeps
    read-only copies of its inputs.
    """

    shortlists: Mapping[Hashable, Sequence[Hashable]]
    interests: Mapping[Hashable, Sequence[Hashable]]
    challenge_capacity: Mapping[Hashable, int]
    challenge_track: Mapping[Hashable, Hashable] = field(default_factory=dict)
    track_capacity: Mapping[Hashable, int] = field(default_factory=dict)
    track_priority: str = "normalised_position"

    def __post_init__(self) -> None:
        capacity = _frozen_mapping(self.challenge_capacity)
        for c, places in capacity.items():
            if places < 0:
                raise ValueError(f"challenge {c!r} has a negative capacity {places}")
        interests = _frozen_mapping({s: tuple(cs) for s, cs in self.interests.items()})
        for s, cs in interests.items():
            _check_list(cs, capacity, f"interests of startup {s!r}", "challenge")
        for c in self.shortlists:
            if c not in capacity:
                raise ValueError(f"shortlist of unknown challenge {c!r} (it has no capacity)")
        shortlists = _frozen_mapping({c: tuple(self.shortlists.get(c, ())) for c in capacity})
        for c, ss in shortlists.items():
            _check_list(ss, interests, f"shortlist of challenge {c!r}", "startup")
        track = _frozen_mapping(self.challenge_track)
        for c in track:
            if c not in capacity:
                raise ValueError(f"challenge_track names unknown challenge {c!r}")
        tracks = set(track.values())
        track_capacity = _frozen_mapping(self.track_capacity)
        for t, places in track_capacity.items():
            if t not in tracks:
                raise ValueError(f"track_capacity names track {t!r}, which no challenge belongs to")
            if places < 0:
                raise ValueError(f"track {t!r} has a negative capacity {places}")
        if self.track_priority not in TRACK_PRIORITIES:
            raise ValueError(
                f"unknown track_priority {self.track_priority!r}; known: {', '.join(sorted(TRACK_PRIORITIES))}"
            )
        # Frozen: these writes replace the caller's mappings by read-only snapshots, once.
        object.__setattr__(self, "challenge_capacity", capacity)
        object.__setattr__(self, "interests", interests)
        object.__setattr__(self, "shortlists", shortlists)
        object.__setattr__(self, "challenge_track", track)
        object.__setattr__(self, "track_capacity", track_capacity)
        shortlist_rank = {c: {s: i for i, s in enumerate(ss)} for c, ss in shortlists.items()}
        object.__setattr__(self, "_shortlist_rank", shortlist_rank)
        object.__setattr__(self, "_challenge_order", {c: i for i, c in enumerate(_sorted_ids(capacity))})

    def acceptable(self, startup: Hashable, challenge: Hashable) -> bool:
        """Tells whether the challenge shortlisted the startup (interest is checked by the caller)."""
        return startup in self._shortlist_rank[challenge]

    def challenge_rank(self, challenge: Hashable, startup: Hashable) -> int:
        """Returns the 0-based position of a shortlisted startup on the challenge's shortlist."""
        return self._shortlist_rank[challenge][startup]

    def limited_track(self, challenge: Hashable) -> Hashable | None:
        """Returns the challenge's track if that track has a capacity, else None."""
        track = self.challenge_track.get(challenge)
        return track if track in self.track_capacity else None

    def track_key(self, startup: Hashable, challenge: Hashable) -> tuple[float, int, int]:
        """Orders (startup, challenge) pairs for a full track: lower is preferred; unique per pair."""
        position = self._shortlist_rank[challenge][startup]
        value = TRACK_PRIORITIES[self.track_priority](position, len(self.shortlists[challenge]))
        return (value, position, self._challenge_order[challenge])


def _frozen_mapping(mapping: Mapping) -> Mapping:
    """Copies a mapping into a read-only one."""
    return MappingProxyType(dict(mapping))


def _check_list(items: Sequence[Hashable], known: Mapping, where: str, kind: str) -> None:
    """Refuses unknown or repeated ids in a preference list."""
    seen = set()
    for item in items:
        if item not in known:
            raise ValueError(f"{where} names unknown {kind} {item!r}")
        if item in seen:
            raise ValueError(f"{where} names {kind} {item!r} twice")
        seen.add(item)


def _sorted_ids(ids) -> list:
    """Sorts ids for a tie-break that does not depend on mapping order; mixed types sort by type name, then repr."""
    ids = list(ids)
    try:
        return sorted(ids)
    except TypeError:
        return sorted(ids, key=lambda x: (type(x).__qualname__, repr(x)))


@dataclass(frozen=True)
class Selection:
    """A final selection: which startup goes to which challenge.

    matches: startup id -> challenge id, for selected startups only.
    by_challenge: challenge id -> its selected startups in shortlist order, for every challenge (empty if none).
    problem: the problem it answers, which `why_not` explains it against.
    """

    matches: Mapping[Hashable, Hashable]
    by_challenge: Mapping[Hashable, tuple[Hashable, ...]]
    problem: SelectionProblem = field(repr=False, compare=False)

    def why_not(self, startup: Hashable) -> str:
        """Explains, in plain words, why a startup was not selected (or not by a challenge it preferred).

        Every clause is a fact about this selection: a challenge the startup ranked above its result did
        not shortlist it, has no places, filled its places with startups it ranked higher, or sits in a
        track that reached its selections with pairs of higher track priority.
        """
        problem = self.problem
        if startup not in problem.interests:
            raise ValueError(f"unknown startup {startup!r}")
        shortlisted_by = [c for c in _sorted_ids(problem.shortlists) if problem.acceptable(startup, c)]
        interests = problem.interests[startup]
        match = self.matches.get(startup)
        if match is None:
            if not shortlisted_by:
                return "not on any shortlist"
            if not set(shortlisted_by) & set(interests):
                names = ", ".join(f"'{c}'" for c in shortlisted_by)
                return f"no interest in the challenges that shortlisted it ({names})"
        held = _held(problem, self.matches)
        preferred = interests if match is None else interests[: interests.index(match)]
        reasons = [_refusal(problem, held, startup, c, rank) for rank, c in enumerate(preferred)]
        if match is not None:
            reasons.insert(0, f"selected by '{match}' (its {_ordinal(interests.index(match) + 1)} choice)")
        return "; ".join(reasons)


@dataclass(frozen=True)
class _Held:
    """Who holds whom: challenge -> selected startups, track -> selected (startup, challenge) pairs."""

    by_challenge: dict[Hashable, set[Hashable]]
    by_track: dict[Hashable, set[tuple[Hashable, Hashable]]]


def _held(problem: SelectionProblem, matches: Mapping[Hashable, Hashable]) -> _Held:
    """Groups matches by challenge and by capacity-limited track."""
    by_challenge: dict[Hashable, set[Hashable]] = {c: set() for c in problem.challenge_capacity}
    by_track: dict[Hashable, set[tuple[Hashable, Hashable]]] = {t: set() for t in problem.track_capacity}
    for s, c in matches.items():
        by_challenge[c].add(s)
        track = problem.limited_track(c)
        if track is not None:
            by_track[track].add((s, c))
    return _Held(by_challenge, by_track)


def _challenge_would_take(problem: SelectionProblem, held: _Held, startup: Hashable, challenge: Hashable) -> bool:
    """Tells whether fewer than the challenge's places are held by startups it ranks above this one."""
    rank = problem.challenge_rank(challenge, startup)
    higher = sum(1 for s in held.by_challenge[challenge] if problem.challenge_rank(challenge, s) < rank)
    return higher < problem.challenge_capacity[challenge]


def _track_would_take(problem: SelectionProblem, held: _Held, startup: Hashable, challenge: Hashable) -> bool:
    """Tells whether fewer than the track's places are held by pairs of higher track priority than this one."""
    track = problem.limited_track(challenge)
    if track is None:
        return True
    key = problem.track_key(startup, challenge)
    higher = sum(1 for s, c in held.by_track[track] if problem.track_key(s, c) < key)
    return higher < problem.track_capacity[track]


def _refusal(problem: SelectionProblem, held: _Held, startup: Hashable, challenge: Hashable, rank: int) -> str:
    """Says why a challenge the startup ranked `rank` (0-based) did not select it."""
    label = f"'{challenge}' (its {_ordinal(rank + 1)} choice)"
    if not problem.acceptable(startup, challenge):
        return f"{label} did not shortlist it"
    places = problem.challenge_capacity[challenge]
    if places == 0:
        return f"{label} has no places"
    if not _challenge_would_take(problem, held, startup, challenge):
        return f"{label} filled its {_places(places)} with startups it ranked higher"
    track = problem.limited_track(challenge)
    if track is not None and not _track_would_take(problem, held, startup, challenge):
        limit = problem.track_capacity[track]
        if limit == 0:
            return f"{label}: the '{track}' track has no places"
        return f"{label}: the '{track}' track reached its {_selections(limit)} with startups ranked higher"
    return f"{label} would take it: this selection is not stable"


def select(problem: SelectionProblem) -> Selection:
    """Selects startups by startup-proposing deferred acceptance under challenge and track capacities.

    Startups propose in their order of interest; a challenge holds the startups it ranks highest up to
    its places, and a full track keeps the pairs of highest track priority (see SelectionProblem). Only
    mutually acceptable pairs match. Both levels choose greedily by one order that agrees with every
    shortlist (a substitutable choice, in matching-with-contracts terms), so the result has no blocking
    pair (see `blocking_pairs`) and is startup-optimal: every startup does at least as well as in any
    other stable selection. It does not depend on the order in which mappings list their ids.
    """
    rank_of = problem.challenge_rank
    next_choice = {s: 0 for s in problem.interests}
    held = _Held({c: set() for c in problem.challenge_capacity}, {t: set() for t in problem.track_capacity})
    match: dict[Hashable, Hashable] = {}
    waiting = deque(_sorted_ids(problem.interests))
    while waiting:
        startup = waiting.popleft()
        choices = problem.interests[startup]
        while next_choice[startup] < len(choices):
            challenge = choices[next_choice[startup]]
            next_choice[startup] += 1
            if not problem.acceptable(startup, challenge) or problem.challenge_capacity[challenge] == 0:
                continue
            track = problem.limited_track(challenge)
            in_challenge = held.by_challenge[challenge]
            released = None
            if len(in_challenge) >= problem.challenge_capacity[challenge]:
                # The challenge is full: the new startup can only replace the one it ranks lowest, which
                # leaves the track's count unchanged.
                worst = max(in_challenge, key=lambda s: rank_of(challenge, s))
                if rank_of(challenge, startup) > rank_of(challenge, worst):
                    continue
                released = (worst, challenge)
            elif track is not None and len(held.by_track[track]) >= problem.track_capacity[track]:
                if problem.track_capacity[track] == 0:
                    continue
                released = max(held.by_track[track], key=lambda pair: problem.track_key(*pair))
                if problem.track_key(startup, challenge) > problem.track_key(*released):
                    continue
            if released is not None:
                _release(problem, held, match, released)
                waiting.append(released[0])
            in_challenge.add(startup)
            if track is not None:
                held.by_track[track].add((startup, challenge))
            match[startup] = challenge
            break
    return _selection(problem, match)


def _release(problem: SelectionProblem, held: _Held, match: dict, pair: tuple[Hashable, Hashable]) -> None:
    """Drops a held (startup, challenge) pair from its challenge, its track and the matches."""
    startup, challenge = pair
    held.by_challenge[challenge].discard(startup)
    track = problem.limited_track(challenge)
    if track is not None:
        held.by_track[track].discard(pair)
    del match[startup]


def _selection(problem: SelectionProblem, match: Mapping[Hashable, Hashable]) -> Selection:
    """Freezes matches into a Selection, ids in sorted order."""
    matches = {s: match[s] for s in _sorted_ids(match)}
    by_challenge = {
        c: tuple(s for s in problem.shortlists[c] if matches.get(s) == c)
        for c in _sorted_ids(problem.challenge_capacity)
    }
    return Selection(MappingProxyType(matches), MappingProxyType(by_challenge), problem)


def blocking_pairs(problem: SelectionProblem, selection: Selection) -> list[tuple[Hashable, Hashable]]:
    """Lists the (startup, challenge) pairs that block the selection; empty iff it is stable.

    A selection is feasible when every match is mutually acceptable (the startup lists the challenge and
    the challenge shortlists it) and no challenge or track holds more than its capacity; an infeasible
    selection raises ValueError. A mutually acceptable pair (s, c) blocks a feasible selection when
      1. s prefers c to its current challenge (any listed challenge beats none), and
      2. c would take s: c holds fewer startups it ranks above s than it has places (it has a free place,
         or s ranks above someone it holds), and
      3. c's track would take the pair: the track has no capacity, or it holds fewer pairs of higher track
         priority than (s, c) than its capacity (a free place, or (s, c) outranks a pair it holds).
    A pair s holds with another challenge of the same track counts like any other: the track weighs
    (s, c) against it by priority, not by who holds it. Stable = feasible with no blocking pair. Pairs
    are listed by startup in sorted id order, then by the startup's preference.
    """
    _check_feasible(problem, selection.matches)
    held = _held(problem, selection.matches)
    blocking = []
    for startup in _sorted_ids(problem.interests):
        interests = problem.interests[startup]
        match = selection.matches.get(startup)
        preferred = interests if match is None else interests[: interests.index(match)]
        for challenge in preferred:
            if (
                problem.acceptable(startup, challenge)
                and _challenge_would_take(problem, held, startup, challenge)
                and _track_would_take(problem, held, startup, challenge)
            ):
                blocking.append((startup, challenge))
    return blocking


def _check_feasible(problem: SelectionProblem, matches: Mapping[Hashable, Hashable]) -> None:
    """Refuses a selection with unknown ids, unacceptable pairs or more than a capacity allows."""
    for s, c in matches.items():
        if s not in problem.interests:
            raise ValueError(f"selection matches unknown startup {s!r}")
        if c not in problem.challenge_capacity:
            raise ValueError(f"selection matches unknown challenge {c!r}")
        if c not in problem.interests[s] or not problem.acceptable(s, c):
            raise ValueError(f"selection matches {s!r} with {c!r}, which are not mutually acceptable")
    held = _held(problem, matches)
    for c, startups in held.by_challenge.items():
        if len(startups) > problem.challenge_capacity[c]:
            raise ValueError(f"challenge {c!r} holds {len(startups)} startups, over its capacity")
    for t, pairs in held.by_track.items():
        if len(pairs) > problem.track_capacity[t]:
            raise ValueError(f"track {t!r} holds {len(pairs)} startups, over its capacity")


def _ordinal(n: int) -> str:
    """Writes 1st, 2nd, 3rd, 4th, 11th, 21st."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _places(n: int) -> str:
    return "1 place" if n == 1 else f"{n} places"


def _selections(n: int) -> str:
    return "1 selection" if n == 1 else f"{n} selections"

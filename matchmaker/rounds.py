"""The engine's service edge: match rounds, rolling suggestions and the final selection, through `models`.

The only engine module that touches the database. Every step that can take long
(embedding, scoring) runs outside any transaction: inputs are read and the read is
closed, then the work is done, then the results are written in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable, Optional, Sequence

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker.assignment import AssignmentProblem, Candidates, assign
from matchmaker.cache import CacheStats, EmbeddingCache, MemoryCache
from matchmaker.documents import Document, challenge_document, startup_document
from matchmaker.eligibility import EligibilityRules
from matchmaker.explain import Explainer, TermFrequencies
from matchmaker.scoring import EngineConfig, Scorer, SideIndex, build_index, count_passages, idf_of, tfidf
from matchmaker.selection import SelectionProblem, select
from matchmaker.text import content_hash
from matchmaker.threads import single_threaded
from models import crud, runs
from models.db import session_for
from models.enums import ProposalStatus, RoundStatus, RunTrigger
from models.schema import Challenge, MatchRun, StartupProfile

# How many candidates per challenge the assignment chooses from, per proposal it wants:
# enough alternatives for when startups reach their limit, few enough that large rounds
# stay fast (stage 2 scores every candidate exactly).
CANDIDATES_PER_PROPOSAL = 4
MIN_CANDIDATES = 20


def candidates_per_challenge(proposals_per_challenge: int) -> int:
    """Returns how many candidates each challenge keeps for a round asking k proposals: max(4k, 20)."""
    return max(CANDIDATES_PER_PROPOSAL * proposals_per_challenge, MIN_CANDIDATES)

Progress = Callable[[str, int, int], None]


class RoundError(ValueError):
    """A round that cannot be run or selected as asked; the message says why."""


# --- documents from rows -------------------------------------------------------------------------


def challenge_doc(challenge: Challenge) -> Document:
    """Turns a challenge row (field, programme and sponsor loaded) into an engine document."""
    return challenge_document({
        "id": str(challenge.id),
        "title": challenge.title,
        "description": challenge.description,
        "requirements": challenge.requirements,
        "tags": list(challenge.tags or []),
        "language": challenge.language.value if challenge.language else None,
        "field": challenge.field.key,
        "sponsor": challenge.sponsor.slug,
    })


def startup_doc(profile: StartupProfile) -> Document:
    """Turns a profile row (organization and fields loaded) into an engine document."""
    return startup_document({
        "id": str(profile.id),
        "name": profile.organization.name_en or profile.organization.name_ko,
        "summary": profile.summary,
        "description": profile.description,
        "technologies": list(profile.technologies or []),
        "language": profile.language.value if profile.language else None,
        "stage": profile.stage.value if profile.stage else None,
        "founded": profile.founded_year,
        "fields": [f.key for f in profile.fields],
    })


def record_doc(record: dict, *, kind: str) -> Document:
    """Turns a plain record from models.runs (challenge_records / profile_records) into an engine document."""
    build = challenge_document if kind == "challenge" else startup_document
    return build({**record, "id": str(record["id"])})


# --- caches ------------------------------------------------------------------------------------------


class LayeredCache:
    """A process memory cache in front of the database cache: a web process looks each vector up once."""

    def __init__(self, memory: MemoryCache, database: EmbeddingCache):
        self.memory, self.database = memory, database

    def get_many(self, model_id, hashes):
        found = dict(self.memory.get_many(model_id, hashes))
        missing = [h for h in hashes if h not in found]
        if missing:
            from_db = self.database.get_many(model_id, missing)
            self.memory.put_many(model_id, from_db)
            found.update(from_db)
        return found

    def put_many(self, model_id, vectors):
        self.database.put_many(model_id, vectors)
        self.memory.put_many(model_id, vectors)


@lru_cache(maxsize=8)
def _process_memory(engine_url: str) -> MemoryCache:
    return MemoryCache()


def embedding_cache(engine: Engine) -> LayeredCache:
    """Returns the cache for an engine's database: the table, fronted by this process's memory."""
    return LayeredCache(_process_memory(str(engine.url)), runs.DatabaseEmbeddingCache(engine))


def default_config(rules: EligibilityRules) -> EngineConfig:
    """Returns the engine configuration used for rounds and suggestions, with these rules."""
    return EngineConfig(rules=rules)


def _rules_for(params: dict, vetoes: set[tuple[int, int]], reference_year: int) -> EligibilityRules:
    stages = params.get("stages")
    within = params.get("founded_within_years")
    return EligibilityRules(
        vetoes=frozenset((str(c), str(s)) for c, s in vetoes),
        require_field_interest=True,
        stages=frozenset(stages) if stages else None,
        founded_within_years=int(within) if within else None,
        reference_year=reference_year if within else None,
    )


def input_hash(challenges: Sequence[Document], startups: Sequence[Document], params: dict, models: dict) -> str:
    """Returns a SHA-256 over everything a run's result depends on: texts, rules, parameters and models."""
    digest = hashlib.sha256()
    for doc in list(challenges) + list(startups):
        digest.update(f"{doc.kind}:{doc.id}:{content_hash(doc.text)}:{','.join(doc.fields)}:"
                      f"{doc.metadata.get('stage')}:{doc.metadata.get('founded')}\n".encode())
    digest.update(json.dumps({"params": params, "models": models}, sort_keys=True, default=str).encode())
    return digest.hexdigest()


# --- rounds ------------------------------------------------------------------------------------------


def _components(features: dict, k: int) -> dict:
    english = float(features["english"][k])
    same = float(features["same_language"][k])
    return {
        "semantic": round(float(features["use"][k]), 4),
        "coverage": round(float(features["coverage"][k]), 4),
        "english": round(float(features["minilm_raw"][k]), 4) if english >= 0.2 else None,
        "lexical": round(float(features["lexical_raw"][k]), 4) if same >= 0.2 else None,
    }


def write_proposals(*, engine: Engine, run: MatchRun, proposals, summary, carry_over) -> MatchRun:
    """Writes the run's results (one transaction). A separate function so a failure here can be tested."""
    return runs.finish_run(engine=engine, run_id=run.id, proposals=proposals, summary=summary, carry_over=carry_over)


def run_round(
    *,
    engine: Engine,
    round_id: int,
    trigger: RunTrigger = RunTrigger.manual,
    firing_key: Optional[str] = None,
    triggered_by_id: Optional[int] = None,
    progress: Optional[Progress] = None,
    config: Optional[EngineConfig] = None,
) -> MatchRun:
    """Runs a round now: load → embed (cached) → score → assign → write one run and its proposals.

    Returns the run: succeeded, or failed with its reason and no proposals. A scheduled
    firing (firing_key) that already has a run returns that run and creates nothing. A
    manual run always creates a new run and keeps the older ones.
    """
    with Session(engine) as session:
        round_ = runs.load_round(session=session, round_id=round_id)
        if round_ is None:
            raise RoundError(f"round {round_id} does not exist")
        if round_.status not in (RoundStatus.scheduled, RoundStatus.matched):
            raise RoundError(f"round {round_id} is {round_.status.value}; only a scheduled or matched round can run")
    run, created = runs.start_run(engine=engine, round_id=round_id, trigger=trigger, firing_key=firing_key,
                                  triggered_by_id=triggered_by_id)
    if not created:
        return run
    try:
        return _execute(engine=engine, run=run, progress=progress, config=config)
    except Exception as exc:  # noqa: BLE001 - any failure must leave a failed run with its reason, then propagate
        runs.fail_run(engine=engine, run_id=run.id, error=f"{type(exc).__name__}: {exc}")
        raise


def _execute(*, engine: Engine, run: MatchRun, progress: Optional[Progress], config: Optional[EngineConfig]) -> MatchRun:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with Session(engine) as session:
        round_ = runs.load_round(session=session, round_id=run.round_id)
        field_ids = [f.id for f in round_.fields]
        challenges = runs.challenge_records(session=session, field_ids=field_ids)
        profiles = runs.profile_records(session=session)
        vetoes = runs.rejected_pairs(session=session, challenge_ids=[c["id"] for c in challenges])
        previous = runs.latest_successful_run(session=session, round_id=round_.id)
        carry_over = runs.decisions_of_run(session=session, run_id=previous.id) if previous else {}
        params = {
            "proposals_per_challenge": round_.proposals_per_challenge,
            "challenges_per_startup": round_.challenges_per_startup,
            "min_score": round_.min_score,
            "solver": round_.solver,
            **(round_.params or {}),
        }
        c_docs = [record_doc(c, kind="challenge") for c in challenges]
        s_docs = [record_doc(p, kind="startup") for p in profiles]
        field_names = {f.key: f.name_en for f in round_.fields}
        challenge_field = [c["field"] for c in challenges]
        reference_year = round_.match_at.year
    timings["load"] = time.perf_counter() - t0

    rules = _rules_for(params, vetoes, reference_year)
    config = config or default_config(rules)
    models_used = {k: v for k, v in config.as_dict().items() if k != "calibration"}
    models_used["calibration"] = config.resolved().calibration.fitted_on
    digest = input_hash(c_docs, s_docs, params, models_used)

    t = time.perf_counter()
    stats = CacheStats()
    cache = embedding_cache(engine)
    total = count_passages(c_docs, config) + count_passages(s_docs, config)
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress("embedding", done[0], total)

    c_index = build_index(c_docs, config, cache=cache, stats=stats, progress=step)
    s_index = build_index(s_docs, config, cache=cache, stats=stats, progress=step)
    timings["embed"] = time.perf_counter() - t

    t = time.perf_counter()
    scorer = Scorer(config).fit(c_index, s_index)
    pool = candidates_per_challenge(params["proposals_per_challenge"])
    pairs = scorer.candidates(pool, per="challenge") if c_docs and s_docs else None
    timings["score"] = time.perf_counter() - t
    if progress:
        progress("scoring", 1, 1)

    t = time.perf_counter()
    proposals, binding = [], ()
    if pairs is not None:
        eligible = pairs.rule == 0
        candidates = Candidates(pairs.challenge[eligible], pairs.startup[eligible], pairs.score[eligible])
        fields = sorted(set(challenge_field))
        f_index = {f: i for i, f in enumerate(fields)}
        minimum = {}
        for field_id, n in (params.get("field_minimum") or {}).items():
            key = next((f.key for f in round_.fields if str(f.id) == str(field_id)), None)
            if key in f_index:
                minimum[f_index[key]] = int(n)
        problem = AssignmentProblem(
            candidates=candidates,
            n_challenges=len(c_docs),
            n_startups=len(s_docs),
            challenge_capacity=np.full(len(c_docs), params["proposals_per_challenge"], dtype=np.int64),
            startup_capacity=np.full(len(s_docs), params["challenges_per_startup"], dtype=np.int64),
            min_score=float(params["min_score"]),
            challenge_field=np.array([f_index[f] for f in challenge_field], dtype=np.int64),
            field_minimum=minimum,
            field_names={i: field_names.get(f, f) for f, i in f_index.items()},
            challenge_names=[c["code"] for c in challenges],
        )
        assignment = assign(problem, solver=params["solver"])
        binding = assignment.binding
        timings["assign"] = time.perf_counter() - t

        t = time.perf_counter()
        position = {(int(c), int(s)): k for k, (c, s) in enumerate(zip(pairs.challenge, pairs.startup))}
        chosen = [(ci, rank, position[(ci, si)]) for ci, items in assignment.by_challenge().items()
                  for rank, (si, _score) in enumerate(items, start=1)]
        explainer = Explainer(scorer, cache=cache)
        explanations = explainer.explain_all(pairs, [k for _, _, k in chosen])
        for (ci, rank, k), explanation in zip(chosen, explanations):
            proposals.append(runs.NewProposal(
                challenge_id=int(c_docs[ci].id), startup_id=int(s_docs[int(pairs.startup[k])].id),
                score=round(float(pairs.score[k]), 6), components=_components(pairs.features, k), rank=rank,
                explanation=explanation.as_dict(),
            ))
        timings["explain"] = time.perf_counter() - t
    if progress:
        progress("writing", len(proposals), len(proposals))

    timings["total"] = time.perf_counter() - t0
    summary = {
        "models": models_used,
        "params": {**params, "binding": list(binding), "candidates_per_challenge": pool},
        "input_hash": digest,
        "n_challenges": len(c_docs),
        "n_startups": len(s_docs),
        "timings": {**{k: round(v, 3) for k, v in timings.items()}, "cache_hits": stats.hits,
                    "cache_misses": stats.misses},
    }
    return write_proposals(engine=engine, run=run, proposals=proposals, summary=summary, carry_over=carry_over)


# --- rolling suggestions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A challenge suggested to a startup now, with its calibrated score, band and reason."""

    challenge: Challenge
    score: float
    band: str
    explanation: dict


@dataclass(frozen=True)
class OpenChallengeIndex:
    """Every open challenge, embedded and indexed once per process until one changes.

    ids, field_ids, programme_ids: (n,) arrays in index order; idf: the lexical weights of
    the open challenges' own terms; term_df: their document frequencies for explanations.
    """

    fingerprint: tuple
    ids: np.ndarray
    field_ids: np.ndarray
    programme_ids: np.ndarray
    index: SideIndex
    idf: np.ndarray
    term_df: TermFrequencies


_open_indexes: dict[str, OpenChallengeIndex] = {}
_open_lock = threading.Lock()


def open_challenge_index(*, session: Session, config: EngineConfig) -> OpenChallengeIndex:
    """Returns the index of open challenges, rebuilt only when their set or text changed."""
    fingerprint = runs.open_challenges_fingerprint(session=session)
    engine = session.get_bind()
    key = f"{engine.url}|{config.semantic_encoder}|{config.english_encoder}|{config.english_model}|{config.use_english}"
    with _open_lock:
        cached = _open_indexes.get(key)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        challenges = runs.challenge_records(session=session)
        docs = [record_doc(c, kind="challenge") for c in challenges]
        index = build_index(docs, config, cache=embedding_cache(engine))
        idf = idf_of(index.term_counts)
        index.weighted_terms = tfidf(index.term_counts, idf)
        built = OpenChallengeIndex(
            fingerprint=fingerprint,
            ids=np.array([c["id"] for c in challenges], dtype=np.int64),
            field_ids=np.array([c["field_id"] for c in challenges], dtype=np.int64),
            programme_ids=np.array([c["programme_id"] for c in challenges], dtype=np.int64),
            index=index,
            idf=idf,
            term_df=TermFrequencies.of(docs),
        )
        _open_indexes[key] = built
        return built


def suggest_challenges(
    *,
    session: Session,
    profile: StartupProfile,
    limit: int = 20,
    programme_id: Optional[int] = None,
    field_id: Optional[int] = None,
) -> list[Suggestion]:
    """Scores the profile against every open challenge now, best first; respects fields of interest.

    The open challenges are indexed once per process until one changes; only the profile
    is embedded when its text changed (an edited profile has a new content hash), and a
    ranking is reused while its inputs stay the same. When it must be computed, the
    caller's transaction is committed once the inputs are read, so the database is not
    held while a model runs (the session must keep objects readable after commit).
    Lexical weights come from the open challenges alone, so a suggestion's score can differ
    slightly from the same pair's score in a round.
    """
    base = default_config(EligibilityRules(require_field_interest=False))
    catalogue = open_challenge_index(session=session, config=base)
    if catalogue.ids.size == 0:
        return []
    vetoes = runs.rejected_pairs(session=session, startup_id=profile.id)
    key = (str(session.get_bind().url), profile.id, profile.version, tuple(f.id for f in profile.fields),
           catalogue.fingerprint, frozenset(vetoes), limit, programme_id, field_id)
    ranked = _ranked_suggestions.get(key)
    if ranked is None:
        ranked = _rank_for_profile(session, catalogue, profile, vetoes, limit, programme_id, field_id)
        _ranked_suggestions.put(key, ranked)
    rows = runs.challenges_by_ids(session=session, ids=[challenge_id for challenge_id, *_ in ranked])
    return [
        Suggestion(challenge=rows[challenge_id], score=score, band=band, explanation=explanation)
        for challenge_id, score, band, explanation in ranked
        if challenge_id in rows  # closed in the meantime: left out
    ]


class _Recent:
    """A small thread-safe LRU map: the last rankings computed in this process."""

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# A ranking depends only on the key it is stored under (profile version, open challenges'
# fingerprint, rejections, filters), so a page reloaded before any of those change reuses it.
_ranked_suggestions = _Recent(2048)


def _rank_for_profile(session, catalogue, profile, vetoes, limit, programme_id, field_id) -> list[tuple]:
    """Scores and explains a profile's best open challenges: [(challenge id, score, band, explanation)]."""
    s_doc = startup_doc(profile)
    engine = session.get_bind()
    session.commit()  # read everything needed; do not hold the database while a model runs
    with single_threaded():
        return _score_and_explain(engine, catalogue, s_doc, vetoes, limit, programme_id, field_id)


def _score_and_explain(engine, catalogue, s_doc, vetoes, limit, programme_id, field_id) -> list[tuple]:
    config = default_config(_rules_for({}, vetoes, datetime.now(timezone.utc).year))
    cache = embedding_cache(engine)
    scorer = Scorer(config).fit(catalogue.index, build_index([s_doc], config, cache=cache), idf=catalogue.idf)
    n = catalogue.ids.size
    pairs = scorer.score_pairs(np.arange(n), np.zeros(n, dtype=np.int64))
    wanted = pairs.rule == 0
    if programme_id is not None:
        wanted &= catalogue.programme_ids == programme_id
    if field_id is not None:
        wanted &= catalogue.field_ids == field_id
    order = [int(k) for k in np.lexsort((catalogue.ids, -pairs.score)) if wanted[k]][:limit]
    explanations = Explainer(scorer, cache=cache, term_df=catalogue.term_df).explain_all(pairs, order)
    bands = scorer.config.bands
    return [
        (int(catalogue.ids[k]), float(pairs.score[k]), bands.name(float(pairs.score[k])), explanation.as_dict())
        for k, explanation in zip(order, explanations)
    ]


# --- final selection ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectionReport:
    round_id: int
    run_id: int
    selected: list[tuple[int, int]]  # (challenge id, startup profile id)
    not_selected: dict[int, str]  # startup profile id -> why


def select_round(*, engine: Engine, round_id: int, actor_id: Optional[int]) -> SelectionReport:
    """Final selection over sponsors' shortlists of accepted proposals and startups' interests.

    Deferred acceptance with capacities per challenge (its capacity) and per programme
    (its selection target; 0 = no limit). A startup's preference is its interest ranking;
    accepted proposals for challenges it did not rank follow, best score first. The chosen
    proposals become 'selected' and the round 'selected', with an event for each.
    """
    with session_for(engine, write=True) as session:
        round_ = runs.load_round(session=session, round_id=round_id)
        if round_ is None:
            raise RoundError(f"round {round_id} does not exist")
        if round_.status != RoundStatus.closed:
            raise RoundError(f"round {round_id} is {round_.status.value}; close it before the final selection")
        run = runs.latest_successful_run(session=session, round_id=round_id)
        if run is None:
            raise RoundError(f"round {round_id} has no successful run to select from")
        accepted = runs.accepted_proposals(session=session, run_id=run.id)
        shortlists: dict[int, list[int]] = {}
        by_pair = {}
        for p in sorted(accepted, key=lambda p: (p.challenge_id, p.shortlist_rank or 10**9, p.rank)):
            shortlists.setdefault(p.challenge_id, []).append(p.startup_id)
            by_pair[(p.challenge_id, p.startup_id)] = p
        startups = sorted({p.startup_id for p in accepted})
        ranked = runs.interests_of(session=session, startup_ids=startups)
        interests = {}
        for s in startups:
            offered = {c for (c, s2) in by_pair if s2 == s}
            own = [c for c in ranked.get(s, []) if c in offered]
            rest = sorted(offered - set(own), key=lambda c: -by_pair[(c, s)].score)
            interests[s] = own + rest
        challenge_capacity = {p.challenge_id: p.challenge.capacity for p in accepted}
        track = {p.challenge_id: p.challenge.field.programme_id for p in accepted}
        targets = runs.programme_capacity(session=session, programme_ids=set(track.values()))
        problem = SelectionProblem(
            shortlists=shortlists,
            interests=interests,
            challenge_capacity=challenge_capacity,
            challenge_track=track,
            track_capacity={t: n for t, n in targets.items() if n > 0},
        )
        selection = select(problem)
        chosen = [(c, s) for s, c in selection.matches.items()]
        for c, s in chosen:
            crud.decide_proposal(session=session, proposal=by_pair[(c, s)], status=ProposalStatus.selected,
                                 actor_id=actor_id)
        crud.set_round_status(session=session, round_=round_, status=RoundStatus.selected, actor_id=actor_id)
        session.commit()
        not_selected = {s: selection.why_not(s) for s in startups if s not in selection.matches}
        return SelectionReport(round_id=round_id, run_id=run.id, selected=sorted(chosen), not_selected=not_selected)


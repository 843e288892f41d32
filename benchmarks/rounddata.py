"""Synthetic programmes for round benchmarks: a database of challenges and startups, and a warm embedding cache.

Texts are recombined from the labelled sets' sentences with a unique line per document, so
every text (and nearly every passage) is distinct, as in a real call for applications.
Rows are written with bulk inserts; the cache can be filled with seeded random vectors for
exactly the passages and sentences a round will look up, which is what "warm" means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from benchmarks.synthetic import _sentence_pool
from matchmaker.encoders import model_id, passage_chars, unit_rows
from matchmaker.rounds import challenge_doc, startup_doc
from matchmaker.scoring import EngineConfig
from matchmaker.text import content_hash
from models import runs
from models.db import session_for
from models.schema import (
    Challenge,
    Embedding,
    Field,
    Organization,
    ProfileField,
    Programme,
    ProgrammeSponsor,
    Round,
    RoundField,
    StartupProfile,
)
from models.types import utcnow

N_FIELDS = 10
# The bundled models' widths (known without loading them).
ENCODER_DIMS = {"use-multilingual": 512, "minilm": 384}


@dataclass(frozen=True)
class RoundData:
    round_id: int
    n_challenges: int
    n_startups: int


def _text(rng: np.random.Generator, pool: list[str], n: int, unique: str) -> str:
    picked = rng.choice(len(pool), size=n, replace=False)
    return unique + " " + " ".join(pool[i] for i in picked)


def build(engine: Engine, *, n_startups: int, n_challenges: int, seed: int = 7) -> RoundData:
    """Writes one programme with N_FIELDS fields, n_challenges open challenges, n_startups profiles and a round."""
    rng = np.random.default_rng(seed)
    pool = _sentence_pool()
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(insert(Organization), [
            {"slug": "bench-operator", "kind": "operator", "name_ko": "운영기관", "name_en": "Operator",
             "created_at": now, "updated_at": now},
            {"slug": "bench-sponsor", "kind": "sponsor", "name_ko": "수요기업", "name_en": "Sponsor",
             "created_at": now, "updated_at": now},
        ])
        operator, sponsor = conn.execute(select(Organization.id).order_by(Organization.id)).scalars().all()
        programme = conn.execute(insert(Programme).returning(Programme.id), [{
            "slug": "bench", "edition_ko": "벤치마크", "edition_en": "Benchmark", "name_ko": "벤치마크",
            "name_en": "Benchmark", "description_ko": "", "description_en": "", "year": 2025, "selection_target": 0,
            "max_award_krw": 0, "operator_id": operator, "version": 1, "created_at": now, "updated_at": now,
        }]).scalar_one()
        conn.execute(insert(ProgrammeSponsor), [{"programme_id": programme, "organization_id": sponsor,
                                                 "role": "sponsor", "contribution_ko": "", "contribution_en": ""}])
        fields = conn.execute(insert(Field).returning(Field.id), [
            {"slug": f"field-{i}", "name_ko": f"분야 {i}", "name_en": f"Field {i}", "description_ko": "",
             "description_en": "", "position": i, "programme_id": programme, "version": 1}
            for i in range(N_FIELDS)
        ]).scalars().all()
        conn.execute(insert(Challenge), [
            {"code": f"B-{i:05d}", "field_id": fields[i % N_FIELDS], "sponsor_id": sponsor,
             "title": f"Benchmark challenge {i}", "description": _text(rng, pool, int(rng.integers(3, 7)), f"과제 {i}."),
             "requirements": "", "tags": [], "language": None, "capacity": 3, "status": "open", "version": 1,
             "created_at": now, "updated_at": now}
            for i in range(n_challenges)
        ])
        for start in range(0, n_startups, 5000):
            stop = min(start + 5000, n_startups)
            conn.execute(insert(Organization), [
                {"slug": f"startup-{i}", "kind": "startup", "name_ko": f"스타트업 {i}", "name_en": f"Startup {i}",
                 "created_at": now, "updated_at": now}
                for i in range(start, stop)
            ])
            org_ids = conn.execute(select(Organization.id).where(Organization.slug.in_(
                [f"startup-{i}" for i in range(start, stop)])).order_by(Organization.id)).scalars().all()
            profile_ids = conn.execute(insert(StartupProfile).returning(StartupProfile.id), [
                {"organization_id": org, "summary": "", "stage": "seed", "version": 1,
                 "description": _text(rng, pool, int(rng.integers(2, 6)), f"Startup {i}."), "technologies": [],
                 "created_at": now, "updated_at": now}
                for i, org in zip(range(start, stop), org_ids)
            ]).scalars().all()
            conn.execute(insert(ProfileField), [
                {"profile_id": p, "field_id": f}
                for p in profile_ids
                for f in rng.choice(fields, size=int(rng.integers(1, 4)), replace=False).tolist()
            ])
        match_at = now + timedelta(days=1)
        round_id = conn.execute(insert(Round).returning(Round.id), [{
            "programme_id": programme, "name_ko": "벤치마크 라운드", "name_en": "Benchmark round",
            "opens_at": match_at - timedelta(days=7), "closes_at": match_at + timedelta(days=7), "match_at": match_at,
            "proposals_per_challenge": 5, "challenges_per_startup": 3, "min_score": 0.0, "solver": "flow",
            "params": {}, "status": "scheduled", "version": 1, "created_at": now, "updated_at": now,
        }]).scalar_one()
        conn.execute(insert(RoundField), [{"round_id": round_id, "field_id": f} for f in fields])
    return RoundData(round_id=round_id, n_challenges=n_challenges, n_startups=n_startups)


def round_documents(engine: Engine, round_id: int):
    """Returns the round's documents exactly as run_round builds them."""
    with session_for(engine) as session:
        round_ = runs.load_round(session=session, round_id=round_id)
        challenges = runs.open_challenges(session=session, field_ids=[f.id for f in round_.fields])
        profiles = runs.all_profiles(session=session)
        return [challenge_doc(c) for c in challenges], [startup_doc(p) for p in profiles]


def fill_cache(engine: Engine, docs, *, config: EngineConfig, seed: int = 11, sentences: bool = True) -> int:
    """Stores seeded vectors for every passage (and sentence) of the documents; returns the rows written.

    Each document's vectors lie around a centre for its (first) field, with noise giving a
    cosine of about 0.4 within a field and about 0 across fields, so scores spread the way
    real ones do and the solvers have real choices to make.
    """
    rng = np.random.default_rng(seed)
    encoders = [(config.semantic_encoder, None)]
    if config.use_english:
        encoders.append((config.english_encoder, config.english_model))
    topics = sorted({d.fields[0] for d in docs if d.fields})
    written = 0
    now = datetime.now(timezone.utc)
    for name, model in encoders:
        dim = ENCODER_DIMS[name]
        centres = {t: unit_rows(rng.standard_normal((1, dim)))[0] for t in topics}
        texts: dict[str, np.ndarray] = {}
        for doc in docs:
            centre = centres[doc.fields[0]] if doc.fields else unit_rows(rng.standard_normal((1, dim)))[0]
            pieces = list(doc.passages(passage_chars(name)))
            if sentences and name == config.semantic_encoder:
                pieces += doc.sentences
            for piece in pieces:
                texts.setdefault(content_hash(piece), centre)
        hashes = list(texts)
        key = model_id(name, model)
        with engine.begin() as conn:
            for start in range(0, len(hashes), 5000):
                chunk = hashes[start : start + 5000]
                noise = rng.standard_normal((len(chunk), dim)).astype(np.float32) * (1.2 / np.sqrt(dim))
                vectors = unit_rows(np.stack([texts[h] for h in chunk]) + noise)
                conn.execute(insert(Embedding), [
                    {"model_id": key, "content_hash": h, "dim": dim,
                     "vector": v.astype("<f4").tobytes(), "created_at": now}
                    for h, v in zip(chunk, vectors)
                ])
        written += len(hashes)
    return written


def change_profiles(engine: Engine, share: float, *, seed: int = 3) -> int:
    """Edits the description of a share of the profiles (as startups updating their pages); returns how many."""
    rng = np.random.default_rng(seed)
    with engine.begin() as conn:
        ids = conn.execute(select(StartupProfile.id).order_by(StartupProfile.id)).scalars().all()
        chosen = rng.choice(ids, size=max(1, int(len(ids) * share)), replace=False).tolist()
        rows = conn.execute(select(StartupProfile.id, StartupProfile.description)
                            .where(StartupProfile.id.in_(chosen))).all()
        for profile_id, description in rows:
            conn.execute(StartupProfile.__table__.update().where(StartupProfile.id == profile_id)
                         .values(description=description + " 최근 제품을 개선했습니다.", version=StartupProfile.version + 1))
    return len(chosen)

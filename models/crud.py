"""Data-access functions: every write to the database goes through here."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Iterable, Optional

from pydantic import Field as PydanticField, TypeAdapter, ValidationError

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from models.enums import (
    PROPOSAL_TRANSITIONS,
    ROLE_ORGANIZATION_KIND,
    ChallengeStatus,
    OrganizationKind,
    ProposalStatus,
    Role,
    RoundStatus,
    RunStatus,
    SponsorRole,
)
from models.text import Line, Paragraphs
from models.types import utcnow
from models.schema import (
    ApiToken,
    Challenge,
    ChallengeCreate,
    ChallengeUpdate,
    Event,
    Interest,
    InterestCreate,
    MatchRun,
    Field,
    FieldCreate,
    FieldUpdate,
    Organization,
    OrganizationCreate,
    ProfileField,
    Programme,
    ProgrammeCreate,
    ProgrammeSponsor,
    ProgrammeUpdate,
    Proposal,
    Round,
    RoundCreate,
    RoundField,
    RoundUpdate,
    StartupProfile,
    StartupProfileCreate,
    StartupProfileUpdate,
    User,
    UserCreate,
)


class DataError(ValueError):
    """A write the domain refuses, with a message a user can act on."""


class NotFound(DataError):
    """The thing asked for does not exist."""


# --- lookups ---------------------------------------------------------------------------------


def get_organization_by_slug(*, session: Session, slug: str) -> Optional[Organization]:
    """Gets an organization by its slug."""
    return session.exec(select(Organization).where(Organization.slug == slug)).first()


def get_user_by_email(*, session: Session, email: str) -> Optional[User]:
    """Gets a user by e-mail address, ignoring case."""
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def get_programme_by_slug(*, session: Session, slug: str) -> Optional[Programme]:
    """Gets a programme by its slug."""
    return session.exec(select(Programme).where(Programme.slug == slug)).first()


def get_field_by_key(*, session: Session, key: str) -> Optional[Field]:
    """Gets a field by its key 'programme-slug/field-slug'."""
    programme_slug, _, field_slug = key.partition("/")
    return session.exec(
        select(Field).join(Programme).where(Programme.slug == programme_slug, Field.slug == field_slug)
    ).first()


def get_challenge_by_code(*, session: Session, code: str) -> Optional[Challenge]:
    """Gets a challenge by its code."""
    return session.exec(select(Challenge).where(Challenge.code == code)).first()


def get_profile_by_organization(*, session: Session, organization_id: int) -> Optional[StartupProfile]:
    """Gets the startup profile of an organization."""
    return session.exec(select(StartupProfile).where(StartupProfile.organization_id == organization_id)).first()


# --- organizations and users -----------------------------------------------------------------


def create_organization(*, session: Session, organization_in: OrganizationCreate) -> Organization:
    """Creates an organization."""
    if get_organization_by_slug(session=session, slug=organization_in.slug):
        raise DataError(f"an organization with slug '{organization_in.slug}' exists already")
    organization = Organization.model_validate(organization_in)
    session.add(organization)
    session.flush()
    return organization


# werkzeug's scrypt with its default cost (N=32768, r=8, p=1). Tests lower the cost.
PASSWORD_METHOD = "scrypt"


def hash_password(password: str) -> str:
    """Hashes a password with scrypt, a memory-hard KDF; the hash records its parameters."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def create_user(*, session: Session, user_in: UserCreate) -> User:
    """Creates a user; the role must fit the kind of organization the user belongs to."""
    organization = session.get(Organization, user_in.organization_id)
    if organization is None:
        raise NotFound(f"organization {user_in.organization_id} does not exist")
    expected = ROLE_ORGANIZATION_KIND[user_in.role]
    if organization.kind != expected:
        raise DataError(f"a {user_in.role.value} user belongs to a {expected.value} organization, not a {organization.kind.value}")
    if get_user_by_email(session=session, email=user_in.email):
        raise DataError(f"a user with e-mail {user_in.email} exists already")
    user = User.model_validate(user_in, update={"password_hash": hash_password(user_in.password)})
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str) -> Optional[User]:
    """Returns the active user with this e-mail and password, or None."""
    user = get_user_by_email(session=session, email=email)
    if user is None:
        # Spend the same hashing work as for a real account, so response times do not tell
        # which e-mail addresses have one.
        check_password_hash(_unknown_user_hash(), password)
        return None
    if not user.is_active or not check_password_hash(user.password_hash, password):
        return None
    return user


@lru_cache(maxsize=4)
def _hash_for_unknown_users(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _unknown_user_hash() -> str:
    return _hash_for_unknown_users(PASSWORD_METHOD)


# --- programmes and fields -------------------------------------------------------------------


def create_programme(
    *, session: Session, programme_in: ProgrammeCreate, actor_id: Optional[int] = None
) -> Programme:
    """Creates a programme (one track of an edition)."""
    if get_programme_by_slug(session=session, slug=programme_in.slug):
        raise DataError(f"a programme with slug '{programme_in.slug}' exists already")
    programme = Programme.model_validate(programme_in)
    session.add(programme)
    session.flush()
    record_event(session=session, entity="programme", entity_id=programme.id, action="created", actor_id=actor_id,
                 data={"slug": programme.slug})
    return programme


def _check_participant(*, session: Session, organization_id: Optional[int]) -> None:
    if organization_id is None:
        return
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(f"organization {organization_id} does not exist")
    if organization.kind not in (OrganizationKind.sponsor, OrganizationKind.partner):
        raise DataError("a participating company must be a sponsor or partner organization")


def add_programme_sponsor(
    *,
    session: Session,
    programme_id: int,
    organization_id: int,
    role: SponsorRole,
    contribution_ko: str = "",
    contribution_en: str = "",
    actor_id: Optional[int] = None,
) -> ProgrammeSponsor:
    """Adds a sponsor (it poses challenges; a sponsor organization) or a partner to a programme, once."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(f"organization {organization_id} does not exist")
    if role == SponsorRole.sponsor and organization.kind != OrganizationKind.sponsor:
        raise DataError("only a sponsor organization can pose challenges as a programme's sponsor")
    if organization.kind not in (OrganizationKind.sponsor, OrganizationKind.partner):
        raise DataError("only sponsor and partner organizations take part in a programme")
    if session.get(ProgrammeSponsor, (programme_id, organization_id)) is not None:
        raise DataError(f"'{organization.slug}' takes part in this programme already")
    link = ProgrammeSponsor.model_validate({
        "programme_id": programme_id, "organization_id": organization_id, "role": role,
        "contribution_ko": contribution_ko, "contribution_en": contribution_en,
    })
    session.add(link)
    session.flush()
    record_event(session=session, entity="programme", entity_id=programme_id, action="sponsor.added",
                 actor_id=actor_id, data={"organization_id": organization_id, "role": SponsorRole(role).value})
    return link


class SlugTaken(DataError):
    """Another field of the programme has this slug."""


def create_field(*, session: Session, field_in: FieldCreate, actor_id: Optional[int] = None) -> Field:
    """Creates a field inside a programme; its slug must be new within the programme."""
    taken = session.exec(
        select(Field.id).where(Field.programme_id == field_in.programme_id, Field.slug == field_in.slug)
    ).first()
    if taken is not None:
        raise SlugTaken(f"the programme has a field with slug '{field_in.slug}' already")
    _check_participant(session=session, organization_id=field_in.participating_company_id)
    field = Field.model_validate(field_in)
    session.add(field)
    session.flush()
    record_event(session=session, entity="field", entity_id=field.id, action="created", actor_id=actor_id,
                 data={"programme_id": field.programme_id, "slug": field.slug})
    return field


# --- challenges ------------------------------------------------------------------------------


def _next_challenge_code(*, session: Session, field: Field) -> str:
    stem = re.sub(r"[^A-Z0-9]+", "-", field.slug.upper()).strip("-") or "CH"
    count = session.exec(select(func.count()).select_from(Challenge).where(Challenge.field_id == field.id)).one()
    n = count + 1
    while get_challenge_by_code(session=session, code=f"{stem}-{n:02d}"):
        n += 1
    return f"{stem}-{n:02d}"


def create_challenge(
    *, session: Session, challenge_in: ChallengeCreate, sponsor_id: int, created_by_id: Optional[int] = None
) -> Challenge:
    """Creates a challenge for a sponsor in a field of a programme the sponsor takes part in."""
    field = session.get(Field, challenge_in.field_id)
    if field is None:
        raise NotFound(f"field {challenge_in.field_id} does not exist")
    is_sponsor = session.get(ProgrammeSponsor, (field.programme_id, sponsor_id))
    if is_sponsor is None:
        raise DataError("the sponsor does not take part in this field's programme")
    code = challenge_in.code or _next_challenge_code(session=session, field=field)
    if get_challenge_by_code(session=session, code=code):
        raise DataError(f"a challenge with code '{code}' exists already")
    challenge = Challenge.model_validate(
        challenge_in, update={"code": code, "sponsor_id": sponsor_id, "created_by_id": created_by_id}
    )
    session.add(challenge)
    session.flush()
    record_event(session=session, entity="challenge", entity_id=challenge.id, action="created",
                 actor_id=created_by_id, data={"code": challenge.code, "status": challenge.status.value})
    return challenge


# --- startup profiles ------------------------------------------------------------------------


def set_profile_fields(*, session: Session, profile: StartupProfile, field_ids: Iterable[int]) -> None:
    """Replaces a profile's fields of interest."""
    wanted = set(field_ids)
    found = set(session.exec(select(Field.id).where(Field.id.in_(wanted))).all()) if wanted else set()
    missing = wanted - found
    if missing:
        raise NotFound(f"fields do not exist: {sorted(missing)}")
    current = {link.field_id: link for link in session.exec(select(ProfileField).where(ProfileField.profile_id == profile.id))}
    for field_id, link in current.items():
        if field_id not in wanted:
            session.delete(link)
    for field_id in wanted - current.keys():
        session.add(ProfileField(profile_id=profile.id, field_id=field_id))
    session.flush()
    session.refresh(profile, ["fields"])


def create_profile(
    *, session: Session, profile_in: StartupProfileCreate, actor_id: Optional[int] = None
) -> StartupProfile:
    """Creates the profile of a startup organization, with its fields of interest."""
    organization = session.get(Organization, profile_in.organization_id)
    if organization is None:
        raise NotFound(f"organization {profile_in.organization_id} does not exist")
    if organization.kind.value != "startup":
        raise DataError("only a startup organization has a startup profile")
    if get_profile_by_organization(session=session, organization_id=organization.id):
        raise DataError(f"'{organization.slug}' has a profile already")
    profile = StartupProfile.model_validate(profile_in.model_dump(exclude={"field_ids"}))
    try:
        with session.begin_nested():
            session.add(profile)
    except IntegrityError as exc:
        # Two first saves at once: the database keeps one profile per organization.
        raise DataError(f"'{organization.slug}' has a profile already") from exc
    set_profile_fields(session=session, profile=profile, field_ids=profile_in.field_ids)
    record_event(session=session, entity="profile", entity_id=profile.id, action="created", actor_id=actor_id)
    return profile


# --- rounds ----------------------------------------------------------------------------------


def create_round(*, session: Session, round_in: RoundCreate, created_by_id: Optional[int] = None) -> Round:
    """Creates a match round over some fields of a programme (all of them when none are named)."""
    programme = session.get(Programme, round_in.programme_id)
    if programme is None:
        raise NotFound(f"programme {round_in.programme_id} does not exist")
    field_ids = set(round_in.field_ids) or {field.id for field in programme.fields}
    foreign = field_ids - {field.id for field in programme.fields}
    if foreign:
        raise DataError(f"fields {sorted(foreign)} are not in programme '{programme.slug}'")
    round_ = Round.model_validate(round_in.model_dump(exclude={"field_ids"}), update={"created_by_id": created_by_id})
    session.add(round_)
    session.flush()
    for field_id in sorted(field_ids):
        session.add(RoundField(round_id=round_.id, field_id=field_id))
    session.flush()
    record_event(session=session, entity="round", entity_id=round_.id, action="created", actor_id=created_by_id,
                 data={"programme_id": round_.programme_id, "fields": sorted(field_ids)})
    return round_


# --- interests -------------------------------------------------------------------------------


def add_interest(*, session: Session, startup_id: int, interest_in: InterestCreate) -> Interest:
    """Records a startup's interest in a challenge; one interest per startup and challenge."""
    challenge = session.get(Challenge, interest_in.challenge_id)
    if challenge is None:
        raise NotFound(f"challenge {interest_in.challenge_id} does not exist")
    if challenge.status != ChallengeStatus.open:
        raise DataError(f"challenge {challenge.code} is not open for interest")
    interest = Interest.model_validate(interest_in, update={"startup_id": startup_id})
    try:
        with session.begin_nested():
            session.add(interest)
    except IntegrityError as exc:
        raise DataError(f"interest in challenge {challenge.code} is recorded already") from exc
    return interest


# --- audit -----------------------------------------------------------------------------------


def record_event(
    *, session: Session, entity: str, entity_id: int, action: str, actor_id: Optional[int] = None, data: Optional[dict] = None
) -> Event:
    """Writes an audit line in the caller's transaction."""
    event = Event(entity=entity, entity_id=entity_id, action=action, actor_id=actor_id, data=data or {})
    session.add(event)
    return event


# --- versioned edits -------------------------------------------------------------------------


class Conflict(DataError):
    """Someone saved a newer version first; the caller keeps its text and shows the difference."""


def _versioned_update(*, session: Session, row, expected_version: int, changes: dict) -> None:
    """Writes changes only if the row is still at expected_version, and bumps the version.

    One UPDATE ... WHERE version = expected, so two people saving the same version at the
    same time cannot both win; the loser gets Conflict and nothing of theirs is written.
    """
    table = type(row)
    if expected_version != row.version:
        raise Conflict(f"this {table.__name__.lower()} was changed by someone else (version {row.version}, yours {expected_version})")
    changes = {**changes, "version": expected_version + 1}
    if hasattr(table, "updated_at"):
        changes["updated_at"] = utcnow()
    result = session.execute(
        update(table).where(table.id == row.id, table.version == expected_version).values(**changes)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict(f"this {table.__name__.lower()} was changed by someone else while you were saving")
    session.refresh(row)


CHALLENGE_STATUS_MOVES = {
    ChallengeStatus.draft: {ChallengeStatus.open, ChallengeStatus.closed},
    ChallengeStatus.open: {ChallengeStatus.closed},
    ChallengeStatus.closed: {ChallengeStatus.open},
}


def update_challenge(
    *, session: Session, challenge: Challenge, challenge_in: ChallengeUpdate, expected_version: int, actor_id: Optional[int]
) -> Challenge:
    """Edits a challenge if nobody saved a newer version; status moves draft -> open -> closed (and may reopen)."""
    changes = challenge_in.model_dump(exclude_unset=True)
    if "status" in changes and changes["status"] != challenge.status:
        if changes["status"] not in CHALLENGE_STATUS_MOVES[challenge.status]:
            raise DataError(f"a {challenge.status.value} challenge cannot become {changes['status'].value}")
    if "field_id" in changes and changes["field_id"] != challenge.field_id:
        field = session.get(Field, changes["field_id"])
        if field is None or session.get(ProgrammeSponsor, (field.programme_id, challenge.sponsor_id)) is None:
            raise DataError("the challenge can only move to a field of a programme its sponsor takes part in")
    changed = {k: v for k, v in changes.items() if getattr(challenge, k) != v}
    if not changed:
        if expected_version != challenge.version:
            raise Conflict(f"this challenge was changed by someone else (version {challenge.version}, yours {expected_version})")
        return challenge
    _versioned_update(session=session, row=challenge, expected_version=expected_version, changes=changed)
    record_event(session=session, entity="challenge", entity_id=challenge.id, action="updated", actor_id=actor_id,
                 data={"fields": sorted(changed), "version": challenge.version})
    return challenge


def update_profile(
    *, session: Session, profile: StartupProfile, profile_in: StartupProfileUpdate, expected_version: int,
    actor_id: Optional[int],
) -> StartupProfile:
    """Edits a startup profile (and its fields of interest) if nobody saved a newer version."""
    changes = profile_in.model_dump(exclude_unset=True)
    field_ids = changes.pop("field_ids", None)
    changed = {k: v for k, v in changes.items() if getattr(profile, k) != v}
    fields_changed = field_ids is not None and set(field_ids) != {f.id for f in profile.fields}
    if not changed and not fields_changed:
        if expected_version != profile.version:
            raise Conflict(f"this profile was changed by someone else (version {profile.version}, yours {expected_version})")
        return profile
    _versioned_update(session=session, row=profile, expected_version=expected_version, changes=changed)
    if fields_changed:
        set_profile_fields(session=session, profile=profile, field_ids=field_ids)
    record_event(session=session, entity="profile", entity_id=profile.id, action="updated", actor_id=actor_id,
                 data={"fields": sorted(changed) + (["field_ids"] if fields_changed else []), "version": profile.version})
    return profile


def update_programme(
    *, session: Session, programme: Programme, programme_in: ProgrammeUpdate, expected_version: int,
    actor_id: Optional[int],
) -> Programme:
    """Edits a programme if nobody saved a newer version."""
    changed = {k: v for k, v in programme_in.model_dump(exclude_unset=True).items() if getattr(programme, k) != v}
    if not changed:
        if expected_version != programme.version:
            raise Conflict(f"this programme was changed by someone else (version {programme.version}, yours {expected_version})")
        return programme
    _versioned_update(session=session, row=programme, expected_version=expected_version, changes=changed)
    record_event(session=session, entity="programme", entity_id=programme.id, action="updated", actor_id=actor_id,
                 data={"fields": sorted(changed), "version": programme.version})
    return programme


def update_field(
    *, session: Session, field: Field, field_in: FieldUpdate, expected_version: int, actor_id: Optional[int]
) -> Field:
    """Edits a field (not its slug) if nobody saved a newer version."""
    changes = field_in.model_dump(exclude_unset=True)
    if "participating_company_id" in changes:
        _check_participant(session=session, organization_id=changes["participating_company_id"])
    changed = {k: v for k, v in changes.items() if getattr(field, k) != v}
    if not changed:
        if expected_version != field.version:
            raise Conflict(f"this field was changed by someone else (version {field.version}, yours {expected_version})")
        return field
    _versioned_update(session=session, row=field, expected_version=expected_version, changes=changed)
    session.refresh(field, ["participating_company"])
    record_event(session=session, entity="field", entity_id=field.id, action="updated", actor_id=actor_id,
                 data={"fields": sorted(changed), "version": field.version})
    return field


def update_round(
    *, session: Session, round_: Round, round_in: RoundUpdate, expected_version: int, actor_id: Optional[int]
) -> Round:
    """Edits a round that has not matched yet, if nobody saved a newer version."""
    if round_.status not in (RoundStatus.draft, RoundStatus.scheduled):
        raise DataError(f"a {round_.status.value} round can no longer be edited")
    changes = round_in.model_dump(exclude_unset=True)
    field_ids = changes.pop("field_ids", None)
    merged = {name: changes.get(name, getattr(round_, name)) for name in ("opens_at", "closes_at", "match_at")}
    if not merged["opens_at"] < merged["closes_at"] or not merged["opens_at"] <= merged["match_at"] <= merged["closes_at"]:
        raise DataError("the round must open before it matches and match before it closes")
    if field_ids is not None:
        foreign = set(field_ids) - {f.id for f in round_.programme.fields}
        if foreign:
            raise DataError(f"fields {sorted(foreign)} are not in this round's programme")
    changed = {k: v for k, v in changes.items() if getattr(round_, k) != v}
    _versioned_update(session=session, row=round_, expected_version=expected_version, changes=changed)
    if field_ids is not None:
        for link in session.exec(select(RoundField).where(RoundField.round_id == round_.id)):
            session.delete(link)
        session.flush()
        for field_id in sorted(set(field_ids) or {f.id for f in round_.programme.fields}):
            session.add(RoundField(round_id=round_.id, field_id=field_id))
        session.flush()
        session.refresh(round_, ["fields"])
    record_event(session=session, entity="round", entity_id=round_.id, action="updated", actor_id=actor_id,
                 data={"fields": sorted(changed) + (["field_ids"] if field_ids is not None else [])})
    return round_


ROUND_STATUS_MOVES = {
    RoundStatus.draft: {RoundStatus.scheduled},
    RoundStatus.scheduled: {RoundStatus.draft, RoundStatus.matched},
    RoundStatus.matched: {RoundStatus.closed},
    RoundStatus.closed: {RoundStatus.selected},
    RoundStatus.selected: set(),
}


def set_round_status(*, session: Session, round_: Round, status: RoundStatus, actor_id: Optional[int]) -> Round:
    """Moves a round along draft -> scheduled -> matched -> closed -> selected (scheduled may go back to draft)."""
    if status == round_.status:
        return round_
    if status not in ROUND_STATUS_MOVES[round_.status]:
        raise DataError(f"a {round_.status.value} round cannot become {status.value}")
    before = round_.status
    _versioned_update(session=session, row=round_, expected_version=round_.version, changes={"status": status})
    record_event(session=session, entity="round", entity_id=round_.id, action=f"status.{status.value}",
                 actor_id=actor_id, data={"from": before.value, "to": status.value})
    return round_


# --- sign-up ---------------------------------------------------------------------------------


def _unique_slug(*, session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "startup"
    slug, n = base, 1
    while get_organization_by_slug(session=session, slug=slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


def signup_startup(
    *, session: Session, email: str, password: str, display_name: str, name_ko: str, name_en: str, locale: str = "ko"
) -> User:
    """Creates a startup organization and its first user; the profile comes when the user first saves it."""
    if get_user_by_email(session=session, email=email):
        raise DataError(f"a user with e-mail {email.strip().lower()} exists already")
    organization = create_organization(
        session=session,
        organization_in=OrganizationCreate(
            slug=_unique_slug(session=session, name=name_en), kind=OrganizationKind.startup, name_ko=name_ko, name_en=name_en
        ),
    )
    user = create_user(
        session=session,
        user_in=UserCreate(email=email, password=password, role=Role.startup, display_name=display_name,
                           organization_id=organization.id, locale=locale),
    )
    record_event(session=session, entity="user", entity_id=user.id, action="signed_up", actor_id=user.id)
    return user


# --- interests -------------------------------------------------------------------------------


def list_interests(*, session: Session, startup_id: int) -> list[Interest]:
    """Lists a startup's interests, first choice first."""
    return list(session.exec(
        select(Interest).where(Interest.startup_id == startup_id)
        .options(selectinload(Interest.challenge)).order_by(Interest.rank, Interest.id)
    ))


def remove_interest(*, session: Session, startup_id: int, challenge_id: int) -> None:
    """Withdraws a startup's interest in a challenge and closes the gap in its ranks."""
    interest = session.exec(
        select(Interest).where(Interest.startup_id == startup_id, Interest.challenge_id == challenge_id)
    ).first()
    if interest is None:
        raise NotFound("no interest in that challenge")
    session.delete(interest)
    session.flush()
    for rank, other in enumerate(list_interests(session=session, startup_id=startup_id), start=1):
        other.rank = rank
    session.flush()


def reorder_interests(*, session: Session, startup_id: int, challenge_ids: list[int]) -> list[Interest]:
    """Sets the order of a startup's interests: challenge_ids lists every one of them, first choice first."""
    interests = {i.challenge_id: i for i in list_interests(session=session, startup_id=startup_id)}
    if sorted(challenge_ids) != sorted(interests) or len(set(challenge_ids)) != len(challenge_ids):
        raise DataError("the new order must list each of your interests exactly once")
    for rank, challenge_id in enumerate(challenge_ids, start=1):
        interests[challenge_id].rank = rank
    session.flush()
    return [interests[c] for c in challenge_ids]


def next_interest_rank(*, session: Session, startup_id: int) -> int:
    """Returns the rank a new interest gets: after the existing ones."""
    current = session.exec(select(func.max(Interest.rank)).where(Interest.startup_id == startup_id)).one()
    return (current or 0) + 1


# --- proposals and decisions -----------------------------------------------------------------


def latest_run_for_challenge(*, session: Session, challenge_id: int) -> Optional[MatchRun]:
    """Returns the newest successful run that proposed startups for the challenge."""
    return session.exec(
        select(MatchRun)
        .join(Proposal, Proposal.run_id == MatchRun.id)
        .where(Proposal.challenge_id == challenge_id, MatchRun.status == RunStatus.succeeded)
        .order_by(MatchRun.finished_at.desc().nulls_last(), MatchRun.id.desc())
        .limit(1)
    ).first()


def proposals_for_challenge(*, session: Session, challenge_id: int) -> list[Proposal]:
    """Lists the proposals of the challenge's latest successful run, best rank first, startups loaded."""
    run = latest_run_for_challenge(session=session, challenge_id=challenge_id)
    if run is None:
        return []
    return list(session.exec(
        select(Proposal)
        .where(Proposal.run_id == run.id, Proposal.challenge_id == challenge_id)
        .options(selectinload(Proposal.startup).selectinload(StartupProfile.organization))
        .order_by(Proposal.rank, Proposal.id)
    ))


def proposals_for_startup(*, session: Session, startup_id: int) -> list[Proposal]:
    """Lists a startup's proposals from the latest successful run of each challenge, newest first."""
    rows = session.exec(
        select(Proposal)
        .join(MatchRun, Proposal.run_id == MatchRun.id)
        .where(Proposal.startup_id == startup_id, MatchRun.status == RunStatus.succeeded)
        .options(selectinload(Proposal.challenge).selectinload(Challenge.field).selectinload(Field.programme))
        .order_by(MatchRun.finished_at.desc(), MatchRun.id.desc(), Proposal.rank)
    ).all()
    latest: dict[int, Proposal] = {}
    for proposal in rows:
        latest.setdefault(proposal.challenge_id, proposal)
    return list(latest.values())


# A decision's reason: NFC, no control characters, at most 2000 characters (as the column).
_REASON = TypeAdapter(Annotated[Paragraphs, PydanticField(max_length=2000)])

LIVE_STATUSES = (ProposalStatus.shortlisted, ProposalStatus.invited, ProposalStatus.accepted, ProposalStatus.selected)
SPONSOR_NOTED = frozenset({ProposalStatus.shortlisted, ProposalStatus.rejected, ProposalStatus.invited})


def decide_proposal(
    *, session: Session, proposal: Proposal, status: ProposalStatus, actor_id: Optional[int], reason: Optional[str] = None
) -> Proposal:
    """Moves a proposal to a new status along PROPOSAL_TRANSITIONS and writes the audit event.

    Rejecting needs a reason. A shortlisted proposal gets the next shortlist rank of its
    challenge in that run. The status is updated with a conditional UPDATE, so two
    reviewers deciding at once cannot both move it: the second gets Conflict.
    """
    before = proposal.status
    if status not in PROPOSAL_TRANSITIONS[before]:
        raise DataError(f"a {before.value} proposal cannot become {status.value}")
    round_status = session.exec(
        select(Round.status).join(MatchRun, MatchRun.round_id == Round.id).where(MatchRun.id == proposal.run_id)
    ).one()
    if round_status == RoundStatus.selected or (round_status == RoundStatus.closed and status != ProposalStatus.selected):
        raise DataError(f"the round is {round_status.value}; its proposals can no longer change")
    try:
        reason = _REASON.validate_python(reason or "") or None
    except ValidationError as exc:
        raise DataError(f"the reason {exc.errors()[0]['msg'].lower()}") from exc
    if status == ProposalStatus.rejected and not reason:
        raise DataError("say why the startup is rejected")
    changes: dict = {"status": status, "status_changed_at": utcnow()}
    if status in SPONSOR_NOTED and reason is not None:
        # The reason column is the sponsor's note; a reason given with a startup's answer
        # (accepting, declining) or the final selection stays in the audit event only.
        changes["reason"] = reason
    if status in (ProposalStatus.rejected, ProposalStatus.declined):
        # Out of the running: it no longer holds a place in the sponsor's order.
        changes["shortlist_rank"] = None
    if status == ProposalStatus.shortlisted:
        top = session.exec(
            select(func.max(Proposal.shortlist_rank)).where(
                Proposal.run_id == proposal.run_id, Proposal.challenge_id == proposal.challenge_id
            )
        ).one()
        changes["shortlist_rank"] = (top or 0) + 1
    result = session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.status == before).values(**changes)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict("someone else decided on this proposal first")
    session.refresh(proposal)
    record_event(session=session, entity="proposal", entity_id=proposal.id, action=f"status.{status.value}",
                 actor_id=actor_id, data={"from": before.value, "to": status.value, "reason": reason})
    return proposal


def reorder_shortlist(*, session: Session, proposals: list[Proposal], actor_id: Optional[int]) -> None:
    """Sets the sponsor's order of preference over shortlisted proposals of one challenge and run, first = 1."""
    if not proposals:
        return
    keys = {(p.run_id, p.challenge_id) for p in proposals}
    if len(keys) != 1:
        raise DataError("a shortlist order covers one challenge of one run")
    run_id, challenge_id = keys.pop()
    listed = {p.id for p in proposals}
    shortlisted = set(session.exec(
        select(Proposal.id).where(Proposal.run_id == run_id, Proposal.challenge_id == challenge_id,
                                  Proposal.status.in_(LIVE_STATUSES))
    ))
    if listed != shortlisted:
        raise DataError("the new order must list every shortlisted startup exactly once")
    for rank, proposal in enumerate(proposals, start=1):
        proposal.shortlist_rank = rank
    session.flush()
    record_event(session=session, entity="challenge", entity_id=challenge_id, action="shortlist.reordered",
                 actor_id=actor_id, data={"run_id": run_id, "order": [p.id for p in proposals]})


# --- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "mmk_"
_TOKEN_NAME = TypeAdapter(Annotated[Line, PydanticField(min_length=1, max_length=100)])


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(
    *, session: Session, user_id: int, name: str, expires_at: Optional[datetime] = None
) -> tuple[ApiToken, str]:
    """Issues a token for a user; returns the row and the token text, which is never stored and shown once."""
    try:
        name = _TOKEN_NAME.validate_python(name)
    except ValidationError as exc:
        raise DataError(f"the token name {exc.errors()[0]['msg'].lower()}") from exc
    if expires_at is not None and expires_at <= utcnow():
        raise DataError("the expiry must lie in the future")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user_id, name=name, token_hash=_token_digest(token), prefix=token[:12], expires_at=expires_at)
    session.add(row)
    session.flush()
    record_event(session=session, entity="api_token", entity_id=row.id, action="created", actor_id=user_id)
    return row, token


def user_for_token(*, session: Session, token: str) -> Optional[User]:
    """Returns the active user a live token belongs to (and notes its use), or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _token_digest(token))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if not row.user.is_active:
        return None
    # Writing on every request would make reads contend for the write lock; a minute is precise enough.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        try:
            with session.begin_nested():
                row.last_used_at = now
        except OperationalError:
            # SQLite: a reading request may not upgrade to a write while another commits.
            # The note of use is bookkeeping; the request itself must not fail over it.
            session.expire(row, ["last_used_at"])
    return row.user


def list_api_tokens(*, session: Session, user_id: int) -> list[ApiToken]:
    """Lists a user's tokens, newest first (revoked ones included, for the record)."""
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())))


def revoke_api_token(*, session: Session, token_id: int, user_id: int) -> ApiToken:
    """Revokes one of the user's tokens; it stops working at once."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("no such token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        record_event(session=session, entity="api_token", entity_id=row.id, action="revoked", actor_id=user_id)
    return row

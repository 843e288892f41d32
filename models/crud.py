"""Data-access functions: every write to the database goes through here."""

from __future__ import annotations

import re
from typing import Iterable, Optional

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from models.enums import ROLE_ORGANIZATION_KIND
from models.schema import (
    Challenge,
    ChallengeCreate,
    Event,
    Interest,
    InterestCreate,
    Field,
    FieldCreate,
    Organization,
    OrganizationCreate,
    ProfileField,
    Programme,
    ProgrammeCreate,
    ProgrammeSponsor,
    Round,
    RoundCreate,
    RoundField,
    StartupProfile,
    StartupProfileCreate,
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


def hash_password(password: str) -> str:
    """Hashes a password with scrypt (werkzeug's default KDF)."""
    return generate_password_hash(password, method="scrypt")


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
    if user is None or not user.is_active or not check_password_hash(user.password_hash, password):
        return None
    return user


# --- programmes and fields -------------------------------------------------------------------


def create_programme(*, session: Session, programme_in: ProgrammeCreate) -> Programme:
    """Creates a programme (one track of an edition)."""
    if get_programme_by_slug(session=session, slug=programme_in.slug):
        raise DataError(f"a programme with slug '{programme_in.slug}' exists already")
    programme = Programme.model_validate(programme_in)
    session.add(programme)
    session.flush()
    return programme


def add_programme_sponsor(*, session: Session, link: ProgrammeSponsor) -> ProgrammeSponsor:
    """Adds a sponsor or partner to a programme."""
    session.add(link)
    session.flush()
    return link


def create_field(*, session: Session, field_in: FieldCreate) -> Field:
    """Creates a field inside a programme."""
    field = Field.model_validate(field_in)
    session.add(field)
    session.flush()
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


def create_profile(*, session: Session, profile_in: StartupProfileCreate) -> StartupProfile:
    """Creates the profile of a startup organization, with its fields of interest."""
    organization = session.get(Organization, profile_in.organization_id)
    if organization is None:
        raise NotFound(f"organization {profile_in.organization_id} does not exist")
    if organization.kind.value != "startup":
        raise DataError("only a startup organization has a startup profile")
    if get_profile_by_organization(session=session, organization_id=organization.id):
        raise DataError(f"'{organization.slug}' has a profile already")
    profile = StartupProfile.model_validate(profile_in.model_dump(exclude={"field_ids"}))
    session.add(profile)
    session.flush()
    set_profile_fields(session=session, profile=profile, field_ids=profile_in.field_ids)
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
    return round_


# --- interests -------------------------------------------------------------------------------


def add_interest(*, session: Session, startup_id: int, interest_in: InterestCreate) -> Interest:
    """Records a startup's interest in a challenge; one interest per startup and challenge."""
    challenge = session.get(Challenge, interest_in.challenge_id)
    if challenge is None:
        raise NotFound(f"challenge {interest_in.challenge_id} does not exist")
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

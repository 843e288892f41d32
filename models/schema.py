"""The tables of the domain and the API shapes around them (Base / Create / Update / table / Public).

No `from __future__ import annotations` here: SQLModel resolves relationship
annotations at class creation and needs them as real objects or plain strings.
"""

from datetime import datetime
from typing import Any, Optional

import sqlmodel as sm
from pydantic import EmailStr, field_validator, model_validator
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlmodel import Relationship, SQLModel

from models.enums import (
    ChallengeStatus,
    Language,
    OrganizationKind,
    ProposalStatus,
    Role,
    RoundStatus,
    RunStatus,
    RunTrigger,
    SponsorRole,
    Stage,
)
from models.text import Line, Paragraphs, Terms, WebAddress
from models.types import UTCDateTime, enum_type, utcnow

# Named constraints, so migrations can refer to them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CODE_PATTERN = r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$"

# Limits in characters (not bytes): a Korean title of 200 characters is 600 bytes in UTF-8.
NAME_MAX = 200
TITLE_MAX = 200
SUMMARY_MAX = 300
DESCRIPTION_MAX = 20_000
TERMS_MAX = 30


def _created_at() -> Any:
    return sm.Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _updated_at() -> Any:
    return sm.Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, sa_column_kwargs={"onupdate": utcnow}
    )


def _fk(target: str, *, nullable: bool = False, index: bool = True, ondelete: str = "RESTRICT") -> Any:
    """A foreign key column; deletions of referenced rows are refused unless told otherwise."""
    return sm.Field(
        default=None if nullable else ...,
        sa_column_args=[ForeignKey(target, ondelete=ondelete)],
        sa_type=Integer,
        nullable=nullable,
        index=index,
    )


# --- Organization ----------------------------------------------------------------------------


class OrganizationBase(SQLModel):
    slug: str = sm.Field(max_length=80, schema_extra={"pattern": SLUG_PATTERN}, unique=True, index=True)
    kind: OrganizationKind = sm.Field(sa_type=enum_type(OrganizationKind))
    name_ko: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    name_en: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    website: Optional[WebAddress] = sm.Field(default=None, max_length=300)


class OrganizationCreate(OrganizationBase):
    pass


class Organization(OrganizationBase, table=True):
    __tablename__ = "organizations"

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()

    users: list["User"] = Relationship(back_populates="organization")
    profile: Optional["StartupProfile"] = Relationship(back_populates="organization")

    def name(self, locale: str = "ko") -> str:
        """Returns the name in the given locale."""
        return self.name_en if locale == "en" else self.name_ko


class OrganizationPublic(OrganizationBase):
    id: int


# --- User ------------------------------------------------------------------------------------


class UserBase(SQLModel):
    email: str = sm.Field(max_length=254, unique=True, index=True)
    role: Role = sm.Field(sa_type=enum_type(Role))
    display_name: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    locale: str = sm.Field(default="ko", max_length=5)

    @field_validator("email")
    @classmethod
    def _email_lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("ko", "en"):
            raise ValueError("locale must be 'ko' or 'en'")
        return value


class UserCreate(UserBase):
    email: EmailStr = sm.Field(max_length=254)
    password: str = sm.Field(min_length=10, max_length=200)
    organization_id: int


class User(UserBase, table=True):
    __tablename__ = "users"

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    organization_id: int = _fk("organizations.id")
    password_hash: str = sm.Field(max_length=300)
    is_active: bool = sm.Field(default=True)
    created_at: datetime = _created_at()
    last_login_at: Optional[datetime] = sm.Field(default=None, sa_type=UTCDateTime)

    organization: Organization = Relationship(back_populates="users")


class UserPublic(UserBase):
    id: int
    organization_id: int


# --- Programme and its sponsors --------------------------------------------------------------


class ProgrammeBase(SQLModel):
    slug: str = sm.Field(max_length=80, schema_extra={"pattern": SLUG_PATTERN}, unique=True, index=True)
    edition_ko: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    edition_en: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    name_ko: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    name_en: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    description_ko: Paragraphs = sm.Field(default="", max_length=DESCRIPTION_MAX, sa_type=Text)
    description_en: Paragraphs = sm.Field(default="", max_length=DESCRIPTION_MAX, sa_type=Text)
    year: int = sm.Field(ge=2000, le=2100)
    selection_target: int = sm.Field(default=0, ge=0, le=10_000)
    max_award_krw: int = sm.Field(default=0, ge=0, sa_type=BigInteger)


class ProgrammeCreate(ProgrammeBase):
    operator_id: int


class ProgrammeUpdate(SQLModel):
    edition_ko: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    edition_en: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    year: Optional[int] = sm.Field(default=None, ge=2000, le=2100)
    name_ko: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    name_en: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    description_ko: Optional[Paragraphs] = sm.Field(default=None, max_length=DESCRIPTION_MAX)
    description_en: Optional[Paragraphs] = sm.Field(default=None, max_length=DESCRIPTION_MAX)
    selection_target: Optional[int] = sm.Field(default=None, ge=0, le=10_000)
    max_award_krw: Optional[int] = sm.Field(default=None, ge=0)


class Programme(ProgrammeBase, table=True):
    """One track of an edition, e.g. 'AI 초격차 챌린지 2025 — 온디바이스 AI', with its sponsor(s)."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("selection_target >= 0", name="selection_target_nonnegative"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    operator_id: int = _fk("organizations.id")
    version: int = sm.Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()

    fields: list["Field"] = Relationship(
        back_populates="programme", sa_relationship_kwargs={"order_by": "Field.position"}
    )
    sponsors: list["ProgrammeSponsor"] = Relationship(back_populates="programme")

    def name(self, locale: str = "ko") -> str:
        """Returns the track name in the given locale."""
        return self.name_en if locale == "en" else self.name_ko

    def edition(self, locale: str = "ko") -> str:
        """Returns the edition name in the given locale."""
        return self.edition_en if locale == "en" else self.edition_ko


class ProgrammePublic(ProgrammeBase):
    id: int
    operator_id: int
    version: int


class ProgrammeSponsor(SQLModel, table=True):
    """An organization taking part in a programme: the sponsor that poses problems, or a partner."""

    __tablename__ = "programme_sponsors"

    programme_id: int = sm.Field(
        sa_column_args=[ForeignKey("programmes.id", ondelete="CASCADE")], primary_key=True, sa_type=Integer
    )
    organization_id: int = sm.Field(
        sa_column_args=[ForeignKey("organizations.id", ondelete="RESTRICT")], primary_key=True, sa_type=Integer
    )
    role: SponsorRole = sm.Field(sa_type=enum_type(SponsorRole))
    contribution_ko: Paragraphs = sm.Field(default="", max_length=2000, sa_type=Text)
    contribution_en: Paragraphs = sm.Field(default="", max_length=2000, sa_type=Text)

    programme: Programme = Relationship(back_populates="sponsors")
    organization: Organization = Relationship()


# --- Field -----------------------------------------------------------------------------------


class ProfileField(SQLModel, table=True):
    """A startup's field of interest."""

    __tablename__ = "profile_fields"

    profile_id: int = sm.Field(
        sa_column_args=[ForeignKey("startup_profiles.id", ondelete="CASCADE")], primary_key=True, sa_type=Integer
    )
    field_id: int = sm.Field(
        sa_column_args=[ForeignKey("fields.id", ondelete="CASCADE")], primary_key=True, sa_type=Integer, index=True
    )


class RoundField(SQLModel, table=True):
    """A field a round matches."""

    __tablename__ = "round_fields"

    round_id: int = sm.Field(
        sa_column_args=[ForeignKey("rounds.id", ondelete="CASCADE")], primary_key=True, sa_type=Integer
    )
    field_id: int = sm.Field(
        sa_column_args=[ForeignKey("fields.id", ondelete="RESTRICT")], primary_key=True, sa_type=Integer
    )


class FieldBase(SQLModel):
    slug: str = sm.Field(max_length=80, schema_extra={"pattern": SLUG_PATTERN})
    name_ko: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    name_en: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    description_ko: Paragraphs = sm.Field(default="", max_length=DESCRIPTION_MAX, sa_type=Text)
    description_en: Paragraphs = sm.Field(default="", max_length=DESCRIPTION_MAX, sa_type=Text)
    position: int = sm.Field(default=0, ge=0)


class FieldCreate(FieldBase):
    programme_id: int
    participating_company_id: Optional[int] = None


class FieldUpdate(SQLModel):
    """What may change in a field after creation; its slug is its stable key and does not."""

    name_ko: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    name_en: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    description_ko: Optional[Paragraphs] = sm.Field(default=None, max_length=DESCRIPTION_MAX)
    description_en: Optional[Paragraphs] = sm.Field(default=None, max_length=DESCRIPTION_MAX)
    position: Optional[int] = sm.Field(default=None, ge=0)
    participating_company_id: Optional[int] = None


class Field(FieldBase, table=True):
    """A track inside a programme, e.g. 'smart TV' for LG or 'inspection drone' for Qualcomm."""

    __tablename__ = "fields"
    __table_args__ = (
        UniqueConstraint("programme_id", "slug"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    version: int = sm.Field(default=1, sa_column_kwargs={"server_default": "1"})
    programme_id: int = _fk("programmes.id", ondelete="CASCADE")
    participating_company_id: Optional[int] = _fk("organizations.id", nullable=True, index=False)

    programme: Programme = Relationship(back_populates="fields")
    participating_company: Optional[Organization] = Relationship()

    def name(self, locale: str = "ko") -> str:
        """Returns the field name in the given locale."""
        return self.name_en if locale == "en" else self.name_ko

    @property
    def key(self) -> str:
        """Returns the field's stable key, 'programme-slug/field-slug'."""
        return f"{self.programme.slug}/{self.slug}"


class FieldPublic(FieldBase):
    id: int
    programme_id: int
    participating_company_id: Optional[int]


# --- Challenge -------------------------------------------------------------------------------


class ChallengeBase(SQLModel):
    title: Line = sm.Field(min_length=2, max_length=TITLE_MAX)
    description: Paragraphs = sm.Field(min_length=20, max_length=DESCRIPTION_MAX, sa_type=Text)
    requirements: Paragraphs = sm.Field(default="", max_length=DESCRIPTION_MAX, sa_type=Text)
    tags: Terms = sm.Field(default_factory=list, max_length=TERMS_MAX, sa_type=JSON)
    language: Optional[Language] = sm.Field(default=None, sa_type=enum_type(Language))
    capacity: int = sm.Field(default=3, ge=1, le=100)


class ChallengeCreate(ChallengeBase):
    field_id: int
    code: Optional[str] = sm.Field(default=None, max_length=40, schema_extra={"pattern": CODE_PATTERN})
    status: ChallengeStatus = ChallengeStatus.draft


class ChallengeUpdate(SQLModel):
    title: Optional[Line] = sm.Field(default=None, min_length=2, max_length=TITLE_MAX)
    description: Optional[Paragraphs] = sm.Field(default=None, min_length=20, max_length=DESCRIPTION_MAX)
    requirements: Optional[Paragraphs] = sm.Field(default=None, max_length=DESCRIPTION_MAX)
    tags: Optional[Terms] = sm.Field(default=None, max_length=TERMS_MAX)
    language: Optional[Language] = None
    capacity: Optional[int] = sm.Field(default=None, ge=1, le=100)
    field_id: Optional[int] = None
    status: Optional[ChallengeStatus] = None


class Challenge(ChallengeBase, table=True):
    """A sponsor's problem statement in a field."""

    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    code: str = sm.Field(max_length=40, unique=True, index=True)
    field_id: int = _fk("fields.id")
    sponsor_id: int = _fk("organizations.id")
    status: ChallengeStatus = sm.Field(default=ChallengeStatus.draft, sa_type=enum_type(ChallengeStatus), index=True)
    version: int = sm.Field(default=1)
    created_by_id: Optional[int] = _fk("users.id", nullable=True, index=False, ondelete="SET NULL")
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()

    field: Field = Relationship()
    sponsor: Organization = Relationship()


class ChallengePublic(ChallengeBase):
    id: int
    code: str
    field_id: int
    sponsor_id: int
    status: ChallengeStatus
    version: int
    created_at: datetime
    updated_at: datetime


# --- StartupProfile --------------------------------------------------------------------------


class StartupProfileBase(SQLModel):
    summary: Line = sm.Field(default="", max_length=SUMMARY_MAX)
    description: Paragraphs = sm.Field(min_length=20, max_length=DESCRIPTION_MAX, sa_type=Text)
    technologies: Terms = sm.Field(default_factory=list, max_length=TERMS_MAX, sa_type=JSON)
    stage: Stage = sm.Field(default=Stage.seed, sa_type=enum_type(Stage))
    founded_year: Optional[int] = sm.Field(default=None, ge=1900, le=2100)
    team_size: Optional[int] = sm.Field(default=None, ge=1, le=100_000)
    language: Optional[Language] = sm.Field(default=None, sa_type=enum_type(Language))
    website: Optional[WebAddress] = sm.Field(default=None, max_length=300)


class StartupProfileCreate(StartupProfileBase):
    organization_id: int
    field_ids: list[int] = sm.Field(default_factory=list, max_length=50)


class StartupProfileUpdate(SQLModel):
    summary: Optional[Line] = sm.Field(default=None, max_length=SUMMARY_MAX)
    description: Optional[Paragraphs] = sm.Field(default=None, min_length=20, max_length=DESCRIPTION_MAX)
    technologies: Optional[Terms] = sm.Field(default=None, max_length=TERMS_MAX)
    stage: Optional[Stage] = None
    founded_year: Optional[int] = sm.Field(default=None, ge=1900, le=2100)
    team_size: Optional[int] = sm.Field(default=None, ge=1, le=100_000)
    language: Optional[Language] = None
    website: Optional[WebAddress] = sm.Field(default=None, max_length=300)
    field_ids: Optional[list[int]] = sm.Field(default=None, max_length=50)


class StartupProfile(StartupProfileBase, table=True):
    """A startup's profile: what it builds, how far along it is, which fields it wants."""

    __tablename__ = "startup_profiles"
    __table_args__ = (
        CheckConstraint("team_size IS NULL OR team_size >= 1", name="team_size_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    organization_id: int = sm.Field(
        sa_column_args=[ForeignKey("organizations.id", ondelete="CASCADE")], sa_type=Integer, unique=True
    )
    version: int = sm.Field(default=1)
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()

    organization: Organization = Relationship(back_populates="profile")
    fields: list[Field] = Relationship(link_model=ProfileField)


class StartupProfilePublic(StartupProfileBase):
    id: int
    organization_id: int
    version: int
    updated_at: datetime


# --- Round and MatchRun ----------------------------------------------------------------------


class RoundBase(SQLModel):
    name_ko: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    name_en: Line = sm.Field(min_length=1, max_length=NAME_MAX)
    opens_at: datetime = sm.Field(sa_type=UTCDateTime)
    closes_at: datetime = sm.Field(sa_type=UTCDateTime)
    match_at: datetime = sm.Field(sa_type=UTCDateTime, index=True)
    proposals_per_challenge: int = sm.Field(default=5, ge=1, le=100)
    challenges_per_startup: int = sm.Field(default=3, ge=1, le=50)
    min_score: float = sm.Field(default=0.35, ge=0.0, le=1.0)
    solver: str = sm.Field(default="flow", max_length=40)
    params: dict = sm.Field(default_factory=dict, sa_type=JSON)

    @model_validator(mode="after")
    def _times_in_order(self):
        for name in ("opens_at", "closes_at", "match_at"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} needs a timezone")
        if not self.opens_at < self.closes_at:
            raise ValueError("the round must open before it closes")
        if not self.opens_at <= self.match_at <= self.closes_at:
            raise ValueError("the round must match between its opening and its closing")
        return self


class RoundCreate(RoundBase):
    programme_id: int
    field_ids: list[int] = sm.Field(default_factory=list, max_length=100)
    status: RoundStatus = RoundStatus.draft


class RoundUpdate(SQLModel):
    name_ko: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    name_en: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    opens_at: Optional[datetime] = None
    closes_at: Optional[datetime] = None
    match_at: Optional[datetime] = None
    proposals_per_challenge: Optional[int] = sm.Field(default=None, ge=1, le=100)
    challenges_per_startup: Optional[int] = sm.Field(default=None, ge=1, le=50)
    min_score: Optional[float] = sm.Field(default=None, ge=0.0, le=1.0)
    solver: Optional[str] = sm.Field(default=None, max_length=40)
    params: Optional[dict] = None
    field_ids: Optional[list[int]] = sm.Field(default=None, max_length=100)


class Round(RoundBase, table=True):
    """A match round of a programme: which fields, when it opens, matches and closes, its parameters."""

    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
        CheckConstraint("min_score >= 0 AND min_score <= 1", name="min_score_unit"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    programme_id: int = _fk("programmes.id")
    status: RoundStatus = sm.Field(default=RoundStatus.draft, sa_type=enum_type(RoundStatus), index=True)
    version: int = sm.Field(default=1)
    created_by_id: Optional[int] = _fk("users.id", nullable=True, index=False, ondelete="SET NULL")
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()

    programme: Programme = Relationship()
    fields: list[Field] = Relationship(link_model=RoundField)

    def name(self, locale: str = "ko") -> str:
        """Returns the round name in the given locale."""
        return self.name_en if locale == "en" else self.name_ko


class RoundPublic(RoundBase):
    id: int
    programme_id: int
    status: RoundStatus
    version: int


class MatchRun(SQLModel, table=True):
    """One execution of a round, with everything needed to say how its proposals came about."""

    __tablename__ = "match_runs"

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    round_id: int = _fk("rounds.id")
    trigger: RunTrigger = sm.Field(sa_type=enum_type(RunTrigger))
    # Identifies a scheduled firing ("round:5@2025-06-02T00:00:00+00:00"); unique so
    # that the same firing delivered twice creates one run. Manual runs leave it empty.
    firing_key: Optional[str] = sm.Field(default=None, max_length=120, unique=True)
    status: RunStatus = sm.Field(default=RunStatus.running, sa_type=enum_type(RunStatus))
    models: dict = sm.Field(default_factory=dict, sa_type=JSON)
    params: dict = sm.Field(default_factory=dict, sa_type=JSON)
    input_hash: str = sm.Field(default="", max_length=64)
    n_challenges: int = 0
    n_startups: int = 0
    n_proposals: int = 0
    timings: dict = sm.Field(default_factory=dict, sa_type=JSON)
    error: Optional[str] = sm.Field(default=None, sa_type=Text)
    triggered_by_id: Optional[int] = _fk("users.id", nullable=True, index=False, ondelete="SET NULL")
    started_at: datetime = _created_at()
    finished_at: Optional[datetime] = sm.Field(default=None, sa_type=UTCDateTime)

    round: Round = Relationship()


class MatchRunPublic(SQLModel):
    id: int
    round_id: int
    trigger: RunTrigger
    status: RunStatus
    models: dict
    params: dict
    input_hash: str
    n_challenges: int
    n_startups: int
    n_proposals: int
    timings: dict
    error: Optional[str]
    started_at: datetime
    finished_at: Optional[datetime]


# --- Proposal, Interest, Event ---------------------------------------------------------------


class Proposal(SQLModel, table=True):
    """A pairing proposed by a run. Score, components and explanation never change after the run."""

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("run_id", "challenge_id", "startup_id"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_unit"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    run_id: int = _fk("match_runs.id", ondelete="CASCADE")
    challenge_id: int = _fk("challenges.id")
    startup_id: int = _fk("startup_profiles.id")
    score: float
    components: dict = sm.Field(default_factory=dict, sa_type=JSON)
    rank: int
    explanation: dict = sm.Field(default_factory=dict, sa_type=JSON)
    status: ProposalStatus = sm.Field(default=ProposalStatus.proposed, sa_type=enum_type(ProposalStatus), index=True)
    reason: Optional[str] = sm.Field(default=None, max_length=2000)
    shortlist_rank: Optional[int] = sm.Field(default=None, ge=1)
    created_at: datetime = _created_at()
    status_changed_at: Optional[datetime] = sm.Field(default=None, sa_type=UTCDateTime)

    run: MatchRun = Relationship()
    challenge: Challenge = Relationship()
    startup: StartupProfile = Relationship()


class ProposalPublic(SQLModel):
    id: int
    run_id: int
    challenge_id: int
    startup_id: int
    score: float
    components: dict
    rank: int
    explanation: dict
    status: ProposalStatus
    reason: Optional[str]
    shortlist_rank: Optional[int]


class InterestBase(SQLModel):
    challenge_id: int
    rank: int = sm.Field(default=1, ge=1, le=1000)
    note: Paragraphs = sm.Field(default="", max_length=2000)


class InterestCreate(InterestBase):
    pass


class Interest(InterestBase, table=True):
    """A startup's expressed interest in a challenge; rank 1 is its first choice."""

    __tablename__ = "interests"
    __table_args__ = (
        UniqueConstraint("startup_id", "challenge_id"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    startup_id: int = _fk("startup_profiles.id", ondelete="CASCADE")
    challenge_id: int = _fk("challenges.id", ondelete="CASCADE")
    note: str = sm.Field(default="", sa_type=Text)
    created_at: datetime = _created_at()

    challenge: Challenge = Relationship()
    startup: StartupProfile = Relationship()


class InterestPublic(InterestBase):
    id: int
    startup_id: int
    created_at: datetime


class Event(SQLModel, table=True):
    """An audit line: who changed what, and when."""

    __tablename__ = "events"

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    at: datetime = _created_at()
    actor_id: Optional[int] = _fk("users.id", nullable=True, ondelete="SET NULL")
    entity: str = sm.Field(max_length=40, index=True)
    entity_id: int = sm.Field(index=True)
    action: str = sm.Field(max_length=60)
    data: dict = sm.Field(default_factory=dict, sa_type=JSON)


# --- API tokens and the embedding cache ------------------------------------------------------


class ApiToken(SQLModel, table=True):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Optional[int] = sm.Field(default=None, primary_key=True)
    user_id: int = _fk("users.id", ondelete="CASCADE")
    name: str = sm.Field(max_length=100)
    token_hash: str = sm.Field(max_length=64, unique=True)
    prefix: str = sm.Field(max_length=12)
    created_at: datetime = _created_at()
    expires_at: Optional[datetime] = sm.Field(default=None, sa_type=UTCDateTime)
    last_used_at: Optional[datetime] = sm.Field(default=None, sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = sm.Field(default=None, sa_type=UTCDateTime)

    user: User = Relationship()


class Embedding(SQLModel, table=True):
    """A cached vector: the embedding of one text (by content hash) under one model."""

    __tablename__ = "embeddings"

    model_id: str = sm.Field(max_length=200, primary_key=True)
    content_hash: str = sm.Field(max_length=64, primary_key=True)
    dim: int
    vector: bytes = sm.Field(sa_type=LargeBinary)  # float32, little-endian, dim values
    created_at: datetime = _created_at()


# The clock's job store (APScheduler 3's SQLAlchemyJobStore layout), created by a migration so
# that every table of the database comes from the migrations. Only the scheduler reads it.
scheduler_jobs = Table(
    "apscheduler_jobs",
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

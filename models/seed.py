"""Loads demo and seed data from a fixtures folder: all or nothing, and a second load changes nothing.

The folder holds organizations.json, programmes.json, challenges.jsonl, startups.jsonl,
users.json and rounds.json (see fixtures/demo/README.md). Every record is checked before
anything is written; the first problem stops the load with its file, line and reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import crud
from models.enums import ChallengeStatus, Language, OrganizationKind, Role, RoundStatus, SponsorRole, Stage
from models.schema import (
    ChallengeCreate,
    FieldCreate,
    OrganizationCreate,
    Programme,
    ProgrammeCreate,
    ProgrammeSponsor,
    Round,
    RoundCreate,
    StartupProfileCreate,
    UserCreate,
)
from models.text import Line, Paragraphs, Terms


class SeedError(Exception):
    """A fixture that cannot be loaded: where it is and what is wrong with it."""

    def __init__(self, path: Path, line: Optional[int], reason: str):
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


# --- records as they stand in the files ------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganizationRecord(_Record):
    slug: str
    kind: OrganizationKind
    name_ko: Line
    name_en: Line
    website: Optional[Line] = None


class SponsorRecord(_Record):
    organization: str
    role: SponsorRole
    contribution_ko: Paragraphs = ""
    contribution_en: Paragraphs = ""


class FieldRecord(_Record):
    slug: str
    name_ko: Line
    name_en: Line
    description_ko: Paragraphs = ""
    description_en: Paragraphs = ""
    participating_company: Optional[str] = None


class ProgrammeRecord(_Record):
    slug: str
    edition_ko: Line
    edition_en: Line
    name_ko: Line
    name_en: Line
    description_ko: Paragraphs = ""
    description_en: Paragraphs = ""
    year: int
    operator: str
    selection_target: int = 0
    max_award_krw: int = 0
    sponsors: list[SponsorRecord]
    fields: list[FieldRecord]


class ChallengeRecord(_Record):
    code: str
    programme: str
    field: str
    sponsor: str
    title: Line
    description: Paragraphs
    requirements: Paragraphs = ""
    tags: Terms = []
    language: Optional[Language] = None
    capacity: int = 3
    status: ChallengeStatus = ChallengeStatus.open


class StartupRecord(_Record):
    slug: str
    language: Optional[Language] = None
    summary: Line = ""
    description: Paragraphs
    technologies: Terms = []
    stage: Stage = Stage.seed
    founded_year: Optional[int] = None
    team_size: Optional[int] = None
    fields_of_interest: list[str] = []
    website: Optional[Line] = None


class UserRecord(_Record):
    email: str
    password: str
    role: Role
    organization: str
    display_name: Line
    locale: Literal["ko", "en"] = "ko"


class RoundRecord(_Record):
    programme: str
    name_ko: Line
    name_en: Line
    fields: Union[Literal["all"], list[str]] = "all"
    opens_at: datetime
    closes_at: datetime
    match_at: datetime
    proposals_per_challenge: int = 5
    challenges_per_startup: int = 3
    min_score: float = 0.35
    solver: str = "flow"
    status: RoundStatus = RoundStatus.scheduled


# --- reading files ---------------------------------------------------------------------------


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def iter_records(path: Path) -> Iterator[tuple[int, Any]]:
    """Yields (line number, object) for each record of a JSON array file or a JSONL file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SeedError(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    decoder = json.JSONDecoder()
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise SeedError(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
        return
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SeedError(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    if not isinstance(decoded, list):
        raise SeedError(path, 1, "expected a JSON array of records")
    # Walk the array again to learn on which line each element starts.
    pos = text.index("[") + 1
    for item in decoded:
        while text[pos] in " \t\r\n,":
            pos += 1
        _, end = decoder.raw_decode(text, pos)
        yield _line_of(text, pos), item
        pos = end


def _parse(path: Path, model: type[BaseModel]) -> list[tuple[int, Any]]:
    if not path.exists():
        raise SeedError(path, None, "file is missing")
    records = []
    for line, raw in iter_records(path):
        if not isinstance(raw, dict):
            raise SeedError(path, line, "expected a JSON object")
        try:
            records.append((line, model.model_validate(raw)))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "record"
            raise SeedError(path, line, f"{where}: {first['msg']}") from exc
    return records


# --- loading ---------------------------------------------------------------------------------


@dataclass
class SeedReport:
    """What a load did: rows created per table, and rows found already there."""

    created: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, created: bool) -> None:
        bucket = self.created if created else self.kept
        bucket[table] = bucket.get(table, 0) + 1

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


class _Loader:
    def __init__(self, session: Session, folder: Path):
        self.session = session
        self.folder = folder
        self.report = SeedReport()

    def _check(self, path: Path, line: int, call, *args, **kwargs):
        """Runs a validation or write and turns its refusal into a SeedError at this record."""
        try:
            return call(*args, **kwargs)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "record"
            raise SeedError(path, line, f"{where}: {first['msg']}") from exc
        except crud.DataError as exc:
            raise SeedError(path, line, str(exc)) from exc
        except IntegrityError as exc:
            raise SeedError(path, line, f"refused by the database: {exc.orig}") from exc

    def _organization(self, path: Path, line: int, slug: str, kind: Optional[OrganizationKind] = None):
        organization = crud.get_organization_by_slug(session=self.session, slug=slug)
        if organization is None:
            raise SeedError(path, line, f"organization '{slug}' is not in organizations.json")
        if kind is not None and organization.kind != kind:
            raise SeedError(path, line, f"organization '{slug}' is a {organization.kind.value}, expected a {kind.value}")
        return organization

    def organizations(self) -> None:
        path = self.folder / "organizations.json"
        for line, record in _parse(path, OrganizationRecord):
            if crud.get_organization_by_slug(session=self.session, slug=record.slug):
                self.report.count("organizations", False)
                continue
            org_in = self._check(path, line, OrganizationCreate.model_validate, record.model_dump())
            self._check(path, line, crud.create_organization, session=self.session, organization_in=org_in)
            self.report.count("organizations", True)

    def programmes(self) -> None:
        path = self.folder / "programmes.json"
        for line, record in _parse(path, ProgrammeRecord):
            programme = crud.get_programme_by_slug(session=self.session, slug=record.slug)
            if programme is not None:
                self.report.count("programmes", False)
            else:
                operator = self._organization(path, line, record.operator, OrganizationKind.operator)
                data = record.model_dump(exclude={"operator", "sponsors", "fields"})
                programme_in = self._check(path, line, ProgrammeCreate.model_validate, {**data, "operator_id": operator.id})
                programme = self._check(path, line, crud.create_programme, session=self.session, programme_in=programme_in)
                self.report.count("programmes", True)
            self._sponsors(path, line, programme, record.sponsors)
            self._fields(path, line, programme, record.fields)

    def _sponsors(self, path: Path, line: int, programme: Programme, sponsors: list[SponsorRecord]) -> None:
        for sponsor in sponsors:
            organization = self._organization(path, line, sponsor.organization)
            if self.session.get(ProgrammeSponsor, (programme.id, organization.id)):
                self.report.count("programme_sponsors", False)
                continue
            self._check(
                path, line, crud.add_programme_sponsor, session=self.session, programme_id=programme.id,
                organization_id=organization.id, role=sponsor.role, contribution_ko=sponsor.contribution_ko,
                contribution_en=sponsor.contribution_en,
            )
            self.report.count("programme_sponsors", True)

    def _fields(self, path: Path, line: int, programme: Programme, fields: list[FieldRecord]) -> None:
        for position, record in enumerate(fields):
            key = f"{programme.slug}/{record.slug}"
            if crud.get_field_by_key(session=self.session, key=key):
                self.report.count("fields", False)
                continue
            company = self._organization(path, line, record.participating_company) if record.participating_company else None
            data = record.model_dump(exclude={"participating_company"})
            field_in = self._check(
                path,
                line,
                FieldCreate.model_validate,
                {**data, "position": position, "programme_id": programme.id,
                 "participating_company_id": company.id if company else None},
            )
            self._check(path, line, crud.create_field, session=self.session, field_in=field_in)
            self.report.count("fields", True)

    def challenges(self) -> None:
        path = self.folder / "challenges.jsonl"
        for line, record in _parse(path, ChallengeRecord):
            if crud.get_challenge_by_code(session=self.session, code=record.code):
                self.report.count("challenges", False)
                continue
            field = crud.get_field_by_key(session=self.session, key=f"{record.programme}/{record.field}")
            if field is None:
                raise SeedError(path, line, f"field '{record.field}' is not in programme '{record.programme}'")
            sponsor = self._organization(path, line, record.sponsor, OrganizationKind.sponsor)
            data = record.model_dump(exclude={"programme", "field", "sponsor"})
            challenge_in = self._check(path, line, ChallengeCreate.model_validate, {**data, "field_id": field.id})
            self._check(path, line, crud.create_challenge, session=self.session, challenge_in=challenge_in, sponsor_id=sponsor.id)
            self.report.count("challenges", True)

    def startups(self) -> None:
        path = self.folder / "startups.jsonl"
        for line, record in _parse(path, StartupRecord):
            organization = self._organization(path, line, record.slug, OrganizationKind.startup)
            if crud.get_profile_by_organization(session=self.session, organization_id=organization.id):
                self.report.count("startup_profiles", False)
                continue
            field_ids = []
            for key in record.fields_of_interest:
                field = crud.get_field_by_key(session=self.session, key=key)
                if field is None:
                    raise SeedError(path, line, f"field of interest '{key}' does not exist (use 'programme/field')")
                field_ids.append(field.id)
            data = record.model_dump(exclude={"slug", "fields_of_interest"})
            profile_in = self._check(
                path, line, StartupProfileCreate.model_validate,
                {**data, "organization_id": organization.id, "field_ids": field_ids},
            )
            self._check(path, line, crud.create_profile, session=self.session, profile_in=profile_in)
            self.report.count("startup_profiles", True)

    def users(self) -> None:
        path = self.folder / "users.json"
        for line, record in _parse(path, UserRecord):
            if crud.get_user_by_email(session=self.session, email=record.email):
                self.report.count("users", False)
                continue
            organization = self._organization(path, line, record.organization)
            data = record.model_dump(exclude={"organization"})
            user_in = self._check(path, line, UserCreate.model_validate, {**data, "organization_id": organization.id})
            self._check(path, line, crud.create_user, session=self.session, user_in=user_in)
            self.report.count("users", True)

    def rounds(self) -> None:
        path = self.folder / "rounds.json"
        if not path.exists():
            return
        for line, record in _parse(path, RoundRecord):
            programme = crud.get_programme_by_slug(session=self.session, slug=record.programme)
            if programme is None:
                raise SeedError(path, line, f"programme '{record.programme}' is not in programmes.json")
            existing = self.session.exec(
                select(Round).where(Round.programme_id == programme.id, Round.name_en == record.name_en)
            ).first()
            if existing:
                self.report.count("rounds", False)
                continue
            if record.fields == "all":
                field_ids = [f.id for f in programme.fields]
            else:
                field_ids = []
                for slug in record.fields:
                    field = crud.get_field_by_key(session=self.session, key=f"{programme.slug}/{slug}")
                    if field is None:
                        raise SeedError(path, line, f"field '{slug}' is not in programme '{programme.slug}'")
                    field_ids.append(field.id)
            data = record.model_dump(exclude={"programme", "fields"})
            round_in = self._check(
                path, line, RoundCreate.model_validate, {**data, "programme_id": programme.id, "field_ids": field_ids}
            )
            self._check(path, line, crud.create_round, session=self.session, round_in=round_in)
            self.report.count("rounds", True)


def load_fixtures(*, session: Session, folder: Path) -> SeedReport:
    """Loads a fixtures folder in one transaction; on any problem nothing is written and SeedError is raised."""
    loader = _Loader(session, Path(folder))
    try:
        loader.organizations()
        loader.programmes()
        loader.challenges()
        loader.startups()
        loader.users()
        loader.rounds()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return loader.report


def demo_logins(folder: Path) -> list[dict[str, str]]:
    """Returns the demo users of a fixtures folder (role, e-mail, password, organization slug), for the demo page."""
    path = Path(folder) / "users.json"
    if not path.exists():
        return []
    return [
        {"role": r.role.value, "email": r.email, "password": r.password, "organization": r.organization}
        for _, r in _parse(path, UserRecord)
    ]

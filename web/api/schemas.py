"""The shapes the API reads and writes: strict copies of the models/schema.py shapes, envelopes and errors.

Request bodies are validated by plain pydantic copies of the SQLModel Create/Update shapes rather
than by those classes themselves: SQLModel validates through its own __init__, which runs JSON input
in Python mode, so strict validation would refuse "open" for an enum. The copies keep every limit,
NFC step and text check of the originals (their field metadata is reused, not restated), refuse
unknown fields and refuse loose types ("3" for 3, true for 1).
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model

from models.enums import ChallengeStatus, ProposalStatus, Role, RoundStatus
from models.schema import (
    CODE_PATTERN,
    ChallengeCreate,
    ChallengePublic,
    ChallengeUpdate,
    InterestCreate,
    InterestPublic,
    MatchRunPublic,
    ProposalPublic,
    RoundPublic,
    StartupProfileCreate,
    StartupProfilePublic,
)
from models.text import Paragraphs

# Ids are 32-bit integer columns; a larger number cannot name anything and PostgreSQL would refuse it.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

STRICT = ConfigDict(extra="forbid", strict=True)


def _kept_metadata(info) -> list:
    # SQLModel adds its own column metadata next to the pydantic constraints; only the latter validate.
    return [m for m in info.metadata if type(m).__module__.split(".")[0] in ("annotated_types", "pydantic")]


def _without_none(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation


def _constrained(annotation: Any, constraints: list) -> Any:
    # Limits go next to the base type, ahead of the text validators, so that pydantic checks them as
    # string or list limits ("at most 200 characters") rather than as generic lengths after validation.
    if not constraints:
        return annotation
    if typing.get_origin(annotation) is Annotated:
        base, *validators = typing.get_args(annotation)
        return Annotated[(base, *constraints, *validators)]
    return Annotated[(annotation, *constraints)]


def _drop_default(schema: dict) -> None:
    # A field that may be left out but not set to null: its None default is "absent", not a value.
    schema.pop("default", None)


def strict_copy(
    source: type[BaseModel],
    name: str,
    *,
    doc: str,
    exclude: tuple[str, ...] = (),
    non_null: tuple[str, ...] = (),
    replace: Optional[dict[str, tuple]] = None,
    add: Optional[dict[str, tuple]] = None,
) -> type[BaseModel]:
    """Builds a strict pydantic copy of a shape: same fields and limits, unknown fields and loose types refused.

    non_null names optional fields that may be left out but not sent as null (their columns are NOT NULL);
    replace and add take (annotation, Field(...)) pairs.
    """
    fields: dict[str, tuple] = {}
    for field_name, info in source.model_fields.items():
        if field_name in exclude:
            continue
        annotation = info.annotation
        extra: dict[str, Any] = {}
        if field_name in non_null:
            annotation = _without_none(annotation)
            extra["json_schema_extra"] = _drop_default
        typed = _constrained(annotation, _kept_metadata(info))
        if info.default_factory is not None:
            fields[field_name] = (typed, Field(default_factory=info.default_factory, description=info.description,
                                               **extra))
        elif info.is_required():
            fields[field_name] = (typed, Field(description=info.description, **extra))
        else:
            fields[field_name] = (typed, Field(default=info.default, description=info.description, **extra))
    fields.update(replace or {})
    fields.update(add or {})
    return create_model(name, __config__=STRICT, __doc__=doc, **fields)


# --- request bodies --------------------------------------------------------------------------

# SQLModel's `regex=` is not enforced under pydantic 2, so the code pattern is stated here again.
_CODE = (Optional[Annotated[str, Field(max_length=40, pattern=CODE_PATTERN)]], Field(default=None))

ChallengeIn = strict_copy(
    ChallengeCreate, "ChallengeCreate",
    doc="A new challenge. The code is generated from the field when left out.",
    replace={"field_id": (Id, Field()), "code": _CODE},
)

_CHALLENGE_NOT_NULL = tuple(n for n in ChallengeUpdate.model_fields if n != "language")
ChallengePatch = strict_copy(
    ChallengeUpdate, "ChallengePatch",
    doc="Changes to a challenge: only the fields sent change. `version` is the version the change is based on.",
    non_null=_CHALLENGE_NOT_NULL,
    replace={"field_id": (Id, Field(default=None, json_schema_extra=_drop_default))},
    add={"version": (int, Field(ge=1, le=MAX_ID,
                                description="The version you read; a newer one on the server answers 409."))},
)

ProfileIn = strict_copy(
    StartupProfileCreate, "ProfilePut",
    doc=("The calling startup's whole profile. Fields left out take their defaults. Send `version` when a profile "
         "exists (the version you read); leave it out to create the first one."),
    exclude=("organization_id",),
    replace={"field_ids": (list[Id], Field(default_factory=list, max_length=50,
                                           description="Fields of interest; suggestions stay inside them."))},
    add={"version": (Optional[int], Field(default=None, ge=1, le=MAX_ID))},
)

InterestIn = strict_copy(
    InterestCreate, "InterestCreate",
    doc="Interest in an open challenge; it is ranked after the existing ones.",
    exclude=("rank",),
    replace={"challenge_id": (Id, Field())},
)


class InterestOrder(BaseModel):
    """The calling startup's interests, first choice first: every one of them, each once."""

    model_config = STRICT
    challenge_ids: list[Id] = Field(max_length=1000)


Decision = Literal["shortlisted", "rejected", "invited", "accepted", "declined"]


class DecisionIn(BaseModel):
    """A decision on a proposal. Sponsors shortlist, reject (with a reason) and invite; the startup accepts or
    declines an invitation."""

    model_config = STRICT
    status: Decision
    reason: Optional[Annotated[Paragraphs, Field(max_length=2000)]] = None


# --- query strings ---------------------------------------------------------------------------

# Query values arrive as text, so these are lax ("2" is 2) but still refuse unknown names.
QUERY = ConfigDict(extra="forbid")


class PageQuery(BaseModel):
    model_config = QUERY
    page: int = Field(default=1, ge=1, le=1_000_000, description="1 is the first page.")
    per_page: int = Field(default=20, ge=1, le=100)


class ChallengeQuery(PageQuery):
    status: Optional[ChallengeStatus] = None
    field_id: Optional[Id] = None
    programme_id: Optional[Id] = None


class RoundQuery(PageQuery):
    status: Optional[RoundStatus] = None
    programme_id: Optional[Id] = None


class SuggestionQuery(BaseModel):
    model_config = QUERY
    limit: int = Field(default=20, ge=1, le=100)
    programme_id: Optional[Id] = None
    field_id: Optional[Id] = None


# --- responses -------------------------------------------------------------------------------


class OrganizationRef(BaseModel):
    id: int
    slug: str
    name_ko: str
    name_en: str


class FieldRef(BaseModel):
    id: int
    programme_id: int
    slug: str
    name_ko: str
    name_en: str


class ChallengeRef(BaseModel):
    id: int
    code: str
    title: str
    status: ChallengeStatus
    field_id: int
    sponsor_id: int


class StartupRef(BaseModel):
    id: int
    summary: str
    organization: OrganizationRef


class Me(BaseModel):
    """The account the token belongs to."""

    id: int
    email: str
    display_name: str
    role: Role
    locale: str
    organization: OrganizationRef


class ChallengeOut(ChallengePublic):
    programme_id: int
    field: FieldRef
    sponsor: OrganizationRef


class ProfileOut(StartupProfilePublic):
    field_ids: list[int]
    created_at: datetime
    organization: OrganizationRef


class ProposalOut(ProposalPublic):
    created_at: datetime
    status_changed_at: Optional[datetime]
    challenge: ChallengeRef
    startup: StartupRef
    decisions: list[ProposalStatus] = Field(
        description="The statuses the caller may move this proposal to now (empty: nothing to decide).")


class InterestOut(InterestPublic):
    challenge: ChallengeRef


class RoundOut(RoundPublic):
    field_ids: list[int]
    created_at: datetime
    updated_at: datetime


class RunOut(MatchRunPublic):
    triggered_by_id: Optional[int]


class SuggestionOut(BaseModel):
    challenge: ChallengeOut
    score: float = Field(ge=0, le=1, description="Calibrated probability of a good fit.")
    band: Literal["strong", "possible", "weak"]
    explanation: dict = Field(description="components, contributions, best_pair and shared_terms behind the score.")


class Page(BaseModel):
    total: int = Field(description="How many items match, over all pages.")
    page: int
    per_page: int
    next: Optional[str] = Field(description="The next page's path with its query, or null on the last page.")
    prev: Optional[str]


class ChallengePage(Page):
    items: list[ChallengeOut]


class RoundPage(Page):
    items: list[RoundOut]


class RunPage(Page):
    items: list[RunOut]


class ProposalList(BaseModel):
    run_id: Optional[int] = Field(description="The run these proposals come from (the newest successful one).")
    items: list[ProposalOut]


class MyProposals(BaseModel):
    items: list[ProposalOut]


class InterestList(BaseModel):
    items: list[InterestOut]


class SuggestionList(BaseModel):
    items: list[SuggestionOut]


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Where: ["body", "title"], ["query", "page"], ...')
    message: str
    type: str


class ErrorBody(BaseModel):
    status: int
    message: str
    errors: Optional[list[FieldError]] = Field(default=None, description="Each refused field (422).")
    current_version: Optional[int] = Field(default=None, description="The version on the server (409 on edits).")
    current_status: Optional[ProposalStatus] = Field(default=None, description="A proposal's status now (409/422).")
    current: Optional[dict] = Field(default=None, description="The object as it is now on the server (409).")


class ErrorOut(BaseModel):
    """Every error answers in this shape."""

    error: ErrorBody



class OpenApiDocument(RootModel[dict]):
    """An OpenAPI 3.1 document."""

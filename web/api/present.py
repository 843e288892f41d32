"""Turns rows into the API's response shapes, and builds the links between pages of a list."""

from __future__ import annotations

from flask import request, url_for
from pydantic import BaseModel

from models.enums import ProposalStatus
from models.schema import Challenge, Interest, MatchRun, Organization, Proposal, Round, StartupProfile
from web.access import decisions_for_user, sees_sponsor_notes
from web.api.schemas import (
    ChallengeOut,
    ChallengeRef,
    FieldRef,
    InterestOut,
    OrganizationRef,
    PageQuery,
    ProfileOut,
    ProposalOut,
    RoundOut,
    RunOut,
    StartupRef,
)


def organization_ref(organization: Organization) -> OrganizationRef:
    return OrganizationRef.model_validate(organization, from_attributes=True)


def challenge_ref(challenge: Challenge) -> ChallengeRef:
    return ChallengeRef.model_validate(challenge, from_attributes=True)


def challenge_out(challenge: Challenge) -> ChallengeOut:
    return ChallengeOut.model_validate(challenge, update={
        "programme_id": challenge.field.programme_id,
        "field": FieldRef.model_validate(challenge.field, from_attributes=True),
        "sponsor": organization_ref(challenge.sponsor),
    })


def profile_out(profile: StartupProfile) -> ProfileOut:
    return ProfileOut.model_validate(profile, update={
        "field_ids": sorted(field.id for field in profile.fields),
        "organization": organization_ref(profile.organization),
    })


def proposal_out(proposal: Proposal) -> ProposalOut:
    """Shapes a proposal with what the signed-in user may decide on it now (and may read: see sees_sponsor_notes)."""
    allowed = decisions_for_user(proposal)
    startup = proposal.startup
    notes = {} if sees_sponsor_notes(proposal) else {"reason": None, "shortlist_rank": None}
    return ProposalOut.model_validate(proposal, update={
        "challenge": challenge_ref(proposal.challenge),
        "startup": StartupRef(id=startup.id, summary=startup.summary,
                              organization=organization_ref(startup.organization)),
        "decisions": [status for status in ProposalStatus if status in allowed],
        **notes,
    })


def interest_out(interest: Interest) -> InterestOut:
    return InterestOut.model_validate(interest, update={"challenge": challenge_ref(interest.challenge)})


def round_out(round_: Round) -> RoundOut:
    return RoundOut.model_validate(round_, update={"field_ids": sorted(field.id for field in round_.fields)})


def run_out(run: MatchRun) -> RunOut:
    return RunOut.model_validate(run)


def page_fields(query: PageQuery, total: int) -> dict:
    """Returns total, page, per_page and the next/prev links (this path, the same filters) of a list."""
    kept = query.model_dump(mode="json", exclude_unset=True, exclude_none=True)

    def link(page: int) -> str:
        return url_for(request.endpoint, **(request.view_args or {}), **{**kept, "page": page})

    last = max(1, -(-total // query.per_page))
    return {
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
        "next": link(query.page + 1) if query.page < last else None,
        # Past the end, "previous" leads back to the last page that has items.
        "prev": link(min(query.page - 1, last)) if query.page > 1 else None,
    }


def as_json(model: BaseModel) -> dict:
    """Returns a shape as plain JSON values, for error bodies that carry the current object."""
    return model.model_dump(mode="json")

"""The closed vocabularies of the domain: roles, stages, languages and statuses."""

from __future__ import annotations

from enum import Enum


class OrganizationKind(str, Enum):
    startup = "startup"
    sponsor = "sponsor"
    operator = "operator"
    partner = "partner"


class Role(str, Enum):
    startup = "startup"
    sponsor = "sponsor"
    manager = "manager"
    admin = "admin"


# Which kind of organization each role belongs to.
ROLE_ORGANIZATION_KIND = {
    Role.startup: OrganizationKind.startup,
    Role.sponsor: OrganizationKind.sponsor,
    Role.manager: OrganizationKind.operator,
    Role.admin: OrganizationKind.operator,
}


class Language(str, Enum):
    ko = "ko"
    en = "en"
    mixed = "mixed"


class Stage(str, Enum):
    idea = "idea"
    pre_seed = "pre_seed"
    seed = "seed"
    series_a = "series_a"
    series_b = "series_b"
    series_c = "series_c"
    growth = "growth"


STAGE_ORDER = {stage: i for i, stage in enumerate(Stage)}


class SponsorRole(str, Enum):
    sponsor = "sponsor"
    partner = "partner"


class ChallengeStatus(str, Enum):
    draft = "draft"
    open = "open"
    closed = "closed"


class RoundStatus(str, Enum):
    draft = "draft"
    scheduled = "scheduled"
    matched = "matched"
    closed = "closed"
    selected = "selected"


class RunTrigger(str, Enum):
    scheduled = "scheduled"
    manual = "manual"


class RunStatus(str, Enum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    missed = "missed"


class ProposalStatus(str, Enum):
    proposed = "proposed"
    shortlisted = "shortlisted"
    rejected = "rejected"
    invited = "invited"
    accepted = "accepted"
    declined = "declined"
    selected = "selected"


# Statuses move one way. A sponsor shortlists or rejects, invites from the
# shortlist; the startup accepts or declines; the final selection selects.
PROPOSAL_TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.proposed: frozenset({ProposalStatus.shortlisted, ProposalStatus.rejected}),
    ProposalStatus.shortlisted: frozenset({ProposalStatus.invited, ProposalStatus.rejected}),
    ProposalStatus.invited: frozenset({ProposalStatus.accepted, ProposalStatus.declined}),
    ProposalStatus.accepted: frozenset({ProposalStatus.selected}),
    ProposalStatus.rejected: frozenset(),
    ProposalStatus.declined: frozenset(),
    ProposalStatus.selected: frozenset(),
}

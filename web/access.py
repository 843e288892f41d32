"""Who may see and do what: the signed-in user, role checks, and the one place objects are looked up for a user.

Objects of another organization answer 404, not 403, so that ids cannot be probed to
learn what exists. A role that may never use a page gets 403.
"""

from __future__ import annotations

import hashlib
from functools import wraps
from typing import Callable, Optional

from flask import abort, g, request
from flask_login import UserMixin, current_user, login_required
from sqlalchemy import exists
from sqlmodel import select

from models.enums import PROPOSAL_TRANSITIONS, ChallengeStatus, ProposalStatus, Role
from models.schema import Challenge, Interest, Proposal, StartupProfile, User
from web.database import get_session

MANAGERS = (Role.manager, Role.admin)


class SignedIn(UserMixin):
    """The signed-in user as Flask-Login sees it; `row` is the User loaded for this request."""

    def __init__(self, user: User):
        self.row = user
        self.id = user.id
        self.role = user.role
        self.organization_id = user.organization_id

    def get_id(self) -> str:
        # The password hash takes part, so changing the password ends every other session.
        return f"{self.id}:{session_stamp(self.row)}"

    @property
    def is_active(self) -> bool:
        return self.row.is_active

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS


def session_stamp(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def load_user(session_id: str) -> Optional[SignedIn]:
    """Restores the user of a session cookie; None when the user is gone, inactive or changed password."""
    user_id, _, stamp = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.is_active or stamp != session_stamp(user):
        return None
    return SignedIn(user)


def id_in_range(value: int) -> bool:
    """Says whether an id can name a row at all.

    The id columns are 32-bit: PostgreSQL refuses a larger value and SQLite overflows past 64 bits, so a
    larger id names nothing and must not reach the database.
    """
    from web.api.schemas import MAX_ID  # imported here because web.api imports this module

    return value <= MAX_ID


def role_required(*roles: Role) -> Callable:
    """Lets only signed-in users with one of the roles through; others get 403 (anonymous: the login page).

    Then an id in the path that no row can have answers 404, as any id that names nothing does.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            if not all(id_in_range(value) for value in (request.view_args or {}).values() if isinstance(value, int)):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_profile() -> Optional[StartupProfile]:
    """Returns the signed-in startup's profile (None before its first save)."""
    if "current_profile" not in g:
        g.current_profile = get_session().exec(
            select(StartupProfile).where(StartupProfile.organization_id == current_user.organization_id)
        ).first()
    return g.current_profile


def challenge_for_user(challenge_id: int, *, edit: bool = False) -> Challenge:
    """Gets a challenge the user may see (or, with edit, change); 404 otherwise.

    Managers see every challenge. A sponsor sees and edits only its own. A startup sees
    only open challenges and edits none.
    """
    challenge = get_session().get(Challenge, challenge_id)
    if challenge is None:
        abort(404)
    if current_user.role in MANAGERS:
        return challenge
    if current_user.role == Role.sponsor and challenge.sponsor_id == current_user.organization_id:
        return challenge
    if current_user.role == Role.startup and not edit and challenge.status == ChallengeStatus.open:
        return challenge
    abort(404)


def proposal_for_user(proposal_id: int) -> Proposal:
    """Gets a proposal the user may see; 404 otherwise.

    The sponsor of its challenge and the startup it concerns see it; managers see all.
    What each may decide is `decisions_for_user`.
    """
    proposal = get_session().get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    if current_user.role in MANAGERS:
        return proposal
    if current_user.role == Role.sponsor and proposal.challenge.sponsor_id == current_user.organization_id:
        return proposal
    if current_user.role == Role.startup and proposal.startup.organization_id == current_user.organization_id:
        return proposal
    abort(404)


SPONSOR_DECISIONS = frozenset({ProposalStatus.shortlisted, ProposalStatus.rejected, ProposalStatus.invited})
STARTUP_DECISIONS = frozenset({ProposalStatus.accepted, ProposalStatus.declined})


def decisions_for_user(proposal: Proposal) -> frozenset[ProposalStatus]:
    """Returns the statuses the signed-in user may move this proposal to now.

    The sponsor shortlists, rejects and invites; the startup accepts or declines an
    invitation; the programme office watches and decides nothing (the final selection
    is its act). Only moves PROPOSAL_TRANSITIONS allows from the current status count.
    """
    allowed = PROPOSAL_TRANSITIONS[proposal.status]
    if current_user.role == Role.sponsor and proposal.challenge.sponsor_id == current_user.organization_id:
        return allowed & SPONSOR_DECISIONS
    if current_user.role == Role.startup and proposal.startup.organization_id == current_user.organization_id:
        return allowed & STARTUP_DECISIONS
    return frozenset()


def sees_sponsor_notes(proposal: Proposal) -> bool:
    """Says whether the user may read the sponsor's own notes on a proposal: its reasons and its shortlist order.

    The sponsor of the challenge and the programme office do; the startup does not (its pages show the
    status of a decision, never why, nor its place on the shortlist).
    """
    if current_user.role in MANAGERS:
        return True
    return current_user.role == Role.sponsor and proposal.challenge.sponsor_id == current_user.organization_id


def profile_for_user(profile_id: int) -> StartupProfile:
    """Gets a startup profile the user may see; 404 otherwise.

    A startup sees its own; a sponsor sees a startup proposed to, or interested in, one of
    its challenges; managers see all.
    """
    session = get_session()
    profile = session.get(StartupProfile, profile_id)
    if profile is None:
        abort(404)
    if current_user.role in MANAGERS:
        return profile
    if current_user.role == Role.startup and profile.organization_id == current_user.organization_id:
        return profile
    if current_user.role == Role.sponsor:
        own = select(Challenge.id).where(Challenge.sponsor_id == current_user.organization_id)
        related = session.exec(select(
            exists().where(Proposal.startup_id == profile.id, Proposal.challenge_id.in_(own))
            | exists().where(Interest.startup_id == profile.id, Interest.challenge_id.in_(own))
        )).one()
        if related:
            return profile
    abort(404)

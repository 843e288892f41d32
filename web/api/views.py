"""The JSON API's routes: parse with the registry, look up through web/access.py, write through models/crud.py."""

from __future__ import annotations

from typing import Optional

from flask import url_for
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from models import api_queries, crud
from models.enums import PROPOSAL_TRANSITIONS, ProposalStatus, Role
from models.schema import (
    Challenge,
    ChallengeCreate,
    ChallengeUpdate,
    InterestCreate,
    MatchRun,
    Proposal,
    Round,
    StartupProfile,
    StartupProfileCreate,
    StartupProfileUpdate,
)
from web.access import (
    MANAGERS,
    SPONSOR_DECISIONS,
    STARTUP_DECISIONS,
    challenge_for_user,
    current_profile,
    decisions_for_user,
    profile_for_user,
    proposal_for_user,
)
from web.api import auth  # noqa: F401  (token authentication for every route below)
from web.api.present import (
    as_json,
    challenge_out,
    interest_out,
    organization_ref,
    page_fields,
    profile_out,
    proposal_out,
    round_out,
    run_out,
)
from web.api.registry import ApiError, operation
from web.api.schemas import (
    ChallengeIn,
    ChallengeOut,
    ChallengePage,
    ChallengePatch,
    ChallengeQuery,
    DecisionIn,
    FieldError,
    InterestIn,
    InterestList,
    InterestOrder,
    InterestOut,
    Me,
    MyProposals,
    OpenApiDocument,
    PageQuery,
    ProfileIn,
    ProfileOut,
    ProposalList,
    ProposalOut,
    RoundOut,
    RoundPage,
    RoundQuery,
    RunOut,
    RunPage,
    SuggestionList,
    SuggestionOut,
    SuggestionQuery,
)
from web.api.spec import openapi_document
from web.database import get_engine, get_session

STARTUP = (Role.startup,)
SPONSOR = (Role.sponsor,)
EDITORS = (Role.sponsor, *MANAGERS)
NO_PROFILE = "Create your startup profile first (PUT /api/v1/profile)."


def _profile_or_refuse() -> StartupProfile:
    profile = current_profile()
    if profile is None:
        raise ApiError(409, NO_PROFILE)
    return profile


def _offset(query: PageQuery) -> int:
    return (query.page - 1) * query.per_page


# --- meta and account --------------------------------------------------------------------------


@operation("GET", "/openapi.json", summary="This API's OpenAPI 3.1 document", tag="meta", response=OpenApiDocument,
           public=True)
def openapi():
    """The document every route is registered in, built from the models the routes validate with."""
    return OpenApiDocument(openapi_document())


@operation("GET", "/me", summary="The account the token belongs to", tag="account", response=Me)
def me():
    user = current_user.row
    return Me(id=user.id, email=user.email, display_name=user.display_name, role=user.role, locale=user.locale,
              organization=organization_ref(user.organization))


# --- challenges --------------------------------------------------------------------------------


@operation("GET", "/challenges", summary="List the challenges you may see", tag="challenges", query=ChallengeQuery,
           response=ChallengePage)
def list_challenges(query: ChallengeQuery):
    """A sponsor sees its own challenges, a startup the open ones, a programme manager all; in id order."""
    scope: dict = {}
    if current_user.role == Role.sponsor:
        scope["sponsor_id"] = current_user.organization_id
    elif current_user.role == Role.startup:
        scope["only_open"] = True
    rows, total = api_queries.page_challenges(
        session=get_session(), offset=_offset(query), limit=query.per_page, status=query.status,
        field_id=query.field_id, programme_id=query.programme_id, **scope,
    )
    return ChallengePage(items=[challenge_out(c) for c in rows], **page_fields(query, total))


@operation("GET", "/challenges/<int:challenge_id>", summary="Get a challenge", tag="challenges", response=ChallengeOut)
def get_challenge(challenge_id: int):
    return challenge_out(challenge_for_user(challenge_id))


@operation("POST", "/challenges", summary="Post a challenge", tag="challenges", body=ChallengeIn, response=ChallengeOut,
           status=201, roles=SPONSOR, errors=(409,))
def create_challenge(body):
    """Posts a problem statement in a field of a programme the sponsor takes part in; 409 when the code is taken."""
    session = get_session()
    if body.code and crud.get_challenge_by_code(session=session, code=body.code):
        raise ApiError(409, f"A challenge with code {body.code} exists already.")
    try:
        challenge = crud.create_challenge(
            session=session, challenge_in=ChallengeCreate.model_validate(body.model_dump()),
            sponsor_id=current_user.organization_id, created_by_id=current_user.id,
        )
        session.commit()
    except crud.NotFound as exc:
        raise ApiError(422, "The field does not exist.", errors=[
            FieldError(loc=["body", "field_id"], message=str(exc), type="not_found")]) from None
    except IntegrityError:
        # Another request took the same code between the check above and this insert.
        raise ApiError(409, "A challenge with this code was created at the same moment; choose another code.") from None
    return challenge_out(challenge), 201, {"Location": url_for(".get_challenge", challenge_id=challenge.id)}


@operation("PATCH", "/challenges/<int:challenge_id>", summary="Change a challenge", tag="challenges",
           body=ChallengePatch, response=ChallengeOut, roles=EDITORS, errors=(409,))
def update_challenge(challenge_id: int, body):
    """Changes the fields sent, if the challenge is still at `version`. Status moves draft → open → closed (and may
    reopen). A sponsor changes its own challenges; programme managers any."""
    challenge = challenge_for_user(challenge_id, edit=True)
    session = get_session()
    changes = ChallengeUpdate.model_validate(body.model_dump(exclude_unset=True, exclude={"version"}))
    try:
        crud.update_challenge(session=session, challenge=challenge, challenge_in=changes,
                              expected_version=body.version, actor_id=current_user.id)
        session.commit()
    except crud.Conflict as exc:
        session.rollback()
        current = session.get(Challenge, challenge_id)
        raise ApiError(409, str(exc), current_version=current.version,
                       current=as_json(challenge_out(current))) from None
    return challenge_out(challenge)


# --- startup profiles ----------------------------------------------------------------------------


@operation("GET", "/profile", summary="Get your startup's profile", tag="startups", response=ProfileOut, roles=STARTUP,
           errors=(404,))
def get_profile():
    """404 until the first PUT."""
    profile = current_profile()
    if profile is None:
        raise ApiError(404, "Your startup has no profile yet; create it with PUT /api/v1/profile.")
    return profile_out(profile)


@operation("PUT", "/profile", summary="Create or replace your startup's profile", tag="startups", body=ProfileIn,
           response=ProfileOut, also={201: ProfileOut}, roles=STARTUP, errors=(409,))
def put_profile(body):
    """The body is the whole profile: fields left out take their defaults. Without `version` it creates the first
    profile (201); with the version you read it replaces the existing one (200), or answers 409 when someone saved a
    newer one."""
    session = get_session()
    profile = current_profile()
    values = body.model_dump(exclude={"version"})
    try:
        if profile is None:
            if body.version is not None:
                raise ApiError(409, "There is no profile yet, so no version to replace; "
                                    "leave `version` out to create it.")
            profile = crud.create_profile(session=session, profile_in=StartupProfileCreate.model_validate(
                {**values, "organization_id": current_user.organization_id}), actor_id=current_user.id)
            session.commit()
            return profile_out(profile), 201, {"Location": url_for(".get_profile")}
        if body.version is None:
            raise ApiError(409, f"Your startup has a profile (version {profile.version}); send the version you read to "
                                "replace it.", current_version=profile.version, current=as_json(profile_out(profile)))
        crud.update_profile(session=session, profile=profile, profile_in=StartupProfileUpdate.model_validate(values),
                            expected_version=body.version, actor_id=current_user.id)
        session.commit()
    except crud.Conflict as exc:
        session.rollback()
        current = session.get(StartupProfile, profile.id)
        raise ApiError(409, str(exc), current_version=current.version, current=as_json(profile_out(current))) from None
    except crud.NotFound as exc:
        raise ApiError(422, "A field of interest does not exist.", errors=[
            FieldError(loc=["body", "field_ids"], message=str(exc), type="not_found")]) from None
    except IntegrityError:
        raise ApiError(409, "The profile was created by another request at the same moment; "
                            "read it and retry.") from None
    return profile_out(profile)


@operation("GET", "/startups/<int:profile_id>", summary="Get a startup's profile", tag="startups", response=ProfileOut)
def get_startup(profile_id: int):
    """A startup sees its own; a sponsor sees startups proposed to, or interested in, one of its challenges;
    programme managers see all."""
    return profile_out(profile_for_user(profile_id))


# --- suggestions ---------------------------------------------------------------------------------


@operation("GET", "/suggestions", summary="Challenges suggested for your startup", tag="suggestions",
           query=SuggestionQuery, response=SuggestionList, roles=STARTUP, errors=(409,))
def suggestions(query: SuggestionQuery):
    """Scores your profile against every open challenge now, best first, inside your fields of interest; each with
    its calibrated score, band and the reason (components, best-matching sentence pair, shared terms)."""
    # The engine imports the embedding libraries; load them on first use, not when the app starts.
    from matchmaker.rounds import suggest_challenges

    profile = _profile_or_refuse()
    found = suggest_challenges(session=get_session(), profile=profile, limit=query.limit,
                               programme_id=query.programme_id, field_id=query.field_id)
    return SuggestionList(items=[
        SuggestionOut(challenge=challenge_out(s.challenge), score=s.score, band=s.band, explanation=s.explanation)
        for s in found
    ])


# --- proposals and decisions -----------------------------------------------------------------------


@operation("GET", "/challenges/<int:challenge_id>/proposals", summary="Startups proposed for a challenge",
           tag="proposals", response=ProposalList, roles=EDITORS)
def challenge_proposals(challenge_id: int):
    """The proposals of the challenge's newest successful run, best rank first. A sponsor sees its own challenges'."""
    challenge = challenge_for_user(challenge_id)
    proposals = crud.proposals_for_challenge(session=get_session(), challenge_id=challenge.id)
    return ProposalList(run_id=proposals[0].run_id if proposals else None,
                        items=[proposal_out(p) for p in proposals])


@operation("GET", "/proposals", summary="Your startup's proposals", tag="proposals", response=MyProposals,
           roles=STARTUP)
def my_proposals():
    """The challenges your startup was proposed for, from the newest successful run of each, newest first. Sponsors
    and programme managers list proposals per challenge."""
    profile = current_profile()
    if profile is None:
        return MyProposals(items=[])
    return MyProposals(items=[proposal_out(p) for p in crud.proposals_for_startup(session=get_session(),
                                                                                    startup_id=profile.id)])


@operation("GET", "/proposals/<int:proposal_id>", summary="Get a proposal", tag="proposals", response=ProposalOut)
def get_proposal(proposal_id: int):
    """The sponsor of its challenge, the startup it concerns and programme managers may see it. `decisions` lists
    what the caller may decide now."""
    return proposal_out(proposal_for_user(proposal_id))


def _earlier_statuses(status: ProposalStatus) -> set[ProposalStatus]:
    """Returns the statuses a proposal may have passed through on its way to `status`."""
    earlier, frontier = set(), {status}
    while frontier:
        frontier = {s for s, moves in PROPOSAL_TRANSITIONS.items() if moves & frontier} - earlier
        earlier |= frontier
    return earlier


@operation("POST", "/proposals/<int:proposal_id>/decision", summary="Decide on a proposal", tag="proposals",
           body=DecisionIn, response=ProposalOut, errors=(403, 409))
def decide(proposal_id: int, body: DecisionIn):
    """Sponsors shortlist, reject (a reason is required) and invite their challenges' proposals; the startup accepts or
    declines an invitation; programme managers decide nothing here (403, as for a decision of the other side).

    A proposed proposal may be shortlisted or rejected, a shortlisted one invited or rejected, an invited one
    accepted or declined. A decision that was possible earlier but no longer is (someone decided first) answers 409
    with `current_status`; one the rules never allow from here, 422."""
    proposal = proposal_for_user(proposal_id)
    wanted = ProposalStatus(body.status)
    own_side = {Role.sponsor: SPONSOR_DECISIONS, Role.startup: STARTUP_DECISIONS}.get(current_user.role, frozenset())
    if wanted not in own_side:
        who = "the startup" if wanted in STARTUP_DECISIONS else "the challenge's sponsor"
        raise ApiError(403, f"Only {who} may make this decision.")
    now = proposal.status
    if wanted not in decisions_for_user(proposal):
        if any(wanted in PROPOSAL_TRANSITIONS[s] for s in _earlier_statuses(now)):
            raise ApiError(409, f"The proposal has moved on: it is {now.value} now and can no longer become "
                                f"{wanted.value}.", current_status=now, current=as_json(proposal_out(proposal)))
        raise ApiError(422, f"A {now.value} proposal cannot become {wanted.value}.", current_status=now)
    session = get_session()
    try:
        crud.decide_proposal(session=session, proposal=proposal, status=wanted, actor_id=current_user.id,
                             reason=body.reason)
        session.commit()
    except crud.Conflict as exc:
        current = session.get(Proposal, proposal_id)
        raise ApiError(409, str(exc), current_status=current.status, current=as_json(proposal_out(current))) from None
    except crud.DataError as exc:
        raise ApiError(422, str(exc), errors=[FieldError(loc=["body", "reason"], message=str(exc), type="value_error")]
                       if wanted == ProposalStatus.rejected else None) from None
    return proposal_out(proposal)


# --- interests -------------------------------------------------------------------------------------


@operation("GET", "/interests", summary="Your startup's interests", tag="interests", response=InterestList,
           roles=STARTUP)
def list_interests():
    """First choice first."""
    profile = current_profile()
    if profile is None:
        return InterestList(items=[])
    interests = crud.list_interests(session=get_session(), startup_id=profile.id)
    return InterestList(items=[interest_out(i) for i in interests])


@operation("POST", "/interests", summary="Express interest in a challenge", tag="interests", body=InterestIn,
           response=InterestOut, status=201, roles=STARTUP, errors=(404, 409))
def add_interest(body):
    """Only open challenges; the new interest is ranked last. 409 when it is recorded already or before your
    profile exists."""
    session = get_session()
    profile = _profile_or_refuse()
    try:
        challenge = challenge_for_user(body.challenge_id)
    except NotFound:
        raise ApiError(404, "There is no open challenge with this id.") from None
    existing = {i.challenge_id for i in crud.list_interests(session=session, startup_id=profile.id)}
    if challenge.id in existing:
        raise ApiError(409, f"Your interest in {challenge.code} is recorded already.")
    try:
        interest_in = InterestCreate(challenge_id=challenge.id, note=body.note,
                                     rank=crud.next_interest_rank(session=session, startup_id=profile.id))
    except ValidationError:
        # Only the rank can be refused here (the note passed the same checks above): the list is full.
        raise ApiError(409, "You have as many interests as there can be; withdraw one first.") from None
    interest = crud.add_interest(session=session, startup_id=profile.id, interest_in=interest_in)
    session.commit()
    return interest_out(interest)


@operation("DELETE", "/interests/<int:challenge_id>", summary="Withdraw an interest", tag="interests", response=None,
           status=204, roles=STARTUP)
def remove_interest(challenge_id: int):
    """The interests after it move up one rank."""
    profile = current_profile()
    if profile is None:
        raise ApiError(404, "There is no interest in that challenge.")
    crud.remove_interest(session=get_session(), startup_id=profile.id, challenge_id=challenge_id)
    get_session().commit()
    return None


@operation("PUT", "/interests/order", summary="Order your interests", tag="interests", body=InterestOrder,
           response=InterestList, roles=STARTUP, errors=(409,))
def order_interests(body: InterestOrder):
    """List every one of your interests' challenge ids exactly once, first choice first."""
    profile = _profile_or_refuse()
    interests = crud.reorder_interests(session=get_session(), startup_id=profile.id, challenge_ids=body.challenge_ids)
    get_session().commit()
    return InterestList(items=[interest_out(i) for i in interests])


# --- rounds and runs -------------------------------------------------------------------------------


def _round(round_id: int) -> Round:
    round_ = get_session().get(Round, round_id)
    if round_ is None:
        raise ApiError(404, "There is no round with this id.")
    return round_


@operation("GET", "/rounds", summary="List match rounds", tag="rounds", query=RoundQuery, response=RoundPage,
           roles=MANAGERS)
def list_rounds(query: RoundQuery):
    """Latest match time first."""
    rows, total = api_queries.page_rounds(session=get_session(), offset=_offset(query), limit=query.per_page,
                                          status=query.status, programme_id=query.programme_id)
    return RoundPage(items=[round_out(r) for r in rows], **page_fields(query, total))


@operation("GET", "/rounds/<int:round_id>", summary="Get a round", tag="rounds", response=RoundOut, roles=MANAGERS)
def get_round(round_id: int):
    return round_out(_round(round_id))


@operation("GET", "/rounds/<int:round_id>/runs", summary="List a round's runs", tag="rounds", query=PageQuery,
           response=RunPage, roles=MANAGERS)
def list_runs(round_id: int, query: PageQuery):
    """Newest first."""
    round_ = _round(round_id)
    rows, total = api_queries.page_runs(session=get_session(), round_id=round_.id, offset=_offset(query),
                                        limit=query.per_page)
    return RunPage(items=[run_out(r) for r in rows], **page_fields(query, total))


@operation("POST", "/rounds/<int:round_id>/runs", summary="Run a round now", tag="rounds", response=RunOut,
           status=201, roles=MANAGERS, errors=(409,))
def start_run(round_id: int):
    """Matches the round now and answers when the run has finished: its status is `succeeded`, or `failed` with
    `error`. A round that is draft, closed or selected answers 409."""
    from matchmaker.rounds import RoundError, run_round

    _round(round_id)
    # The run writes through its own sessions; end this request's transaction so it holds no lock meanwhile.
    get_session().commit()
    try:
        run = run_round(engine=get_engine(), round_id=round_id, triggered_by_id=current_user.id)
    except RoundError as exc:
        raise ApiError(409, str(exc)) from None
    run = get_session().get(MatchRun, run.id)
    return run_out(run), 201, {"Location": url_for(".get_run", run_id=run.id)}


@operation("GET", "/runs/<int:run_id>", summary="Get a run", tag="rounds", response=RunOut, roles=MANAGERS)
def get_run(run_id: int):
    run: Optional[MatchRun] = get_session().get(MatchRun, run_id)
    if run is None:
        raise ApiError(404, "There is no run with this id.")
    return run_out(run)

"""One registry that both routes API requests and describes them: parsing, role checks, replies and errors.

Each view is declared with `@operation(...)`, which adds the Flask route and records what the
OpenAPI document says about it (web/api/spec.py reads OPERATIONS), so the two cannot drift apart.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from functools import wraps
from typing import Callable, Optional

from flask import Response, g, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from models.enums import Role
from web.api import bp
from web.api.schemas import MAX_ID, ErrorBody, ErrorOut, FieldError

JSON_MIMETYPE = "application/json"


class ApiError(Exception):
    """An error answer: status, a plain English message and optional details for the error body."""

    def __init__(self, status: int, message: str, *, headers: Optional[dict] = None, **details):
        super().__init__(message)
        self.status, self.message, self.headers, self.details = status, message, headers or {}, details


@dataclass(frozen=True)
class Operation:
    """What one route accepts and answers, as the OpenAPI document states it."""

    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    tag: str
    query: Optional[type[BaseModel]]
    body: Optional[type[BaseModel]]
    status: int
    response: Optional[type[BaseModel]]
    also: dict[int, Optional[type[BaseModel]]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    roles: Optional[frozenset[Role]] = None
    public: bool = False

    def error_statuses(self) -> list[int]:
        """Returns every error status the route can answer, the ones implied by its inputs included."""
        statuses = set(self.errors)
        if not self.public:
            statuses.add(401)
        if self.roles is not None:
            statuses.add(403)
        if "<" in self.rule:
            statuses.add(404)
        # Every route refuses query parameters it does not know.
        statuses.add(422)
        if self.body is not None:
            statuses.update({400, 413, 415})
        return sorted(statuses)


OPERATIONS: dict[str, Operation] = {}


def json_reply(payload: str | bytes, status: int, headers: Optional[dict] = None) -> Response:
    """Wraps JSON text in a response; texts stay UTF-8 rather than \\u-escaped."""
    return Response(payload, status=status, headers=headers or {}, mimetype=JSON_MIMETYPE)


def error_reply(status: int, message: str, *, headers: Optional[dict] = None, **details) -> Response:
    """Renders the error body every API error has; the request's session is rolled back first."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    body = ErrorOut(error=ErrorBody(status=status, message=message, **details))
    return json_reply(body.model_dump_json(exclude_none=True), status, headers)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_reply(exc.status, exc.message, headers=exc.headers, **exc.details)


def _field_errors(exc: ValidationError, where: str) -> list[FieldError]:
    return [
        FieldError(loc=[where, *error["loc"]], message=error["msg"], type=error["type"])
        for error in exc.errors(include_url=False, include_input=False)
    ]


def refuse(exc: ValidationError, where: str = "body", message: str = "Some fields were not accepted.") -> ApiError:
    """Turns a validation error into the 422 answer that lists each field."""
    return ApiError(422, message, errors=_field_errors(exc, where))


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a key appears twice in one object")
    return dict(pairs)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse_body(model: type[BaseModel]) -> BaseModel:
    """Reads the JSON body: 415 for another type, 400 for malformed JSON, 422 for fields the model refuses."""
    if request.mimetype != JSON_MIMETYPE:
        raise ApiError(415, "Send the body as JSON with the header Content-Type: application/json.")
    raw = request.get_data(cache=True)  # beyond MAX_CONTENT_LENGTH this raises 413 before reading
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "The body is not valid UTF-8 text.") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
        # An escaped lone surrogate (\ud800) decodes to a string that no UTF-8 encoder or database takes.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ApiError(400, "The JSON body is nested too deeply.") from None
    except UnicodeEncodeError:
        raise ApiError(400, "The body contains an unpaired surrogate escape; send real characters.") from None
    except ValueError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "The body must be a JSON object.")
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise refuse(exc, "body") from None


def parse_query(model: Optional[type[BaseModel]]) -> Optional[BaseModel]:
    """Reads the query string into the model; unknown or repeated parameters are refused with 422."""
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        raise ApiError(422, f"Give each query parameter once: {', '.join(repeated)}.")
    if model is None:
        if request.args:
            raise ApiError(422, f"This route takes no query parameters: {', '.join(sorted(request.args))}.")
        return None
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise refuse(exc, "query", "Some query parameters were not accepted.") from None


def _role_names(roles: frozenset[Role]) -> str:
    return " or ".join(sorted(role.value for role in roles))


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    response: Optional[type[BaseModel]],
    status: int = 200,
    description: str = "",
    query: Optional[type[BaseModel]] = None,
    body: Optional[type[BaseModel]] = None,
    also: Optional[dict[int, Optional[type[BaseModel]]]] = None,
    errors: tuple[int, ...] = (),
    roles: Optional[tuple[Role, ...]] = None,
    public: bool = False,
) -> Callable:
    """Declares an API route: registers it on the blueprint and records it for the OpenAPI document.

    The view gets the path values, plus `query` and `body` parsed into their models when declared,
    and returns an instance of `response` (None for 204), optionally as (instance, status, headers).
    """

    def register(view: Callable) -> Callable:
        op = Operation(
            method=method.upper(), rule=rule, endpoint=f"{bp.name}.{view.__name__}", summary=summary,
            description=description or inspect.cleandoc(view.__doc__ or ""), tag=tag, query=query, body=body, status=status,
            response=response, also=dict(also or {}), errors=errors,
            roles=frozenset(roles) if roles is not None else None, public=public,
        )

        @wraps(view)
        def handler(**path_values):
            if op.roles is not None and current_user.role not in op.roles:
                raise ApiError(403, f"Only a {_role_names(op.roles)} account may use this; "
                                    f"the token belongs to a {current_user.role.value} account.")
            kwargs = dict(path_values)
            parsed_query = parse_query(op.query)
            if op.query is not None:
                kwargs["query"] = parsed_query
            if op.body is not None:
                kwargs["body"] = parse_body(op.body)
            return _reply(op, view(**kwargs))

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=handler, methods=[op.method])
        OPERATIONS[op.endpoint] = op
        return handler

    return register


def _reply(op: Operation, result) -> Response:
    status, headers = op.status, {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    documented = {op.status: op.response, **op.also}
    if status not in documented:
        raise RuntimeError(f"{op.endpoint} answered {status}, which its operation does not document")
    model = documented[status]
    if model is None:
        if result is not None:
            raise RuntimeError(f"{op.endpoint} documents no body for {status}")
        return Response(status=status, headers=headers)
    if not isinstance(result, model):
        raise RuntimeError(f"{op.endpoint} returned {type(result).__name__}, documented {model.__name__}")
    return json_reply(result.model_dump_json(), status, headers)


@bp.url_value_preprocessor
def _ids_in_range(endpoint: Optional[str], values: Optional[dict]) -> None:
    # Flask's int converter takes any length; an id no column can hold names nothing.
    for value in (values or {}).values():
        if isinstance(value, int) and value > MAX_ID:
            raise ApiError(404, "There is nothing with this id.")

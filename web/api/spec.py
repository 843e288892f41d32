"""The OpenAPI 3.1 document of the API, built from the operation registry and the same pydantic models the views use."""

from __future__ import annotations

import re
from functools import cache
from http import HTTPStatus

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from web.api.registry import OPERATIONS, Operation
from web.api.schemas import MAX_ID, ErrorOut

API_VERSION = "1.0.0"
PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
_PATH_VALUE = re.compile(r"<(?:(\w+):)?(\w+)>")

ERROR_MEANINGS = {
    400: "The body is not valid JSON (or not UTF-8).",
    401: "No API token, or one that is unknown, revoked or expired.",
    403: "Your account's role cannot do this.",
    404: "Nothing with this id, or nothing you may see.",
    409: "Someone changed it first, or it is in a state that does not allow this now; the body says what is current.",
    413: "The body is larger than the server accepts.",
    415: "The body is not sent as application/json.",
    422: "A field or query parameter was refused; `errors` lists each with its location.",
}

TAGS = [
    {"name": "account", "description": "Who the token belongs to."},
    {"name": "challenges",
     "description": "Sponsors' problem statements. Sponsors see their own, startups the open ones, "
                    "programme managers all."},
    {"name": "startups",
     "description": "Startup profiles: your own, or one proposed to or interested in your challenge."},
    {"name": "suggestions", "description": "Challenges that fit the calling startup, with the reason for each."},
    {"name": "proposals", "description": "Pairings from match runs and the decisions on them."},
    {"name": "interests",
     "description": "The calling startup's interests in open challenges, in its order of preference."},
    {"name": "rounds", "description": "Match rounds and their runs (programme managers)."},
    {"name": "meta", "description": "This document."},
]


def openapi_path(rule: str) -> str:
    """Turns a Flask rule ('/challenges/<int:challenge_id>') into an OpenAPI path ('/challenges/{challenge_id}')."""
    return _PATH_VALUE.sub(lambda m: "{" + m.group(2) + "}", rule)


def _path_parameters(rule: str) -> list[dict]:
    parameters = []
    for converter, name in _PATH_VALUE.findall(rule):
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _query_parameters(definition: dict) -> list[dict]:
    required = set(definition.get("required", []))
    parameters = []
    for name, schema in definition.get("properties", {}).items():
        schema = dict(schema)
        schema.pop("title", None)
        # A query string cannot carry null: an optional parameter is simply left out.
        branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
        if len(branches) == 1:
            del schema["anyOf"]
            schema.update(branches[0])
        if schema.get("default", 0) is None:
            del schema["default"]
        description = schema.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _json(ref: dict) -> dict:
    return {"application/json": {"schema": ref}}


def _who(op: Operation) -> str:
    if op.public:
        return "Public: no token needed."
    if op.roles is None:
        return "Any account; what it sees follows the same rules as the pages."
    return "Accounts with the role " + " or ".join(sorted(role.value for role in op.roles)) + "."


def _operation(op: Operation, refs: dict, query_definitions: dict) -> dict:
    entry: dict = {
        "operationId": op.endpoint.split(".", 1)[1],
        "summary": op.summary,
        "description": "\n\n".join(part for part in (op.description, _who(op)) if part),
        "tags": [op.tag],
    }
    parameters = _path_parameters(op.rule)
    if op.query is not None:
        parameters += _query_parameters(query_definitions[op.query])
    if parameters:
        entry["parameters"] = parameters
    if op.body is not None:
        entry["requestBody"] = {"required": True, "content": _json(refs[(op.body, "validation")])}
    responses: dict = {}
    for status, model in sorted({op.status: op.response, **op.also}.items()):
        if model is None:
            responses[str(status)] = {"description": HTTPStatus(status).phrase}
        else:
            responses[str(status)] = {"description": HTTPStatus(status).phrase,
                                      "content": _json(refs[(model, "serialization")])}
    for status in op.error_statuses():
        response = {"description": ERROR_MEANINGS.get(status, HTTPStatus(status).phrase),
                    "content": _json(refs[(ErrorOut, "serialization")])}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {
                "description": 'Bearer realm="matchmaker API", with error="invalid_token" when a token was refused.',
                "schema": {"type": "string"}}}
        responses[str(status)] = response
    entry["responses"] = responses
    if op.public:
        entry["security"] = []
    return entry


@cache
def openapi_document() -> dict:
    """Builds the OpenAPI 3.1 document of every registered operation (once per process)."""
    inputs: set[type[BaseModel]] = set()
    outputs: set[type[BaseModel]] = {ErrorOut}
    for op in OPERATIONS.values():
        inputs.update(model for model in (op.body, op.query) if model is not None)
        outputs.update(model for model in (op.response, *op.also.values()) if model is not None)
    keys = sorted(((m, "validation") for m in inputs), key=lambda k: k[0].__name__)
    keys += sorted(((m, "serialization") for m in outputs), key=lambda k: k[0].__name__)
    refs, top = models_json_schema(keys, ref_template=REF)
    schemas = dict(top.get("$defs", {}))

    # Query models become parameters, not schemas of their own.
    query_names = {op.query: refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[1]
                   for op in OPERATIONS.values() if op.query is not None}
    query_definitions = {model: schemas.pop(name) for model, name in query_names.items()}

    paths: dict = {}
    for op in sorted(OPERATIONS.values(), key=lambda o: (o.rule, o.method)):
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op, refs, query_definitions)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "matchmaker API",
            "version": API_VERSION,
            "description": (
                "Startups, corporate sponsors and programme managers of open-innovation challenges. "
                "Every call but this document needs a personal API token (account page, /account/tokens) sent as "
                "`Authorization: Bearer <token>`; the token acts with its owner's permissions, exactly as the pages "
                "do. "
                "Bodies are JSON objects in UTF-8; unknown fields and loose types (\"3\" for 3) are refused. Texts are "
                "stored NFC-normalised and their limits count characters, not bytes. Objects of other organizations "
                "answer 404. Edits carry the `version` they are based on; a newer version on the server answers 409 "
                "with the current one."
            ),
        },
        "servers": [{"url": PREFIX}],
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "mmk_…",
                                               "description": "A personal API token from /account/tokens."}},
        },
        "security": [{"bearerAuth": []}],
    }

"""Property-based fuzzing of the JSON API from its own OpenAPI document (schemathesis).

For every operation, as each role, schemathesis sends requests made from the documented schemas:
valid ones and deliberately invalid ones (wrong types, missing fields, odd Unicode, huge numbers).
No answer may be a 5xx, and every answer must match what the document says it returns (status,
content type, body schema). The number of examples per operation is bounded, so the run is short.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks
from schemathesis.generation import GenerationMode

from models import crud
from tests.conftest import USERS

# Examples per operation and role; FUZZ_EXAMPLES raises it for a longer hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def api_schema(app, seeded):
    """The app's own OpenAPI document, loaded through the app (no network), on a freshly seeded database."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def tokens(seeded):
    made = {}
    seeded.commit()
    for who in ("manager", "sponsor", "startup"):
        user = crud.get_user_by_email(session=seeded, email=USERS[who][0])
        _row, made[who] = crud.create_api_token(session=seeded, user_id=user.id, name=f"fuzz: {who}")
    seeded.commit()
    return made


def test_the_api_never_fails_or_breaks_its_document(api_schema, tokens):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20, "the OpenAPI document lists too few operations"
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def fuzz(case):
                # Each example goes to every role: one may do it, another is refused, and both answers must hold.
                for who in ("manager", "sponsor", "startup"):
                    case.call_and_validate(headers={"Authorization": f"Bearer {tokens[who]}"}, checks=CHECKS)

            try:
                fuzz()
            except (Exception, BaseExceptionGroup) as exc:  # one entry per failing operation, then the next
                failures.append(f"{operation.label} ({mode.value}): {str(exc).strip()[:1500]}")
    assert not failures, "\n\n".join(failures)

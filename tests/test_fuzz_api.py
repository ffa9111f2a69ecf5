"""Property-based fuzzing of the whole API from its own OpenAPI schema (in-process, WSGI).

Every operation is called with generated valid and invalid input, as an employee and as a
manager holding real JWTs: no 5xx, every status and body as documented.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from resonance.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

FUZZ_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


# No 5xx; every status, content type and body as the schema documents. (Lenient parsing, such as
# an empty ``?status=`` meaning "no filter", is allowed.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def bearer(employee, manager, tiny_models):
    def headers_for(persona: str) -> dict[str, str]:
        user = {"employee": employee, "manager": manager}[persona]
        return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}

    return headers_for


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["employee", "manager"])
@schema.exclude(path_regex="^/api/v1/auth/token/$").parametrize()
@FUZZ_SETTINGS
def test_api_never_errors_and_answers_as_documented(case, persona, bearer):
    case.call_and_validate(headers=bearer(persona), checks=CHECKS)

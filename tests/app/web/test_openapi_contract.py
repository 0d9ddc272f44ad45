"""The API keeps its contract: schemathesis fuzzes every operation of the served OpenAPI document.

Each operation gets valid requests, invalid ones, and valid ones with a NUL in every string
(PostgreSQL refuses NUL in text): six in all, from a fixed seed per operation, never shrunk;
signed in on each control-plane backend, signed out on SQLite. Every answer is checked: no 5xx,
a documented status code and content type, a body its documented schema admits. Failures are
collected across operations and reported together, each once, with a curl command replaying it.

Signed in, requests carry an API token of an ``acme`` admin (every permission), so each route
runs past authentication and its permission check. No route is excluded: a bearer token outlives
every request the fuzzer makes (``/auth/logout`` ends only a session cookie,
``logout-everywhere`` only sessions), and generated path ids never name the admin or its token
(nothing feeds ids from answers back into paths). Signed out, every route but ``/auth/*``,
``/health`` and ``/version`` must answer 401 (or 400 for a request holding a NUL, refused at
the door whoever sends it).

``schemathesis.pytest.from_fixture`` would suit the per-test server, but schemathesis 4.32 sets
``node._nodeid``, which pytest 9.2 no longer has: the operations' strategies are driven here.
"""

import zlib
from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services import identity
from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PUBLIC = ("/api/v1/auth/", "/health", "/version")
FUZZ = settings(
    max_examples=6,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def nul(value):
    """``value`` with a NUL appended to every string in it."""
    if isinstance(value, str):
        return value + "\x00"
    if isinstance(value, dict):
        return {key: nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nul(item) for item in value]
    return value


def with_nul(case: Case) -> Case:
    """``case`` with a NUL in every string of its path, query and body."""
    case.path_parameters, case.query, case.body = map(
        nul, (case.path_parameters, case.query, case.body)
    )
    return case


def fuzz(
    base_url: str, headers: dict[str, str], expect: Callable[[Case, Response], None] | None = None
) -> list[str]:
    """Fuzz every operation; the failures found, each once, with a curl command to replay it."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    found: dict[tuple, str] = {}

    def record(case: Case, title: str, message: str) -> None:
        curl = case.as_curl_command(headers, base_url=base_url)
        found.setdefault((case.operation.label, title), f"{title}\n  {curl}\n  {message}")

    for operation in (result.ok() for result in schema.get_all_operations()):
        valid = operation.as_strategy(GenerationMode.POSITIVE)
        invalid = operation.as_strategy(GenerationMode.NEGATIVE)

        @FUZZ
        @seed(zlib.crc32(operation.label.encode()))
        @given(st.one_of(valid, invalid, valid.map(with_nul)))
        def run(case: Case) -> None:
            if not headers:  # signed out: none of the credentials the document describes
                case.headers = {
                    k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
                }
                case.cookies = {}
            try:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                if expect is not None:
                    expect(case, response)
            except FailureGroup as group:
                for failure in group.exceptions:
                    record(case, failure.title, failure.message.replace("\n", " | "))
            except AssertionError as error:
                record(case, "unexpected answer", str(error))

        run()
    return [f"{label}: {report}" for (label, _), report in sorted(found.items())]


@pytest.fixture
def admin(any_operator) -> dict[str, str]:
    """Headers of an API token of an ``acme`` admin."""
    tenant_with_deals(any_operator)
    identity.add_user(any_operator, "acme", "ana@acme.io", ["admin"])
    return bearer(any_operator, "acme", "ana@acme.io")


def test_every_operation_keeps_its_contract_signed_in(any_web, admin):
    failures = fuzz(any_web, admin)
    assert not failures, "\n\n".join(failures)


def signed_out(case: Case, response: Response) -> None:
    """401, or the 400 a request holding a NUL gets at the door before anything else."""
    refused_at_the_door = response.status_code == 400 and "NUL character" in response.text
    if not case.path.startswith(PUBLIC) and not refused_at_the_door:
        assert response.status_code == 401, (
            f"answered {response.status_code} without sign-in: {response.text[:150]}"
        )


def test_only_sign_in_and_meta_routes_answer_the_signed_out(web):
    failures = fuzz(web, {}, signed_out)
    assert not failures, "\n\n".join(failures)

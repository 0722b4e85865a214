"""Schemathesis fuzzes every operation of the three OpenAPI documents through nginx.

Generic over the documents: each app's `/<app>/api/openapi.json` is read from the running shop, so
an operation added to a document is fuzzed without a change here. Each operation gets a bounded
number of examples (valid ones and invalid ones) as an anonymous caller, a customer and an admin,
all with bearer tokens. Hypothesis is derandomized (the same examples every run) and does not
shrink, so the run is repeatable and bounded. Checks: no 500, every status documented, every
answer matching its documented schema.
"""

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from stacktools.client import ShopClient, new_login
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD, SCALED, Stack, serve

APPS = ("inventory", "users", "orders")
ROLES = ("anonymous", "customer", "admin")
#: examples per operation, role and generation mode (SHOP_FUZZ_EXAMPLES for a longer run by hand);
#: fewer scaled out, where the same examples meet PostgreSQL's 32-bit ids and two instances
EXAMPLES = int(os.environ.get("SHOP_FUZZ_EXAMPLES", "10" if SCALED else "25"))
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_stack(request):
    """A shop of its own: the fuzzer deletes items, deactivates users and floods registrations."""
    yield from serve(Stack(), request)


@pytest.fixture(scope="module")
def bearer(fuzz_stack) -> dict[str, dict[str, str]]:
    """The Authorization header of each role (none for the anonymous caller)."""
    customer = ShopClient(fuzz_stack.base_url)
    login = new_login("fuzz")
    assert customer.register(login).status_code == 303
    tokens = {"customer": customer.api_token(login), "admin": ShopClient(fuzz_stack.base_url).api_token(
        ADMIN_LOGIN, ADMIN_PASSWORD
    )}
    headers = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
    return {"anonymous": {}, **headers}


def fuzz(operation, base_url: str, headers: dict[str, str], mode) -> str | None:
    """Run the operation's examples; the first failure's report, or None."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def examples(case):
        # The role decides the credential, never the generator.
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        examples()
    except (Exception, FailureGroup) as error:  # failed checks, or an error reaching the shop: findings
        return f"{operation.label} [{mode.value}]: {error}"[:3000]
    return None


# Every app as one role, then the next: the admin (who deactivates users) comes last.
@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("role", ROLES)
def test_every_api_operation_answers_as_documented(fuzz_stack, bearer, app, role):
    document = requests.get(fuzz_stack.url(f"/{app}/api/openapi.json"), timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    base_url = fuzz_stack.url(document["servers"][0]["url"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{app}'s document has no operations"
    failures = [
        failure
        for operation in operations
        for mode in MODES
        if (failure := fuzz(operation, base_url, bearer[role], mode)) is not None
    ]
    assert not failures, "\n\n".join(failures)

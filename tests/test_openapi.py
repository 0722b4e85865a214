"""What every app's OpenAPI document says alike (shared_ui/openapi.py builds them)."""

import pytest
from flask import Flask

from inventory_app.openapi import OPENAPI as INVENTORY
from orders_app.openapi import OPENAPI as ORDERS
from shared_ui.api import page_args
from users_app.openapi import OPENAPI as USERS

DOCUMENTS = {"inventory": INVENTORY, "users": USERS, "orders": ORDERS}


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


@pytest.mark.parametrize("app", DOCUMENTS)
def test_every_operation_that_takes_a_body_documents_the_413_for_one_over_the_limit(app):
    """A body over 1 MiB (6 MiB for a picture) is a 413 in the error shape, from the app or nginx."""
    undocumented = [
        name
        for name, operation in operations(DOCUMENTS[app])
        if "requestBody" in operation and "413" not in operation["responses"]
    ]
    assert not undocumented


@pytest.mark.parametrize("app", DOCUMENTS)
def test_the_documented_page_defaults_are_what_a_list_answers_without_them(app):
    with Flask(__name__).test_request_context("/"):
        page, per_page = page_args()
    for name, operation in operations(DOCUMENTS[app]):
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "per_page" in parameters:
            assert parameters["page"].get("default") == page, name
            assert parameters["per_page"].get("default") == per_page, name


@pytest.mark.parametrize("app", DOCUMENTS)
def test_every_documented_429_and_503_says_it_carries_retry_after(app):
    """The apps' and nginx's 429 and 503 all say when to try again (shared_ui/api.error_json, nginx.conf)."""
    for name, operation in operations(DOCUMENTS[app]):
        for status in ("429", "503"):
            if status in operation["responses"]:
                assert "Retry-After" in operation["responses"][status].get("headers", {}), (name, status)

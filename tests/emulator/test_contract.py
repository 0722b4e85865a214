"""The emulator's objects carry every top-level key of Stripe's own examples, with the same types."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .helpers import WEBHOOK_SECRET, pay, session_params


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def assert_matches_fixture(fixtures: dict[str, Any], kind: str, obj: stripe.StripeObject | dict[str, Any]) -> None:
    """Every top-level key of Stripe's example is present, with the same JSON type when both are set."""
    actual = obj.to_dict() if isinstance(obj, stripe.StripeObject) else obj
    expected = fixtures[kind]
    missing = sorted(set(expected) - set(actual))
    assert not missing, f"{kind} lacks {missing}"
    wrong = {
        key: (json_type(expected[key]), json_type(actual[key]))
        for key in expected
        if expected[key] is not None and actual[key] is not None and json_type(expected[key]) != json_type(actual[key])
    }
    assert not wrong, f"{kind} has other types (Stripe's, ours): {wrong}"
    assert actual["object"] == expected["object"]


def test_the_contract_check_fails_when_a_key_is_missing_or_has_another_type(stripe_fixtures):
    session = dict(stripe_fixtures["checkout.session"])
    del session["payment_status"]
    with pytest.raises(AssertionError, match="payment_status"):
        assert_matches_fixture(stripe_fixtures, "checkout.session", session)
    intent = dict(stripe_fixtures["payment_intent"], amount="1099")
    with pytest.raises(AssertionError, match="amount"):
        assert_matches_fixture(stripe_fixtures, "payment_intent", intent)


def test_an_open_session_created_through_the_sdk_meets_the_contract(client, stripe_fixtures):
    session = client.v1.checkout.sessions.create(params=session_params())
    assert_matches_fixture(stripe_fixtures, "checkout.session", session)
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.amount_total == 2500
    assert session.currency == "usd"


def test_line_items_carry_every_field_of_the_sdks_line_item(client):
    """The subset of Stripe's fixtures has no line item: the SDK's `LineItem` (generated from Stripe's
    OpenAPI) is the contract instead; `discounts` and `taxes` come only when expanded, as at Stripe."""
    session = client.v1.checkout.sessions.create(params=session_params())
    [item] = client.v1.checkout.sessions.line_items.list(session.id).data
    fields = {name for name in vars(stripe.LineItem)["__annotations__"] if not name.isupper()}  # not OBJECT_NAME
    missing = sorted(fields - {"discounts", "taxes"} - set(item.to_dict()))
    assert not missing, f"line item lacks {missing}"
    assert isinstance(item, stripe.LineItem) and item.object == "item"


def test_paid_session_payment_intent_refund_and_event_meet_the_contract(
    client, emulator, http, receiver, stripe_fixtures
):
    created = client.v1.checkout.sessions.create(params=session_params())
    assert pay(http, emulator, created.id, card="4242 4242 4242 4242").status_code == 303

    session = client.v1.checkout.sessions.retrieve(created.id)
    assert_matches_fixture(stripe_fixtures, "checkout.session", session)
    intent = client.v1.payment_intents.retrieve(session.payment_intent)
    assert_matches_fixture(stripe_fixtures, "payment_intent", intent)
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})
    assert_matches_fixture(stripe_fixtures, "refund", refund)

    delivery = receiver.wait_for(created.id, "checkout.session.completed")[0]
    event = stripe.Webhook.construct_event(delivery.payload, delivery.signature, WEBHOOK_SECRET)
    assert_matches_fixture(stripe_fixtures, "event", event)
    assert_matches_fixture(stripe_fixtures, "checkout.session", event.data.object.to_dict())
    assert_matches_fixture(stripe_fixtures, "event", client.v1.events.retrieve(event.id))

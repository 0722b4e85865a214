"""The /v1 API through the official SDK: keys, idempotency, errors, validation, persistence."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import stripe

from .helpers import SECRET_KEY, TEST_SETTINGS, line_items, session_params
from .servers import EmulatorProcess


def test_the_same_idempotency_key_and_parameters_replay_the_first_answer(client):
    params = session_params()
    key = f"test:order:{uuid.uuid4().hex}:v1"
    first = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    again = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})

    assert again.id == first.id
    assert again.status == first.status == "open"
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers


def test_the_same_idempotency_key_with_other_parameters_is_an_idempotency_error(client):
    key = f"test:order:{uuid.uuid4().hex}:v1"
    client.v1.checkout.sessions.create(params=session_params(quantity=1), options={"idempotency_key": key})

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        client.v1.checkout.sessions.create(params=session_params(quantity=2), options={"idempotency_key": key})


def test_two_concurrent_creates_with_one_key_make_one_session(make_client):
    params = session_params()
    key = f"test:order:{uuid.uuid4().hex}:v1"
    clients = [make_client(), make_client()]
    barrier = threading.Barrier(len(clients))
    results: list[stripe.checkout.Session] = []

    def create(sdk: stripe.StripeClient) -> None:
        barrier.wait()
        results.append(sdk.v1.checkout.sessions.create(params=params, options={"idempotency_key": key}))

    threads = [threading.Thread(target=create, args=(sdk,)) for sdk in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert len(results) == 2
    assert results[0].id == results[1].id
    listed = clients[0].v1.checkout.sessions.list(params={"limit": 100})
    assert [s.id for s in listed.data if s.client_reference_id == params["client_reference_id"]] == [results[0].id]


def test_a_wrong_api_key_is_an_authentication_error(make_client):
    with pytest.raises(stripe.AuthenticationError):
        make_client(api_key="sk_test_not_the_configured_key").v1.checkout.sessions.create(params=session_params())


def test_a_request_without_a_key_gets_stripes_401_shape(emulator, http):
    response = http.get(emulator.url("/v1/checkout/sessions/cs_test_x"), timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_an_unknown_id_is_an_invalid_request_error_with_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.retrieve("cs_test_does_not_exist")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.retrieve("pi_does_not_exist")


def test_an_unknown_url_is_a_404_in_stripes_shape(emulator, http):
    response = http.get(emulator.url("/v1/nothing_here"), headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=5)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("expires_in", [-60, 60 * 60 * 25], ids=["past", "beyond-24h"])
def test_expires_at_outside_the_allowed_window_is_refused(client, expires_in):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(params=session_params(expires_in=expires_in))
    assert caught.value.param == "expires_at"


def test_an_unknown_parameter_is_refused_like_stripe_does(client):
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: colour"):
        client.v1.checkout.sessions.create(params={**session_params(), "colour": "blue"})


def test_a_total_below_stripes_minimum_charge_is_refused(client):
    with pytest.raises(stripe.InvalidRequestError, match=r"at least 0\.50 USD"):
        client.v1.checkout.sessions.create(params=session_params(unit_amount=10, quantity=1))


def test_a_total_above_stripes_maximum_charge_is_refused(client):
    # Stripe: "The amount value supports up to eight digits (e.g., a value of 99999999 for a USD charge
    # of $999,999.99)". The emulator made a session of $1,000,000.00 that the real Stripe refuses.
    with pytest.raises(stripe.InvalidRequestError, match=r"no more than 999999\.99 USD") as caught:
        client.v1.checkout.sessions.create(params=session_params(unit_amount=50_000_000, quantity=2))
    assert (caught.value.code, caught.value.param) == ("amount_too_large", "line_items")
    most = client.v1.checkout.sessions.create(params=session_params(unit_amount=99_999_999, quantity=1))
    assert most.amount_total == 99_999_999


def test_line_items_and_payment_intent_can_be_expanded(client):
    session = client.v1.checkout.sessions.create(params=session_params(unit_amount=999, quantity=3))
    expanded = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    [item] = expanded.line_items.data
    assert (item.description, item.quantity, item.price.unit_amount, item.amount_total) == ("Blue mug", 3, 999, 2997)
    listed = client.v1.checkout.sessions.line_items.list(session.id)
    assert [i.id for i in listed.data] == [item.id]


def test_a_session_of_several_line_items_totals_them_and_lists_each_in_order(client):
    items = line_items(("Blue mug", 1250, 2), ("Teapot", 3999, 1), ("Saucer", 199, 3))
    items[1]["metadata"] = {"inventory_id": "7"}
    session = client.v1.checkout.sessions.create(params=session_params(line_items=items))
    assert session.amount_total == 2500 + 3999 + 597
    assert session.amount_subtotal == session.amount_total

    listed = client.v1.checkout.sessions.line_items.list(session.id)
    assert listed.object == "list" and listed.has_more is False
    assert listed.url == f"/v1/checkout/sessions/{session.id}/line_items"
    assert [(i.description, i.quantity, i.price.unit_amount, i.amount_subtotal, i.amount_total) for i in listed] == [
        ("Blue mug", 2, 1250, 2500, 2500),
        ("Teapot", 1, 3999, 3999, 3999),
        ("Saucer", 3, 199, 597, 597),
    ]
    assert all(i.object == "item" and i.currency == "usd" and i.id.startswith("li_") for i in listed)
    assert [i.metadata.to_dict() for i in listed] == [{}, {"inventory_id": "7"}, {}]
    assert sum(i.amount_total for i in listed) == session.amount_total


def test_line_items_come_in_pages_of_ten_like_stripes(client):
    items = line_items(*[(f"Item {n}", 100 + n, 1) for n in range(25)])
    session = client.v1.checkout.sessions.create(params=session_params(line_items=items))
    lists = client.v1.checkout.sessions.line_items

    first = lists.list(session.id)
    assert [i.description for i in first.data] == [f"Item {n}" for n in range(10)] and first.has_more is True
    every = [i.description for i in first.auto_paging_iter()]
    assert every == [f"Item {n}" for n in range(25)]
    whole = lists.list(session.id, params={"limit": 100})
    assert len(whole.data) == 25 and whole.has_more is False
    before = lists.list(session.id, params={"ending_before": whole.data[12].id, "limit": 5})
    assert [i.description for i in before.data] == [f"Item {n}" for n in range(7, 12)] and before.has_more is True
    last = lists.list(session.id, params={"starting_after": whole.data[19].id})
    assert len(last.data) == 5 and last.has_more is False

    expanded = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert len(expanded.line_items.data) == 10 and expanded.line_items.has_more is True
    assert session.amount_total == sum(100 + n for n in range(25))

    with pytest.raises(stripe.InvalidRequestError, match="less than or equal to 100"):
        lists.list(session.id, params={"limit": 101})
    with pytest.raises(stripe.InvalidRequestError, match="li_nope"):
        lists.list(session.id, params={"starting_after": "li_nope"})


def test_more_than_a_hundred_line_items_are_refused_like_stripe_does(client):
    items = line_items(*[(f"Item {n}", 100, 1) for n in range(101)])
    with pytest.raises(stripe.InvalidRequestError, match="up to 100 line items") as refused:
        client.v1.checkout.sessions.create(params=session_params(line_items=items))
    assert refused.value.param == "line_items"


def test_line_items_of_two_currencies_are_refused(client):
    items = line_items(("Blue mug", 1250, 1)) + line_items(("Caneca", 900, 1), currency="brl")
    with pytest.raises(stripe.InvalidRequestError, match="same currency"):
        client.v1.checkout.sessions.create(params=session_params(line_items=items))


def test_sessions_survive_a_restart(tmp_path):
    def sdk(emulator: EmulatorProcess, http: requests.Session) -> stripe.StripeClient:
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": emulator.base_url},
                                   http_client=stripe.RequestsClient(session=http))

    first = EmulatorProcess(tmp_path, TEST_SETTINGS).start()
    try:
        with requests.Session() as http:
            created = sdk(first, http).v1.checkout.sessions.create(params=session_params())
    finally:
        first.stop()
    second = EmulatorProcess(tmp_path, TEST_SETTINGS, port=first.port).start()
    try:
        with requests.Session() as http:
            again = sdk(second, http).v1.checkout.sessions.retrieve(created.id)
    finally:
        second.stop()

    assert (again.id, again.status, again.amount_total) == (created.id, "open", 2500)
    assert (tmp_path / "stripe_emulator.sqlite3").exists()


def test_any_test_key_works_when_no_secret_key_is_configured_and_keys_are_scoped_by_api_key(tmp_path):
    from stripe_emulator import create_app

    app = create_app({"SHOP_VAR_DIR": str(tmp_path), "EMULATOR_BACKGROUND": False, "STRIPE_SECRET_KEY": None})
    web = app.test_client()
    form = {
        "mode": "payment",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "500",
        "line_items[0][price_data][product_data][name]": "Tea",
        "line_items[0][quantity]": "1",
        "expires_at": str(int(time.time()) + 3600),
    }

    def create(key: str):
        return web.post(
            "/v1/checkout/sessions",
            data=form,
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "same-key"},
        )

    alice, bob, alice_again = create("sk_test_alice"), create("sk_test_bob"), create("sk_test_alice")
    assert alice.status_code == bob.status_code == 200
    assert alice.json["id"] != bob.json["id"]
    assert alice_again.json["id"] == alice.json["id"]
    assert create("sk_live_real_key").status_code == 401


def test_stripes_form_encoding_decodes_to_nested_objects_and_lists():
    from stripe_emulator.params import decode_form

    decoded = decode_form([
        ("line_items[0][price_data][unit_amount]", "500"),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][quantity]", "1"),
        ("metadata[order_id]", "42"),
        ("expand[]", "line_items"),
        ("expand[]", "payment_intent"),
        ("mode", "payment"),
    ])

    assert decoded == {
        "line_items": [{"price_data": {"unit_amount": "500"}, "quantity": "2"}, {"quantity": "1"}],
        "metadata": {"order_id": "42"},
        "expand": ["line_items", "payment_intent"],
        "mode": "payment",
    }

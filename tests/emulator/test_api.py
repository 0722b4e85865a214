"""The /v1 API through the official SDK: keys, idempotency, errors, validation, persistence."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import stripe

from .helpers import SECRET_KEY, TEST_SETTINGS, session_params
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


def test_line_items_and_payment_intent_can_be_expanded(client):
    session = client.v1.checkout.sessions.create(params=session_params(unit_amount=999, quantity=3))
    expanded = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    [item] = expanded.line_items.data
    assert (item.description, item.quantity, item.price.unit_amount, item.amount_total) == ("Blue mug", 3, 999, 2997)
    listed = client.v1.checkout.sessions.line_items.list(session.id)
    assert [i.id for i in listed.data] == [item.id]


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

"""The hosted checkout page, test cards, boleto, expiry, and the signed events they send."""

from __future__ import annotations

import re
import time

import pytest
import stripe

from stacktools.stack import wait_until

from .helpers import events_of, line_items, pay, session_params


def test_the_page_shows_items_total_card_field_pay_and_cancel(client, emulator, http):
    params = session_params(name="Mug <b>&</b> saucer", unit_amount=1250, quantity=2)
    session = client.v1.checkout.sessions.create(params=params)
    assert session.url == emulator.url(f"/checkout/{session.id}")

    page = http.get(session.url, timeout=5)

    assert page.status_code == 200
    assert "Mug &lt;b&gt;&amp;&lt;/b&gt; saucer" in page.text
    assert "<b>" not in page.text
    assert "25.00 USD" in page.text
    assert 'name="card"' in page.text
    assert "Pay 25.00 USD" in page.text
    assert f'href="{params["cancel_url"]}"' in page.text
    assert "Boleto" not in page.text
    assert "form-action 'self' http://127.0.0.1:8000" in page.headers["Content-Security-Policy"]
    assert http.get(emulator.url("/_emulator/static/emulator.css"), timeout=5).status_code == 200


def test_the_page_lists_every_line_with_quantity_unit_price_and_line_total(client, http):
    items = line_items(("Blue mug", 1250, 2), ("Teapot", 3999, 1), ("Saucer", 199, 3))
    session = client.v1.checkout.sessions.create(params=session_params(line_items=items))

    page = http.get(session.url, timeout=5).text

    rows = re.findall(r"<tr><td>([^<]+)</td><td[^>]*>(\d+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td></tr>", page)
    assert rows == [
        ("Blue mug", "2", "12.50 USD", "25.00 USD"),
        ("Teapot", "1", "39.99 USD", "39.99 USD"),
        ("Saucer", "3", "1.99 USD", "5.97 USD"),
    ]
    assert re.search(r"Total due</th><td[^>]*>70\.96 USD<", page)
    assert "Pay 70.96 USD" in page


def test_4242_pays_redirects_to_success_url_and_sends_a_signed_completed_event(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())

    response = pay(http, emulator, session.id, card="4242 4242 4242 4242")

    assert response.status_code == 303
    assert response.headers["Location"] == (f"http://127.0.0.1:8000/orders/checkout/success?session_id={session.id}")
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status, paid.amount_total) == ("complete", "paid", 2500)
    intent = client.v1.payment_intents.retrieve(paid.payment_intent)
    assert intent.status == "succeeded"
    assert intent.amount_received == 2500
    assert intent.latest_charge.startswith("ch_")
    [delivery] = receiver.wait_for(session.id, "checkout.session.completed")
    assert delivery.verified
    assert abs(delivery.timestamp - delivery.arrived_at) < 5
    completed = delivery.event["data"]["object"]
    assert (completed["payment_status"], completed["amount_total"], completed["currency"]) == ("paid", 2500, "usd")
    assert completed["metadata"] == {"order_id": session.client_reference_id}


def test_the_declined_card_shows_an_error_and_leaves_the_session_open(client, emulator, http):
    session = client.v1.checkout.sessions.create(params=session_params())

    response = pay(http, emulator, session.id, card="4000 0000 0000 0002")

    assert response.status_code == 402
    assert "Your card was declined." in response.text
    still_open = client.v1.checkout.sessions.retrieve(session.id)
    assert (still_open.status, still_open.payment_status) == ("open", "unpaid")
    assert events_of(http, emulator, session.id) == []
    assert pay(http, emulator, session.id, card="4242424242424242").status_code == 303


def test_another_card_number_asks_for_a_test_card(client, emulator, http):
    session = client.v1.checkout.sessions.create(params=session_params())
    response = pay(http, emulator, session.id, card="1234 5678 9012 3456")
    assert response.status_code == 422
    assert "Use a test card" in response.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_paying_a_complete_or_expired_session_changes_nothing(client, emulator, http):
    paid = client.v1.checkout.sessions.create(params=session_params())
    pay(http, emulator, paid.id, card="4242 4242 4242 4242")
    expired = client.v1.checkout.sessions.create(params=session_params())
    client.v1.checkout.sessions.expire(expired.id)
    def event_ids() -> dict[str, list[str]]:
        return {sid: [e["id"] for e in events_of(http, emulator, sid)] for sid in (paid.id, expired.id)}

    before = event_ids()

    for session_id in (paid.id, expired.id):
        response = pay(http, emulator, session_id, card="4242 4242 4242 4242")
        assert response.status_code == 409
        assert "This Checkout Session" in response.text

    assert client.v1.checkout.sessions.retrieve(expired.id).status == "expired"
    assert event_ids() == before


def test_boleto_completes_unpaid_then_settles_paid(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params(currency="brl"))
    assert "Pay with Boleto" in http.get(session.url, timeout=5).text

    assert pay(http, emulator, session.id, method="boleto").status_code == 303
    [completed] = receiver.wait_for(session.id, "checkout.session.completed")
    assert completed.event["data"]["object"]["payment_status"] == "unpaid"
    awaiting = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (awaiting.status, awaiting.payment_status) == ("complete", "unpaid")
    assert awaiting.payment_intent.next_action.boleto_display_details.expires_at > time.time()

    settled = http.post(
        emulator.url(f"/_emulator/checkout/{session.id}/settle"), data={"result": "succeeded"}, timeout=5
    )

    assert settled.status_code == 200
    assert settled.json()["payment_status"] == "paid"
    [succeeded] = receiver.wait_for(session.id, "checkout.session.async_payment_succeeded")
    assert succeeded.event["data"]["object"]["payment_status"] == "paid"
    assert [d.type for d in receiver.received(session.id)] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]
    assert client.v1.payment_intents.retrieve(awaiting.payment_intent.id).status == "succeeded"


def test_boleto_that_lapses_sends_async_payment_failed(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params(currency="brl"))
    http.post(emulator.url(f"/_emulator/checkout/{session.id}/complete"), json={"method": "boleto"}, timeout=5)

    failed = http.post(emulator.url(f"/_emulator/checkout/{session.id}/settle"), json={"result": "failed"}, timeout=5)

    assert failed.status_code == 200
    [delivery] = receiver.wait_for(session.id, "checkout.session.async_payment_failed")
    assert delivery.event["data"]["object"]["payment_status"] == "unpaid"
    again = http.post(emulator.url(f"/_emulator/checkout/{session.id}/settle"), data={"result": "succeeded"}, timeout=5)
    assert again.status_code == 409


def test_a_paid_boleto_cannot_be_refunded_as_at_stripe(client, emulator, http, receiver):
    # Stripe's Boleto page: "Refunds / Partial refunds: No / No". The shop must meet that refusal here
    # (its admin is told to give the money back by hand), not a refund the real Stripe never makes.
    session = client.v1.checkout.sessions.create(params=session_params(currency="brl"))
    http.post(emulator.url(f"/_emulator/checkout/{session.id}/complete"), json={"method": "boleto"}, timeout=5)
    http.post(emulator.url(f"/_emulator/checkout/{session.id}/settle"), json={"result": "succeeded"}, timeout=5)
    intent = client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    assert intent.status == "succeeded"

    with pytest.raises(stripe.InvalidRequestError, match="Boleto payments cannot be refunded") as refused:
        client.v1.refunds.create(params={"payment_intent": intent.id})

    assert refused.value.code == "charge_not_refundable"
    assert client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0
    receiver.wait_for(session.id, "checkout.session.async_payment_succeeded")
    assert receiver.received(intent.latest_charge, "charge.refunded") == []


def test_boleto_is_offered_only_for_brl(client, emulator, http):
    session = client.v1.checkout.sessions.create(params=session_params(currency="usd"))
    response = pay(http, emulator, session.id, method="boleto")
    assert response.status_code == 422
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expire_through_the_sdk_sends_expired_and_a_complete_session_cannot_be_expired(
    client, emulator, http, receiver
):
    session = client.v1.checkout.sessions.create(params=session_params())
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    [delivery] = receiver.wait_for(session.id, "checkout.session.expired")
    assert delivery.event["data"]["object"]["status"] == "expired"

    paid = client.v1.checkout.sessions.create(params=session_params())
    pay(http, emulator, paid.id, card="4242 4242 4242 4242")
    with pytest.raises(stripe.InvalidRequestError, match=r'status in \["open"\] can be expired'):
        client.v1.checkout.sessions.expire(paid.id)
    assert client.v1.checkout.sessions.retrieve(paid.id).status == "complete"


def test_a_session_expires_by_itself_at_expires_at(client, receiver):
    # 5 s against the test minimum of 2 (EMULATOR_MIN_EXPIRY_SECONDS): the call may take a while on a busy machine
    session = client.v1.checkout.sessions.create(params=session_params(expires_in=5))
    assert session.status == "open"

    [delivery] = receiver.wait_for(session.id, "checkout.session.expired", timeout=30)

    assert time.time() >= session.expires_at
    assert delivery.event["data"]["object"]["status"] == "expired"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_the_expire_control_works_like_natural_expiry(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    response = http.post(emulator.url(f"/_emulator/checkout/{session.id}/expire"), timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "expired"
    receiver.wait_for(session.id, "checkout.session.expired")
    assert http.post(emulator.url(f"/_emulator/checkout/{session.id}/expire"), timeout=5).status_code == 409


def test_the_complete_control_pays_without_a_browser(client, emulator, http):
    session = client.v1.checkout.sessions.create(params=session_params())
    declined = http.post(
        emulator.url(f"/_emulator/checkout/{session.id}/complete"), data={"card": "4000000000000002"}, timeout=5
    )
    assert declined.status_code == 402
    assert declined.json()["error"]["message"] == "Your card was declined."

    paid = http.post(
        emulator.url(f"/_emulator/checkout/{session.id}/complete"), data={"card": "4242 4242 4242 4242"}, timeout=5
    )

    assert paid.status_code == 200
    assert paid.json()["session"]["payment_status"] == "paid"
    assert paid.json()["redirect_url"].endswith(f"session_id={session.id}")


def test_a_refund_sends_charge_refunded_and_more_than_charged_is_refused(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    pay(http, emulator, session.id, card="4242 4242 4242 4242")
    intent = client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(session.id).payment_intent)

    partial = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000})
    assert (partial.status, partial.amount, partial.charge) == ("succeeded", 1000, intent.latest_charge)
    with pytest.raises(stripe.InvalidRequestError, match="greater than unrefunded amount"):
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1501})
    rest = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert rest.amount == 1500

    deliveries = wait_until(
        lambda: (
            len(receiver.received(intent.latest_charge, "charge.refunded")) >= 2
            and receiver.received(intent.latest_charge, "charge.refunded")
        )
    )
    charges = [d.event["data"]["object"] for d in deliveries]
    assert [(c["amount_refunded"], c["refunded"]) for c in charges] == [(1000, False), (2500, True)]
    with pytest.raises(stripe.InvalidRequestError, match="already been refunded"):
        client.v1.refunds.create(params={"payment_intent": intent.id})


def test_a_refund_of_card_5126_succeeds_at_first_then_fails_by_itself_and_says_so(client, emulator, http, receiver):
    """Stripe's test card 4000 0000 0000 5126: "refunding a captured charge fails asynchronously with a
    failure_reason of expired_or_canceled_card"; the refund begins `succeeded`, turns `failed`, the
    charge has its amount back, and charge.refund.updated and refund.failed say so."""
    session = client.v1.checkout.sessions.create(params=session_params())
    pay(http, emulator, session.id, card="4000 0000 0000 5126")
    intent = client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(session.id).payment_intent)

    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "succeeded"
    [failed] = receiver.wait_for(refund.id, "refund.failed")
    [updated] = receiver.received(refund.id, "charge.refund.updated")
    assert updated.event["data"]["previous_attributes"] == {"status": "succeeded"}
    for event in (failed.event, updated.event):
        sent = event["data"]["object"]
        assert (sent["object"], sent["status"]) == ("refund", "failed")
        assert sent["failure_reason"] == "expired_or_canceled_card"
    refund = client.v1.refunds.retrieve(refund.id)
    assert (refund.status, refund.failure_reason) == ("failed", "expired_or_canceled_card")
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    assert http.post(emulator.url(f"/_emulator/refunds/{refund.id}/settle"), timeout=5).json()["status"] == "failed"
    time.sleep(0.5)
    assert len(receiver.received(refund.id, "refund.failed")) == 1  # an ended refund stays as it is


def test_a_refund_of_card_7726_is_pending_until_it_succeeds(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    pay(http, emulator, session.id, card="4000000000007726")
    intent = client.v1.checkout.sessions.retrieve(session.id).payment_intent

    refund = client.v1.refunds.create(params={"payment_intent": intent})
    assert refund.status == "pending"
    settled = http.post(emulator.url(f"/_emulator/refunds/{refund.id}/settle"), timeout=5)
    assert settled.status_code == 200 and settled.json()["status"] == "succeeded"
    [updated] = receiver.wait_for(refund.id, "charge.refund.updated")
    assert updated.event["data"]["object"]["status"] == "succeeded"
    assert updated.event["data"]["previous_attributes"] == {"status": "pending"}
    assert receiver.received(refund.id, "refund.failed") == []
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"


def test_a_payment_intent_without_a_successful_charge_cannot_be_refunded(client, emulator, http):
    session = client.v1.checkout.sessions.create(params=session_params())
    assert session.payment_intent is None  # as at Stripe: created when the payer first submits
    pay(http, emulator, session.id, card="4000 0000 0000 0002")
    intent = client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "card_declined"

    with pytest.raises(stripe.InvalidRequestError, match="does not have a successful charge"):
        client.v1.refunds.create(params={"payment_intent": intent.id})

"""Webhook delivery: Stripe's signatures, retries with fresh signatures, resends, the events page."""

from __future__ import annotations

import pytest
import stripe

from stacktools.stack import wait_until

from .helpers import TEST_SETTINGS, WEBHOOK_SECRET, events_of, pay, session_params
from .servers import EmulatorProcess


def test_a_webhook_answered_500_twice_is_delivered_on_the_third_attempt_with_fresh_signatures(
    client, emulator, http, receiver
):
    session = client.v1.checkout.sessions.create(params=session_params())
    receiver.fail_next(session.id, times=2, status=500)

    pay(http, emulator, session.id, card="4242 4242 4242 4242")

    receiver.wait_for(session.id, "checkout.session.completed", timeout=40)  # backoff 1 s, 2 s; slow under load
    attempts = receiver.received(session.id, "checkout.session.completed")
    assert [a.answered for a in attempts] == [500, 500, 200]
    assert all(a.verified for a in attempts)
    assert len({a.event["id"] for a in attempts}) == 1
    assert len({a.payload for a in attempts}) == 1
    timestamps = [a.timestamp for a in attempts]
    assert timestamps == sorted(set(timestamps)), "each attempt is signed at its own time"
    assert len({a.signature for a in attempts}) == 3
    # The receiver has the third attempt before its 200 reaches the emulator, which only then
    # records the delivery as delivered: wait for that, not for the receiver.
    [event] = wait_until(
        lambda: [e for e in events_of(http, emulator, session.id) if e["deliveries"][0]["state"] == "delivered"]
    )
    [delivery] = event["deliveries"]
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]


@pytest.fixture
def patient_emulator(tmp_path, receiver):
    """An emulator of its own that waits an hour for a webhook's answer: a delivery the receiver
    holds is still the first attempt, in flight, whenever the test releases it."""
    process = EmulatorProcess(
        tmp_path,
        {**TEST_SETTINGS, "STRIPE_WEBHOOK_URL": receiver.url, "EMULATOR_WEBHOOK_TIMEOUT_SECONDS": "3600"},
    ).start()
    yield process
    process.stop()


def test_a_slow_webhook_holds_up_neither_the_api_nor_other_sessions(patient_emulator, make_client, http, receiver):
    # The slow endpoint answers only when the test lets it, after the API calls returned and the
    # other session's event arrived: had either waited behind the slow delivery, it would not have
    # come while that delivery was still unanswered, and the test would fail waiting for it.
    emulator = patient_emulator
    client = make_client(base_url=emulator.base_url)
    slow = client.v1.checkout.sessions.create(params=session_params())
    release = receiver.hold(slow.id)
    try:
        pay(http, emulator, slow.id, card="4242 4242 4242 4242")
        wait_until(lambda: receiver.held(slow.id))  # the slow delivery is in flight, unanswered

        other = client.v1.checkout.sessions.create(params=session_params())
        client.v1.checkout.sessions.expire(other.id)
        [fast] = receiver.wait_for(other.id, "checkout.session.expired", timeout=30)

        assert receiver.held(slow.id) == 1, "the slow delivery was still unanswered all along"
        assert not receiver.received(slow.id)
    finally:
        release.set()

    [slow_delivery] = receiver.wait_for(slow.id, "checkout.session.completed", timeout=30)
    assert receiver.deliveries.index(fast) < receiver.deliveries.index(slow_delivery)
    # Its first and only attempt, answered 200 once released (no timeout and retry in between).
    [event] = wait_until(
        lambda: [e for e in events_of(http, emulator, slow.id) if e["deliveries"][0]["state"] == "delivered"]
    )
    assert [a["status_code"] for a in event["deliveries"][0]["attempts"]] == [200]


def test_a_resent_event_arrives_again_with_the_same_id(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    pay(http, emulator, session.id, card="4242 4242 4242 4242")
    [first] = receiver.wait_for(session.id, "checkout.session.completed")

    response = http.post(emulator.url(f"/_emulator/events/{first.event['id']}/resend"), timeout=5)

    assert response.status_code == 202
    first_again, second = receiver.wait_for(session.id, "checkout.session.completed", count=2)
    assert first_again.event["id"] == second.event["id"] == first.event["id"]
    assert second.payload == first.payload


def test_signatures_verify_only_with_the_right_secret(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    pay(http, emulator, session.id, card="4242 4242 4242 4242")
    [delivery] = receiver.wait_for(session.id, "checkout.session.completed")

    event = stripe.Webhook.construct_event(delivery.payload, delivery.signature, WEBHOOK_SECRET)
    assert (event.type, event.data.object.id, event.livemode) == ("checkout.session.completed", session.id, False)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.payload, delivery.signature, "whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.payload.replace("2500", "1"), delivery.signature, WEBHOOK_SECRET)


def test_an_event_caused_by_an_api_request_names_the_request_and_its_key(client, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    client.v1.checkout.sessions.expire(session.id, options={"idempotency_key": f"expire-{session.id}"})
    [delivery] = receiver.wait_for(session.id, "checkout.session.expired")
    assert delivery.event["request"]["id"].startswith("req_")
    assert delivery.event["request"]["idempotency_key"] == f"expire-{session.id}"


def test_the_events_page_lists_events_and_attempts(client, emulator, http, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    pay(http, emulator, session.id, card="4242 4242 4242 4242")
    receiver.wait_for(session.id, "checkout.session.completed")
    [event] = wait_until(lambda: [e for e in events_of(http, emulator, session.id)
                                  if e["deliveries"][0]["state"] == "delivered"])

    page = http.get(emulator.url("/"), timeout=5)

    assert page.status_code == 200
    assert event["id"] in page.text
    assert "checkout.session.completed" in page.text
    assert "delivered" in page.text
    assert http.get(emulator.url("/healthz"), timeout=5).json() == {"status": "ok"}

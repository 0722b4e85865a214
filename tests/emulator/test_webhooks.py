"""Webhook delivery: Stripe's signatures, retries with fresh signatures, resends, the events page."""

from __future__ import annotations

import time

import pytest
import stripe

from stacktools.stack import wait_until

from .helpers import WEBHOOK_SECRET, events_of, pay, session_params


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


def test_a_slow_webhook_holds_up_neither_the_api_nor_other_sessions(client, emulator, http, receiver):
    # The slow endpoint answers after 4 s (inside the emulator's 5 s webhook timeout): waiting for it
    # would show as seconds, far more than two API calls take even on a loaded machine.
    slow = client.v1.checkout.sessions.create(params=session_params())
    receiver.delay(slow.id, 4.0)
    pay(http, emulator, slow.id, card="4242 4242 4242 4242")
    wait_until(lambda: events_of(http, emulator, slow.id))

    started = time.monotonic()
    other = client.v1.checkout.sessions.create(params=session_params())
    client.v1.checkout.sessions.expire(other.id)
    assert time.monotonic() - started < 2.5
    [fast] = receiver.wait_for(other.id, "checkout.session.expired", timeout=30)

    [slow_delivery] = receiver.wait_for(slow.id, "checkout.session.completed", timeout=30)
    assert fast.arrived_at < slow_delivery.arrived_at  # the other session's event did not wait behind it


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

"""The order's states without a database: the transition table and the guards (orders_app.states)."""

from types import SimpleNamespace

import pytest

from orders_app import states


def order(**facts):
    base = {"status": states.PENDING, "hold_state": states.HELD, "checkout_state": None, "stripe_session_id": None}
    return SimpleNamespace(**(base | facts))


def test_the_status_only_moves_forward():
    assert states.next_status(states.PENDING, states.EV_PAID) == states.PAID
    assert states.next_status(states.PAID, states.EV_REFUNDED) == states.CANCELLED
    for status, event in [
        (states.PAID, states.EV_CANCELLED),
        (states.CANCELLED, states.EV_PAID),
        (states.PAID, states.EV_PAID),
        (states.PENDING, states.EV_REFUNDED),
    ]:
        with pytest.raises(states.IllegalTransition):
            states.next_status(status, event)


def test_a_pending_held_order_can_be_paid_changed_and_cancelled():
    pending = order(checkout_state=states.SESSION_OPEN)
    assert states.can_pay(pending) and states.can_change(pending) and states.can_cancel(pending)
    assert not states.can_refund(pending)


def test_after_an_amount_mismatch_the_order_offers_only_cancel():
    mismatched = order(checkout_state=states.SESSION_COMPLETE)
    assert not states.can_pay(mismatched) and not states.can_change(mismatched)
    assert states.can_cancel(mismatched)  # the payment the shop refused goes back
    assert states.why_not_pay(mismatched) == "payment_in_review"


def test_a_boleto_in_hand_stops_pay_change_and_cancel():
    awaiting = order(checkout_state=states.SESSION_PROCESSING)
    assert [states.why_not_pay(awaiting), states.why_not_cancel(awaiting)] == ["awaiting_payment"] * 2


def test_a_change_in_flight_stops_everything_else():
    assert states.why_not_cancel(order(hold_state=states.ADJUSTING)) == "busy"


def test_only_a_paid_order_with_its_stock_sold_can_be_refunded():
    assert states.can_refund(order(status=states.PAID, hold_state=states.COMMITTED))
    assert states.why_not_refund(order(status=states.PAID, hold_state=states.RESTOCKING)) == "busy"
    assert states.why_not_refund(order(status=states.CANCELLED, hold_state=states.RELEASED)) == "not_paid"


def session(**facts):
    base = {"id": "cs_1", "payment_intent": "pi_1", "amount_total": 500, "currency": "usd", "payment_status": "paid"}
    return SimpleNamespace(**(base | facts))


@pytest.mark.parametrize(
    ("facts", "fact", "sent", "decision"),
    [
        ({}, states.PAID_FACT, {}, states.ACCEPT_PAYMENT),
        ({}, states.PAID_FACT, {"amount_total": 400}, states.AMOUNT_MISMATCH),
        ({"checkout_state": states.SESSION_COMPLETE}, states.PAID_FACT, {}, states.MISMATCH_SEEN),
        ({"status": states.PAID}, states.PAID_FACT, {}, states.ALREADY_PAID),
        ({"status": states.CANCELLED}, states.PAID_FACT, {}, states.REFUND_DUE_LATE),
        ({}, states.PAID_FACT, {"id": "cs_old"}, states.STALE_PAID),
        ({}, states.EXPIRED, {"id": "cs_old"}, states.STALE),
        ({"status": states.PAID}, states.EXPIRED, {}, states.LATE),
        ({"checkout_state": states.SESSION_CLOSING}, states.EXPIRED, {}, states.CLOSED_BY_SHOP),
        ({}, states.EXPIRED, {}, states.RELEASE),
        ({"hold_state": states.ADJUSTING}, states.FAILED, {}, states.RETRY_LATER),
        ({}, states.AWAITING, {}, states.START_AWAITING),
    ],
)
def test_what_a_stripe_fact_does_to_an_order(facts, fact, sent, decision):
    current = order(**({"stripe_session_id": "cs_1", "total_cents": 500, "currency": "usd"} | facts))
    assert states.decide(current, session(**sent), fact) == decision

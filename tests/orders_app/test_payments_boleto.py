"""Boleto (SHOP_CURRENCY=brl): issued keeps the order Pending and its stock held until the due date +
a week (ORDERS_BOLETO_SETTLE_DAYS: its confirmation takes business days), with no edits or cancels;
settled it is paid, lapsed it is cancelled."""

from datetime import timedelta

import pytest

from orders_app import jobs
from orders_app.clients.stripe_client import EXTENSION_KEY
from orders_app.extensions import db
from orders_app.jobs import reconcile_payments as reconcile
from orders_app.jobs import sweep
from orders_app.models import CANCELLED, COMMITTED, PAID, PENDING, RELEASED, Order, utcnow
from tests.orders_app.fake_stripe import WEBHOOK_SECRET, FakeStripe
from tests.orders_app.helpers import deliver, fresh, pay, place, post_form, session_of


@pytest.fixture
def stripe_fake(app) -> FakeStripe:
    app.config["SHOP_CURRENCY"] = "brl"
    fake = FakeStripe()
    app.extensions[EXTENSION_KEY] = fake
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    return fake


@pytest.fixture
def radio(inventory) -> int:
    return inventory.add_item("Radio", 9990, 5)


@pytest.fixture
def boleto_order(app, alice, stripe_fake, radio) -> int:
    order_id = place(alice, radio, 2)
    assert pay(alice, order_id).status_code == 303
    outcome = deliver(app, stripe_fake.issue_boleto(session_of(app, order_id))).get_json()["outcome"]
    assert outcome == "awaiting_payment"
    return order_id


def test_a_brl_session_offers_boleto_and_card(app, alice, stripe_fake, radio):
    order_id = place(alice, radio, 1)
    pay(alice, order_id)
    [(params, _)] = stripe_fake.saved.values()
    assert params["payment_method_types"] == ["card", "boleto"]
    assert params["line_items"][0]["price_data"]["currency"] == "brl"


def test_an_issued_boleto_keeps_the_order_pending_with_its_stock_held_until_the_due_date(
    app, alice, inventory, stripe_fake, boleto_order
):
    order = fresh(app, boleto_order)
    due = stripe_fake.boleto_due(order.stripe_session_id)
    assert order.status == PENDING and order.awaiting_payment
    assert order.pay_by == due and order.hold_expires_at == due + timedelta(days=7)
    assert inventory.holds[f"order-{boleto_order}"].expires_at == (due + timedelta(days=7)).isoformat() + "Z"
    page = alice.get(f"/orders/{boleto_order}").get_data(as_text=True)
    assert "awaiting payment: boleto issued" in page and "Boleto due" in page
    assert 'id="pay-order"' not in page and 'id="cancel-order"' not in page


def test_a_boleto_paid_on_a_friday_due_date_and_confirmed_on_monday_keeps_its_stock(
    app, alice, bob, inventory, stripe_fake, radio, boleto_order
):
    """Paid on its due date, a Friday: Stripe confirms it a business day later, on the Monday. The hold
    ended a day after the due date, so inventory's sweeper gave the stock back over the weekend,
    another customer bought it, and the paid order found none: cancelled, its refund due (and a
    boleto cannot be refunded)."""
    monday_evening = stripe_fake.boleto_due(session_of(app, boleto_order)) + timedelta(days=3)
    inventory.sweep_expired(monday_evening)
    assert inventory.stock(radio) == 3  # the boleto's 2 still held
    taken = post_form(bob, "/orders/", {"inventory_id": radio, "quantity": 5})
    assert taken.status_code == 409  # not there to sell twice
    confirmed = stripe_fake.settle(session_of(app, boleto_order), succeeded=True)
    assert deliver(app, confirmed).get_json()["outcome"] == "paid"
    order = fresh(app, boleto_order)
    assert (order.status, order.hold_state, order.refund_state) == (PAID, COMMITTED, None)


def test_an_issued_boleto_refuses_edits_cancels_and_another_payment(app, alice, inventory, stripe_fake, boleto_order):
    for path, form in ((f"/orders/{boleto_order}/edit", {"quantity": 1}), (f"/orders/{boleto_order}/cancel", {})):
        response = post_form(alice, path, form, htmx=True)
        assert "A boleto was issued for this order" in response.get_data(as_text=True), path
    assert pay(alice, boleto_order).status_code == 409
    with app.app_context():
        assert sweep(now=utcnow() + timedelta(hours=2)) == {}  # the old payment deadline does not cancel it
    assert fresh(app, boleto_order).status == PENDING and inventory.held() == {f"order-{boleto_order}": 2}


def test_a_settled_boleto_pays_the_order_and_commits_its_stock(app, inventory, stripe_fake, boleto_order):
    event = stripe_fake.settle(session_of(app, boleto_order), succeeded=True)
    assert deliver(app, event).get_json()["outcome"] == "paid"
    order = fresh(app, boleto_order)
    assert (order.status, order.hold_state) == (PAID, COMMITTED) and inventory.stock(1) == 3


def test_a_lapsed_boleto_cancels_the_order_and_returns_its_stock(app, inventory, stripe_fake, boleto_order):
    event = stripe_fake.settle(session_of(app, boleto_order), succeeded=False)
    assert deliver(app, event).get_json()["outcome"] == "released"
    order = fresh(app, boleto_order)
    assert (order.status, order.hold_state) == (CANCELLED, RELEASED) and inventory.stock(1) == 5


def test_reconcile_finds_a_settled_boleto_whose_event_was_missed(app, inventory, stripe_fake, boleto_order):
    stripe_fake.settle(session_of(app, boleto_order), succeeded=True)  # never delivered
    with app.app_context():
        assert reconcile() == {"paid": 1}
        assert db.session.get(Order, boleto_order).hold_state == COMMITTED


def test_reconcile_asks_about_a_boleto_awaiting_payment_less_and_less_often(app, stripe_fake, boleto_order):
    """Reconcile asked Stripe about every boleto awaiting payment at every run (each minute) for the
    days until its due date: hundreds of them ran into Stripe's rate limit. Now the gap grows with
    the boleto's age, up to an hour; a boleto paid meanwhile is still found."""
    with app.app_context():
        asked = stripe_fake.count("retrieve_session")
        assert reconcile() == {"awaiting": 1}
        for _ in range(3):
            assert reconcile() == {}  # asked a moment ago: not at every run
        assert stripe_fake.count("retrieve_session") == asked + 1
        order = db.session.get(Order, boleto_order)
        for event in order.events:
            if event.action == "awaiting_payment":
                event.at -= timedelta(days=2)
        order.stripe_next_check_at = utcnow()  # as if time passed
        db.session.commit()
        assert reconcile() == {"awaiting": 1}
        asked_again = db.session.get(Order, boleto_order).stripe_next_check_at - utcnow()
        assert abs(asked_again - timedelta(hours=1)) < timedelta(minutes=1)
        stripe_fake.settle(session_of(app, boleto_order), succeeded=True)  # its event is lost
        db.session.get(Order, boleto_order).stripe_next_check_at = utcnow()
        db.session.commit()
        assert reconcile() == {"paid": 1}


def test_the_success_page_of_an_issued_boleto_offers_a_check_without_javascript(app, alice, boleto_order):
    # The page says it updates itself once the bank confirms; only htmx does that, so a browser
    # without JavaScript gets a link that asks again (as the page waiting for a card payment does).
    session_id = session_of(app, boleto_order)
    page = alice.get(f"/orders/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert "This page updates once the bank confirms the payment." in page
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    assert f'href="/orders/checkout/success?session_id={session_id}"' in noscript and "Check again" in noscript


def test_a_boleto_whose_next_check_cannot_be_written_does_not_end_the_reconcile_run(
    app, stripe_fake, boleto_order, monkeypatch
):
    def broken(order_id):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(jobs, "boleto_still_unpaid", broken)
    with app.app_context():
        assert reconcile() == {"awaiting": 1, "failed": 1}  # counted, and the run went on

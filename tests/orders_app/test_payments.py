"""Payments in orders_app alone, with a fake Stripe and a fake inventory: Pay, the webhook's state
machine, the success page, cancel and edit with a link open, refunds and reconcile."""

import contextlib
import html
import re
import threading
from datetime import UTC, timedelta

import pytest

from orders_app import editing
from orders_app.clients.inventory import ItemArchived
from orders_app.clients.stripe_client import EXTENSION_KEY, PaymentRefused, SessionNotOpen
from orders_app.extensions import db
from orders_app.jobs import reconcile_payments as reconcile
from orders_app.models import (
    ADJUSTING,
    CANCELLED,
    COMMITTED,
    COMMITTING,
    HELD,
    PAID,
    PENDING,
    RELEASED,
    Order,
    utcnow,
)
from tests.orders_app.fake_stripe import WEBHOOK_SECRET, signed
from tests.orders_app.helpers import (
    actions,
    cancelled_then_paid,
    choose_language,
    database_id,
    deliver,
    fresh,
    logged_in,
    paid_order,
    pay,
    place,
    post_form,
    session_of,
    stored_events,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def lamp(inventory) -> int:
    """An item at $12.50 with 10 in stock."""
    return inventory.add_item("Lamp", 1250, 10)


# ----- Pay -------------------------------------------------------------------------------------


def test_pay_opens_a_checkout_session_for_exactly_this_order(app, alice, inventory, stripe_fake, lamp):
    order_id = place(alice, lamp, 2)
    response = pay(alice, order_id)
    assert response.status_code == 303 and response.headers["Location"].startswith("https://checkout.fake/cs_test_")
    [(_, key)] = [call for call in stripe_fake.calls if call[0] == "create_session"]
    database = database_id(app)
    assert len(database) == 16 and key == f"dev:{database}:order:{order_id}:v1"
    params, _ = stripe_fake.saved[key]
    assert params["metadata"]["shop_database"] == database
    assert params["line_items"] == [
        {"price_data": {"currency": "usd", "unit_amount": 1250, "product_data": {"name": "Lamp"}}, "quantity": 2}
    ]
    assert params["client_reference_id"] == str(order_id) and params["metadata"]["order_id"] == str(order_id)
    assert params["success_url"] == "http://127.0.0.1:8000/orders/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == f"http://127.0.0.1:8000/orders/{order_id}?payment=cancelled"
    assert params["payment_method_types"] == ["card"]
    order = fresh(app, order_id)
    assert params["expires_at"] == int(order.pay_by.replace(tzinfo=UTC).timestamp())
    assert timedelta(minutes=30, seconds=50) < order.pay_by - utcnow() <= timedelta(minutes=31)
    assert order.hold_expires_at == order.pay_by + timedelta(minutes=5)
    assert inventory.holds[f"order-{order_id}"].expires_at == order.hold_expires_at.isoformat() + "Z"
    assert "Payment link" in alice.get(f"/orders/{order_id}").get_data(as_text=True)


def test_paying_twice_reuses_the_open_session_and_htmx_gets_a_redirect_header(alice, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    first = pay(alice, order_id).headers["Location"]
    again = pay(alice, order_id, htmx=True)
    assert again.status_code == 200 and again.headers["HX-Redirect"] == first
    assert stripe_fake.count("create_session") == 1


def test_a_double_clicked_pay_creates_one_session(app, users, stripe_fake, lamp):
    from tests.orders_app.helpers import logged_in

    clients = [logged_in(app, users.records[1]) for _ in range(2)]
    order_id = place(clients[0], lamp, 1)
    both_inside = threading.Barrier(2, timeout=2)

    def wait_for_the_other(method):
        if method == "create_session":
            with contextlib.suppress(threading.BrokenBarrierError):
                both_inside.wait()

    stripe_fake.before_call = wait_for_the_other
    answers = []
    threads = [threading.Thread(target=lambda c=c: answers.append(pay(c, order_id))) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert len(stripe_fake.sessions) == 1
    assert actions(app, order_id).count("payment_link") == 1


@pytest.mark.parametrize(
    ("price", "quantity", "repriced", "message"),
    [
        (10, 5, 6, "Card payments need a total of at least $0.50: add $0.20 more."),
        # was a 503 "Stripe refused to open a payment page" at every Pay
        (60_000_000, 1, 120_000_000, "A card payment can be of at most $999,999.99"),
    ],
    ids=["under-the-minimum", "over-the-maximum"],
)
def test_an_order_stripe_cannot_charge_from_before_the_rule_gets_a_clear_message_and_stays_pending(
    app, alice, stripe_fake, inventory, price, quantity, repriced, message
):
    """Placing refuses such orders now; one written before (here: repriced in the database) is never sent to Stripe."""
    item = inventory.add_item("Sticker or piano", price, 100)
    order_id = place(alice, item, quantity)
    with app.app_context():
        order = db.session.get(Order, order_id)
        [line] = order.lines
        line.unit_price_cents, line.line_total_cents = repriced, repriced * quantity
        order.total_cents = repriced * quantity
        db.session.commit()
    response = pay(alice, order_id)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert fresh(app, order_id).status == PENDING and stripe_fake.count("create_session") == 0


def test_stripe_down_while_paying_says_so_and_the_order_stays_payable(app, alice, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    stripe_fake.down = True
    response = pay(alice, order_id)
    assert response.status_code == 503
    assert "the payment service is not answering; nothing was charged" in response.get_data(as_text=True)
    assert fresh(app, order_id).status == PENDING
    stripe_fake.down = False
    assert pay(alice, order_id).status_code == 303


def test_only_the_customer_pays_and_only_a_pending_order(app, alice, bob, boss, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    assert pay(bob, order_id).status_code == 404
    assert pay(boss, order_id).status_code == 403
    post_form(alice, f"/orders/{order_id}/cancel")
    response = pay(alice, order_id)
    assert response.status_code == 409 and "nothing to pay" in response.get_data(as_text=True)


def test_the_order_page_offers_pay_and_after_coming_back_says_payment_not_completed(alice, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert f'action="/orders/{order_id}/pay"' in page and "Pay $12.50" in page
    back = alice.get(f"/orders/{order_id}?payment=cancelled").get_data(as_text=True)
    assert "Payment not completed" in back and "Pay again $12.50" in back and "Cancel order" in back


# ----- the webhook: one payment, applied once, forward only --------------------------------------


def test_a_paid_session_marks_the_order_paid_and_commits_its_stock(app, alice, inventory, stripe_fake, lamp):
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=2)
    order = fresh(app, order_id)
    assert (order.status, order.hold_state) == (PAID, COMMITTED) and order.paid_at and order.payment_intent
    assert inventory.holds[f"order-{order_id}"].state == "committed" and inventory.stock(lamp) == 8
    assert stored_events(app, order_id) == [("checkout.session.completed", "paid")]
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Payment accepted: the order is paid" in page and "Stock sold" in page
    assert 'id="pay-order"' not in page


def test_one_event_delivered_three_times_is_applied_once(app, alice, inventory, stripe_fake, lamp):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    event = stripe_fake.pay(session_of(app, order_id))
    answers = [deliver(app, event) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.get_json()["outcome"] for a in answers] == ["paid", "duplicate", "duplicate"]
    assert actions(app, order_id).count("paid") == 1 and inventory.calls.count("commit") == 1
    assert len(stored_events(app, order_id)) == 1


def test_expired_then_completed_refunds_the_payment_and_flags_the_order(app, alice, inventory, stripe_fake, lamp):
    order_id, completed = cancelled_then_paid(app, alice, lamp, stripe_fake)
    assert inventory.stock(lamp) == 10
    assert deliver(app, completed).get_json()["outcome"] == "refund_due"
    order = fresh(app, order_id)
    assert order.status == CANCELLED and order.refund_state == "done" and order.refund_id in stripe_fake.refunds
    assert order.needs_attention and "paid after the order was cancelled" in order.attention_reason
    assert inventory.stock(lamp) == 10


def test_completed_then_expired_stays_paid(app, alice, inventory, stripe_fake, lamp):
    order_id = paid_order(app, alice, lamp, stripe_fake)
    late = stripe_fake.event("checkout.session.expired", session_of(app, order_id))
    assert deliver(app, late).get_json()["outcome"] == "late"
    assert fresh(app, order_id).status == PAID and inventory.stock(lamp) == 8


def test_an_amount_that_differs_is_never_accepted_and_the_admin_sees_why(app, alice, boss, stripe_fake, lamp):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    event = stripe_fake.pay(session_of(app, order_id), amount_total=100)
    assert deliver(app, event).get_json()["outcome"] == "amount_mismatch"
    order = fresh(app, order_id)
    assert order.status == PENDING and order.needs_attention
    assert "payment of $1.00 for this order of $25.00" in order.attention_reason
    monitor = boss.get("/orders/admin/?view=attention").get_data(as_text=True)
    assert f"monitor-order-{order_id}" in monitor and "payment of $1.00 for this order of $25.00" in monitor
    assert pay(alice, order_id).status_code == 409  # no second payment while it is looked at
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="pay-order"' not in page and 'id="change-quantity"' not in page  # the page offers no 409
    assert 'id="cancel-order"' in page  # cancelling refunds what Stripe took


def test_an_event_for_an_old_link_changes_nothing_and_an_old_link_paid_is_refunded(app, alice, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    old = session_of(app, order_id)
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 2})  # the old link is expired, a new one made
    pay(alice, order_id)
    assert session_of(app, order_id) != old
    assert deliver(app, stripe_fake.event("checkout.session.expired", old)).get_json()["outcome"] == "stale"
    assert fresh(app, order_id).status == PENDING
    stripe_fake.sessions[old].update(status="open")  # as if Stripe had let it be paid anyway
    assert deliver(app, stripe_fake.pay(old)).get_json()["outcome"] == "stale_paid"
    order = fresh(app, order_id)
    assert order.status == PENDING and order.needs_attention and "old payment link" in order.attention_reason
    assert len(stripe_fake.refunds) == 1


def test_an_old_link_payments_refund_that_fails_later_tells_the_admin_to_refund_it_at_stripe(
    app, alice, stripe_fake, lamp
):
    """The automatic refund of a payment through an old link is not the order's own refund: when it
    fails later, Stripe's events find the order by the refund's metadata and the admin is told, once."""
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    old = session_of(app, order_id)
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 2})
    pay(alice, order_id)
    stripe_fake.sessions[old].update(status="open")
    assert deliver(app, stripe_fake.pay(old)).get_json()["outcome"] == "stale_paid"
    [refund_id] = stripe_fake.refunds
    elsewhere = stripe_fake.finish_refund(refund_id, "failed", "expired_or_canceled_card")
    elsewhere["data"]["object"]["metadata"] = {**elsewhere["data"]["object"]["metadata"], "shop_database": "other"}
    assert deliver(app, elsewhere).get_json()["outcome"] == "ignored"  # another database's order of that number

    updated = stripe_fake.finish_refund(refund_id, "failed", "expired_or_canceled_card")
    assert deliver(app, updated).get_json()["outcome"] == "refund_failed"
    assert deliver(app, {**updated, "id": "evt_failed", "type": "refund.failed"}).get_json()["outcome"] == (
        "refund_unchanged"
    )
    order = fresh(app, order_id)
    assert order.status == PENDING and order.needs_attention and order.refund_state is None
    assert "expired_or_canceled_card" in order.attention_reason and old in order.attention_reason
    assert f"refund {stripe_fake.sessions[old]['payment_intent']} at Stripe" in order.attention_reason
    assert actions(app, order_id).count("refund_failed") == 1


def test_an_old_link_paid_is_flagged_even_when_its_refund_dies_halfway(app, alice, stripe_fake, lamp, monkeypatch):
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    old = session_of(app, order_id)
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 2})  # the old link is expired, a new one made
    pay(alice, order_id)
    stripe_fake.sessions[old].update(status="open")  # paid anyway, as in the test above

    def dies(*args):
        raise RuntimeError("the worker's refund call never finished")

    monkeypatch.setattr(stripe_fake, "refund", dies)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered as Stripe would see it
    paid = stripe_fake.pay(old)
    assert deliver(app, paid).status_code == 500
    assert deliver(app, paid).get_json()["outcome"] == "duplicate"  # Stripe's retry
    order = fresh(app, order_id)
    assert order.status == PENDING and order.needs_attention and stripe_fake.refunds == {}
    assert "old payment link" in order.attention_reason and "refund pi_" in order.attention_reason


@pytest.mark.parametrize(
    "spoil",
    ["forged", "one byte changed", "six minutes old", "no signature"],
)
def test_a_bad_signature_is_a_400_and_changes_nothing(app, alice, stripe_fake, lamp, spoil):
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    event = stripe_fake.pay(session_of(app, order_id))
    body, headers = signed(event)
    if spoil == "forged":
        body, headers = signed(event, "whsec_someone_else")
    elif spoil == "one byte changed":
        body = body.replace(b'"paid"', b'"paie"', 1)
    elif spoil == "six minutes old":
        body, headers = signed(event, timestamp=int(utcnow().timestamp()) - 360)
    else:
        headers.pop("Stripe-Signature")
    response = app.test_client().post("/orders/stripe/webhook", data=body, headers=headers)
    assert response.status_code == 400
    assert fresh(app, order_id).status == PENDING and stored_events(app, order_id) == []


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        "an event",
        {"id": "evt_1"},
        {"id": "evt_1", "type": "x", "data": []},
        {"id": "evt_1", "type": "x", "data": [1]},
        {"id": "evt_1", "type": "x", "data": "text"},
        {"id": "evt_1", "type": "x", "data": {"object": "cs"}},
    ],
)
def test_a_signed_body_that_is_not_an_event_is_a_400_not_a_retry(app, stripe_fake, body):
    """Signed as Stripe signs, but not an event: 400 (a 500 would have Stripe retry it for days)."""
    an_event = {"id": "evt_control", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    assert deliver(app, an_event).get_json() == {"received": True, "outcome": "ignored"}  # signed the same way
    payload, headers = signed(body)
    assert app.test_client().post("/orders/stripe/webhook", data=payload, headers=headers).status_code == 400


@pytest.mark.parametrize(
    "metadata",
    [{"shop_instance": "another-shop"}, {}],
    ids=["another shop's", "no shop named"],
)
def test_events_of_sessions_the_shop_never_made_are_ignored(app, alice, stripe_fake, lamp, metadata):
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    event = {
        "id": "evt_elsewhere",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_elsewhere",
                "status": "complete",
                "payment_status": "paid",
                "payment_intent": "pi_elsewhere",
                "metadata": {"order_id": str(order_id), **metadata},
                "amount_total": 1250,
                "currency": "usd",
            }
        },
    }
    response = deliver(app, event)
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
    order = fresh(app, order_id)
    assert order.status == PENDING and not order.needs_attention and stored_events(app, order_id) == []
    assert stripe_fake.refunds == {}


def test_a_payment_whose_hold_lapsed_takes_the_stock_again(app, alice, inventory, stripe_fake, lamp):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    inventory.release(f"order-{order_id}")  # inventory's own sweeper let the hold go
    deliver(app, stripe_fake.pay(session_of(app, order_id)))
    assert fresh(app, order_id).hold_state == COMMITTED and inventory.stock(lamp) == 8


def _archived(key):
    raise ItemArchived("no longer sold")  # an inventory that answers 410 for an archived item's stock


@pytest.mark.parametrize("gone", ["sold out", "archived"])
def test_a_payment_whose_stock_is_gone_is_refunded_and_the_order_cancelled(
    app, alice, inventory, stripe_fake, lamp, monkeypatch, gone
):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    if gone == "sold out":
        inventory.release(f"order-{order_id}")
        inventory.hold("someone-else", {lamp: 10}, utcnow() + timedelta(hours=1))  # and the stock sold out meanwhile
    else:
        monkeypatch.setattr(inventory, "commit", _archived)
    assert deliver(app, stripe_fake.pay(session_of(app, order_id))).status_code == 200
    order = fresh(app, order_id)
    assert (order.status, order.hold_state, order.refund_state) == (CANCELLED, RELEASED, "done")
    assert order.needs_attention and "stock was gone" in order.attention_reason


def test_an_order_reconcile_cannot_handle_does_not_hold_up_the_others(app, alice, boss, inventory, stripe_fake, lamp):
    stuck = place(alice, lamp, 2)
    pay(alice, stuck)
    inventory.down = True
    deliver(app, stripe_fake.pay(session_of(app, stuck)))  # Paid, its commit pending
    inventory.down = False
    refunded = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    stripe_fake.down = True
    post_form(boss, f"/orders/admin/{refunded}/cancel", {"restock": "y"})  # its refund due
    stripe_fake.down = False

    def broken(key):
        raise RuntimeError("an answer the code does not expect")

    inventory.commit = broken
    with app.app_context():
        assert reconcile() == {"failed": 1, "refunded": 1}
    assert fresh(app, stuck).hold_state == COMMITTING  # tried again next run
    assert fresh(app, refunded).refund_state == "done"


def test_inventory_down_while_fulfilling_marks_paid_and_reconcile_commits_later(
    app, alice, inventory, stripe_fake, lamp
):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    inventory.down = True
    response = deliver(app, stripe_fake.pay(session_of(app, order_id)))
    assert response.status_code == 200 and response.get_json()["outcome"] == "paid"
    order = fresh(app, order_id)
    assert (order.status, order.hold_state) == (PAID, COMMITTING)
    assert "stock being committed" in alice.get(f"/orders/{order_id}").get_data(as_text=True)
    with app.app_context():
        assert reconcile() == {"commit_pending": 1}
    inventory.down = False
    with app.app_context():
        assert reconcile() == {"committed": 1}
    assert fresh(app, order_id).hold_state == COMMITTED and inventory.stock(lamp) == 8


# ----- the success page and reconcile --------------------------------------------------------------


def test_the_success_page_fulfils_from_the_session_before_the_webhook(app, alice, inventory, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    session_id = session_of(app, order_id)
    waiting = alice.get(f"/orders/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert "Waiting for Stripe to confirm" in waiting and 'hx-trigger="every 2s"' in waiting
    late_webhook = stripe_fake.pay(session_id)
    fragment = alice.get(f"/orders/checkout/success?session_id={session_id}", headers=HX).get_data(as_text=True)
    assert "Payment received" in fragment and "<html" not in fragment and "hx-trigger" not in fragment
    assert fresh(app, order_id).status == PAID and inventory.stock(lamp) == 9
    assert deliver(app, late_webhook).get_json()["outcome"] == "already_paid"
    assert actions(app, order_id).count("paid") == 1


def test_stripes_word_after_the_success_page_reads_as_a_confirmation(app, alice, stripe_fake, lamp):
    """The customer pays, the success page marks the order paid, then Stripe's webhook comes: the only
    line of the order page's payment timeline read "Already paid: nothing to do" ("Já pago: nada a
    fazer"), as if the payment had done nothing."""
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    session_id = session_of(app, order_id)
    late_webhook = stripe_fake.pay(session_id)
    alice.get(f"/orders/checkout/success?session_id={session_id}")
    assert deliver(app, late_webhook).get_json()["outcome"] == "already_paid"
    for language, said in (
        ("en", "Stripe confirms the payment; the order was already marked paid"),
        ("pt_BR", "O Stripe confirma o pagamento; o pedido já estava marcado como pago"),
    ):
        choose_language(alice, language)
        timeline = alice.get(f"/orders/{order_id}").get_data(as_text=True).split('id="payment-timeline"')[1]
        assert said in timeline.split("</table>")[0]
        assert "nothing to do" not in timeline and "nada a fazer" not in timeline.split("</table>")[0]


def test_a_success_page_left_open_stops_asking_stripe_after_ten_minutes(app, alice, stripe_fake, lamp):
    """Each of its checks asks Stripe too: a tab forgotten on it must not ask every 2 seconds for ever."""
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    session_id = session_of(app, order_id)
    page = alice.get(f"/orders/checkout/success?session_id={session_id}").get_data(as_text=True)
    asked = re.search(r'hx-get="([^"]+)" hx-trigger="every 2s"', page)
    assert asked and html.unescape(asked.group(1)).endswith("asked=1")
    calls = len(stripe_fake.calls)
    last = alice.get(f"/orders/checkout/success?session_id={session_id}&asked=299", headers=HX).get_data(as_text=True)
    assert 'hx-get="' in last and html.unescape(re.search(r'hx-get="([^"]+)"', last).group(1)).endswith("asked=300")
    stopped = alice.get(f"/orders/checkout/success?session_id={session_id}&asked=300", headers=HX).get_data(
        as_text=True
    )
    assert "hx-trigger" not in stopped and "This page stopped checking by itself." in stopped
    assert "Check again" in stopped and len(stripe_fake.calls) == calls + 2  # it asked once more, and stopped
    stripe_fake.pay(session_id)  # paid later: "Check again" finds it
    assert "Payment received" in alice.get(f"/orders/checkout/success?session_id={session_id}").get_data(as_text=True)


def test_the_success_page_of_someone_elses_session_is_a_404(app, alice, bob, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    assert bob.get(f"/orders/checkout/success?session_id={session_of(app, order_id)}").status_code == 404
    assert alice.get("/orders/checkout/success?session_id=cs_nothing").status_code == 404


def test_reconcile_applies_what_stripe_says_when_webhooks_were_missed(app, alice, bob, inventory, stripe_fake, lamp):
    paid = place(alice, lamp, 1)
    expired = place(bob, lamp, 2)
    untouched = place(bob, lamp, 1)
    for order_id in (paid, expired, untouched):
        pay(alice if order_id == paid else bob, order_id)
    stripe_fake.pay(session_of(app, paid))  # the events are never delivered
    stripe_fake.expire(session_of(app, expired))
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0 and '"paid": 1' in result.output and '"released": 1' in result.output
    assert fresh(app, paid).status == PAID and fresh(app, expired).status == CANCELLED
    assert fresh(app, untouched).status == PENDING
    assert inventory.stock(lamp) == 10 - 1 - 1
    assert fresh(app, paid).events[-2].actor == "reconcile"
    with app.app_context():
        assert reconcile() == {}  # and a second run finds nothing to do


def test_reconcile_pages_through_every_order_it_must_ask_about(app, alice, stripe_fake, lamp):
    orders = [place(alice, lamp, 1) for _ in range(3)]
    for order_id in orders:
        pay(alice, order_id)
        stripe_fake.pay(session_of(app, order_id))
    with app.app_context():
        assert reconcile(batch=2) == {"paid": 3}
    assert {fresh(app, order_id).status for order_id in orders} == {PAID}


def test_the_jobs_process_reconciles_payments_every_minute_or_so():
    from orders_app.jobs import PERIODIC

    jobs = {name: (every, function) for name, every, function in PERIODIC}
    every, function = jobs["orders.reconcile_payments"]
    assert every <= 120 and function is reconcile


# ----- cancel and edit with a link open ------------------------------------------------------------


def test_cancelling_expires_the_link_at_stripe_first(app, alice, inventory, stripe_fake, lamp):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    session_id = session_of(app, order_id)
    response = post_form(alice, f"/orders/{order_id}/cancel", htmx=True)
    assert ">Cancelled<" in response.get_data(as_text=True)
    assert stripe_fake.sessions[session_id]["status"] == "expired" and inventory.stock(lamp) == 10
    assert deliver(app, stripe_fake.event("checkout.session.expired", session_id)).get_json()["outcome"] == "late"


def test_cancelling_a_link_that_was_just_paid_fulfils_instead(app, alice, inventory, stripe_fake, lamp):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    stripe_fake.pay(session_of(app, order_id))  # paid, the webhook not there yet
    response = post_form(alice, f"/orders/{order_id}/cancel", htmx=True)
    assert "This order was just paid" in response.get_data(as_text=True)
    order = fresh(app, order_id)
    assert (order.status, order.hold_state) == (PAID, COMMITTED) and inventory.stock(lamp) == 8


def test_cancelling_while_stripe_is_down_is_refused_and_changes_nothing(app, alice, inventory, stripe_fake, lamp):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    stripe_fake.down = True
    response = post_form(alice, f"/orders/{order_id}/cancel", htmx=True)
    assert "the payment service is not answering" in response.get_data(as_text=True)
    assert fresh(app, order_id).status == PENDING and inventory.stock(lamp) == 8


def test_cancelling_when_stripe_refuses_to_close_a_link_still_open_changes_nothing(
    app, alice, inventory, stripe_fake, lamp, monkeypatch
):
    """Stripe refused the expire for another reason than a closed session (a restricted key, say): the
    link was still open, yet the order was cancelled and its stock returned, so the customer could
    still pay a cancelled order, and the shop refund them automatically."""
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    session_id = session_of(app, order_id)

    def refuse(session_id):
        raise SessionNotOpen("The provided key does not have the required permissions for this endpoint.")

    monkeypatch.setattr(stripe_fake, "expire_session", refuse)
    response = post_form(alice, f"/orders/{order_id}/cancel", htmx=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "would not close this order's payment link just now; nothing was changed" in page
    assert stripe_fake.sessions[session_id]["status"] == "open"
    assert fresh(app, order_id).status == PENDING and inventory.stock(lamp) == 8


def test_an_edit_expires_the_open_link_and_the_next_pay_makes_a_new_one(app, alice, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    first = pay(alice, order_id).headers["Location"]
    old = session_of(app, order_id)
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 3, "version": fresh(app, order_id).version})
    assert stripe_fake.sessions[old]["status"] == "expired"
    assert fresh(app, order_id).payment_url() is None
    second = pay(alice, order_id).headers["Location"]
    assert second != first
    new = stripe_fake.sessions[session_of(app, order_id)]
    assert new["amount_total"] == 3750
    keys = [call[1] for call in stripe_fake.calls if call[0] == "create_session"]
    assert len(set(keys)) == 2  # a new link never reuses the old key
    # the expired event of the old link arrives now: it is stale, and the order stays payable
    assert deliver(app, stripe_fake.event("checkout.session.expired", old)).get_json()["outcome"] == "stale"
    assert fresh(app, order_id).status == PENDING


def test_a_pay_that_meets_an_edit_under_way_hands_out_no_link(app, alice, stripe_fake, lamp):
    """Pay read the order, then an edit claimed it while Stripe made the session: that session is
    for the old lines, so it is expired and the customer looks again."""
    order_id = place(alice, lamp, 1)

    def edit_claims_it(method):
        if method == "create_session":
            with app.app_context():  # as change_lines' claim leaves it while inventory is asked
                db.session.get(Order, order_id).hold_state = ADJUSTING
                db.session.commit()

    stripe_fake.before_call = edit_claims_it
    response = pay(alice, order_id)
    stripe_fake.before_call = None
    assert response.status_code == 409
    [made] = stripe_fake.sessions.values()
    assert made["status"] == "expired" and fresh(app, order_id).stripe_session_id is None


def test_pay_again_after_an_edit_that_was_refused_meanwhile_gives_a_link_that_opens(
    app, users, inventory, stripe_fake, lamp
):
    """One tab's Pay met an edit from another tab under way (its new link was expired); the edit was
    then refused (too few in stock), so the order is as it was, same version. Pay again must not hand
    out that expired link: Stripe answers a repeated idempotency key with its first answer ("open"),
    and the order would keep a link nobody can pay, then be cancelled when Stripe's `expired` comes."""
    paying_tab, editing_tab = logged_in(app, users.records[1]), logged_in(app, users.records[1])
    order_id = place(paying_tab, lamp, 1)
    version = fresh(app, order_id).version
    asking_stripe, edit_claimed, pay_done = threading.Event(), threading.Event(), threading.Event()
    answers = {}

    def pay_waits_for_the_edits_claim(method):
        if method == "create_session":
            asking_stripe.set()
            assert edit_claimed.wait(10)

    def edit_waits_for_the_pay(method, args):
        if method == "change_hold" and args[1] is not None:
            edit_claimed.set()
            assert pay_done.wait(10)

    def paying():
        answers["pay"] = pay(paying_tab, order_id).status_code
        pay_done.set()

    stripe_fake.before_call, inventory.before_call = pay_waits_for_the_edits_claim, edit_waits_for_the_pay
    tab = threading.Thread(target=paying)
    tab.start()
    assert asking_stripe.wait(10)
    edit = post_form(editing_tab, f"/orders/{order_id}/edit", {"quantity": 20, "version": version})
    tab.join(10)
    stripe_fake.before_call = inventory.before_call = None
    assert (answers["pay"], edit.status_code) == (409, 409)  # the Pay met the edit; the edit found too few
    [expired] = stripe_fake.sessions.values()
    assert expired["status"] == "expired"

    response = pay(paying_tab, order_id)
    assert response.status_code == 303
    order = fresh(app, order_id)
    assert stripe_fake.sessions[order.stripe_session_id]["status"] == "open"
    assert response.headers["Location"] == stripe_fake.sessions[order.stripe_session_id]["url"]
    # Stripe's event about the link the shop expired changes nothing: the order stays payable.
    assert deliver(app, stripe_fake.event("checkout.session.expired", expired["id"])).get_json()["outcome"] == "stale"
    assert fresh(app, order_id).status == PENDING


def test_an_edit_that_meets_a_new_link_changes_nothing(app, alice, stripe_fake, lamp, monkeypatch):
    """A Pay made a link between the edit's closing of the old one and its claim: the edit is
    refused, so the link the customer holds is for the order as it is."""
    order_id = place(alice, lamp, 1)
    real_close = editing.close_session

    def then_pay(*args):
        real_close(*args)
        assert pay(alice, order_id).status_code == 303  # another tab

    monkeypatch.setattr(editing, "close_session", then_pay)
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 3, "version": fresh(app, order_id).version})
    assert response.status_code == 409
    order = fresh(app, order_id)
    assert (order.line_quantities, order.hold_state) == ({lamp: 1}, HELD)
    assert stripe_fake.sessions[order.stripe_session_id]["amount_total"] == 1250
    monkeypatch.undo()
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 3, "version": order.version})  # again: now it goes
    assert fresh(app, order_id).line_quantities == {lamp: 3}
    assert stripe_fake.sessions[order.stripe_session_id]["status"] == "expired"


def test_an_expired_link_cancels_the_order_and_returns_the_stock(app, alice, inventory, stripe_fake, lamp):
    order_id = place(alice, lamp, 4)
    pay(alice, order_id)
    assert deliver(app, stripe_fake.expire(session_of(app, order_id))).get_json()["outcome"] == "released"
    order = fresh(app, order_id)
    assert (order.status, order.hold_state) == (CANCELLED, RELEASED) and inventory.stock(lamp) == 10


def test_the_sweeper_expires_the_link_before_cancelling_an_overdue_order(app, alice, inventory, stripe_fake, lamp):
    from orders_app.jobs import sweep

    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    session_id = session_of(app, order_id)
    with app.app_context():
        assert sweep(now=utcnow() + timedelta(minutes=40)) == {"expired": 1}
    assert stripe_fake.sessions[session_id]["status"] == "expired" and fresh(app, order_id).status == CANCELLED


def test_the_sweeper_stops_asking_stripe_once_it_is_down_and_still_cancels_orders_without_a_link(
    app, alice, inventory, stripe_fake, lamp
):
    """Every Stripe call that does not answer costs the jobs process its timeouts, and the jobs process
    also releases inventory's lapsed holds and sends the e-mail: one order found Stripe down is enough."""
    from orders_app.jobs import sweep

    with_links = [place(alice, lamp, 1) for _ in range(3)]
    for order_id in with_links:
        pay(alice, order_id)
    without_link = place(alice, lamp, 1)
    stripe_fake.down = True
    later = utcnow() + timedelta(minutes=40)
    with app.app_context():
        assert sweep(now=later) == {"stripe_unavailable": 1, "expired": 1}
    assert stripe_fake.count("expire_session") == 1
    assert [fresh(app, order_id).status for order_id in with_links] == [PENDING] * 3
    assert fresh(app, without_link).status == CANCELLED  # it needs no Stripe call to be cancelled

    stripe_fake.down = False
    with app.app_context():
        assert sweep(now=later) == {"expired": 3}
    assert [fresh(app, order_id).status for order_id in with_links] == [CANCELLED] * 3


def test_an_overdue_order_whose_link_stripe_does_not_know_holds_up_no_other(
    app, alice, inventory, stripe_fake, lamp, monkeypatch
):
    """Stripe answers 404 for a session of other keys (the shop went from test keys to live ones with
    orders still Pending). The sweeper raised on that order at every run, and never reached the overdue
    orders after it: they stayed Pending for good, counting against each customer's limit."""
    from orders_app.jobs import sweep

    unknown, known = place(alice, lamp, 1), place(alice, lamp, 1)
    for order_id in (unknown, known):
        pay(alice, order_id)
    lost = session_of(app, unknown)
    real_expire, real_retrieve = stripe_fake.expire_session, stripe_fake.retrieve_session

    def expire(session_id):
        if session_id == lost:
            raise SessionNotOpen(f"No such checkout.session: '{session_id}'")  # as the gateway turns Stripe's 404
        return real_expire(session_id)

    def retrieve(session_id):
        if session_id == lost:
            raise PaymentRefused(f"No such checkout.session: '{session_id}'", "resource_missing", "session")
        return real_retrieve(session_id)

    monkeypatch.setattr(stripe_fake, "expire_session", expire)
    monkeypatch.setattr(stripe_fake, "retrieve_session", retrieve)
    with app.app_context():
        assert sweep(now=utcnow() + timedelta(minutes=40)) == {"failed": 1, "expired": 1}
    assert fresh(app, known).status == CANCELLED
    assert fresh(app, unknown).status == PENDING


def test_a_link_past_its_deadline_is_replaced_while_the_stock_is_still_held(app, alice, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    old = session_of(app, order_id)
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.pay_by = utcnow() - timedelta(seconds=5)  # Stripe let it lapse; its event is not here yet
        db.session.commit()
    stripe_fake.sessions[old].update(status="expired", url=None)
    response = pay(alice, order_id)
    assert response.status_code == 303 and session_of(app, order_id) != old
    assert fresh(app, order_id).hold_state == HELD


# ----- an admin cancels a paid order -------------------------------------------------------------


@pytest.mark.parametrize("restock", [True, False], ids=["restock", "keep-sold"])
def test_an_admin_refunds_a_paid_order_with_or_without_restock(app, alice, boss, inventory, stripe_fake, lamp, restock):
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=3)
    form = {"restock": "y"} if restock else {}
    response = post_form(boss, f"/orders/admin/{order_id}/cancel", form, htmx=True)
    assert response.status_code == 200 and ">Cancelled<" in response.get_data(as_text=True)
    order = fresh(app, order_id)
    assert order.status == CANCELLED and order.refund_state == "done" and order.refund_id in stripe_fake.refunds
    assert [call[1] for call in stripe_fake.calls if call[0] == "refund"] == [
        f"dev:{database_id(app)}:refund:{order_id}"
    ]
    assert inventory.stock(lamp) == (10 if restock else 7)
    assert order.hold_state == (RELEASED if restock else COMMITTED)
    charge_refunded = {
        "id": "evt_refunded",
        "type": "charge.refunded",
        "data": {
            "object": {"id": "ch_1", "payment_intent": order.payment_intent, "amount_refunded": 3750, "currency": "usd"}
        },
    }
    assert deliver(app, charge_refunded).get_json()["outcome"] == "refund_recorded"
    assert fresh(app, order_id).status == CANCELLED


def refunded_at_stripe(app, order_id: int, intent: str, amount: int, event_id: str) -> dict:
    """charge.refunded of a refund made in Stripe's dashboard; the charge carries its PaymentIntent's
    metadata, as Stripe copies it."""
    metadata = {"order_id": str(order_id), "shop_instance": "dev", "shop_database": database_id(app)}
    charge = {
        "id": f"ch_{event_id}",
        "object": "charge",
        "payment_intent": intent,
        "amount": amount,
        "amount_refunded": amount,
        "refunded": True,
        "currency": "usd",
        "metadata": metadata,
    }
    return {"id": event_id, "type": "charge.refunded", "data": {"object": charge}}


def test_a_refund_made_at_stripe_is_flagged_on_the_paid_order(app, alice, stripe_fake, lamp):
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=2)
    refund = refunded_at_stripe(app, order_id, fresh(app, order_id).payment_intent, 2500, "evt_dashboard")
    assert deliver(app, refund).get_json()["outcome"] == "external_refund"
    order = fresh(app, order_id)
    assert order.status == PAID and order.needs_attention
    assert "$25.00 was refunded at Stripe outside the shop; the order is still Paid" in order.attention_reason


def test_a_refund_made_at_stripe_before_the_shop_saw_the_payment_is_flagged_too(app, alice, stripe_fake, lamp):
    """The payment's checkout.session.completed did not get through yet (the shop answered 500,
    Stripe retries later) when someone refunded the charge in Stripe's dashboard: its charge.refunded
    named a payment the shop did not know, and was dropped. The payment then came in, and the order
    was Paid, its stock sold, with nothing telling anyone the money had gone back."""
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    session_id = session_of(app, order_id)
    completed = stripe_fake.pay(session_id)  # paid at Stripe; its event still to come
    intent = stripe_fake.sessions[session_id]["payment_intent"]
    refund = refunded_at_stripe(app, order_id, intent, 2500, "evt_dashboard_early")
    assert deliver(app, refund).get_json()["outcome"] == "external_refund"
    assert deliver(app, completed).get_json()["outcome"] == "already_paid"
    order = fresh(app, order_id)
    assert order.status == PAID and order.payment_intent == intent and order.needs_attention
    assert "$25.00 was refunded at Stripe outside the shop; the order is still Paid" in order.attention_reason


def test_a_paid_orders_refund_restocks_by_default_and_its_question_names_the_stock(app, alice, boss, stripe_fake, lamp):
    """As the API: the box is ticked until the admin unticks it; the monitor's refreshes keep the
    admin's choice (the box is preserved by its id) and the question asked says what the stock does."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=3)
    monitor = boss.get("/orders/admin/").get_data(as_text=True)
    row = re.search(rf'<tr id="monitor-order-{order_id}">(.*?)</tr>', monitor, re.S).group(1)
    box = re.search(r'<input type="checkbox" name="restock"[^>]*>', row).group(0)
    assert " checked " in box and f'id="restock-{order_id}"' in box and 'hx-preserve="true"' in box
    asked = f"Cancel paid order #{order_id} of alice and refund $37.50?"
    assert f'hx-confirm="{asked} Its stock goes back on sale."' in row
    assert f'data-confirm-checked="{asked} Its stock goes back on sale."' in box
    assert f'data-confirm-unchecked="{asked} Its stock is not returned: it stays sold."' in box
    # An action is not lost to a refresh nor to another row's action (tests/browser/test_orders_flow.py).
    assert 'hx-sync="closest #monitor-results:queue all"' in monitor and 'hx-sync="this:abort"' in monitor
    page = boss.get(f"/orders/{order_id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="refund-form".*?</form>', page, re.S).group(0)
    assert re.search(r'<input checked[^>]*name="restock"', form) or re.search(r'name="restock"[^>]*checked', form)


@pytest.mark.parametrize("refund_reaches_inventory", ["first", "last"])
def test_a_commit_racing_a_refund_with_restock_leaves_the_stock_on_hand(
    app, alice, boss, inventory, stripe_fake, lamp, refund_reaches_inventory
):
    """Reconcile commits a Paid order's stock while an admin refunds it with restock: whichever
    reaches inventory last, the units end back on hand. The history says they went back once, or
    twice when the late commit took them again in between."""
    order_id = place(alice, lamp, 3)
    pay(alice, order_id)
    inventory.down = True
    deliver(app, stripe_fake.pay(session_of(app, order_id)))  # Paid, its commit pending
    inventory.down = False
    assert fresh(app, order_id).hold_state == COMMITTING and inventory.stock(lamp) == 7

    def refund(method, args):
        if method == "commit":  # reconcile read `committing` and is calling inventory
            inventory.before_call = inventory.after_call = None
            assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}).status_code == 303

    if refund_reaches_inventory == "first":
        inventory.before_call = refund
    else:
        inventory.after_call = refund
    with app.app_context():
        reconcile()
    order = fresh(app, order_id)
    assert (order.status, order.refund_state, order.hold_state) == (CANCELLED, "done", RELEASED)
    assert inventory.stock(lamp) == 10 and inventory.holds[f"order-{order_id}"].state == "released"
    assert actions(app, order_id).count("stock_released") == (2 if refund_reaches_inventory == "first" else 1)


def test_a_refund_while_stripe_is_down_is_retried_by_reconcile(app, alice, boss, inventory, stripe_fake, lamp):
    order_id = paid_order(app, alice, lamp, stripe_fake)
    stripe_fake.down = True
    response = post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"})
    assert response.status_code == 303
    order = fresh(app, order_id)
    assert order.status == CANCELLED and order.refund_state == "due"
    stripe_fake.down = False
    with app.app_context():
        assert reconcile() == {"refunded": 1}
    assert fresh(app, order_id).refund_state == "done" and len(stripe_fake.refunds) == 1


def refund_later(app, boss, order_id, stripe_fake, status: str) -> str:
    """An admin refunds the Paid order; Stripe takes the refund as `status`: its id."""
    stripe_fake.refund_status = status
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}).status_code == 303
    return fresh(app, order_id).refund_id


def test_a_pending_refund_is_in_progress_until_stripe_says_it_succeeded(app, alice, boss, stripe_fake, lamp):
    """A refund Stripe took as `pending` is not done: the customer reads "refund in progress", not
    "refunded", until charge.refund.updated says it succeeded; a repeat of it changes nothing."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    refund_id = refund_later(app, boss, order_id, stripe_fake, "pending")
    assert fresh(app, order_id).refund_state == "pending"
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="refund-pending"' in page and 'id="refunded"' not in page

    succeeded = stripe_fake.finish_refund(refund_id, "succeeded")
    assert deliver(app, succeeded).get_json()["outcome"] == "refund_recorded"
    assert deliver(app, succeeded).get_json()["outcome"] == "duplicate"
    assert deliver(app, stripe_fake.finish_refund(refund_id, "succeeded")).get_json()["outcome"] == "refund_unchanged"
    order = fresh(app, order_id)
    assert (order.refund_state, order.needs_attention) == ("done", False)
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="refunded"' in page and 'id="refund-pending"' not in page
    assert actions(app, order_id).count("refunded") == 1 and actions(app, order_id).count("refund_pending") == 1


def test_the_payment_page_of_an_order_whose_refund_is_pending_says_it_is_being_refunded(
    app, alice, boss, stripe_fake, lamp
):
    """Back on the success page (its link in the browser's history): "is refunded (in progress)" said
    the money was back and that it was not; pt-BR read "foi reembolsado (em andamento)"."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    refund_later(app, boss, order_id, stripe_fake, "pending")
    success = f"/orders/checkout/success?session_id={session_of(app, order_id)}"
    page = alice.get(success).get_data(as_text=True)
    assert "Your payment is being refunded." in page and "is refunded" not in page
    page = alice.get(success, headers={"Accept-Language": "pt-BR"}).get_data(as_text=True)
    assert "Seu pagamento está sendo estornado." in page


@pytest.mark.parametrize("taken_as", ["succeeded", "pending"])
def test_a_refund_that_fails_later_is_flagged_and_shown_as_still_owed(
    app, alice, boss, stripe_fake, lamp, taken_as
):
    """Test card 4000000000005126: Stripe takes the refund (succeeded, or pending) and later it fails
    (the card was closed). The admin is told why; the customer's page says the shop still owes it;
    Stripe's second event about the same failure, and the charge.refunded it sent when it took the
    refund delivered late, change nothing."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    refund_id = refund_later(app, boss, order_id, stripe_fake, taken_as)
    taken = fresh(app, order_id)
    charge = {"id": "ch_1", "payment_intent": taken.payment_intent, "currency": "usd"}
    charge_refunded = {
        "id": "evt_charge_refunded",
        "type": "charge.refunded",
        "created": int(taken.updated_at.replace(tzinfo=UTC).timestamp()) - 1,
        "data": {"object": {**charge, "amount_refunded": 1250, "refunded": True}},
    }

    updated = stripe_fake.finish_refund(refund_id, "failed", "expired_or_canceled_card")
    failed = {**updated, "id": "evt_refund_failed", "type": "refund.failed"}
    assert deliver(app, updated).get_json()["outcome"] == "refund_failed"
    assert deliver(app, failed).get_json()["outcome"] == "refund_unchanged"
    assert deliver(app, charge_refunded).get_json()["outcome"] == "refund_recorded"
    order = fresh(app, order_id)
    assert (order.refund_state, order.needs_attention) == ("failed", True)
    assert "expired_or_canceled_card" in order.attention_reason and order.payment_intent in order.attention_reason
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="refund-failed"' in page and 'id="refunded"' not in page and 'id="refund-pending"' not in page
    assert actions(app, order_id).count("refund_failed") == 1


def test_reconcile_asks_stripe_about_a_refund_pending_for_a_while_whose_event_never_came(
    app, alice, boss, stripe_fake, lamp
):
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    refund_id = refund_later(app, boss, order_id, stripe_fake, "pending")
    with app.app_context():
        assert "refund_still_pending" not in reconcile()  # just taken: its event is on the way
        app.config["ORDERS_STALE_SECONDS"] = 0
        assert reconcile() == {"refund_still_pending": 1}
        stripe_fake.finish_refund(refund_id, "failed", "expired_or_canceled_card")  # its events are lost
        _next_refund_check_is_due(order_id)
        assert reconcile() == {"refund_settled": 1}
        assert reconcile() == {}
    order = fresh(app, order_id)
    assert (order.refund_state, order.needs_attention) == ("failed", True)
    assert "expired_or_canceled_card" in order.attention_reason
    assert 'id="refund-failed"' in alice.get(f"/orders/{order_id}").get_data(as_text=True)


def _next_refund_check_is_due(order_id: int, pending_for: timedelta | None = None) -> None:
    """As if time passed: the refund's next check is due (and it was taken `pending_for` ago)."""
    order = db.session.get(Order, order_id)
    order.stripe_next_check_at = utcnow()
    if pending_for is not None:
        for event in order.events:
            if event.action == "refund_pending":
                event.at = utcnow() - pending_for
    db.session.commit()


def test_reconcile_asks_about_a_refund_pending_for_days_less_and_less_often(app, alice, boss, stripe_fake, lamp):
    """Reconcile asked Stripe about every pending refund at every run (each minute), for as long as
    it stayed pending (days, for a card to a closed account): hundreds of them ran into Stripe's rate
    limit (25 calls a second in test mode, 100 live). Now the gap grows with the refund's age."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    refund_later(app, boss, order_id, stripe_fake, "pending")
    app.config["ORDERS_STALE_SECONDS"] = 0
    with app.app_context():
        assert reconcile() == {"refund_still_pending": 1}
        for _ in range(3):
            assert reconcile() == {}  # asked a moment ago: not at every run
        assert stripe_fake.count("retrieve_refund") == 1
        ages_and_gaps = ((timedelta(minutes=10), timedelta(minutes=10)), (timedelta(days=3), timedelta(hours=6)))
        for pending_for, gap in ages_and_gaps:
            _next_refund_check_is_due(order_id, pending_for)
            assert reconcile() == {"refund_still_pending": 1}
            asked_again = db.session.get(Order, order_id).stripe_next_check_at - utcnow()
            assert abs(asked_again - gap) < timedelta(minutes=1)
    assert stripe_fake.count("retrieve_refund") == 3


def test_a_refund_event_before_the_shop_recorded_its_refund_is_asked_again(app, alice, boss, stripe_fake, lamp):
    """Stripe's event about the refund can come before the refund call's answer is written: it is
    answered 500 (Stripe sends it again), not dropped; a refund the shop never made is ignored."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    stripe_fake.down = True
    post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"})
    stripe_fake.down = False
    intent = fresh(app, order_id).payment_intent
    refund = {"id": "re_early", "object": "refund", "payment_intent": intent, "status": "failed", "amount": 1250}
    early = {"id": "evt_early", "type": "refund.failed", "data": {"object": refund}}
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert deliver(app, early).status_code == 500
    assert fresh(app, order_id).refund_state == "due"
    other = {**early, "data": {"object": {**refund, "payment_intent": "pi_other"}}}
    assert deliver(app, other).get_json()["outcome"] == "ignored"


def test_a_customer_cannot_refund(alice, stripe_fake, app, inventory, lamp):
    order_id = paid_order(app, alice, lamp, stripe_fake)
    stock = inventory.stock(lamp)
    assert post_form(alice, f"/orders/admin/{order_id}/cancel").status_code == 403
    order = fresh(app, order_id)
    assert (order.status, order.refund_state) == (PAID, None) and stripe_fake.refunds == {}
    assert inventory.stock(lamp) == stock


# ----- JSON API and readiness ----------------------------------------------------------------------


def test_the_api_checkout_answers_the_url_and_the_order_shows_it(app, alice, bearer, stripe_fake, lamp):
    order_id = place(alice, lamp, 1)
    client = app.test_client()
    response = client.post(f"/orders/api/orders/{order_id}/checkout", headers=bearer("alice"))
    assert response.status_code == 200 and response.get_json()["url"].startswith("https://checkout.fake/")
    shown = client.get(f"/orders/api/orders/{order_id}", headers=bearer("alice")).get_json()
    assert shown["payment_url"] == response.get_json()["url"]
    assert client.post(f"/orders/api/orders/{order_id}/checkout", headers=bearer("bob")).status_code == 404
    stripe_fake.down = True
    client.post(f"/orders/api/orders/{order_id}/cancel", headers=bearer("alice"))
    assert fresh(app, order_id).status == PENDING


def test_an_admin_refunds_a_paid_order_through_the_api(app, alice, bearer, inventory, stripe_fake, lamp):
    client = app.test_client()
    kept = paid_order(app, alice, lamp, stripe_fake, quantity=3)
    url = f"/orders/api/orders/{kept}/cancel"
    refused = client.post(url, headers=bearer("alice"))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "not_pending"
    wrong = client.post(url, json={"restock": "no"}, headers=bearer("boss"))
    assert wrong.status_code == 422 and wrong.get_json()["error"]["field"] == "restock"
    assert (fresh(app, kept).status, stripe_fake.refunds) == (PAID, {})

    response = client.post(url, json={"restock": False}, headers=bearer("boss"))
    assert response.status_code == 200 and response.get_json()["status"] == CANCELLED
    order = fresh(app, kept)
    assert (order.refund_state, order.hold_state) == ("done", COMMITTED) and order.refund_id in stripe_fake.refunds
    assert inventory.stock(lamp) == 7  # not restocked

    restocked = paid_order(app, alice, lamp, stripe_fake, quantity=2)
    response = client.post(f"/orders/api/orders/{restocked}/cancel", headers=bearer("boss"))  # no body: restock
    assert response.status_code == 200 and fresh(app, restocked).hold_state == RELEASED
    assert inventory.stock(lamp) == 7 and len(stripe_fake.refunds) == 2
    again = client.post(f"/orders/api/orders/{restocked}/cancel", headers=bearer("boss"))
    assert again.status_code == 409 and len(stripe_fake.refunds) == 2


def test_readyz_says_whether_stripe_is_configured(app):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x")
    checks = app.test_client().get("/orders/readyz").get_json()["checks"]
    assert checks["stripe"] == "ok" and "inventory" in checks
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    checks = app.test_client().get("/orders/readyz").get_json()["checks"]
    assert "STRIPE_WEBHOOK_SECRET" in checks["stripe"]


# ----- a new database beside the same Stripe account (issue 18, item 7) ---------------------------


def test_a_new_database_pays_its_order_1_and_ignores_the_old_order_1s_events(tmp_path, inventory, users, stripe_fake):
    """The shop starts again on an empty database while Stripe (the emulator's store) remembers the
    old one's keys and sessions: the new order 1 gets its own link, and the old order 1's events
    name no order."""
    from orders_app import create_app
    from orders_app.clients.inventory import EXTENSION_KEY as INVENTORY_KEY
    from tests.helpers import make_app
    from tests.orders_app.helpers import logged_in

    lamp = inventory.add_item("Lamp", 1250, 10)

    def shop(folder: str):
        (tmp_path / folder).mkdir()
        app = make_app(create_app, "orders", tmp_path / folder, SHOP_PAYMENT_WINDOW_MINUTES=30)
        app.extensions["shop_find_user"] = users.find_user
        app.extensions[INVENTORY_KEY] = inventory
        app.extensions[EXTENSION_KEY] = stripe_fake
        app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
        return app

    old = shop("old")
    old_order = place(logged_in(old, users.records[1]), lamp, 2)
    assert pay(logged_in(old, users.records[1]), old_order).status_code == 303
    old_session = session_of(old, old_order)

    new = shop("new")
    assert database_id(new) != database_id(old)
    alice = logged_in(new, users.records[1])
    new_order = place(alice, lamp, 2)
    assert new_order == old_order == 1
    response = pay(alice, new_order)  # the same order id and version: a key of its own all the same
    assert response.status_code == 303
    new_session = session_of(new, new_order)
    assert new_session != old_session

    for event in (stripe_fake.pay(old_session), stripe_fake.event("checkout.session.expired", old_session)):
        assert deliver(new, event).get_json()["outcome"] == "ignored"
    order = fresh(new, new_order)
    assert order.status == PENDING and not order.needs_attention and stored_events(new, new_order) == []
    assert stripe_fake.refunds == {}

    assert deliver(new, stripe_fake.pay(new_session)).get_json()["outcome"] == "paid"
    assert fresh(new, new_order).status == PAID


def timeline_of(client, order_id: int) -> str:
    page = client.get(f"/orders/{order_id}").get_data(as_text=True)
    return html.unescape(re.sub(r"<[^>]+>", " ", page.split('id="payment-timeline"')[1].split("</table>")[0]))


def test_a_payment_link_expired_after_a_cancel_reads_in_plain_words(app, alice, boss, stripe_fake, lamp):
    """A customer who cancelled read "checkout.session.expired" and "Came after the order was settled:
    nothing to do" in the order's payment timeline: Stripe's event name, and words about the shop's work.
    The event's name stays for an administrator."""
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    assert post_form(alice, f"/orders/{order_id}/cancel").status_code == 303
    expired = stripe_fake.event("checkout.session.expired", session_of(app, order_id))
    assert deliver(app, expired).get_json()["outcome"] == "late"
    for language, said in (
        ("en", "Payment link expired The order was already cancelled: nothing was charged"),
        ("pt_BR", "Link de pagamento expirou O pedido já estava cancelado: nada foi cobrado"),
    ):
        choose_language(alice, language)
        timeline = " ".join(timeline_of(alice, order_id).split())
        assert said in timeline
        assert "checkout.session" not in timeline and "settled" not in timeline
    assert "checkout.session.expired" in timeline_of(boss, order_id)


def test_a_failed_refund_an_admin_marked_resolved_reads_as_refunded_by_the_shop(
    app, alice, boss, stripe_fake, lamp, monkeypatch
):
    """After "Mark as resolved" on a refund Stripe refused (the admin refunded by hand), the customer's
    page said only "Cancelled", and the monitor's "of which refunded" left the order out."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)

    def refuses(*args):
        raise PaymentRefused("This charge is disputed.", "charge_disputed")

    monkeypatch.setattr(stripe_fake, "refund", refuses)
    post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}, htmx=True)
    assert 'id="refund-settled"' not in alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert post_form(boss, f"/orders/admin/{order_id}/resolve", htmx=True).status_code == 200
    assert fresh(app, order_id).refund_state == "failed"  # the money path's state is Stripe's word, unchanged
    for language, said in (
        ("en", "refunded by the shop directly, not through Stripe"),
        ("pt_BR", "estornado pela loja diretamente, não pelo Stripe"),
    ):
        choose_language(alice, language)
        page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
        assert re.search(r'id="refund-settled">' + re.escape(said), page)
        assert 'id="refund-failed"' not in page
    monitor = boss.get("/orders/admin/").get_data(as_text=True)
    cancelled = re.search(r'<tr id="summary-cancelled">(.*?)</tr>', monitor, re.S).group(1)
    assert "of which 1 refunded: $12.50" in cancelled

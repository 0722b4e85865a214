"""Order e-mails: one receipt per paid order however often the payment is applied, a notice with
the refund when cancelled, in the account's language, none without an address; sent over a real
SMTP server (aiosmtpd) by the outbox's delivery step, and the customer's data export and erasure."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from orders_app import outbox as order_outbox
from orders_app import store
from orders_app.clients.stripe_client import PaymentRefused
from orders_app.extensions import db
from orders_app.jobs import sweep
from orders_app.models import CANCELLED, PENDING, CartLine, ErasedCustomer, Order, utcnow
from orders_app.settling import refund_payment
from shared_ui import outbox
from tests.mail_server import html_of, smtp_server, text_of
from tests.orders_app.helpers import (
    cancelled_then_paid,
    deliver,
    fresh,
    paid_order,
    pay,
    place,
    post_form,
    session_of,
)

ACCOUNTS = {
    1: {"id": 1, "email": "alice@example.com", "locale": "en", "is_active": True},
    2: {"id": 2, "email": None, "locale": None, "is_active": True},
}


@pytest.fixture
def lamp(inventory) -> int:
    return inventory.add_item("Lamp", 1250, 10)


@pytest.fixture
def smtp(app, monkeypatch):
    with smtp_server() as server:
        app.config.update(SHOP_SMTP_URL=server.url, SHOP_PUBLIC_URL="http://shop.test")
        monkeypatch.setattr(order_outbox, "recipient", lambda user_id: _recipient(user_id))
        yield server


def _recipient(user_id):
    record = ACCOUNTS.get(user_id)
    return record if record and record["email"] else None


def send_mail(app):
    with app.app_context():
        return outbox.deliver_due(order_outbox.OUTBOX)


def outbox_rows(app):
    with app.app_context():
        query = select(order_outbox.MailMessage).order_by(order_outbox.MailMessage.id)
        return [(m.key, m.state) for m in db.session.scalars(query)]


def test_a_payment_applied_by_three_webhooks_and_two_success_pages_writes_one_receipt(
    app, alice, stripe_fake, lamp, smtp
):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    session_id = session_of(app, order_id)
    event = stripe_fake.pay(session_id)
    for _ in range(3):
        assert deliver(app, event).status_code == 200
    for _ in range(2):
        alice.get(f"/orders/checkout/success?session_id={session_id}")
    assert outbox_rows(app) == [(f"order-{order_id}-paid", "queued")]
    assert send_mail(app) == {"sent": 1}
    assert send_mail(app) is None
    [receipt] = smtp.inbox.to("alice@example.com")
    assert receipt["Subject"] == f"Receipt for your order {order_id}"
    text = text_of(receipt)
    assert "2 × Lamp at $12.50: $25.00" in text and "Total: $25.00" in text
    assert re.search(rf"Order {order_id} was paid on \w+ \d+, \d{{4}}, [\d:]+\s[AP]M UTC\.", text)  # the zone said
    assert f"http://shop.test/orders/{order_id}" in text
    assert "<td>Lamp</td>" in html_of(receipt)
    metrics = app.test_client().get("/orders/metrics").get_data(as_text=True)
    assert 'shop_mail_messages{kind="order_paid",state="sent"} 1.0' in metrics


def test_a_receipt_sent_again_after_a_crash_carries_the_same_message_id(app, alice, stripe_fake, lamp, smtp):
    """The mail server took the receipt, then the jobs process died before it wrote "sent": its claim
    lapses and the receipt goes again. The copy has the first one's Message-ID, so the customer's mail
    service can tell it is one receipt (it had a random one each time); another order's receipt has its own."""
    first, second = (paid_order(app, alice, lamp, stripe_fake, quantity=1) for _ in range(2))
    assert send_mail(app) == {"sent": 2}
    with app.app_context():
        crashed = db.session.scalar(
            select(order_outbox.MailMessage).where(order_outbox.MailMessage.key == f"order-{first}-paid")
        )
        crashed.state, crashed.claimed_until = outbox.SENDING, utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert send_mail(app) == {"sent": 1}

    receipts = smtp.inbox.to("alice@example.com")
    ids = {receipt["Subject"]: set() for receipt in receipts}
    for receipt in receipts:
        ids[receipt["Subject"]].add(receipt["Message-ID"])
    assert len(receipts) == 3
    assert len(ids[f"Receipt for your order {first}"]) == 1 and len(ids[f"Receipt for your order {second}"]) == 1
    assert ids[f"Receipt for your order {first}"] != ids[f"Receipt for your order {second}"]


def test_an_admin_refund_sends_one_cancellation_notice_with_the_refund(app, alice, boss, stripe_fake, lamp, smtp):
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}, htmx=True).status_code == 200
    assert send_mail(app) == {"sent": 2}
    notice = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    assert len(notice) == 1
    assert "Your payment of $12.50 is refunded" in text_of(notice[0])
    assert "The shop cancelled it." in text_of(notice[0]) and "Total: $12.50" in html_of(notice[0])


def test_a_refund_stripe_is_still_processing_is_told_as_under_way_not_done(app, alice, boss, stripe_fake, lamp, smtp):
    """A refund Stripe took as `pending` (its money not sent yet: the order page says "refund in
    progress") is told as being made; the notice said "is refunded", and no notice follows when it is."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    stripe_fake.refund_status = "pending"
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}, htmx=True).status_code == 200
    assert fresh(app, order_id).refund_in_progress
    send_mail(app)
    [notice] = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    for body in (text_of(notice), html_of(notice)):
        assert "Your payment of $12.50 is being refunded to the card or account you paid with" in body
        assert "is refunded" not in body


def test_a_cancellation_notice_waits_for_stripes_answer_on_its_refund(app, alice, boss, stripe_fake, lamp, smtp):
    """The notice was due the moment the cancel was written, before the shop asked Stripe for the
    refund: a mail run in between sent "is being refunded" for a refund Stripe made a moment later (and
    no notice follows), so what the customer read depended on the timing of two processes. It now waits
    for Stripe's answer, two minutes at most, and says "being refunded" only when Stripe has not answered."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    send_mail(app)  # the receipt
    stripe_fake.down = True
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}, htmx=True).status_code == 200
    assert fresh(app, order_id).refund_state == "due"
    assert send_mail(app) is None  # the refund not asked yet: the notice waits for Stripe's answer

    stripe_fake.down = False
    with app.app_context():
        assert refund_payment(order_id)  # as reconcile does
    assert send_mail(app) == {"sent": 1}
    [notice] = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    assert "Your payment of $12.50 is refunded" in text_of(notice)


def test_a_cancellation_notice_says_being_refunded_when_stripe_does_not_answer_in_time(
    app, alice, boss, stripe_fake, lamp, smtp
):
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    send_mail(app)  # the receipt
    stripe_fake.down = True
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}, htmx=True).status_code == 200
    with app.app_context():
        assert outbox.deliver_due(order_outbox.OUTBOX, now=utcnow() + timedelta(minutes=3)) == {"sent": 1}
    [notice] = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    assert "Your payment of $12.50 is being refunded to the card or account you paid with" in text_of(notice)


def test_a_refund_stripe_refuses_is_told_as_not_done_until_an_admin_deals_with_it(
    app, alice, boss, stripe_fake, lamp, smtp, monkeypatch
):
    """The cancel decided a refund, and the notice is sent after Stripe refused it: it does not say
    "refunded"; nor do the order's pages, until the administrator it was flagged for resolves it."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)

    def refuses(*args):
        raise PaymentRefused("This charge is disputed.", "charge_disputed")

    monkeypatch.setattr(stripe_fake, "refund", refuses)
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}, htmx=True).status_code == 200
    send_mail(app)
    [notice] = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    assert "is refunded" not in text_of(notice) and "is refunded" not in html_of(notice)
    assert "We could not refund your payment of $12.50 automatically." in text_of(notice)
    assert "We could not refund your payment of $12.50 automatically." in html_of(notice)
    session_id = session_of(app, order_id)
    success = alice.get(f"/orders/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert "Your payment is refunded" not in success and "could not be refunded automatically" in success
    assert 'id="refund-failed"' in alice.get(f"/orders/{order_id}").get_data(as_text=True)

    assert post_form(boss, f"/orders/admin/{order_id}/resolve", htmx=True).status_code == 200  # refunded by hand
    assert 'id="refund-failed"' not in alice.get(f"/orders/{order_id}").get_data(as_text=True)


def test_a_refund_done_by_hand_at_stripe_after_the_shops_failed_is_shown_as_refunded(
    app, alice, boss, stripe_fake, lamp, monkeypatch
):
    """Stripe's charge.refunded says the money went back: the customer's page stops saying "refund not
    done yet" (and, once the flag was resolved, saying nothing), and their data says "done"."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)

    def refuses(*args):
        raise PaymentRefused("This charge is disputed.", "charge_disputed")

    monkeypatch.setattr(stripe_fake, "refund", refuses)
    post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}, htmx=True)
    assert fresh(app, order_id).refund_state == "failed"
    charge = {"id": "ch_1", "payment_intent": fresh(app, order_id).payment_intent, "currency": "usd"}
    partly = {"id": "evt_partly", "type": "charge.refunded", "data": {"object": {**charge, "amount_refunded": 500}}}
    assert deliver(app, partly).get_json()["outcome"] == "refund_recorded"
    assert fresh(app, order_id).refund_state == "failed"  # $5.00 of $12.50 is not the refund

    whole = {**charge, "amount_refunded": 1250, "refunded": True}
    assert deliver(app, {"id": "evt_whole", "type": "charge.refunded", "data": {"object": whole}}).status_code == 200

    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="refunded"' in page and 'id="refund-failed"' not in page
    assert fresh(app, order_id).refund_state == "done"


def test_a_pending_order_cancelled_gets_a_notice_without_a_refund(app, alice, lamp, stripe_fake, smtp):
    order_id = place(alice, lamp, 1)
    assert post_form(alice, f"/orders/{order_id}/cancel").status_code in (200, 303)
    send_mail(app)
    [notice] = smtp.inbox.to("alice@example.com")
    assert notice["Subject"] == f"Your order {order_id} is cancelled" and "refunded" not in text_of(notice)
    assert "You cancelled it." in text_of(notice) and "Total: $12.50" in text_of(notice)


def test_an_order_not_paid_in_time_is_told_cancelled_for_that(app, alice, lamp, stripe_fake, smtp):
    order_id = place(alice, lamp, 2)
    with app.app_context():
        db.session.get(Order, order_id).hold_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert sweep() == {"expired": 1}
    send_mail(app)
    [notice] = smtp.inbox.to("alice@example.com")
    text = text_of(notice)
    assert "It was not paid in time, so its items went back on sale." in text and "Total: $25.00" in text
    assert "refunded" not in text


def test_a_payment_that_arrives_after_the_cancel_is_told_with_its_refund(app, alice, lamp, stripe_fake, smtp):
    order_id, completed = cancelled_then_paid(app, alice, lamp, stripe_fake)
    for _ in range(2):  # and Stripe sends the payment twice
        assert deliver(app, completed).status_code == 200
    assert send_mail(app) == {"sent": 2}
    [notice] = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    assert "refunded" not in text_of(notice)  # the cancel itself refunded nothing
    [refund] = [m for m in smtp.inbox.to("alice@example.com") if "refunded" in m["Subject"]]
    assert refund["Subject"] == f"A payment for your order {order_id} is refunded"
    text = text_of(refund)
    assert f"Your payment of $25.00 for order {order_id} arrived after the order was cancelled" in text
    assert f"http://shop.test/orders/{order_id}" in text and "$25.00" in html_of(refund)


def test_a_payment_whose_stock_is_gone_is_told_cancelled_with_its_refund(
    app, alice, lamp, inventory, stripe_fake, smtp
):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    inventory.release(f"order-{order_id}")  # the hold lapsed, and the stock sold out meanwhile
    inventory.hold("someone-else", {lamp: 10}, utcnow() + timedelta(hours=1))
    assert deliver(app, stripe_fake.pay(session_of(app, order_id))).status_code == 200
    send_mail(app)
    [notice] = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    assert "Your payment of $25.00 is refunded" in text_of(notice)
    assert "its items were sold out by then." in text_of(notice)


def test_a_late_payment_whose_refund_stripe_refuses_is_not_told_as_refunded(
    app, alice, lamp, stripe_fake, smtp, monkeypatch
):
    order_id, completed = cancelled_then_paid(app, alice, lamp, stripe_fake)

    def refuses(*args):
        raise PaymentRefused("This charge is disputed.", "charge_disputed")

    monkeypatch.setattr(stripe_fake, "refund", refuses)
    assert deliver(app, completed).status_code == 200  # the refund failed: the admin is told, not the customer
    send_mail(app)
    assert [m["Subject"] for m in smtp.inbox.to("alice@example.com")] == [f"Your order {order_id} is cancelled"]


def test_a_late_payment_whose_refund_is_pending_is_told_as_refunded_only_once_it_succeeds(
    app, alice, lamp, stripe_fake, smtp
):
    order_id, completed = cancelled_then_paid(app, alice, lamp, stripe_fake)
    stripe_fake.refund_status = "pending"
    assert deliver(app, completed).status_code == 200
    send_mail(app)
    assert [m["Subject"] for m in smtp.inbox.to("alice@example.com")] == [f"Your order {order_id} is cancelled"]
    refund_id = fresh(app, order_id).refund_id
    for _ in range(2):  # Stripe's event, and a second one about the same success
        assert deliver(app, stripe_fake.finish_refund(refund_id, "succeeded")).status_code == 200
    send_mail(app)
    refunded = [m for m in smtp.inbox.to("alice@example.com") if "refunded" in m["Subject"]]
    assert [m["Subject"] for m in refunded] == [f"A payment for your order {order_id} is refunded"]


def test_a_refund_that_fails_before_the_cancellation_notice_is_sent_is_told_as_not_done(
    app, alice, boss, lamp, stripe_fake, smtp
):
    """Stripe took the refund, then it failed (a closed card): the notice says the shop will refund it."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}).status_code == 303
    failed = stripe_fake.finish_refund(fresh(app, order_id).refund_id, "failed", "expired_or_canceled_card")
    assert deliver(app, {**failed, "type": "refund.failed"}).get_json()["outcome"] == "refund_failed"
    send_mail(app)
    [notice] = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    assert "is refunded" not in text_of(notice)
    assert "We could not refund your payment of $12.50 automatically." in text_of(notice)


def test_a_customer_told_refunded_is_told_again_when_the_refund_fails_later(app, alice, boss, lamp, stripe_fake, smtp):
    """The cancellation notice went out saying "refunded" (Stripe had taken the refund); then the
    refund failed: one more notice says the shop will refund it, however many events say it."""
    order_id = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}).status_code == 303
    send_mail(app)
    [told] = [m for m in smtp.inbox.to("alice@example.com") if "cancelled" in m["Subject"]]
    assert "Your payment of $12.50 is refunded" in text_of(told)

    failed = stripe_fake.finish_refund(fresh(app, order_id).refund_id, "failed", "expired_or_canceled_card")
    assert deliver(app, failed).get_json()["outcome"] == "refund_failed"
    assert deliver(app, {**failed, "id": "evt_failed", "type": "refund.failed"}).status_code == 200
    assert send_mail(app) == {"sent": 1}
    first, correction = smtp.inbox.to("alice@example.com")[-2:]
    assert first["Subject"] == told["Subject"] == f"Your order {order_id} is cancelled"
    # Its subject says what changed: the same "is cancelled" again read as a copy of the first.
    assert correction["Subject"] == f"Your order {order_id}: the refund did not go through"
    assert "is refunded" not in text_of(correction)
    assert "We could not refund your payment of $12.50 automatically." in text_of(correction)


def test_a_payment_through_an_old_link_is_told_with_its_refund_and_what_the_order_waits_for(
    app, alice, lamp, stripe_fake, smtp
):
    order_id = place(alice, lamp, 1)
    pay(alice, order_id)
    old = session_of(app, order_id)
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 2})  # the old link is expired, a new one made
    pay(alice, order_id)
    stripe_fake.sessions[old].update(status="open")  # as if Stripe had let it be paid anyway
    assert deliver(app, stripe_fake.pay(old)).get_json()["outcome"] == "stale_paid"
    assert send_mail(app) == {"sent": 1}
    [refund] = smtp.inbox.to("alice@example.com")
    text = text_of(refund)
    assert f"You paid $12.50 for order {order_id} through a payment link the order no longer uses" in text
    assert "pay it from the order's page" in text


def test_a_cancel_that_refunds_a_payment_of_another_amount_does_not_name_the_orders_total(
    app, alice, lamp, stripe_fake, smtp
):
    order_id = place(alice, lamp, 2)
    pay(alice, order_id)
    event = stripe_fake.pay(session_of(app, order_id), amount_total=100)
    assert deliver(app, event).get_json()["outcome"] == "amount_mismatch"
    assert post_form(alice, f"/orders/{order_id}/cancel").status_code in (200, 303)
    send_mail(app)
    [notice] = smtp.inbox.to("alice@example.com")
    text = text_of(notice)
    assert "Your payment is refunded to the card" in text and "$25.00 is refunded" not in text
    refunded = [event.note for event in fresh(app, order_id).events if event.action == "refunded"]
    assert refunded == [f"$1.00 refunded ({next(iter(stripe_fake.refunds))})"]  # what Stripe gave back: what was paid


def test_an_account_without_an_address_gets_nothing_and_nothing_fails(app, bob, lamp, stripe_fake, smtp):
    order_id = paid_order(app, bob, lamp, stripe_fake, quantity=1)
    assert send_mail(app) == {"skipped": 1}
    assert outbox_rows(app) == [(f"order-{order_id}-paid", "skipped")]
    assert smtp.inbox.messages == []


def test_a_portuguese_customer_of_a_shop_in_reais_reads_reais(app, alice, lamp, stripe_fake, smtp, monkeypatch):
    monkeypatch.setitem(ACCOUNTS, 1, {**ACCOUNTS[1], "locale": "pt_BR"})
    app.config["SHOP_CURRENCY"] = "brl"
    order_id = place(alice, lamp, 2)
    with app.app_context():
        db.session.get(Order, order_id).currency = "brl"
        db.session.commit()
    pay(alice, order_id)
    deliver(app, stripe_fake.pay(session_of(app, order_id)))
    send_mail(app)
    [receipt] = smtp.inbox.to("alice@example.com")
    assert receipt["Subject"] == f"Recibo do seu pedido {order_id}"
    assert "R$ 25,00" in text_of(receipt)


def test_erasing_a_customer_cancels_pending_orders_and_keeps_paid_ones_without_a_name(
    app, alice, inventory, stripe_fake, lamp
):
    paid = paid_order(app, alice, lamp, stripe_fake, quantity=1)
    pending = place(alice, lamp, 2)
    assert inventory.stock(lamp) == 7
    with app.app_context():  # and something in the cart
        db.session.add(CartLine(user_id=1, inventory_id=lamp, quantity=1, price_cents_seen=1250))
        db.session.commit()
    internal = app.test_client()
    headers = {"X-Service-Token": app.config["SHOP_SERVICE_TOKEN"]}
    export = internal.get("/orders/internal/users/1/orders", headers=headers).get_json()
    assert {o["id"] for o in export["orders"]} == {paid, pending}
    assert export["orders"][0]["lines"][0]["name"] == "Lamp"
    assert internal.post("/orders/internal/users/1/erase").status_code in (401, 403)
    erased = internal.post("/orders/internal/users/1/erase", headers=headers)
    assert erased.status_code == 200 and erased.get_json()["cancelled"] == 1
    assert inventory.stock(lamp) == 9
    with app.app_context():
        orders = {o.id: o for o in db.session.scalars(select(Order).where(Order.user_id == 1))}
        assert orders[pending].status == CANCELLED and orders[paid].status != PENDING
        assert {o.user_login for o in orders.values()} == {"deleted customer"}
        assert db.session.scalars(select(CartLine).where(CartLine.user_id == 1)).all() == []


def test_no_order_is_placed_for_an_account_whose_erasure_began(app, alice, inventory, lamp):
    """Its login still passes here for a few seconds (the user record is cached): the erasure itself
    refuses the orders, until users_app's word counts alone again."""
    internal = app.test_client()
    headers = {"X-Service-Token": app.config["SHOP_SERVICE_TOKEN"]}
    assert internal.post("/orders/internal/users/1/erase", headers=headers).status_code == 200
    refused = post_form(alice, "/orders/", {"inventory_id": lamp, "quantity": 1})
    assert refused.status_code == 401 and "This account has been deleted." in refused.get_data(as_text=True)
    assert inventory.stock(lamp) == 10
    with app.app_context():
        assert db.session.scalars(select(Order).where(Order.user_id == 1)).all() == []
        row = db.session.get(ErasedCustomer, 1)
        row.erased_at -= store.ERASING + timedelta(seconds=1)  # users_app kept the account after all
        db.session.commit()
        assert store.prune_erased() == {"pruned": 1}
    assert place(alice, lamp, 1)


def test_an_order_being_placed_when_the_erasure_begins_is_given_up_and_its_hold_released(app, alice, inventory, lamp):
    internal = app.test_client()
    headers = {"X-Service-Token": app.config["SHOP_SERVICE_TOKEN"]}
    erased = []

    def erase_while_inventory_holds(method, args):  # the account is deleted while inventory answers
        if method == "hold" and not erased:
            worker = threading.Thread(
                target=lambda: erased.append(internal.post("/orders/internal/users/1/erase", headers=headers))
            )
            worker.start()
            worker.join()

    inventory.after_call = erase_while_inventory_holds
    placing = post_form(alice, "/orders/", {"inventory_id": lamp, "quantity": 2})
    assert erased[0].status_code == 200
    assert placing.status_code == 503  # not placed: nothing holds stock for a deleted account
    assert inventory.stock(lamp) == 10 and inventory.held() == {}
    with app.app_context():
        assert db.session.scalars(select(Order).where(Order.user_id == 1)).all() == []


def test_erasing_takes_the_login_out_of_every_history_it_is_in(app, alice, bob, boss, inventory, lamp):
    own = place(alice, lamp, 1)
    bobs = place(bob, lamp, 1)
    assert post_form(boss, f"/orders/admin/{bobs}/cancel").status_code in (200, 303)  # boss acts as an admin
    headers = {"X-Service-Token": app.config["SHOP_SERVICE_TOKEN"]}
    # alice, then boss (as if they deleted their accounts; boss has no orders of their own), then alice
    # again (an erase sent twice): the second changes nothing
    for user_id, login in ((1, "alice"), (3, "boss"), (1, "alice")):
        erased = app.test_client().post(
            f"/orders/internal/users/{user_id}/erase", headers=headers, json={"login": login}
        )
        assert erased.status_code == 200
    with app.app_context():
        actors = {
            order_id: [e.actor for e in db.session.get(Order, order_id).events if e.actor not in ("inventory",)]
            for order_id in (own, bobs)
        }
    assert actors == {
        own: ["customer (account deleted)", "customer (account deleted)"],  # placed it, then erased
        bobs: ["bob", "administrator (account deleted)"],
    }
    page = bob.get(f"/orders/{bobs}").get_data(as_text=True)
    assert "an administrator (account deleted)" in page and "boss" not in page

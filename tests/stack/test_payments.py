"""Payments through nginx with the real inventory and the Stripe emulator: a link per order, card
payments, declines, expiry, cancel and edit with a link open, admin refunds, forged webhooks."""

import json
import secrets
import threading
import time

import requests

from stacktools.stack import wait_until
from tests.stack.shop_orders import (
    CARD_DECLINED,
    api_order,
    checkout_url,
    complete,
    control,
    count_in_history,
    customer,
    delivered,
    emulator_events,
    history,
    new_item,
    order,
    pay,
    placed,
    reservation,
    rfc3339,
    session_event,
    session_id,
    session_of_order,
    sign,
    signed_post,
    status_of,
    stock_of,
    stripe_client,
    wait_for_status,
)

# ----- tests ----------------------------------------------------------------------------------


def test_every_order_gets_its_own_link_and_paying_again_reuses_it(stack):
    name = f"Blue lamp {secrets.token_hex(3)}"
    item = new_item(stack, price="12.50", quantity=10, name=name)
    alice = customer(stack)
    first, second = placed(order(alice, item, 2)), placed(order(alice, item, 1))
    first_url, second_url = checkout_url(alice, first), checkout_url(alice, second)
    assert first_url.startswith(stack.env["STRIPE_API_BASE"] + "/checkout/cs_") and first_url != second_url
    assert checkout_url(alice, first) == first_url
    session = stripe_client(stack).v1.checkout.sessions.retrieve(
        session_id(first_url), params={"expand": ["line_items"]}
    )
    [line] = session.line_items.data
    assert (line.description, line.quantity, line.price.unit_amount, session.amount_total) == (name, 2, 1250, 2500)
    assert session.client_reference_id == str(first) and session.metadata["order_id"] == str(first)
    assert session.success_url == stack.url("/orders/checkout/success?session_id={CHECKOUT_SESSION_ID}")
    assert session.cancel_url == stack.url(f"/orders/{first}?payment=cancelled")
    assert api_order(stack, first)["payment_url"] == first_url
    hold = reservation(stack, first)
    assert hold["state"] == "held"
    assert hold["expires_at"] == rfc3339(session.expires_at + 300)  # the hold outlives the link by 5 minutes


def test_a_card_payment_marks_the_order_paid_and_commits_its_stock(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 3))
    session = session_id(checkout_url(alice, order_id))
    paid = complete(stack, session)
    assert paid.status_code == 200 and paid.json()["redirect_url"].endswith(f"session_id={session}")
    wait_for_status(stack, order_id, "Paid")
    wait_until(lambda: reservation(stack, order_id)["state"] == "committed")
    assert stock_of(stack, item) == 7

    # The webhook's row shows once it is in. The jobs process's reconcile (every minute, asking Stripe
    # about open payments) may have paid the order a moment before it: then the webhook found nothing to do.
    def with_the_webhook():
        page = history(alice, order_id)
        return page if "checkout.session.completed" in page else None

    page = wait_until(with_the_webhook)
    if "(reconcile)" in page:
        assert "Stripe confirms the payment; the order was already marked paid" in page
    else:
        assert "Payment accepted: the order is paid" in page
    success = alice.get(f"/orders/checkout/success?session_id={session}")
    assert success.status_code == 200 and "Payment received" in success.text
    assert api_order(stack, order_id)["payment_url"] is None
    assert pay(alice, order_id).status_code == 409


def test_a_declined_card_changes_nothing_and_the_order_stays_payable(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 1))
    url = checkout_url(alice, order_id)
    declined = complete(stack, session_id(url), CARD_DECLINED)
    assert declined.status_code == 402 and declined.json()["error"]["message"] == "Your card was declined."
    assert status_of(stack, order_id) == "Pending" and reservation(stack, order_id)["state"] == "held"
    assert checkout_url(alice, order_id) == url  # the same link, still open
    complete(stack, session_id(url))
    wait_for_status(stack, order_id, "Paid")


def test_an_expired_session_cancels_the_order_and_returns_the_stock(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 4))
    session = session_id(checkout_url(alice, order_id))
    assert stock_of(stack, item) == 6
    assert control(stack, f"/checkout/{session}/expire").status_code == 200
    wait_for_status(stack, order_id, "Cancelled")
    wait_until(lambda: reservation(stack, order_id)["state"] == "released")
    assert stock_of(stack, item) == 10
    # What the webhook and the jobs process's reconcile (which may see the expiry first) both write:
    assert "The payment link expired unpaid" in history(alice, order_id)


def test_cancelling_a_pending_order_expires_its_link_at_stripe(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 2))
    session = session_id(checkout_url(alice, order_id))
    cancelled = alice.post(f"/orders/{order_id}/cancel", htmx=True)
    assert ">Cancelled<" in cancelled.text
    assert stripe_client(stack).v1.checkout.sessions.retrieve(session).status == "expired"
    assert stock_of(stack, item) == 10
    paying = complete(stack, session)
    assert paying.status_code == 409  # the link is closed: nobody can pay a cancelled order


def test_cancelling_an_order_that_was_just_paid_fulfils_it_instead(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 2))
    session = session_id(checkout_url(alice, order_id))
    complete(stack, session)
    cancelled = alice.post(f"/orders/{order_id}/cancel", htmx=True)
    assert "This order was just paid" in cancelled.text or ">Paid<" in cancelled.text
    wait_for_status(stack, order_id, "Paid")
    wait_until(lambda: reservation(stack, order_id)["state"] == "committed")
    assert stock_of(stack, item) == 8


def test_an_edit_expires_the_link_and_the_next_pay_makes_a_new_one(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 1))
    old = checkout_url(alice, order_id)
    edited = alice.post(f"/orders/{order_id}/edit", {"quantity": 2}, htmx=True)
    assert "Quantity changed to 2" in edited.text
    assert stripe_client(stack).v1.checkout.sessions.retrieve(session_id(old)).status == "expired"
    new = checkout_url(alice, order_id)
    assert new != old
    assert stripe_client(stack).v1.checkout.sessions.retrieve(session_id(new)).amount_total == 600
    complete(stack, session_id(new))
    wait_for_status(stack, order_id, "Paid")
    # The old link's expired event comes on its own schedule: once the shop has taken it, it changed nothing.
    wait_until(lambda: delivered(stack, session_id(old), "checkout.session.expired"), timeout=45)
    assert status_of(stack, order_id) == "Paid"


def test_a_double_clicked_pay_creates_one_session(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 1))
    token = alice.csrf_token()
    start = threading.Barrier(4)
    answers = []

    def click():
        start.wait()
        answers.append(
            alice.http.post(
                stack.url(f"/orders/{order_id}/pay"),
                data={"csrf_token": token},
                headers={"Origin": stack.base_url, "Referer": stack.url(f"/orders/{order_id}")},
                allow_redirects=False,
                timeout=30,
            )
        )

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [303] * 4
    assert len({a.headers["Location"] for a in answers}) == 1
    listed = stripe_client(stack).v1.checkout.sessions.list(params={"limit": 100})
    mine = [
        s
        for s in (session.to_dict() for session in listed.data)
        if s["metadata"].get("order_id") == str(order_id)
        and s["metadata"].get("shop_instance") == stack.env["SHOP_INSTANCE_ID"]
    ]
    assert len(mine) == 1
    assert count_in_history(alice, order_id, "Payment link") == 1


def test_an_order_below_stripes_minimum_is_refused_before_anything_is_held(stack):
    item, free = new_item(stack, price="0.10", quantity=10), new_item(stack, price="0.00", quantity=10)
    alice = customer(stack)
    enough = (
        "A card payment must be at least $0.50: order at least 5 of this item, or add it to your cart with other items."
    )
    page = alice.get(f"/inventory/items/{item}").text  # said on the item page, before anything is pressed
    assert enough in page and 'name="quantity" value="5" min="5"' in page
    free_page = alice.get(f"/inventory/items/{free}").text
    assert "This item is free, but a card payment must be at least $0.50" in free_page
    assert "Place order" not in free_page and "Add to cart" in free_page
    response = order(alice, item, 3)
    assert response.status_code == 422 and enough in response.text
    token = alice.api_token(alice.login_name)
    api = alice.api("POST", "/orders/api/orders", token, json={"inventory_id": free, "quantity": 2})
    assert api.status_code == 422 and api.json()["error"]["code"] == "amount_too_small"
    assert (api.json()["error"]["minimum"], api.json()["error"]["missing"]) == ("0.50", "0.50")
    assert stock_of(stack, item) == 10 and stock_of(stack, free) == 10
    assert "You have no orders yet." in alice.get("/orders/").text


def test_the_api_gives_the_checkout_url(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 1))
    token = alice.api_token(alice.login_name)
    response = alice.api("POST", f"/orders/api/orders/{order_id}/checkout", token)
    assert response.status_code == 200 and response.json()["url"].startswith(stack.env["STRIPE_API_BASE"])
    assert alice.api("GET", f"/orders/api/orders/{order_id}", token).json()["payment_url"] == response.json()["url"]


def test_forged_changed_and_old_webhooks_are_refused_and_change_nothing(stack):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 2))
    session = session_id(checkout_url(alice, order_id))
    event = session_event(stack, "checkout.session.completed", session, "evt_forged_1")
    event["data"]["object"].update(status="complete", payment_status="paid", payment_intent="pi_forged")
    body = json.dumps(event).encode()
    forged = signed_post(stack, event, secret="whsec_" + "f" * 48)
    changed = requests.post(
        stack.url("/orders/stripe/webhook"),
        data=body.replace(b'"paid"', b'"Paid"', 1),
        headers={"Stripe-Signature": sign(body, stack.env["STRIPE_WEBHOOK_SECRET"])},
        timeout=10,
    )
    old = signed_post(stack, event, timestamp=int(time.time()) - 301)
    unsigned = requests.post(stack.url("/orders/stripe/webhook"), data=body, timeout=10)
    assert [r.status_code for r in (forged, changed, old, unsigned)] == [400, 400, 400, 400]
    assert status_of(stack, order_id) == "Pending" and reservation(stack, order_id)["state"] == "held"
    assert "evt_forged_1" not in history(alice, order_id) and "No word from Stripe yet" in history(alice, order_id)


def test_an_admin_refunds_a_paid_order_with_and_without_restock(stack, admin):
    item = new_item(stack, price="5.00", quantity=10)
    alice = customer(stack)
    restocked, kept = placed(order(alice, item, 2)), placed(order(alice, item, 3))
    for order_id in (restocked, kept):
        complete(stack, session_id(checkout_url(alice, order_id)))
        wait_for_status(stack, order_id, "Paid")
        wait_until(lambda order_id=order_id: reservation(stack, order_id)["state"] == "committed")
    assert stock_of(stack, item) == 5
    page = admin.get(f"/orders/{restocked}").text
    assert 'id="refund-form"' in page

    response = admin.post(f"/orders/admin/{restocked}/cancel", {"restock": "y", "return_to": "order"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{restocked}")
    row = admin.post(f"/orders/admin/{kept}/cancel", htmx=True)
    assert row.status_code == 200 and ">Cancelled<" in row.text
    assert status_of(stack, restocked) == "Cancelled" and status_of(stack, kept) == "Cancelled"
    assert reservation(stack, restocked)["state"] == "released" and reservation(stack, kept)["state"] == "committed"
    assert stock_of(stack, item) == 7  # two back on sale, three stay sold
    for order_id, amount in ((restocked, 1000), (kept, 1500)):
        events = [
            e for e in emulator_events(stack, session_of_order(stack, order_id)) if e["type"] == "charge.refunded"
        ]
        assert len(events) == 1 and events[0]["event"]["data"]["object"]["amount_refunded"] == amount
    wait_until(lambda: "Stripe records the refund" in history(alice, restocked))
    assert status_of(stack, restocked) == "Cancelled"


def test_a_refund_that_fails_after_stripe_took_it_is_flagged_and_the_customer_reads_it_is_owed(stack, admin):
    """Paid with Stripe's test card 4000 0000 0000 5126: the refund an admin makes is taken, then
    fails (the card was closed). The emulator's charge.refund.updated and refund.failed reach the
    shop: the order is flagged with Stripe's reason, its page no longer says "refunded"."""
    item = new_item(stack, price="5.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 2))
    complete(stack, session_id(checkout_url(alice, order_id)), card="4000 0000 0000 5126")
    wait_for_status(stack, order_id, "Paid")
    assert admin.post(f"/orders/admin/{order_id}/cancel", {"restock": "y"}).status_code == 303
    assert 'id="refunded"' in alice.get(f"/orders/{order_id}").text  # Stripe said `succeeded`
    [(refund_id,)] = stack.query("orders", "SELECT refund_id FROM orders WHERE id = :id", id=order_id)

    assert control(stack, f"/refunds/{refund_id}/settle").json()["status"] == "failed"
    wait_until(lambda: 'id="refund-failed"' in alice.get(f"/orders/{order_id}").text)
    page = alice.get(f"/orders/{order_id}").text
    assert 'id="refunded"' not in page and status_of(stack, order_id) == "Cancelled"
    [(state, flagged, reason)] = stack.query(
        "orders", "SELECT refund_state, needs_attention, attention_reason FROM orders WHERE id = :id", id=order_id
    )
    assert (state, bool(flagged)) == ("failed", True) and "expired_or_canceled_card" in reason
    session = session_of_order(stack, order_id)
    for event_type in ("charge.refund.updated", "refund.failed"):  # both answered 200: none is retried
        wait_until(lambda event_type=event_type: delivered(stack, session, event_type))
    assert count_in_history(alice, order_id, "Refund failed") == 1

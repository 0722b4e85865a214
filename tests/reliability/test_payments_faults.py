"""Webhooks that come twice, at once, in the wrong order or not at all; Stripe or inventory down at
the worst moment. Never a payment lost, never one applied twice.

A module of its own Stack whose emulator posts webhooks to a dead port: the tests deliver the
emulator's events themselves, through nginx, when and as often as they choose (or never), and
`payments reconcile` runs only when a test says so: the jobs process is not started
(it reconciles as soon as it has started, whatever ORDERS_RECONCILE_SECONDS says, and on a loaded
machine it starts late enough to find the first test's payment and apply it behind the test's back).
"""

import json
import subprocess
import threading

import pytest

from shared_ui.config import PROJECT_ROOT
from stacktools.stack import Stack, free_port, serve, wait_until
from tests.stack.shop_orders import (
    checkout_url,
    complete,
    control,
    count_in_history,
    customer,
    emulator_events,
    history,
    new_item,
    order,
    pay,
    placed,
    reservation,
    session_event,
    session_id,
    signed_post,
    status_of,
    stock_of,
)


@pytest.fixture(scope="module")
def quiet(request):
    dead = f"http://127.0.0.1:{free_port()}/orders/stripe/webhook"
    stack = Stack(STRIPE_WEBHOOK_URL=dead, ORDERS_RECONCILE_SECONDS="3600")
    everything_but_jobs = [name for name in stack.commands if name.partition("-")[0] != "jobs"]  # jobs-2 scaled out
    yield from serve(stack, request, *everything_but_jobs, logs=("orders", "stripe"))


def reconcile(stack) -> dict:
    """`flask --app orders_app payments reconcile`, as an operator (or the jobs process) runs it."""
    result = subprocess.run(
        [str(PROJECT_ROOT / ".venv/bin/flask"), "--app", "orders_app", "payments", "reconcile"],
        cwd=PROJECT_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def paid_at_stripe(stack, quantity: int = 2, price: str = "4.00"):
    """An order paid with a card at the emulator whose webhook never reached the shop."""
    item = new_item(stack, price=price, quantity=10)
    buyer = customer(stack)
    order_id = placed(order(buyer, item, quantity))
    session = session_id(checkout_url(buyer, order_id))
    assert complete(stack, session).status_code == 200
    return item, order_id, session, buyer


def the_event(stack, session: str, event_type: str) -> dict:
    [found] = [e["event"] for e in emulator_events(stack, session) if e["type"] == event_type]
    return found


def test_one_event_delivered_three_times_two_at_once_is_applied_once(quiet):
    item, order_id, session, buyer = paid_at_stripe(quiet, quantity=3)
    assert status_of(quiet, order_id) == "Pending"  # nothing delivered yet
    event = the_event(quiet, session, "checkout.session.completed")
    both = threading.Barrier(2)
    answers = []

    def deliver():
        both.wait()
        answers.append(signed_post(quiet, event))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.append(signed_post(quiet, event))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sorted(a.json()["outcome"] for a in answers) == ["duplicate", "duplicate", "paid"]
    assert status_of(quiet, order_id) == "Paid" and reservation(quiet, order_id)["state"] == "committed"
    assert stock_of(quiet, item) == 7
    assert count_in_history(buyer, order_id, "Paid") == 1 and count_in_history(buyer, order_id, "Stock sold") == 1
    assert history(buyer, order_id).count('data-type="checkout.session.completed"') == 1  # one timeline row


def test_expired_then_completed_refunds_the_payment_and_flags_the_order(quiet, admin_of_quiet):
    item, order_id, session, buyer = paid_at_stripe(quiet, quantity=2)
    expired = session_event(quiet, "checkout.session.expired", session, f"evt_test_expired_{order_id}")
    expired["data"]["object"].update(status="expired", payment_status="unpaid", url=None)
    assert signed_post(quiet, expired).json()["outcome"] == "released"
    assert status_of(quiet, order_id) == "Cancelled"
    wait_until(lambda: stock_of(quiet, item) == 10)

    completed = the_event(quiet, session, "checkout.session.completed")
    assert signed_post(quiet, completed).json()["outcome"] == "refund_due"
    assert status_of(quiet, order_id) == "Cancelled" and stock_of(quiet, item) == 10
    refunds = [e for e in emulator_events(quiet, session) if e["type"] == "charge.refunded"]
    assert len(refunds) == 1 and refunds[0]["event"]["data"]["object"]["amount_refunded"] == 800
    monitor = admin_of_quiet.get(f"/orders/admin/?view=attention&q={order_id}").text
    assert f"monitor-order-{order_id}" in monitor and "paid after the order was cancelled" in monitor
    assert "refunded" in history(buyer, order_id)


def test_completed_then_expired_stays_paid(quiet):
    item, order_id, session, _ = paid_at_stripe(quiet, quantity=2)
    assert signed_post(quiet, the_event(quiet, session, "checkout.session.completed")).json()["outcome"] == "paid"
    expired = session_event(quiet, "checkout.session.expired", session, f"evt_test_late_{order_id}")
    expired["data"]["object"].update(status="expired", url=None)
    assert signed_post(quiet, expired).json()["outcome"] == "late"
    assert status_of(quiet, order_id) == "Paid" and reservation(quiet, order_id)["state"] == "committed"
    assert stock_of(quiet, item) == 8


def test_missed_webhooks_are_fixed_by_reconcile(quiet):
    item, paid, _, buyer = paid_at_stripe(quiet, quantity=2)
    lapsed = placed(order(buyer, item, 3))
    control(quiet, f"/checkout/{session_id(checkout_url(buyer, lapsed))}/expire")
    assert status_of(quiet, paid) == "Pending" and status_of(quiet, lapsed) == "Pending"

    result = reconcile(quiet)
    assert result.get("paid", 0) >= 1 and result.get("released", 0) >= 1, result
    assert status_of(quiet, paid) == "Paid" and reservation(quiet, paid)["state"] == "committed"
    assert status_of(quiet, lapsed) == "Cancelled" and reservation(quiet, lapsed)["state"] == "released"
    assert stock_of(quiet, item) == 8
    assert "reconcile" in history(buyer, paid)
    assert reconcile(quiet).get("paid", 0) == 0  # nothing left to do for them


def test_stripe_down_while_creating_a_session_gives_a_clear_error_and_the_order_stays_payable(quiet):
    item = new_item(quiet, price="4.00", quantity=10)
    buyer = customer(quiet)
    order_id = placed(order(buyer, item, 1))
    quiet.stop("stripe")
    try:
        response = pay(buyer, order_id)
        assert response.status_code == 503
        assert "the payment service is not answering; nothing was charged" in response.text
        assert 'id="pay-order"' in response.text  # Pay is still offered
    finally:
        quiet.start("stripe")
    assert status_of(quiet, order_id) == "Pending" and reservation(quiet, order_id)["state"] == "held"
    session = session_id(checkout_url(buyer, order_id))
    assert complete(quiet, session).status_code == 200
    reconcile(quiet)
    assert status_of(quiet, order_id) == "Paid"


def test_inventory_down_while_fulfilling_leaves_it_paid_and_reconcile_commits_the_stock(quiet):
    item, order_id, session, buyer = paid_at_stripe(quiet, quantity=2)
    event = the_event(quiet, session, "checkout.session.completed")
    quiet.stop("inventory")
    try:
        answer = signed_post(quiet, event)
        assert answer.status_code == 200 and answer.json()["outcome"] == "paid"
        assert "stock being committed" in history(buyer, order_id)
        assert reconcile(quiet).get("commit_pending", 0) >= 1
    finally:
        quiet.start("inventory")
    assert reservation(quiet, order_id)["state"] == "held"
    assert reconcile(quiet).get("committed", 0) >= 1
    assert reservation(quiet, order_id)["state"] == "committed" and stock_of(quiet, item) == 8
    assert status_of(quiet, order_id) == "Paid"


@pytest.fixture
def admin_of_quiet(quiet):
    from stacktools.client import ShopClient
    from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD

    client = ShopClient(quiet.base_url)
    client.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    return client

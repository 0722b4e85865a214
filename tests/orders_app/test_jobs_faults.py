"""The jobs under faults: inventory or Stripe that accepts connections and never answers (a real
loopback socket, the real clients), an order a step cannot handle."""

import time

import pytest
from sqlalchemy import select

from orders_app import store
from orders_app.clients.inventory import InventoryClient
from orders_app.clients.stripe_client import StripeGateway
from orders_app.extensions import db, users
from orders_app.jobs import reconcile_payments, sweep
from orders_app.models import REFUND_DUE, RELEASED, RELEASING, Order
from orders_app.outbox import ORDER_CANCELLED, OUTBOX, MailMessage
from shared_ui import outbox
from tests.helpers import SilentServer
from tests.mail_server import smtp_server
from tests.orders_app.helpers import half_placed, place


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


def _orders(app, count: int, **columns) -> list[int]:
    """`count` orders with these columns set (as a crash or an outage left them)."""
    ids = [half_placed(app, 1, hold_minutes=30) for _ in range(count)]
    with app.app_context():
        for order_id in ids:
            for name, value in columns.items():
                setattr(db.session.get(Order, order_id), name, value)
        db.session.commit()
    return ids


def test_a_sweep_waits_for_an_inventory_that_never_answers_once_not_once_per_order(app, silent):
    """Each order's release waited out inventory's timeouts (6 s with the defaults): 100 stuck orders
    kept the sweeper, and every job after it in the jobs process, waiting ten minutes."""
    app.config.update(INVENTORY_URL=silent.url, INVENTORY_READ_TIMEOUT=0.5, INVENTORY_RETRIES=0)
    InventoryClient(app)  # the real client, at the silent port
    ids = _orders(app, 4, hold_state=RELEASING)
    with app.app_context():
        assert sweep() == {"skipped": 4}
        assert [db.session.get(Order, order_id).hold_state for order_id in ids] == [RELEASING] * 4  # owed still
    assert silent.wait_for(1) and silent.connections == 1


def test_reconcile_waits_for_a_stripe_that_never_answers_once_not_once_per_refund(app, silent):
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_x", STRIPE_API_BASE=silent.url, STRIPE_READ_TIMEOUT=0.5, STRIPE_MAX_NETWORK_RETRIES=0
    )
    StripeGateway(app)  # the real SDK, at the silent port
    _orders(app, 3, status="Cancelled", hold_state=RELEASED, refund_state=REFUND_DUE, payment_intent="pi_1")
    with app.app_context():
        assert reconcile_payments() == {"refund_pending": 3}
        assert db.session.query(Order).filter_by(refund_state=REFUND_DUE).count() == 3  # tried again next run
    assert silent.wait_for(1) and silent.connections == 1


def test_the_next_run_asks_again(app, silent):
    """Giving up holds for one run only."""
    app.config.update(INVENTORY_URL=silent.url, INVENTORY_READ_TIMEOUT=0.5, INVENTORY_RETRIES=0)
    InventoryClient(app)
    _orders(app, 2, hold_state=RELEASING)
    with app.app_context():
        sweep()
        sweep()
    assert silent.wait_for(2) and silent.connections == 2


def test_an_order_the_sweeper_cannot_release_does_not_stop_the_others(app, alice, inventory, widget, monkeypatch):
    """An error no one expected in one order's release ended the sweep: the orders after it kept
    their stock held from every customer, run after run."""
    ids = [place(alice, widget, 2) for _ in range(3)]
    with app.app_context():
        for order_id in ids:
            db.session.get(Order, order_id).hold_state = RELEASING
        db.session.commit()
    real_release = inventory.release

    def release(key, **kwargs):
        if key == f"order-{ids[0]}":
            raise ValueError("an answer the code did not expect")
        return real_release(key, **kwargs)

    monkeypatch.setattr(inventory, "release", release)
    with app.app_context():
        assert sweep() == {"failed": 1, "released": 2}
        assert db.session.get(Order, ids[0]).hold_state == RELEASING  # the next run tries it again
    assert inventory.stock(widget) == 10 - 2


def test_reconcile_starts_no_order_past_its_time_budget_even_mid_page(app):
    """The budget was checked between pages of 100 orders: a page of slow orders ran on for minutes."""
    ids = _orders(app, 3)
    taken = []
    with app.app_context():
        for order_id in store.all_ids(Order.id.in_(ids), batch=100, deadline=time.monotonic() + 0.2):
            taken.append(order_id)
            time.sleep(0.3)  # a slow order: the budget is spent once it is done
    assert taken == ids[:1]


def test_e_mail_waits_for_a_users_app_that_never_answers_once_not_once_per_message(app, silent):
    """Each message's recipient was asked of users_app in turn: a hung users_app cost every message
    its timeouts and an attempt of its eight, run after run."""
    app.config.update(USERS_URL=silent.url)
    users.init_app(app)  # the real client, at the silent port
    with smtp_server() as server:
        app.config["SHOP_SMTP_URL"] = server.url
        with app.app_context():
            for order_id in _orders(app, 3):
                key = f"order-{order_id}-cancelled"
                outbox.enqueue(OUTBOX, key=key, kind=ORDER_CANCELLED, user_id=1, payload={"order_id": order_id})
            db.session.commit()
            assert outbox.deliver_due(OUTBOX) == {"retry": 1}
            attempts = db.session.scalars(select(MailMessage.attempts).order_by(MailMessage.id)).all()
    assert attempts == [1, 0, 0]  # the others were not tried, and lost none of their attempts
    assert silent.wait_for(1) and silent.connections == 1

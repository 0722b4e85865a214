"""The sweeper (jobs process and `flask orders sweep`): overdue orders and unfinished saga steps."""

import json
from datetime import timedelta

from orders_app.extensions import db
from orders_app.jobs import PERIODIC, sweep
from orders_app.models import CANCELLED, RELEASED, Order, utcnow
from tests.orders_app.helpers import place, post_form


def test_a_pending_order_past_its_hold_deadline_is_cancelled_and_its_stock_released(app, alice, inventory, widget):
    order_id = place(alice, widget, 4)
    with app.app_context():
        assert sweep(now=utcnow() + timedelta(minutes=34)) == {}
        assert sweep(now=utcnow() + timedelta(minutes=36)) == {"expired": 1}
        order = db.session.get(Order, order_id)
        assert (order.status, order.hold_state) == (CANCELLED, RELEASED)
        assert order.events[-2].actor == "sweeper" and "Not paid in time" in order.events[-2].note
    assert inventory.stock(widget) == 10 and inventory.held() == {}


def test_two_sweepers_at_once_cancel_once(app, alice, inventory, widget):
    order_id = place(alice, widget, 2)
    later = utcnow() + timedelta(hours=1)
    with app.app_context():
        first = sweep(now=later)
        second = sweep(now=later)
        assert first == {"expired": 1} and second == {}
        events = [e.action for e in db.session.get(Order, order_id).events]
    assert events == ["placed", "cancelled", "stock_released"]
    assert inventory.stock(widget) == 10


def test_paid_and_cancelled_orders_are_left_alone(app, alice, inventory, widget):
    order_id = place(alice, widget, 2)
    with app.app_context():
        db.session.get(Order, order_id).status = "Paid"
        db.session.commit()
        assert sweep(now=utcnow() + timedelta(hours=2)) == {}
    assert inventory.held() == {f"order-{order_id}": 2}


def test_the_cli_sweeps(app, alice, inventory, widget):
    place(alice, widget, 1)
    result = app.test_cli_runner().invoke(args=["orders", "sweep"])
    assert result.exit_code == 0 and json.loads(result.output) == {}


def test_the_jobs_process_runs_the_sweeper_every_few_seconds():
    jobs = {name: (every, function) for name, every, function in PERIODIC}
    every, function = jobs["orders.sweep"]
    assert every <= 30 and function is sweep


def test_a_customer_has_at_most_five_pending_orders(app, alice, bob, inventory, widget):
    for _ in range(5):
        place(alice, widget, 1)
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 1})
    assert response.status_code == 409 and "You have 5 pending orders" in response.get_data(as_text=True)
    assert inventory.stock(widget) == 5 and len(inventory.held()) == 5
    place(bob, widget, 1)  # the limit is per customer


def test_no_new_payment_link_after_twice_the_window_and_the_sweeper_cancels_it(app, alice, inventory, widget):
    order_id = place(alice, widget, 5)  # $0.50
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.created_at = utcnow() - timedelta(minutes=61)  # the window is 30 minutes
        order.pay_by = utcnow() - timedelta(minutes=1)  # its last link closed a minute ago
        order.hold_expires_at = utcnow() + timedelta(minutes=4)  # the hold would last a while yet
        db.session.commit()
    response = post_form(alice, f"/orders/{order_id}/pay")
    assert response.status_code == 409 and "placed too long ago" in response.get_data(as_text=True)
    with app.app_context():
        assert sweep() == {"expired": 1}
        assert db.session.get(Order, order_id).status == CANCELLED
    assert inventory.stock(widget) == 10

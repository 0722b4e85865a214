"""The sweeper (jobs process and `flask orders sweep`): overdue orders and unfinished saga steps."""

import json
from datetime import timedelta

from orders_app.extensions import db
from orders_app.jobs import PERIODIC, sweep
from orders_app.models import CANCELLED, RELEASED, Order, utcnow
from tests.orders_app.helpers import place


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

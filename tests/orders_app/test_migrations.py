"""Migrations on a database the previous schema wrote: every one-item order becomes a one-line order,
with its total, status, history and Stripe events unchanged."""

from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from orders_app import create_app
from orders_app.extensions import db
from orders_app.models import Order, OrderLine
from tests.helpers import SECRETS

ONE_ITEM_SCHEMA = "c41f0a9e5d12"  # the last revision before order lines
COLUMNS = (
    "id, user_id, user_login, inventory_id, item_name, unit_price_cents, quantity, total_cents, currency, status,"
    " version, hold_state, hold_expires_at, pay_by, stripe_session_id, stripe_session_url, checkout_state,"
    " payment_intent, refund_state, needs_attention, created_at, updated_at, paid_at, cancelled_at"
)
OLD_ORDERS = [
    # id, user, item, name, unit, qty, total, status, version, hold, session, checkout, intent, refund, paid, cancelled
    (1, 1, "alice", 7, "Lamp", 1250, 2, 2500, "Paid", 3, "committed", "cs_1", "complete", "pi_1", None, True, False),
    (2, 2, "bob", 9, "Mug", 10, 7, 70, "Pending", 1, "held", None, None, None, None, False, False),
    (4, 1, "alice", 7, "Lamp", 1250, 1, 1250, "Cancelled", 4, "released", "cs_4", "complete", "pi_4", "done", 1, 1),
]


def migrated_app(tmp_path: Path, revision: str = "head"):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'orders.sqlite3'}", **SECRETS}
    )
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"), revision=revision)
    return app


def write_one_item_orders(app) -> None:
    """Orders, history and Stripe events as the one-item schema stored them (plain SQL: no model of it)."""
    placeholders = ", ".join(f":{name.strip()}" for name in COLUMNS.split(","))
    with app.app_context(), db.engine.begin() as connection:
        for number in (1, 2, 3, 4):  # order 3 was never placed: its row is gone, its id must stay unused
            row = next((o for o in OLD_ORDERS if o[0] == number), None)
            if row is None:
                row = (3, 2, "bob", 9, "Mug", 10, 1, 10, "Pending", 1, "requesting", None, None, None, None, 0, 0)
            (
                id_,
                user,
                login,
                item,
                name,
                unit,
                qty,
                total,
                status,
                version,
                hold,
                session,
                checkout,
                intent,
                refund,
                paid,
                cancelled,
            ) = row
            when = f"2026-11-0{number} 10:00:00"
            connection.execute(
                text(f"INSERT INTO orders ({COLUMNS}) VALUES ({placeholders})"),  # noqa: S608 (fixed names)
                {
                    "id": id_,
                    "user_id": user,
                    "user_login": login,
                    "inventory_id": item,
                    "item_name": name,
                    "unit_price_cents": unit,
                    "quantity": qty,
                    "total_cents": total,
                    "currency": "usd",
                    "status": status,
                    "version": version,
                    "hold_state": hold,
                    "hold_expires_at": when,
                    "pay_by": when,
                    "stripe_session_id": session,
                    "stripe_session_url": None,
                    "checkout_state": checkout,
                    "payment_intent": intent,
                    "refund_state": refund,
                    "needs_attention": False,
                    "created_at": when,
                    "updated_at": when,
                    "paid_at": when if paid else None,
                    "cancelled_at": when if cancelled else None,
                },
            )
            connection.execute(
                text(
                    "INSERT INTO order_events (order_id, at, actor, action, from_value, to_value, note)"
                    " VALUES (:id, :at, :actor, 'placed', NULL, 'Pending', :note)"
                ),
                {"id": id_, "at": when, "actor": login, "note": f"{qty} × {name}; stock held"},
            )
            if session:
                connection.execute(
                    text(
                        "INSERT INTO stripe_events (id, type, session_id, order_id, received_at, outcome)"
                        " VALUES (:event, 'checkout.session.completed', :session, :id, :at, 'paid')"
                    ),
                    {"event": f"evt_{id_}", "session": session, "id": id_, "at": when},
                )
        connection.execute(text("DELETE FROM orders WHERE id = 3"))


def test_every_one_item_order_becomes_a_one_line_order_with_nothing_lost(tmp_path):
    app = migrated_app(tmp_path, ONE_ITEM_SCHEMA)
    write_one_item_orders(app)
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
        columns = {column["name"] for column in inspect(db.engine).get_columns("orders")}
        assert not {"inventory_id", "item_name", "unit_price_cents", "quantity"} & columns
        orders = {order.id: order for order in db.session.scalars(db.select(Order))}
        assert sorted(orders) == [1, 2, 4]
        for id_, user, login, item, name, unit, qty, total, status, version, hold, session, *_ in OLD_ORDERS:
            order = orders[id_]
            [line] = order.lines
            assert (line.position, line.inventory_id, line.item_name) == (1, item, name)
            assert (line.unit_price_cents, line.quantity, line.line_total_cents) == (unit, qty, total)
            assert (order.total_cents, order.status, order.version, order.hold_state) == (total, status, version, hold)
            assert (order.user_id, order.user_login, order.stripe_session_id) == (user, login, session)
            assert [(e.action, e.note) for e in order.events] == [("placed", f"{qty} × {name}; stock held")]
            assert order.to_api()["inventory_id"] == item and order.to_api()["quantity"] == qty
        events = db.session.execute(text("SELECT id, order_id, outcome FROM stripe_events ORDER BY id")).all()
        assert [tuple(e) for e in events] == [("evt_1", 1, "paid"), ("evt_4", 4, "paid")]
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        # AUTOINCREMENT survives the copy of the table: the next order is 5, never the deleted 3.
        order = Order(user_id=1, user_login="alice", currency="usd", hold_expires_at=orders[1].created_at)
        order.set_lines([OrderLine(inventory_id=7, item_name="Lamp", unit_price_cents=1250, quantity=1)])
        db.session.add(order)
        db.session.commit()
        assert order.id == 5
        db.session.delete(db.session.get(Order, 4))  # and deleting an order still takes its lines with it
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(OrderLine).where(OrderLine.order_id == 4)) == 0


def test_a_downgrade_to_one_item_orders_refuses_while_an_order_has_several_lines(tmp_path, capsys):
    """The one-item schema keeps one line per order: downgrading an order of a lamp and two mugs left
    "1 x Lamp" at the three items' total, the mugs gone from the order (and from its hold's release)."""
    app = migrated_app(tmp_path)
    directory = str(Path(app.root_path) / "migrations")
    with app.app_context():
        order = Order(user_id=1, user_login="alice", currency="usd", hold_expires_at=db.func.now())
        order.set_lines(
            [
                OrderLine(inventory_id=7, item_name="Lamp", unit_price_cents=1250, quantity=1),
                OrderLine(inventory_id=9, item_name="Mug", unit_price_cents=10, quantity=2),
            ]
        )
        db.session.add(order)
        db.session.commit()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's error and exits
            downgrade(directory=directory, revision=ONE_ITEM_SCHEMA)
        assert "1 order(s) have several lines" in capsys.readouterr().err
        db.session.rollback()
        lines = db.session.execute(text("SELECT item_name, quantity FROM order_lines ORDER BY position")).all()
        assert [tuple(line) for line in lines] == [("Lamp", 1), ("Mug", 2)]

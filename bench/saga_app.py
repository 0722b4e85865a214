"""The saga's bare shape: the peer order creation is measured against (`make bench`, line 4c).

What placing a one-item order takes at the least in the shop's architecture, on the same stack and
with none of the shop's own work: two Flask apps under the same gunicorn settings, each with its own
SQLite file (WAL, synchronous=NORMAL, a busy timeout: the shop's pragmas), one HTTP call between them.

- **front** (`create_front`, in the side stack's orders slot, behind the same nginx location as the
  shop's orders): `POST /orders/api/orders {"inventory_id", "quantity"}` writes the order
  `requesting` (one write transaction), asks the stock app to hold the units under the order's key,
  marks the order `held` (a second write transaction) and answers the order as JSON, 201.
- **stock** (`create_stock`, its own process on SAGA_STOCK_PORT, called straight as orders calls
  inventory): `POST /holds {"key", "item_id", "quantity"}` takes the units with one conditional
  UPDATE (409 when too few) and writes the hold under its unique key, in one write transaction; the
  same call again answers the hold it made (200), as inventory's holds do, since libcurl may send a
  call again on a kept-alive connection that was closed meanwhile.

Both write through Flask-SQLAlchemy, the ORM for rows and a Core UPDATE for the conditional take, on
the shop's engine settings (`shared_ui.db.configure_engine`), and the front calls through the shop's
libcurl pool (`shared_ui.service_client.CurlPool`): the ratio compares the work around the saga's
steps, not the client or the database settings. Left out,
as the shop cannot leave them out: who the customer is, the limit of Pending orders, the item's name
and price, the history rows, the request log and metrics, CSRF and the error shapes.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared_ui.db import configure_engine
from shared_ui.service_client import CurlPool

#: units of each item: no run of `make bench` sells them out
STOCK = 1_000_000_000
ITEMS = 1_000


class Base(DeclarativeBase):
    pass


# Each app has only its own tables, but one SQLAlchemy object serves either (one per process).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


class Order(db.Model):
    __tablename__ = "saga_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    inventory_id: Mapped[int]
    quantity: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]

    @property
    def key(self) -> str:
        return f"order-{self.id}"


class Item(db.Model):
    __tablename__ = "saga_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    quantity: Mapped[int]


class Hold(db.Model):
    __tablename__ = "saga_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    item_id: Mapped[int]
    quantity: Mapped[int]


def _configure(app: Flask, path: Path) -> None:
    """The app on its SQLite file, with the shop's engine settings (shared_ui.db: its pragmas, its BEGIN)."""
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)


def front_path(var_dir: str | Path) -> Path:
    return Path(var_dir) / "saga_orders.sqlite3"


def stock_path(var_dir: str | Path) -> Path:
    return Path(var_dir) / "saga_stock.sqlite3"


def _healthz(app: Flask, path: str) -> None:
    app.add_url_rule(path, "healthz", lambda: "ok")


# --- front ---------------------------------------------------------------------------------


def create_front() -> Flask:
    app = Flask(__name__, static_folder=None)
    _configure(app, front_path(os.environ.get("SHOP_VAR_DIR", "var")))
    # The shop's client between the apps (its timeouts: 1 s to connect, 3 s for the answer), without
    # ServiceClient's retries, headers and metrics: the shop's own work.
    stock = CurlPool(f"http://127.0.0.1:{os.environ['SAGA_STOCK_PORT']}", 1.0, 3.0)
    _healthz(app, "/orders/healthz")

    @app.post("/orders/api/orders")
    def place():
        body = request.get_json()
        item_id, quantity = int(body["inventory_id"]), int(body["quantity"])
        order = Order(inventory_id=item_id, quantity=quantity, state="requesting", created_at=_now())
        db.session.add(order)
        db.session.commit()
        hold = {"key": order.key, "item_id": item_id, "quantity": quantity}
        status, answer = stock.urlopen(
            "POST", "/holds", body=json.dumps(hold).encode(), headers={"Content-Type": "application/json"}
        )
        if status not in (200, 201) or json.loads(answer)["key"] != order.key:
            db.session.delete(order)
            db.session.commit()
            abort(409 if status == 409 else 503)
        order.state = "held"
        db.session.commit()
        return jsonify(id=order.id, key=order.key, state=order.state, inventory_id=item_id, quantity=quantity), 201

    return app


# --- stock ---------------------------------------------------------------------------------

_ITEMS = Item.__table__
_TAKE = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"), _ITEMS.c.quantity >= bindparam("n"))
    .values(quantity=_ITEMS.c.quantity - bindparam("n"))
)


def create_stock() -> Flask:
    app = Flask(__name__, static_folder=None)
    _configure(app, stock_path(os.environ.get("SHOP_VAR_DIR", "var")))
    _healthz(app, "/healthz")

    @app.post("/holds")
    def hold():
        body = request.get_json()
        key, item_id, quantity = str(body["key"]), int(body["item_id"]), int(body["quantity"])
        taken = db.session.connection().execute(_TAKE, {"item_id": item_id, "n": quantity})
        if taken.rowcount != 1:
            db.session.rollback()
            return jsonify(error="insufficient_stock"), 409
        db.session.add(Hold(key=key, item_id=item_id, quantity=quantity))
        status = 201
        try:
            db.session.commit()
        except IntegrityError:  # the key is held already (a call sent again): nothing taken twice
            db.session.rollback()
            held = db.session.scalar(select(Hold).where(Hold.key == key))
            if held is None or (held.item_id, held.quantity) != (item_id, quantity):
                return jsonify(error="key_conflict"), 409
            status = 200
        return jsonify(key=key, item_id=item_id, quantity=quantity, state="held"), status

    return app


def create_databases(var_dir: str | Path, items: int = ITEMS) -> None:
    """Both apps' SQLite files in `var_dir` (written afresh), each with its own tables; the stock
    with `items` items of STOCK units each."""
    for path, tables, rows in (
        (front_path(var_dir), [Order.__table__], []),
        (stock_path(var_dir), [_ITEMS, Hold.__table__], [{"id": n, "quantity": STOCK} for n in range(1, items + 1)]),
    ):
        path.unlink(missing_ok=True)
        app = Flask(__name__, static_folder=None)
        _configure(app, path)
        with app.app_context():
            db.metadata.create_all(db.engine, tables=tables)
            if rows:
                db.session.execute(_ITEMS.insert(), rows)
                db.session.commit()
            db.engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)

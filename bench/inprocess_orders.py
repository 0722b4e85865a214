"""In-process timing of order creation: CPU µs per order, orders' side and inventory's, A/B in one run.

    python bench/inprocess_orders.py                    # this tree: rounds of 300 orders
    python bench/inprocess_orders.py --ab OTHER_TREE    # OTHER_TREE (e.g. `git archive main`) against
                                                        # this one, round by round, every other round
                                                        # in reverse order (as bench/inprocess.py)

What is measured is `POST /orders/api/orders` with a customer's bearer token and {"inventory_id": N,
"quantity": 1}, as `make bench` asks it, called through the orders app's WSGI callable (no server),
TESTING off, on migrated SQLite files. Orders' real inventory client is used; its connection
pool is replaced by one that hands each call to the inventory app's WSGI callable in this process
(no socket, no HTTP parsing), so the internal call costs what inventory's app
costs. The CPU time spent inside that pool is inventory's side; the rest is orders' side
(including the client building the call and reading the answer). Users are a fake directory
(users_app's 0.65 ms is not here); orders are spread over many customers, one token each, as the
bench does. Request logs go to fd 2, pointed at /dev/null. `--ab` needs trees whose client sends
with pycurl (CurlPool's `urlopen`).
"""

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(HERE))  # bench.inprocess (after the script's folder; --tree goes first)
from bench.inprocess import alternate_rounds, quiet_stderr  # noqa: E402

CUSTOMERS = 2000
STOCK = 1_000_000


class WsgiPool:
    """Stands in for the client's CurlPool: each call goes to a WSGI app in-process, its CPU timed."""

    def __init__(self, app):
        self.app = app
        self.cpu = 0.0

    def urlopen(self, method, url, body=None, headers=None, fresh=False):
        from werkzeug.test import EnvironBuilder

        started = time.process_time()
        builder = EnvironBuilder(
            path=url.split("?", 1)[0],
            query_string=url.partition("?")[2],
            method=method,
            headers=dict(headers or {}),
            data=body or b"",
            base_url="http://localhost/",
        )
        environ = builder.get_environ()
        builder.close()
        status_headers = []
        chunks = self.app(environ, lambda s, h, e=None: status_headers.append((s, h)))
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        self.cpu += time.process_time() - started
        return int(status_headers[0][0].split(" ", 1)[0]), data


def make_apps(folder: Path):
    """(orders app, adapter, [(environ factory per customer)]) on fresh SQLite files in `folder`."""
    os.environ.setdefault("SHOP_ENV", "test")
    from flask_migrate import upgrade

    import inventory_app
    import orders_app
    from inventory_app.extensions import db as inventory_db
    from inventory_app.models import Item
    from shared_ui.auth import issue_api_token

    secrets = {"SECRET_KEY": "bench-secret", "SHOP_SERVICE_TOKEN": "bench-token"}
    inventory = inventory_app.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'inv.sqlite3'}", **secrets})
    with inventory.app_context():
        upgrade(directory=str(Path(inventory.root_path) / "migrations"))
        item = Item(name="Benchmark Order Item", description="", price_cents=1250, quantity=STOCK)
        inventory_db.session.add(item)
        inventory_db.session.commit()
        item_id = item.id
    orders = orders_app.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'orders.sqlite3'}",
            "INVENTORY_URL": "http://inventory.invalid",
            "SHOP_MAX_PENDING_ORDERS": 1_000_000,
            "ORDERS_RECENT_ITEMS_SECONDS": 5,
            **secrets,
        }
    )
    with orders.app_context():
        upgrade(directory=str(Path(orders.root_path) / "migrations"))
    users = {
        number: {"id": number, "login": f"customer{number}", "is_admin": False, "is_active": True, "session_version": 1}
        for number in range(1, CUSTOMERS + 1)
    }
    orders.extensions["shop_find_user"] = lambda user_id, fresh=False: users.get(user_id)
    adapter = WsgiPool(inventory)
    from orders_app.clients.inventory import EXTENSION_KEY

    client = orders.extensions[EXTENSION_KEY].client
    client.pools = dict.fromkeys(client.pools, adapter)
    tokens = []
    with orders.test_request_context():
        for record in users.values():
            tokens.append(issue_api_token(record)[0])
    body = json.dumps({"inventory_id": item_id, "quantity": 1}).encode()
    environs = [environ_for(token, body) for token in tokens]
    return orders, adapter, environs


def environ_for(token: str, body: bytes) -> dict:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(
        path="/orders/api/orders",
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"},
        data=body,
        base_url="http://localhost/",
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["bench.body"] = body
    return environ


class Orders:
    def __init__(self, app, adapter, environs):
        self.app, self.adapter, self.environs = app, adapter, environs
        self.turn = 0

    def call(self) -> bytes:
        environ = self.environs[self.turn % len(self.environs)]
        self.turn += 1
        status = []
        env = dict(environ, **{"wsgi.input": io.BytesIO(environ["bench.body"])})
        body = self.app(env, lambda s, h, e=None: status.append(s))
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        assert status[0].startswith("201"), (status, data)
        return data

    def timed(self, count: int) -> tuple[float, float]:
        """(orders' CPU µs, inventory's CPU µs) per order over `count` orders."""
        inventory_before = self.adapter.cpu
        cpu = time.process_time()
        for _ in range(count):
            self.call()
        total = (time.process_time() - cpu) * 1e6 / count
        inventory = (self.adapter.cpu - inventory_before) * 1e6 / count
        return total - inventory, inventory


def serve_rounds(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        orders = Orders(*make_apps(Path(folder)))
        quiet_stderr()
        orders.timed(100)
        print("ready", flush=True)
        for _line in sys.stdin:
            mine, theirs = orders.timed(count)
            print(f"{mine:.1f} {theirs:.1f}", flush=True)


def ab(trees: list[Path], rounds: int, count: int) -> None:
    results = alternate_rounds(__file__, trees, rounds, count)
    for tree, values in zip(trees, results, strict=True):
        orders = [v[0] for v in values]
        inventory = [v[1] for v in values]
        print(
            f"{tree}: median orders {statistics.median(orders):.0f} µs, inventory {statistics.median(inventory):.0f} µs"
            f" CPU per order  [orders {' '.join(f'{v:.0f}' for v in orders)}]"
        )
    if len(trees) == 2:
        for side, name in ((0, "orders"), (1, "inventory")):
            ratios = [b[side] / a[side] for a, b in zip(*results, strict=True)]
            print(f"{name}: second / first: median {statistics.median(ratios):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=HERE, help="the source tree to import the apps from")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--ab", type=Path, default=None, metavar="OTHER_TREE")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ab is not None:
        ab([args.ab.resolve(), args.tree.resolve()], args.rounds, args.requests)
        return
    sys.path.insert(0, str(args.tree.resolve()))
    if args.serve:
        serve_rounds(args.requests)
        return
    with tempfile.TemporaryDirectory() as folder:
        orders = Orders(*make_apps(Path(folder)))
        quiet_stderr()
        orders.timed(100)
        values = [orders.timed(args.requests) for _ in range(args.rounds)]
        print(
            f"median orders {statistics.median(v[0] for v in values):.0f} µs,"
            f" inventory {statistics.median(v[1] for v in values):.0f} µs CPU per order"
        )


if __name__ == "__main__":
    main()

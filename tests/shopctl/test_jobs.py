"""The jobs process (shopctl/jobs.py): one job stuck on a dependency holds up no other job."""

import json
import logging
import threading

import pytest
from werkzeug.serving import make_server

from inventory_app import create_app as create_inventory
from inventory_app.jobs import sweep_expired_holds
from orders_app import create_app as create_orders
from orders_app.extensions import db
from orders_app.jobs import sweep
from orders_app.models import RELEASING, Order
from shopctl import jobs as jobs_process
from shopctl.jobs import run_jobs
from tests.helpers import SilentServer, make_app
from tests.orders_app.helpers import half_placed


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def orders(tmp_path, silent):
    """orders_app served on a loopback port (the jobs start once it answers /healthz), its inventory
    the silent port: a read timeout far longer than a test waits keeps a call stuck until it closes."""
    app = make_app(create_orders, "orders", tmp_path, INVENTORY_URL=silent.url, INVENTORY_READ_TIMEOUT=120)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["ORDERS_URL"] = f"http://127.0.0.1:{server.server_port}"
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield app
    server.shutdown()


def running(jobs: list[tuple]):
    """run_jobs on a thread; the Event that stops it."""
    stopping = threading.Event()
    runner = threading.Thread(target=run_jobs, args=(jobs, stopping), daemon=True)
    runner.start()
    return runner, stopping


def test_a_sweep_stuck_on_an_inventory_that_never_answers_holds_up_no_other_job(orders, silent):
    """The jobs ran one after the other on one thread: while the sweeper waited on a hung inventory,
    no e-mail went out and no other job ran."""
    order_id = half_placed(orders, 1, hold_minutes=30)
    with orders.app_context():
        db.session.get(Order, order_id).hold_state = RELEASING
        db.session.commit()
    other_ran = threading.Event()
    runner, stopping = running([(orders, "orders.sweep", 15, sweep), (orders, "orders.deliver_mail", 2, other_ran.set)])
    try:
        assert silent.wait_for(1), "the sweep never called inventory"
        other_ran.clear()  # (it may have run before the sweep started)
        assert other_ran.wait(20), "no other job ran while the sweep waited on inventory"
    finally:
        stopping.set()
        silent.close()  # the sweep's call ends (connection reset), and with it the run
        runner.join(20)
    assert not runner.is_alive()


def test_the_jobs_of_an_app_that_serves_start_while_a_hung_inventory_does_not(orders, silent, tmp_path):
    """At a start every job waited until every app answered its /healthz (up to three minutes): an
    inventory that did not answer kept orders' e-mail and sweeper waiting too."""
    (tmp_path / "inventory").mkdir()
    inventory = make_app(create_inventory, "inventory", tmp_path / "inventory", INVENTORY_URL=silent.url)
    orders_ran = threading.Event()
    hung = (inventory, "inventory.sweep_holds", 5, sweep_expired_holds)
    runner, stopping = running([hung, (orders, "orders.deliver_mail", 2, orders_ran.set)])
    try:
        assert orders_ran.wait(20), "orders' jobs waited for inventory to answer"
    finally:
        stopping.set()
        runner.join(20)
    assert not runner.is_alive()


def test_a_run_stuck_for_long_is_told_to_the_operator_once(orders, silent, monkeypatch):
    """A job stuck on a call (a socket that trickles bytes defeats a per-read timeout) ran on silently."""
    monkeypatch.setattr(jobs_process, "STUCK_SECONDS", 1)
    order_id = half_placed(orders, 1, hold_minutes=30)
    with orders.app_context():
        db.session.get(Order, order_id).hold_state = RELEASING
        db.session.commit()
    told = Told()
    jobs_process.log.addHandler(told)
    runner, stopping = running([(orders, "orders.sweep", 15, sweep)])
    try:
        assert told.stuck.wait(20), "no word of the stuck sweep"
    finally:
        stopping.set()
        silent.close()
        runner.join(20)
        jobs_process.log.removeHandler(told)
    assert [json.loads(line)["job"] for line in told.lines] == ["orders.sweep"]


class Told(logging.Handler):
    """The jobs process's `job_stuck` lines."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self.stuck = threading.Event()

    def emit(self, record):
        if "job_stuck" in record.getMessage():
            self.lines.append(record.getMessage())
            self.stuck.set()

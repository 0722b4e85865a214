"""The operator's view of the running shop: readiness and metrics on loopback, never through nginx."""

import os
import signal
from pathlib import Path

import requests

from tests.shop_stack import wait_until

APPS = ("inventory", "users", "orders")


def test_every_app_is_ready_and_exposes_metrics_on_loopback_only(stack):
    for app in APPS:
        ready = requests.get(stack.app_url(app, f"/{app}/readyz"), timeout=10)
        assert ready.status_code == 200, (app, ready.text)
        assert ready.json()["checks"]["database"] == "ok"
        requests.get(stack.url(f"/{app}/healthz"), timeout=5)
        metrics = requests.get(stack.app_url(app, f"/{app}/metrics"), timeout=5)
        assert metrics.status_code == 200
        assert f'shop_http_requests_total{{app="{app}"' in metrics.text
        assert requests.get(stack.url(f"/{app}/metrics"), timeout=5).status_code == 404


def test_metrics_add_up_the_requests_of_every_worker(stack):
    before = _count(requests.get(stack.app_url("users", "/users/metrics"), timeout=5).text)
    for _ in range(20):  # one instance; its two gunicorn workers share them
        requests.get(stack.app_url("users", "/users/healthz"), timeout=5)
    after = _count(requests.get(stack.app_url("users", "/users/metrics"), timeout=5).text)
    assert after - before >= 20


def _count(text: str) -> float:
    prefix = 'shop_http_requests_total{app="users",method="GET",route="/users/healthz",status="200"} '
    return next((float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)), 0.0)


def test_orders_metrics_count_orders_by_status_and_webhook_events(stack):
    from tests.stack.test_orders import customer, new_item, order, placed

    client = customer(stack)
    placed(order(client, new_item(stack, price="2.00", quantity=5), 1))
    metrics = requests.get(stack.app_url("orders", "/orders/metrics"), timeout=5).text
    pending = next(line for line in metrics.splitlines() if line.startswith('shop_orders{status="Pending"}'))
    assert float(pending.rsplit(" ", 1)[1]) >= 1
    assert "shop_stripe_events" in metrics and "shop_orders_needing_attention" in metrics
    inventory = requests.get(stack.app_url("inventory", "/inventory/metrics"), timeout=5).text
    assert 'shop_inventory_reserved_units{state="held"}' in inventory


def test_each_app_worker_keeps_a_core_of_its_own_and_a_new_worker_takes_the_free_one(stack):
    cores = os.sched_getaffinity(0)
    for name, process in stack.processes.items():
        if name.split("-")[0] not in ("inventory", "orders"):
            continue
        workers = _workers_of(process.pid)
        assert len(workers) == 2, (name, workers)
        pinned = [os.sched_getaffinity(pid) for pid in workers]
        assert [len(each) for each in pinned] == [1, 1], (name, pinned)
        assert len(set().union(*pinned)) == min(2, len(cores)), (name, pinned)  # one core each while there are two
    (users_worker,) = _workers_of(_first(stack, "users").pid)
    assert os.sched_getaffinity(users_worker) == cores  # one worker: argon2's threads use every core

    orders = _first(stack, "orders")
    before = set(_workers_of(orders.pid))
    victim = min(before)
    freed = os.sched_getaffinity(victim)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(_workers_of(orders.pid)) == 2 and victim not in _workers_of(orders.pid), timeout=30)
    (new_worker,) = set(_workers_of(orders.pid)) - before
    assert os.sched_getaffinity(new_worker) == freed
    wait_until(lambda: requests.get(stack.app_url("orders", "/orders/healthz"), timeout=5).ok, timeout=30)


def _first(stack, app: str):
    """The app's process (its first instance when scaled out)."""
    return stack.processes.get(app) or stack.processes[f"{app}-1"]


def _workers_of(master: int) -> list[int]:
    """The live child processes of a gunicorn master (from any of its threads)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
        except OSError:  # gone meanwhile
            continue
        state, parent = rest.rsplit(")", 1)[1].split()[:2]
        if int(parent) == master and state != "Z":
            children.append(int(pid))
    return sorted(children)

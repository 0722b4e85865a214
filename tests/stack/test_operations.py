"""The operator's view of the running shop: readiness and metrics on loopback, never through nginx."""

import contextlib
import os
import signal

import requests

from stacktools.processes import followers
from stacktools.stack import wait_until

APPS = ("inventory", "users", "orders")


def test_every_app_is_ready_and_exposes_readiness_and_metrics_on_loopback_only(stack):
    for app in APPS:
        ready = requests.get(stack.app_url(app, f"/{app}/readyz"), timeout=10)
        assert ready.status_code == 200, (app, ready.text)
        assert ready.json()["checks"]["database"] == "ok"
        requests.get(stack.url(f"/{app}/healthz"), timeout=5)
        metrics = requests.get(stack.app_url(app, f"/{app}/metrics"), timeout=5)
        assert metrics.status_code == 200
        assert f'shop_http_requests_total{{app="{app}"' in metrics.text
        assert requests.get(stack.url(f"/{app}/metrics"), timeout=5).status_code == 404
        assert requests.get(stack.url(f"/{app}/readyz"), timeout=5).status_code == 404


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
    from tests.stack.shop_orders import customer, new_item, order, placed

    client = customer(stack)
    placed(order(client, new_item(stack, price="2.00", quantity=5), 1))
    metrics = requests.get(stack.app_url("orders", "/orders/metrics"), timeout=5).text
    pending = next(line for line in metrics.splitlines() if line.startswith('shop_orders{status="Pending"}'))
    assert float(pending.rsplit(" ", 1)[1]) >= 1
    assert "shop_stripe_events" in metrics and "shop_orders_needing_attention" in metrics
    inventory = requests.get(stack.app_url("inventory", "/inventory/metrics"), timeout=5).text
    assert 'shop_inventory_reserved_units{state="held"}' in inventory


def test_each_app_shares_the_cores_out_among_its_workers(stack):
    cores = os.sched_getaffinity(0)
    masters = stack.running("inventory") + stack.running("orders")

    def pinned() -> bool:
        """Both workers of each app forked and on their cores: an app answers (the stack is ready) as
        soon as its first worker does, and gunicorn forks the second up to 0.1 s later (then it pins
        itself when the busy machine first runs it)."""
        shares = [[os.sched_getaffinity(pid) for pid in followers(master.pid)] for master in masters]
        return all(
            len(each) == 2 and (each[0].isdisjoint(each[1]) or len(cores) == 1) and each[0] | each[1] == cores
            for each in shares
        )

    with contextlib.suppress(AssertionError):  # not within 30 s: the asserts below say what is wrong
        wait_until(pinned, timeout=30)
    for process in masters:
        shares = [os.sched_getaffinity(pid) for pid in followers(process.pid)]
        assert len(shares) == 2, shares
        assert shares[0].isdisjoint(shares[1]) or len(cores) == 1, shares
        assert shares[0] | shares[1] == cores, shares  # no core left out
    (users_worker,) = followers(stack.running("users")[0].pid)
    assert os.sched_getaffinity(users_worker) == cores  # one worker: argon2's threads use every core


def test_a_worker_that_replaces_one_takes_the_cores_it_left(stack):
    orders = stack.running("orders")[0]
    before = set(followers(orders.pid))
    victim = min(before, key=lambda pid: min(os.sched_getaffinity(pid)))  # the first share: not the next free one
    freed = os.sched_getaffinity(victim)
    os.kill(victim, signal.SIGKILL)
    # gunicorn forks the new worker before it pins itself: wait for both
    new_worker = wait_until(lambda: next(iter(set(followers(orders.pid)) - before), None), timeout=30)
    wait_until(lambda: os.sched_getaffinity(new_worker) == freed, timeout=30)
    wait_until(lambda: requests.get(stack.app_url("orders", "/orders/healthz"), timeout=5).ok, timeout=30)


def test_made_up_http_methods_share_one_metrics_label(stack):
    """Each new method name would be a new series for ever: whatever the method, one "OTHER" label."""
    for method in ("BREW", "PROPFIND", "XYZZY"):
        requests.request(method, stack.url("/users/healthz"), timeout=5)
    metrics = requests.get(stack.app_url("users", "/users/metrics"), timeout=5).text
    assert 'method="OTHER"' in metrics
    assert not any(f'method="{name}"' in metrics for name in ("BREW", "PROPFIND", "XYZZY"))

"""A job's run gives up on a dependency the first time it does not answer.

The sweeper and reconcile call inventory and Stripe once per order. When one of them accepts
connections but never answers, every call waits out its timeouts and retries (inventory about 6 s,
Stripe about 14 s): a batch of a hundred orders would keep the run, and the jobs process, busy for
many minutes. Inside `one_run()`, the first call that gets no usable answer marks its dependency
down, and every later call to it in the same run fails at once, as if it had timed out; the orders
stay owed and the next run tries again. Requests never enter `one_run()`: each of them waits for
its own answers.
"""

from contextlib import contextmanager

from flask import g

INVENTORY, STRIPE = "inventory", "stripe"


@contextmanager
def one_run():
    """Within: a dependency that failed to answer once is not called again."""
    outer = g.get("orders_down_in_run")
    g.orders_down_in_run = set()
    try:
        yield
    finally:
        g.orders_down_in_run = outer


def is_down(dependency: str) -> bool:
    """Whether `dependency` already failed to answer in this run (always False outside a run)."""
    return dependency in (g.get("orders_down_in_run") or ())


def went_down(dependency: str) -> None:
    """`dependency` gave no usable answer: the rest of this run (if any) does without it."""
    down = g.get("orders_down_in_run")
    if down is not None:
        down.add(dependency)

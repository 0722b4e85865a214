"""orders_app's periodic work, run by the `jobs` process (shopctl/jobs.py), on top of the use cases.

Both are safe when two copies run at once: every step is a conditional change of one row plus
idempotent calls, so two sweepers (or a sweeper racing a request) do no harm.
"""

import time
from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_

from orders_app import history, idempotency, outbox, store
from orders_app.cancelling import cancel_order
from orders_app.clients import outage
from orders_app.clients.stripe_client import PaymentsUnavailable
from orders_app.editing import settle_adjusting
from orders_app.errors import PAYMENTS_UNAVAILABLE, OrderError
from orders_app.extensions import db
from orders_app.models import (
    ABANDONED,
    ADJUSTING,
    COMMITTING,
    HELD,
    PENDING,
    REFUND_DUE,
    REFUND_PENDING,
    RELEASING,
    REQUESTING,
    RESTOCKING,
    SESSION_CLOSING,
    SESSION_OPEN,
    SESSION_PROCESSING,
    Order,
    utcnow,
)
from orders_app.placing import finish_requesting, give_up
from orders_app.settling import (
    boleto_still_unpaid,
    check_pending_refund,
    commit_stock,
    refund_payment,
    release_hold,
)
from orders_app.states import ALREADY_AWAITING
from orders_app.store import SWEEPER
from orders_app.webhooks import apply_from_stripe
from shared_ui.config import env_int

SWEEP_SECONDS = 15
#: how often Stripe is asked about payments whose webhook may have been missed
RECONCILE_SECONDS = env_int("ORDERS_RECONCILE_SECONDS", 60)
RECONCILE = "reconcile"
#: how reconcile counts what it found ("" is not worth a line: nothing changed)
RECONCILE_COUNTS = {"open": "", "stale": "", "no_session": "", "busy": "", "already_awaiting": "awaiting"}


def sweep(now: datetime | None = None, stale_seconds: int | None = None, batch: int = 100) -> dict:
    """Finish what requests left halfway, and cancel Pending orders past their hold deadline.

    - `requesting` older than ORDERS_STALE_SECONDS: inventory holds it -> placed; else released
      (if anything) and deleted;
    - `abandoned`: released, then deleted;
    - `adjusting` older than ORDERS_STALE_SECONDS: takes the quantity inventory holds;
    - `releasing` / `restocking`: released;
    - Pending and `held` past `hold_expires_at`: cancelled (its Checkout Session expired first) and
      released; not while a boleto awaits payment.
    Every step is a conditional change of one row plus idempotent calls, so two sweepers at once
    (or a sweeper racing a request) do no harm. A run is bounded: inventory or Stripe not answering
    costs one call's timeouts (outage.one_run), and no order's step starts after
    ORDERS_SWEEP_BUDGET_SECONDS; what is left waits for the next run. Returns counts of what it did.
    """
    with outage.one_run():
        return _sweep(now, stale_seconds, batch)


def _sweep(now: datetime | None, stale_seconds: int | None, batch: int) -> dict:
    deadline = time.monotonic() + current_app.config["ORDERS_SWEEP_BUDGET_SECONDS"]
    now = now or utcnow()
    if stale_seconds is None:
        stale_seconds = current_app.config["ORDERS_STALE_SECONDS"]
    stale = now - timedelta(seconds=stale_seconds)
    done: Counter = Counter()

    def todo(*conditions):
        return store.until(deadline, store.ids(*conditions, batch=batch))

    # (one order a step cannot handle is logged and counted `failed`; the others go on: _one_order)
    for order_id in todo(Order.hold_state == REQUESTING, Order.created_at <= stale):
        if (outcome := _one_order(done, finish_requesting, order_id)) is not FAILED:
            done[outcome] += 1
    for order_id in todo(Order.hold_state == ABANDONED):
        if (deleted := _one_order(done, give_up, order_id)) is not FAILED:
            done["deleted" if deleted else "skipped"] += 1
    for order_id in todo(Order.hold_state == ADJUSTING, Order.updated_at <= stale):
        if (reconciled := _one_order(done, settle_adjusting, order_id)) is not FAILED:
            done["reconciled" if reconciled else "skipped"] += 1
    for order_id in todo(Order.hold_state.in_((RELEASING, RESTOCKING))):
        if (released := _one_order(done, release_hold, order_id)) is not FAILED:
            done["released" if released else "skipped"] += 1
    # A boleto in hand keeps its order until Stripe says it settled or lapsed (reconcile_payments).
    not_awaiting = or_(Order.checkout_state.is_(None), Order.checkout_state != SESSION_PROCESSING)
    # Holding is bounded: past twice the payment window no new link renews the hold (checkout.py),
    # so an order that old without a live link is cancelled, whatever its hold's expiry says.
    too_old = Order.created_at <= now - 2 * timedelta(minutes=current_app.config["SHOP_PAYMENT_WINDOW_MINUTES"])
    no_live_link = or_(Order.pay_by.is_(None), Order.pay_by <= now)
    past_deadline = or_(Order.hold_expires_at <= now, and_(too_old, no_live_link))
    overdue = (Order.status == PENDING, Order.hold_state == HELD, past_deadline, not_awaiting)
    stripe_down = False
    for order_id in todo(*overdue):
        order = db.session.get(Order, order_id)
        if stripe_down and order.checkout_state in (SESSION_OPEN, SESSION_CLOSING):
            # Its link is expired at Stripe first: not another round of timeouts (this process also
            # releases inventory's lapsed holds and sends the e-mail). The next run tries again.
            continue
        # (an order whose link Stripe will not talk about must not stop the sweeper before the others)
        if (outcome := _one_order(done, _cancel_overdue, order_id)) is not FAILED:
            stripe_down = stripe_down or outcome == "stripe_unavailable"
            done[outcome] += 1
    return {name: count for name, count in done.items() if count}


def _cancel_overdue(order_id: int) -> str:
    """The sweeper cancels a Pending order past its deadline; what came of it."""
    try:
        cancel_order(db.session.get(Order, order_id), SWEEPER, history.note("Not paid in time: the hold expired"))
    except OrderError as error:
        # "skipped": a customer or another sweeper got there first
        return "stripe_unavailable" if error.code == PAYMENTS_UNAVAILABLE else "skipped"
    return "expired"


def reconcile_payments(batch: int | None = None) -> dict:
    """Ask Stripe about every Pending order with a session and apply what it says (missed
    webhooks), commit the stock of Paid orders whose commit is pending, retry refunds that are due,
    and ask about refunds Stripe has kept `pending` for a while (missed charge.refund.updated).

    Orders are asked about oldest first, page by page, until all are done or the run's time budget
    is spent (the next run starts again); inventory or Stripe not answering costs one call's
    timeouts per run (outage.one_run). Every step is a conditional change plus idempotent calls,
    so two copies at once do no harm.
    """
    with outage.one_run():
        return _reconcile(batch)


def _reconcile(batch: int | None) -> dict:
    config = current_app.config
    batch = batch or config["ORDERS_RECONCILE_BATCH"]
    deadline = time.monotonic() + config["ORDERS_RECONCILE_BUDGET_SECONDS"]
    done: Counter = Counter()
    now = utcnow()
    # A boleto or a refund still pending is asked about again once its next check is due: the gaps
    # grow with its age (settling.ask_again_later), so hundreds of them, pending for days, do not
    # cost hundreds of calls to Stripe a minute.
    next_check_due = or_(Order.stripe_next_check_at.is_(None), Order.stripe_next_check_at <= now)
    asking = (
        Order.status == PENDING,
        Order.stripe_session_id.is_not(None),
        or_(
            Order.checkout_state.in_((SESSION_OPEN, SESSION_CLOSING)),
            and_(Order.checkout_state == SESSION_PROCESSING, next_check_due),
        ),
    )
    for order_id in store.all_ids(*asking, batch=batch, deadline=deadline):
        try:
            outcome = _one_order(done, apply_from_stripe, order_id, RECONCILE, history.note("reconcile"))
        except PaymentsUnavailable:
            done["stripe_unavailable"] += 1
            break  # the rest waits for the next run
        if outcome == ALREADY_AWAITING:
            _one_order(done, boleto_still_unpaid, order_id)
        if outcome is not FAILED:
            done[RECONCILE_COUNTS.get(outcome, outcome)] += 1
    for order_id in store.all_ids(Order.hold_state == COMMITTING, batch=batch, deadline=deadline):
        if (committed := _one_order(done, commit_stock, order_id)) is not FAILED:
            done["committed" if committed else "commit_pending"] += 1
    for order_id in store.all_ids(Order.refund_state == REFUND_DUE, batch=batch, deadline=deadline):
        if (refunded := _one_order(done, refund_payment, order_id)) is not FAILED:
            done["refunded" if refunded else "refund_pending"] += 1
    # A refund Stripe took as pending: its charge.refund.updated may never come (or not get through).
    stale = now - timedelta(seconds=config["ORDERS_STALE_SECONDS"])
    waiting = (Order.refund_state == REFUND_PENDING, Order.updated_at < stale, next_check_due)
    for order_id in store.all_ids(*waiting, batch=batch, deadline=deadline):
        try:
            settled = _one_order(done, check_pending_refund, order_id)
        except PaymentsUnavailable:
            done["stripe_unavailable"] += 1
            break
        if settled is not FAILED:
            done["refund_settled" if settled else "refund_still_pending"] += 1
    return {name: count for name, count in done.items() if count and name}


#: what _one_order answers when the step raised
FAILED = object()


def _one_order(done: Counter, step, order_id: int, *args):
    """One order's step of a reconcile or sweeper run. An error the step did not expect is logged and
    counted as `failed`, and the run goes on: one order the code cannot handle must not hold up every
    other order's commit, refund or cancel, run after run. (PaymentsUnavailable ends the run, as the
    caller says.)"""
    try:
        return step(order_id, *args)
    except PaymentsUnavailable:
        raise
    except Exception:
        db.session.rollback()
        current_app.logger.exception("jobs: %s of order %s failed; it is tried again next run", step.__name__, order_id)
        done["failed"] += 1
        return FAILED


PERIODIC = [
    ("orders.sweep", SWEEP_SECONDS, sweep),
    ("orders.reconcile_payments", RECONCILE_SECONDS, reconcile_payments),
    ("orders.deliver_mail", 2, outbox.deliver),
    ("orders.prune_idempotency_keys", 3600, idempotency.prune),
    ("orders.prune_erased_customers", 3600, store.prune_erased),
]

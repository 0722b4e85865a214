"""What an order owes inventory and Stripe after its state moved: commit or release the stock,
refund a payment, extend a boleto's hold (DESIGN "Stock and payment", steps 3, 4, 6, 7).

Each step is called after the write transaction that recorded what is owed (`hold_state`
committing/releasing/restocking, `refund_state` due), never under the database lock; a step that
fails leaves that record, and reconcile or the sweeper (jobs.py) finish it later.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from orders_app import history, notices, states, store
from orders_app.clients.inventory import (
    HOLD_COMMITTED,
    HOLD_HELD,
    HoldConflict,
    HoldNotFound,
    InsufficientStock,
    InventoryError,
    InventoryUnavailable,
    ItemArchived,
    current_inventory,
)
from orders_app.clients.stripe_client import (
    CheckoutSession,
    PaymentRefused,
    PaymentsError,
    PaymentsUnavailable,
    Refund,
    current_stripe,
)
from orders_app.extensions import db
from orders_app.models import (
    CANCELLED,
    COMMITTED,
    COMMITTING,
    HELD,
    PAID,
    REFUND_DONE,
    REFUND_DUE,
    REFUND_FAILED,
    REFUND_PENDING,
    RELEASED,
    RELEASING,
    RESTOCKING,
    SESSION_COMPLETE,
    Order,
    OrderEvent,
    utcnow,
)
from shared_ui.db import write_transaction

STRIPE = "stripe"
#: the history's action for a boleto issued (webhooks._apply_awaiting)
AWAITING_PAYMENT = "awaiting_payment"
#: the history's action for a payment that arrived after its order was cancelled (refunded)
PAID_AFTER_CANCEL = "paid_after_cancel"


@dataclass(frozen=True)
class StalePayment:
    """A payment through a session that is not the order's current one (refunded after the transaction)."""

    order_id: int
    session: CheckoutSession


def amount_of(session: CheckoutSession) -> history.Money:
    return history.Money(session.amount_total or 0, session.currency or "usd")


def money_of(session: CheckoutSession) -> str:
    """What the session was paid, in English (for admin flags, whatever the request's language)."""
    return amount_of(session).english


def follow_up(order_id: int, stale_payment: StalePayment | None = None) -> None:
    """Do what the order owes inventory and Stripe now; what fails stays owed (reconcile, sweeper)."""
    order = db.session.get(Order, order_id)
    if order is None:
        return
    if order.hold_state == COMMITTING:
        commit_stock(order_id)
        order = db.session.get(Order, order_id)
    if order.hold_state in (RELEASING, RESTOCKING):
        release_hold(order_id)
        order = db.session.get(Order, order_id)
    if order.refund_state == REFUND_DUE:
        refund_payment(order_id)
        order = db.session.get(Order, order_id)
    if order.awaiting_payment and order.hold_expires_at < boleto_hold_until(order.pay_by):
        extend_hold_for_boleto(order_id)
    if stale_payment is not None:
        refund_stale_payment(stale_payment)


def cancel_and_release(
    order_id: int, actor: str, note: history.Note | str | None, expected_version: int | None = None
) -> Order:
    """Pending -> Cancelled and its stock back (now, or through the sweeper if inventory is down).

    The caller closed the order's Checkout Session first (or it has none open). A payment the shop
    did not accept (an amount that differed) is refunded.
    """
    with write_transaction(db):
        order = store.claim(order_id, expected_version)
        if order.checkout_state == SESSION_COMPLETE and order.payment_intent and order.refund_state is None:
            order.refund_state = REFUND_DUE  # a payment the shop did not accept goes back (said in the notice)
        store.transition(order, states.EV_CANCELLED, actor, note)
        order.hold_state = RELEASING
    follow_up(order_id)
    return db.session.get(Order, order_id)


def release_hold(order_id: int) -> bool:
    """`releasing` (held stock) or `restocking` (sold stock of a refunded order) -> `released` once
    inventory has the stock back; False to try again later."""
    order = db.session.get(Order, order_id)
    if order is None or order.hold_state not in (RELEASING, RESTOCKING):
        return False
    state = order.hold_state
    try:
        current_inventory().release(order.key, restock=state == RESTOCKING)
    except InventoryUnavailable:
        return False
    except HoldConflict:
        with write_transaction(db):
            store.flag(store.locked(order_id), "inventory refused to release this order's stock")
        return False
    with write_transaction(db):
        order = store.locked(order_id)
        if order.hold_state == state:
            order.hold_state = RELEASED
            order.updated_at = utcnow()
            was = COMMITTED if state == RESTOCKING else HELD
            back = history.note_plural("%(num)d back in stock", "%(num)d back in stock", order.quantity)
            store.record(order, store.INVENTORY, "stock_released", was, RELEASED, back)
    return True


def commit_stock(order_id: int) -> bool:
    """committing -> committed at inventory. A hold released meanwhile is taken again if the stock
    is there; if it is not, the payment is refunded and the order cancelled and flagged."""
    order = db.session.get(Order, order_id)
    if order is None or order.hold_state != COMMITTING:
        return False
    try:
        current_inventory().commit(order.key)
    except InventoryUnavailable:
        return False  # Paid, commit pending: reconcile tries again
    except (InsufficientStock, ItemArchived, HoldConflict, HoldNotFound):
        # (inventory answers 409, not 410, for an archived item a paid order takes again: ItemArchived
        # is for an inventory that does not; either way there is no stock to sell)
        _stock_gone(order_id)
        return False
    with write_transaction(db):
        order = store.locked(order_id)
        refunded_meanwhile = order.status == CANCELLED and order.hold_state in (RESTOCKING, RELEASED)
        key = order.key
        if order.hold_state == COMMITTING:
            order.hold_state = COMMITTED
            order.updated_at = utcnow()
            sold = history.note_plural("%(num)d sold", "%(num)d sold", order.quantity)
            store.record(order, store.INVENTORY, "stock_committed", HELD, COMMITTED, sold)
    if refunded_meanwhile:
        _give_back_retaken(order_id, key)
    return True


def _give_back_retaken(order_id: int, key: str) -> None:
    """The order was refunded with restock while its commit was on the way to inventory. If the
    refund's release got there first, the commit took the units again: they go back. (A release
    that came after the commit restocked them already: inventory's hold says which.)"""
    try:
        hold = current_inventory().get_hold(key)
    except InventoryUnavailable:
        hold = None  # not known: released again (releasing a released hold changes nothing)
    else:
        if hold is None or hold.state != HOLD_COMMITTED:
            return
    with write_transaction(db):
        order = store.locked(order_id)
        if order.hold_state == RELEASED:
            order.hold_state = RESTOCKING  # release_hold restocks it, now or through the sweeper
            order.updated_at = utcnow()
    release_hold(order_id)


def _stock_gone(order_id: int) -> None:
    with write_transaction(db):
        order = store.locked(order_id)
        if order.hold_state != COMMITTING:
            return
        order.hold_state = RELEASED
        order.updated_at = utcnow()
        if order.status != PAID:
            return  # cancelled by an admin meanwhile: its refund is already due
        note = history.note("Paid after its stock hold lapsed, and the stock was gone: the payment is refunded")
        order.refund_state = order.refund_state or REFUND_DUE  # before the transition: its notice says it
        store.transition(order, states.EV_STOCK_GONE, store.INVENTORY, note)
        store.flag(order, note.english)


def refund_payment(order_id: int) -> bool:
    """Refund the order's payment at Stripe (idempotency key `{instance}:refund:{order id}`)."""
    order = db.session.get(Order, order_id)
    if order is None or order.refund_state != REFUND_DUE:
        return False
    if not order.payment_intent:
        with write_transaction(db):
            order = store.locked(order_id)
            order.refund_state = REFUND_FAILED
            store.flag(order, "A refund is due but the shop knows no payment of this order; refund it at Stripe")
            notices.refund_answered(order)
        return False
    key = store.shop_key("refund", order.id)
    refund_id, state, amount = None, REFUND_DONE, None
    try:
        refund = current_stripe().refund(order.payment_intent, key, {"order_id": str(order.id)})
        # What Stripe gave back: the payment's amount, which is not the order's total when the
        # payment was of another amount (refused as such, then refunded with the cancel).
        refund_id, amount = refund.id, history.Money(refund.amount, refund.currency)
        state, note = refund_outcome(refund.status, refund.failure_reason, amount, refund_id)
    except PaymentsUnavailable:
        return False  # still due: reconcile tries again
    except PaymentRefused as error:
        if error.code != "charge_already_refunded":
            state = REFUND_FAILED
        note = history.note("Stripe did not refund: %(error)s", error=str(error))
    with write_transaction(db):
        order = store.locked(order_id)
        if order.refund_state != REFUND_DUE:
            return False
        order.refund_state = state
        order.refund_id = refund_id
        order.updated_at = utcnow()
        order.stripe_next_check_at = None  # (a boleto's checks set it) pending, it is asked about once stale
        record_refund(order, state, note, amount)
        notices.refund_answered(order)
    return state == REFUND_DONE


#: what the history calls a refund in each state it can reach at Stripe
REFUND_ACTIONS = {REFUND_DONE: "refunded", REFUND_PENDING: "refund_pending", REFUND_FAILED: "refund_failed"}


def refund_outcome(
    status: str | None, failure_reason: str | None, amount: history.Money, refund_id: str
) -> tuple[str, history.Note]:
    """The order's refund_state for a Refund's Stripe `status`, and its history note."""
    if status == "succeeded":
        return REFUND_DONE, history.note("%(amount)s refunded (%(refund)s)", amount=amount, refund=refund_id)
    if status in ("failed", "canceled"):
        error = f"{refund_id} {status}: {failure_reason or 'no reason given'}"
        return REFUND_FAILED, history.note("Stripe did not refund: %(error)s", error=error)
    started = history.note("%(amount)s refund started, not yet done (%(refund)s)", amount=amount, refund=refund_id)
    return REFUND_PENDING, started


#: the refund_state a refund may come from to reach done or failed (forward only: failed stays failed)
REFUND_MOVES = {REFUND_DONE: (REFUND_PENDING,), REFUND_FAILED: (REFUND_PENDING, REFUND_DONE)}


def settle_refund(order: Order, refund: Refund) -> history.Note | None:
    """Stripe says the locked order's refund is `refund.status`: pending -> done, pending or done ->
    failed (flagged); the history's note, or None when that changes nothing."""
    amount = history.Money(refund.amount, refund.currency)
    state, note = refund_outcome(refund.status, refund.failure_reason, amount, refund.id)
    if order.refund_id != refund.id or order.refund_state not in REFUND_MOVES.get(state, ()):
        return None
    order.refund_state = state
    order.updated_at = utcnow()
    record_refund(order, state, note, amount)
    if state == REFUND_FAILED:
        notices.refund_failed_later(order)
    return note


#: a refund or boleto still pending is asked about again after as long as it has been pending, at least
#: a minute apart: at about 1, 2, 4, 8 minutes... then every 6 hours (a refund) or every hour (a boleto,
#: whose confirmation the customer waits for)
CHECK_MIN, REFUND_CHECK_MAX, BOLETO_CHECK_MAX = timedelta(minutes=1), timedelta(hours=6), timedelta(hours=1)


def check_pending_refund(order_id: int) -> bool:
    """Ask Stripe about a refund still `pending` (in case its event never came) and apply what it
    says, as the webhook would; whether that changed it. PaymentsUnavailable when Stripe is down.

    A refund can stay pending for days (a card to a closed account): still pending, it is asked
    about again after a gap as long as its age (stripe_next_check_at), so a shop with hundreds of
    them does not ask Stripe about each one every minute and run into its rate limit."""
    order = db.session.get(Order, order_id)
    if order is None or order.refund_state != REFUND_PENDING or not order.refund_id:
        return False
    refund = current_stripe().retrieve_refund(order.refund_id)
    with write_transaction(db):
        order = store.locked(order_id)
        if settle_refund(order, refund) is not None:
            return True
        if order.refund_state == REFUND_PENDING:
            ask_again_later(order, REFUND_ACTIONS[REFUND_PENDING], REFUND_CHECK_MAX)
        return False


def boleto_still_unpaid(order_id: int) -> None:
    """Reconcile asked Stripe about the order's boleto and it is still unpaid: asked again later."""
    with write_transaction(db):
        order = store.locked(order_id)
        if order is not None and order.awaiting_payment:
            ask_again_later(order, AWAITING_PAYMENT, BOLETO_CHECK_MAX)


def ask_again_later(order: Order, since_action: str, longest: timedelta) -> None:
    """The locked order's next check at Stripe: after as long as it has been pending (since its last
    history line `since_action`; else its last change), within CHECK_MIN and `longest`."""
    since = select(func.max(OrderEvent.at)).where(OrderEvent.order_id == order.id, OrderEvent.action == since_action)
    now = utcnow()
    age = now - (db.session.scalar(since) or order.updated_at)
    order.stripe_next_check_at = now + min(max(age, CHECK_MIN), longest)


def record_refund(order: Order, state: str, note: history.Note, amount: history.Money | None) -> None:
    """The locked order's refund reached `state` (refund_state set by the caller): its history line,
    the admin's flag for a failure, the customer's notice for a late payment given back."""
    store.record(order, STRIPE, REFUND_ACTIONS[state], None, None, note)
    if state == REFUND_FAILED:
        store.flag(order, f"The refund of {order.payment_intent} failed: {note.english}")
    elif state == REFUND_DONE and amount is not None and _paid_after_cancel(order.id):
        notices.payment_refunded(order, order.stripe_session_id, amount, "late")  # no cancellation notice said it


def _paid_after_cancel(order_id: int) -> bool:
    found = select(OrderEvent.id).where(OrderEvent.order_id == order_id, OrderEvent.action == PAID_AFTER_CANCEL)
    return db.session.scalar(found.limit(1)) is not None


def refund_stale_payment(stale: StalePayment) -> None:
    """A payment through a link the order no longer uses is given back, and the admin told."""
    session = stale.session
    key = store.shop_key("refund", stale.order_id, session.id)
    paid = {"amount": amount_of(session), "session": session.id}
    refund_id = None
    # Names this shop and database (as the PaymentIntent's metadata does): the order's own refund_id is
    # not this one, so refund events about it (a later failure) find the order by these.
    metadata = {
        "order_id": str(stale.order_id),
        "shop_instance": current_app.config["SHOP_INSTANCE_ID"],
        "shop_database": store.database_id(),
        "old_link": session.id,
    }
    try:
        refund_id = current_stripe().refund(session.payment_intent, key, metadata).id
        text = history.note(
            "%(amount)s was paid through an old payment link (%(session)s): refunded automatically (%(refund)s)",
            **paid,
            refund=refund_id,
        )
    except PaymentsError as error:
        text = history.note(
            "%(amount)s was paid through an old payment link (%(session)s): the automatic refund failed "
            "(%(error)s); refund %(payment)s at Stripe",
            **paid,
            error=str(error),
            payment=session.payment_intent,
        )
    with write_transaction(db):
        order = store.locked(stale.order_id)
        store.flag(order, text.english)
        store.record(order, STRIPE, "old_link_paid", None, None, text)
        if refund_id:
            notices.payment_refunded(order, session.id, paid["amount"], "old_link")


def boleto_hold_until(due: datetime) -> datetime:
    """How long a boleto's stock stays held: its due date plus the time its payment takes to be confirmed.

    Stripe confirms a boleto a business day after it is paid, banks take up to three: one paid on
    its due date, a Friday, can be confirmed on the Wednesday, and on the Friday after over Carnival.
    A hold that ended a day after the due date lapsed over the weekend, its stock went to another
    customer, and the confirmed payment then found none (and a boleto cannot be refunded). Holding
    longer costs little: the order is released as soon as Stripe says the boleto lapsed (its event,
    or reconcile asking); this deadline matters only when the shop could not tell inventory."""
    return due + timedelta(days=current_app.config["ORDERS_BOLETO_SETTLE_DAYS"])


def extend_hold_for_boleto(order_id: int) -> bool:
    """Hold the stock until the boleto is surely confirmed or lapsed (its due date read from Stripe)."""
    order = db.session.get(Order, order_id)
    if order is None or not order.awaiting_payment:
        return False
    try:
        session = current_stripe().retrieve_session(order.stripe_session_id)
    except PaymentsError:
        return False
    if session.boleto_due is None:
        return False
    deadline = boleto_hold_until(session.boleto_due)
    try:
        hold = current_inventory().change_hold(order.key, expires_at=deadline)
    except InventoryError:
        return False
    with write_transaction(db):
        order = store.locked(order_id)
        if not order.awaiting_payment:
            return False
        order.pay_by = session.boleto_due
        if hold.state == HOLD_HELD:
            order.hold_expires_at = deadline
    return True

"""Pay: a Stripe Checkout Session per order (DESIGN "Stock and payment", step 2), and closing it
before the order changes (steps 4 and 5).

A new session gets `pay_by = expires_at = now + max(window, 31 min)`, and the stock hold is moved
to `pay_by + 5 min` before Stripe is asked. Its idempotency key is
`{instance}:{orders database id}:order:{id}:v{version}` and every parameter comes from stored
fields, so a retry of the same version sends the very same request: two Pays at once (a double
click), or a retry after a lost answer, get the one session.
The version goes up whenever a session's parameters can no longer be repeated (the quantity
changed, the old link closed, or its stored deadline is too close for Stripe), so a new link never
reuses an old key.

While the order's session is open, Pay answers its URL. Before an edit or a cancel, the shop
expires the open session at Stripe; if Stripe answers that it is complete, the payment is applied
instead and the change refused.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from orders_app import history, states, store
from orders_app.clients.inventory import (
    HOLD_HELD,
    HoldConflict,
    HoldNotFound,
    InsufficientStock,
    InventoryUnavailable,
    ItemArchived,
    current_inventory,
)
from orders_app.clients.stripe_client import PaymentRefused, PaymentsUnavailable, SessionNotOpen, current_stripe
from orders_app.errors import (
    BOLETO_PENDING,
    LINK_NOT_CLOSED,
    PAYMENT_IN_REVIEW,
    PAYMENTS_DOWN,
    OrderError,
    not_pending,
    payments_unavailable,
    refused,
    too_large,
    too_small,
)
from orders_app.extensions import db
from orders_app.models import (
    HELD,
    PAID,
    PENDING,
    SESSION_CLOSING,
    SESSION_COMPLETE,
    SESSION_EXPIRED,
    SESSION_OPEN,
    SESSION_PROCESSING,
    Order,
    utcnow,
)
from orders_app.settling import cancel_and_release
from orders_app.webhooks import apply_from_stripe
from shared_ui.db import write_transaction

#: Stripe wants expires_at at least 30 minutes after the request; a stored deadline closer than
#: this is not sent again
STRIPE_MIN_EXPIRY = timedelta(minutes=30, seconds=30)
#: a link that closes sooner than this is not handed out any more: a new one is made
LINK_SLACK = timedelta(seconds=60)

# ----- Pay ------------------------------------------------------------------------------------


def start_checkout(order: Order, actor: str) -> str:
    """The URL where the customer pays this order: its open session's, or a new session's."""
    order_id = order.id
    _check_payable(order)
    now = utcnow()
    url = order.payment_url(now + LINK_SLACK)
    if url:
        return url
    if order.stripe_session_id and order.checkout_state in (SESSION_OPEN, SESSION_CLOSING):
        close_session(order_id, actor, "pay")  # the old link is past its deadline (or was paid)
    _check_minimum(order)
    _check_renewable(order, now)
    with write_transaction(db):
        order = store.locked(order_id)
        _check_payable(order)
        url = order.payment_url(utcnow() + LINK_SLACK)
        if url:
            return url
        _prepare_new_session(order, utcnow())
        version, pay_by = order.version, order.pay_by
        params, key = session_params(order), idempotency_key(order)
    hold_until = pay_by + timedelta(minutes=current_app.config["ORDERS_HOLD_MARGIN_MINUTES"])
    _move_hold(order_id, hold_until)
    try:
        session = current_stripe().create_session(params, key)
    except PaymentRefused as error:
        if error.code == "amount_too_small":
            raise too_small(order.total_cents, order.currency) from None
        if error.code == "amount_too_large":
            raise too_large(order.currency) from None
        current_app.logger.error("stripe refused a session for order %s: %s", order_id, error)
        message = _("Stripe refused to open a payment page for this order: %(error)s", error=str(error))
        raise OrderError(message, status=503, code="payment_refused") from None
    except PaymentsUnavailable:
        raise OrderError(PAYMENTS_DOWN, status=503, code="payments_unavailable") from None
    with write_transaction(db):
        order = store.locked(order_id)
        # Still the order the session was made for: the same version, no other link, and no edit
        # under way (an edit that claimed it meanwhile bumps the version only when it is done).
        unchanged = order.status == PENDING and order.hold_state == HELD and order.version == version
        if unchanged and order.stripe_session_id in (None, session.id):
            if order.stripe_session_id is None:
                order.stripe_session_id = session.id
                order.stripe_session_url = session.url
                order.checkout_state = SESSION_OPEN
                order.updated_at = utcnow()
                opened = history.note("Payment page opened; pay by %(pay_by)s", pay_by=pay_by)
                store.record(order, actor, "payment_link", None, None, opened)
            return order.stripe_session_url
        if order.status == PENDING and order.version == version:
            # An edit under way that may yet be refused (too few in stock) and leave the order as it
            # was: this version's key names the session expired below, and Stripe would answer the
            # next Pay's repeat of it with that session as first made ("open"), a link nobody can pay.
            order.version += 1
            order.updated_at = utcnow()
    # The order changed while Stripe was asked (an edit, a cancel): this link must not be used.
    _expire_quietly(session.id)
    message = _("This order changed while its payment page was being prepared; look at it again.")
    raise OrderError(message, status=409, code="conflict")


def _check_payable(order: Order) -> None:
    """The guard the Pay button asks (states.why_not_pay), as the error the customer reads."""
    refused(order, states.why_not_pay(order), nothing_to_pay=True)


def renewal_deadline(order: Order):
    """After this no new Checkout Session renews the order's hold: created_at + 2 x the payment window."""
    return order.created_at + 2 * timedelta(minutes=current_app.config["SHOP_PAYMENT_WINDOW_MINUTES"])


def payable_until(order: Order, now) -> datetime | None:
    """The time the order page gives as "Pay by": the open payment link's deadline (a boleto's due
    date); once that passed, the last moment Pay still makes a new link (the hold's end, at most the
    renewal deadline); None when that passed too (the sweeper cancels the order)."""
    if order.pay_by is None or order.awaiting_payment or order.pay_by > now:
        return order.pay_by
    last = min(order.hold_expires_at, renewal_deadline(order)) if order.hold_expires_at else None
    return last if last is not None and last > now else None


def _check_renewable(order: Order, now) -> None:
    """Holding is bounded (DESIGN step 4): an order too old for a new link is never paid; the sweeper
    cancels it."""
    if now >= renewal_deadline(order):
        message = _("This order was placed too long ago to be paid now; please order again.")
        raise OrderError(message, status=409, code="payment_window_over")


def _check_minimum(order: Order) -> None:
    """An order placed before Stripe's minimum (and maximum) were checked at placing (or under another
    currency's): never sent to Stripe, which would refuse it."""
    if states.missing_for_minimum(order.total_cents, order.currency):
        raise too_small(order.total_cents, order.currency)
    if states.over_maximum(order.total_cents):
        raise too_large(order.currency)


def _prepare_new_session(order: Order, now) -> None:
    """Fix the parameters of the next session (inside the claim); a new version when they must differ."""
    if order.stripe_session_id is not None:  # the old link is closed: a new one needs a new key
        order.version += 1
        order.stripe_session_id = None
        order.stripe_session_url = None
        order.checkout_state = None
    repeatable = order.checkout_version == order.version and order.pay_by and order.pay_by >= now + STRIPE_MIN_EXPIRY
    if repeatable:
        return  # an earlier attempt of this version: send exactly what it sent
    if order.checkout_version == order.version:
        order.version += 1  # that attempt's deadline is too close now: new parameters, new key
    config = current_app.config
    minutes = max(config["SHOP_PAYMENT_WINDOW_MINUTES"], config["ORDERS_MIN_SESSION_MINUTES"])
    order.pay_by = (now + timedelta(minutes=minutes)).replace(microsecond=0)
    order.checkout_version = order.version
    order.updated_at = now


def session_params(order: Order) -> dict:
    """The Checkout Session of the order's current version, from stored fields only."""
    config = current_app.config
    public = config["SHOP_PUBLIC_URL"]
    methods = ["card", "boleto"] if order.currency == "brl" else ["card"]
    metadata = {
        "order_id": str(order.id),
        "order_version": str(order.version),
        "shop_instance": config["SHOP_INSTANCE_ID"],
        "shop_database": store.database_id(),
    }
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": line.unit_price_cents,
                    "product_data": {"name": line.item_name},
                },
                "quantity": line.quantity,
            }
            for line in order.lines
        ],
        "client_reference_id": str(order.id),
        "metadata": metadata,
        "payment_intent_data": {
            "metadata": {
                "order_id": str(order.id),
                "shop_instance": config["SHOP_INSTANCE_ID"],
                "shop_database": store.database_id(),
            }
        },
        "payment_method_types": methods,
        "success_url": f"{public}/orders/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{public}/orders/{order.id}?payment=cancelled",
        "expires_at": int(order.pay_by.replace(tzinfo=UTC).timestamp()),
    }


def idempotency_key(order: Order) -> str:
    """`{SHOP_INSTANCE_ID}:{orders database id}:order:{id}:v{version}` (DESIGN "Stock and payment", step 2)."""
    return store.shop_key("order", order.id, f"v{order.version}")


def _move_hold(order_id: int, hold_until) -> None:
    """The stock is held until the new deadline + 5 minutes, or the order cannot be paid any more."""
    order = db.session.get(Order, order_id)
    try:
        hold = current_inventory().change_hold(order.key, expires_at=hold_until)
    except InventoryUnavailable:
        raise OrderError(
            _("the inventory service is not answering; nothing was charged. Please try again in a moment."),
            status=503,
            code="inventory_unavailable",
        ) from None
    except (HoldNotFound, HoldConflict, InsufficientStock, ItemArchived):
        hold = None
    if hold is None or hold.state != HOLD_HELD:
        # The hold lapsed at inventory before anyone paid: the order can no longer be paid.
        cancel_and_release(order_id, store.INVENTORY, history.note("The stock hold lapsed before the order was paid"))
        raise OrderError(
            _("The stock held for this order was released, so the order was cancelled; please order again."),
            status=409,
            code="not_pending",
        )
    with write_transaction(db):
        order = store.locked(order_id)
        if order.hold_expires_at < hold_until:
            order.hold_expires_at = hold_until


def _expire_quietly(session_id: str) -> None:
    try:
        current_stripe().expire_session(session_id)
    except (PaymentsUnavailable, SessionNotOpen, PaymentRefused) as error:
        current_app.logger.warning("could not expire unused session %s: %s", session_id, error)


# ----- closing the link before a change -------------------------------------------------------


def close_session(order_id: int, actor: str, purpose: str) -> None:
    """Before an edit, a cancel or a new link (`purpose`): expire the order's open session at Stripe.

    If Stripe says the session is complete, the payment is applied instead and the change is
    refused (OrderError). Raises OrderError 503 when Stripe does not answer: the link stays as it is.
    """
    order = db.session.get(Order, order_id)
    if order is None or order.status != PENDING:
        return
    if order.checkout_state == SESSION_PROCESSING:
        raise OrderError(BOLETO_PENDING, status=409, code="awaiting_payment")
    if order.checkout_state == SESSION_COMPLETE and purpose != "cancel":
        raise OrderError(PAYMENT_IN_REVIEW, status=409, code="payment_in_review")
    if order.checkout_state not in (SESSION_OPEN, SESSION_CLOSING) or not order.stripe_session_id:
        return
    session_id = order.stripe_session_id
    with write_transaction(db):
        order = store.locked(order_id)
        if order.stripe_session_id != session_id or order.checkout_state not in (SESSION_OPEN, SESSION_CLOSING):
            return
        order.checkout_state = SESSION_CLOSING  # from now on an `expired` event is the shop's own doing
        order.updated_at = utcnow()
    try:
        current_stripe().expire_session(session_id)
    except SessionNotOpen:
        _closed_already(order_id, actor)
        return
    except PaymentsUnavailable:
        raise payments_unavailable() from None
    with write_transaction(db):
        order = store.locked(order_id)
        if order.stripe_session_id == session_id and order.checkout_state in (SESSION_CLOSING, SESSION_OPEN):
            order.checkout_state = SESSION_EXPIRED
            order.stripe_session_url = None
            order.updated_at = utcnow()
            store.record(order, actor, "payment_link_closed", None, None, _closed_before(purpose))


def _closed_already(order_id: int, actor: str) -> None:
    """Stripe would not expire the session: it is complete (apply the payment) or expired already. If
    Stripe says it is still open (refused for another reason), nothing may change: a cancelled order
    could still be paid."""
    try:
        outcome = apply_from_stripe(order_id, actor, history.note("checked before a change"))
    except PaymentsUnavailable:
        raise payments_unavailable() from None
    if outcome == "open":
        current_app.logger.warning("order %s: Stripe refused to expire its open session", order_id)
        raise payments_unavailable(LINK_NOT_CLOSED)
    order = db.session.get(Order, order_id)
    if order.status == PAID:
        raise OrderError(
            _("This order was just paid, so it can no longer be changed or cancelled."), status=409, code="not_pending"
        )
    if order.status != PENDING:
        raise not_pending(order)
    if order.checkout_state == SESSION_PROCESSING:
        raise OrderError(BOLETO_PENDING, status=409, code="awaiting_payment")


def _closed_before(purpose: str) -> history.Note | str:
    """The history's note on a link closed before an edit, a cancel or a new link."""
    if purpose == "edit":
        return history.note("before the quantity change")
    if purpose == "cancel":
        return history.note("before the cancel")
    if purpose == "pay":
        return history.note("before the new payment link")
    return f"before the {purpose}"

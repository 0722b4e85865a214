"""Stripe's side of paying: the page the customer comes back to, and the signed webhook."""

import stripe
from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from orders_app import history, store, webhooks
from orders_app.clients.stripe_client import PaymentsUnavailable, verify_event
from orders_app.extensions import db
from orders_app.models import Order
from shared_ui.extensions import csrf
from shared_ui.numbers import whole_number
from shared_ui.pages import render_page

bp = Blueprint("payments", __name__, url_prefix="/orders")

POLL_SECONDS = 2
#: a boleto settles in days, not seconds: its page asks less often
BOLETO_POLL_SECONDS = 15
#: how long a page asks by itself (each time, Stripe too): a tab left open does not ask for ever
POLL_FOR_SECONDS = 10 * 60


@bp.get("/checkout/success")
@login_required
def success():
    """Where Stripe sends the customer after paying: "Payment received" once the order is paid.

    Until Stripe's webhook has arrived it asks Stripe itself (the same idempotent fulfilment as the
    webhook) and, while Stripe has not confirmed, the region polls itself with htmx.
    """
    session_id = request.args.get("session_id", "")
    asked = whole_number(request.args.get("asked", "")) or 0  # how many times this page asked already
    order = _order_of_session(session_id)
    stripe_down = False
    if order.is_pending:
        try:
            webhooks.apply_from_stripe(order.id, store.actor_name(current_user), history.note("success page"))
        except PaymentsUnavailable:
            stripe_down = True
        order = db.session.get(Order, order.id)
    poll_seconds = BOLETO_POLL_SECONDS if order.awaiting_payment else POLL_SECONDS
    return render_page(
        "orders/checkout_success.html",
        "payment_result",
        order=order,
        session_id=session_id,
        polling=order.is_pending and asked * poll_seconds < POLL_FOR_SECONDS,
        asked=asked + 1,
        poll_seconds=poll_seconds,
        stripe_down=stripe_down,
    )


def _order_of_session(session_id: str) -> Order:
    """The order whose current session this is, if the user may see it (else 404)."""
    order_id = db.session.scalar(select(Order.id).where(Order.stripe_session_id == session_id)) if session_id else None
    order = store.order_for(current_user, order_id) if order_id else None
    return order or abort(404, _("There is no payment of yours with this reference."))


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    """Stripe's events: 400 on a bad signature, 200 once applied (or known), 500 asks for a retry."""
    payload = request.get_data()  # the raw body, before anything parses it: the signature covers it
    try:
        event = verify_event(
            payload, request.headers.get("Stripe-Signature"), current_app.config["STRIPE_WEBHOOK_SECRET"]
        )
    except (stripe.SignatureVerificationError, ValueError) as error:
        current_app.logger.warning("stripe webhook refused: %s", error)
        return jsonify(error={"code": "bad_signature", "message": "The Stripe signature does not check out."}), 400
    outcome = webhooks.receive_event(event)
    return jsonify(received=True, outcome=outcome)

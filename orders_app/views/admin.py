"""The admin order monitor: every order, filtered and searched, refreshing itself; admin cancel
(a Pending order: its stock goes back; a Paid order: refunded at Stripe, restocked unless the admin unticks it), and
"mark as resolved" for an order flagged for a look."""

import json
from datetime import timedelta
from urllib.parse import parse_qsl

from flask import Blueprint, abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from orders_app import cancelling, history, monitor, store
from orders_app.errors import OrderError
from orders_app.extensions import db
from orders_app.forms import ActionForm, RefundForm
from orders_app.models import PAID, REFUND_DUE, REFUND_FAILED, REFUND_PENDING, STATUSES, Order, utcnow
from shared_ui.auth import admin_required
from shared_ui.pages import render_page
from shared_ui.requests_kind import vary_on, wants_fragment

bp = Blueprint("admin", __name__, url_prefix="/orders/admin")

PER_PAGE = 50
REFRESH_SECONDS = 10
#: HX-Trigger of an answer to a cancel that put stock back: the monitor's low-stock box asks again.
STOCK_CHANGED = "shop:stock-changed"
#: The longest `back` read: the monitor's own address, of which nginx takes 8 KiB at most
#: (large_client_header_buffers). A longer one is no monitor's; its totals, counted after the action
#: was done, could fail (SQLite refuses a LIKE pattern over 50,000 bytes) and say nothing was changed.
BACK_MAX = 8 * 1024


@bp.route("/")
@admin_required
def index():
    now, stale = _clock()
    query = monitor.MonitorQuery.from_args(request.args)
    found = monitor.search(query, now, stale, PER_PAGE)
    return render_page(
        "orders/admin.html",
        "monitor_results",
        query=query,
        orders=found.orders,
        total=found.total,
        found=found,
        summary=monitor.summary(query, now, stale),
        statuses=STATUSES,
        now=now,
        stale=stale,
        reasons=monitor.attention_reasons,
        form=ActionForm(),
        refresh_seconds=REFRESH_SECONDS,
    )


@bp.route("/<int:order_id>/cancel", methods=["POST"])
@admin_required
def cancel(order_id: int):
    order = db.get_or_404(Order, order_id)
    error, done, restocked = None, None, False
    actor = store.actor_name(current_user)
    try:
        # An unticked box is not posted: read the post itself, so the box's default (ticked) never
        # stands in for a post that left it out.
        was_paid, restock = order.status == PAID, RefundForm(formdata=request.form).restock.data
        note = history.note("Cancelled by an administrator")
        # The status the row showed (its form says; not `status`, the filters' field, which htmx
        # sends along from the monitor): a Cancel shown on a Pending order never refunds.
        shown = request.form.get("shown_status")
        order = cancelling.cancel_as(order, actor, admin=True, restock=restock, note=note, shown_status=shown)
        restocked = restock or not was_paid  # a Pending order's hold always goes back
        if was_paid and order.refund_state in (REFUND_PENDING, REFUND_FAILED):
            stock = _("Its stock went back.") if restock else _("Its stock was not returned.")
            if order.refund_state == REFUND_PENDING:  # Stripe took it; the bank has not answered yet
                done = _("Order #%(id)d is cancelled; Stripe is still processing its refund.", id=order.id)
                done += " " + stock
            else:  # refused: the order is flagged for an administrator
                error = _("Order #%(id)d is cancelled, but Stripe refused its refund: refund it by hand.", id=order.id)
                error += " " + stock
        elif was_paid:
            if restock:
                done = _("Order #%(id)d is cancelled and its payment refunded; its stock went back.", id=order.id)
            else:
                done = _(
                    "Order #%(id)d is cancelled and its payment refunded; its stock was not returned.", id=order.id
                )
            if order.refund_state == REFUND_DUE:
                done += " " + _("Stripe did not answer yet: the refund is retried automatically.")
        else:
            done = _("Order #%(id)d is cancelled; its stock went back.", id=order.id)
    except OrderError as exc:
        error = exc.message
    return _answer(order, error, done, stock_changed=restocked)


@bp.route("/<int:order_id>/resolve", methods=["POST"])
@admin_required
def resolve(order_id: int):
    """A flagged order (a payment refunded after a cancel, a refund that failed...) has been dealt with."""
    order, resolved = cancelling.resolve_attention(order_id, store.actor_name(current_user))
    if order is None:
        abort(404)
    error, done = None, None
    if resolved:
        done = _("Order #%(id)d is marked as resolved.", id=order.id)
    else:
        error = _("Order #%(id)d is not flagged: there is nothing to resolve.", id=order.id)
    return _answer(order, error, done, view=monitor.ATTENTION)


def _answer(order: Order, error: str | None, done: str | None, view: str | None = None, stock_changed: bool = False):
    """An admin action's answer: the order's monitor row for htmx; else back to the monitor (or the
    order page, when the form came from there) with the message flashed.

    The row comes with the monitor's totals counted again, out of band, for the filters the form
    came from (`back`), and, when the action put stock back, an HX-Trigger for the low-stock box:
    both are current at once, not at their next refresh, and the row keeps its own message."""
    # The monitor as the admin had filtered it (its own arguments only); the order page's forms carry no `back`.
    back = request.form.get("back")
    shown = None
    if back is not None and len(back) <= BACK_MAX:
        shown = monitor.MonitorQuery.from_args(dict(parse_qsl(back)))
    if not wants_fragment():
        flash(error or done, "error" if error else "success")
        if request.form.get("return_to") == "order":
            return redirect(url_for("orders.show", order_id=order.id), code=303)
        if shown is not None:
            return redirect(url_for(".index", **shown.link_args()), code=303)
        return redirect(url_for(".index", view=view), code=303)
    now, stale = _clock()
    body = render_block(
        "orders/admin.html",
        "order_row",
        **({"query": shown} if shown is not None else {}),  # its forms keep `back` for the next action
        order=order,
        error=error,
        done=done,
        now=now,
        stale=stale,
        reasons=monitor.attention_reasons,
        form=ActionForm(),
    )
    if shown is not None:
        # In a <template>, as the announcement: a table is no valid neighbour of the row.
        summary = render_block(
            "orders/admin.html", "monitor_summary", summary=monitor.summary(shown, now, stale), summary_oob=True
        )
        body += "<template>" + summary + "</template>"
    response = make_response(body)
    vary_on(response, "HX-Request")
    if stock_changed:
        response.headers["HX-Trigger"] = json.dumps({STOCK_CHANGED: order.id})
    return response


def _clock():
    now = utcnow()
    return now, now - timedelta(seconds=current_app.config["ORDERS_STALE_SECONDS"])

"""The hosted checkout page (the session's `url`): line items, total, card field, Pay, Cancel."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from . import ledger, objects, payments
from .errors import StripeError
from .runtime import runtime

bp = Blueprint("checkout", __name__, url_prefix="/checkout")

OUTCOME_STATUS = {"declined": 402, "invalid": 422, "closed": 409}


def success_redirect(session: dict[str, Any]) -> str:
    """Where Stripe sends the payer after paying: success_url with the session id filled in."""
    if session["success_url"]:
        return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    return url_for("checkout.show", session_id=session["id"])


@bp.get("/<session_id>")
def show(session_id: str) -> Response | tuple[str, int]:
    """The payment page of an open session, or what became of it."""
    rt = runtime()
    with rt.store.reading() as conn:
        ctx = ledger.context(conn, rt.settings)
        try:
            record = ledger.require(ctx, "checkout.session", session_id)
        except StripeError:
            return _not_found()
        intent = None
        if record.body["payment_intent"]:
            intent = ledger.require(ctx, "payment_intent", record.body["payment_intent"]).body
    return _page(record.body, record.private, intent, 200)


@bp.post("/<session_id>/pay")
def pay(session_id: str) -> Response | tuple[str, int]:
    """Submit the card (form field `card`) or `method=boleto`."""
    card = request.form.get("card", "")
    method = request.form.get("method") or None
    rt = runtime()
    with rt.store.transaction() as conn:
        ctx = ledger.context(conn, rt.settings)
        try:
            outcome = payments.pay(ctx, session_id, card=card, method=method)
            record = ledger.require(ctx, "checkout.session", session_id)
        except StripeError:
            return _not_found()
    if outcome.completed:
        return redirect(success_redirect(outcome.session), 303)
    return _page(outcome.session, record.private, None, OUTCOME_STATUS[outcome.result],
                 error=outcome.message, card=card)


def _page(
    session: dict[str, Any], private: dict[str, Any], intent: dict[str, Any] | None, status: int,
    *, error: str | None = None, card: str = "",
) -> tuple[str, int]:
    g.form_action_origins = [_origin(session["success_url"]), _origin(session["cancel_url"])]
    items = private.get("line_items", [])
    money = objects.format_amount
    boleto = None
    if intent and intent["next_action"] and intent["next_action"]["type"] == "boleto_display_details":
        boleto = intent["next_action"]["boleto_display_details"]
    html = render_template(
        "checkout.html",
        session=session,
        items=[{**item, "unit": money(item["price"]["unit_amount"], item["currency"]),
                "total": money(item["amount_total"], item["currency"])} for item in items],
        total=money(session["amount_total"], session["currency"]),
        offers_boleto="boleto" in session["payment_method_types"],
        offers_card="card" in session["payment_method_types"],
        boleto=boleto,
        boleto_state=private.get("boleto"),
        success_url=success_redirect(session) if session["status"] == "complete" else None,
        error=error,
        card=card,
    )
    return html, status


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _not_found() -> tuple[str, int]:
    return render_template("message.html", title="Checkout session not found",
                           message="This payment link does not exist."), 404

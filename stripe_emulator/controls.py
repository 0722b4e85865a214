"""Emulator-only pages and test controls: the events page, `/healthz`, and `/_emulator/...`
(settle a boleto, expire now, pay without a browser, list and resend events). No API key: the
emulator listens on loopback only."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from . import ledger, payments, storage
from .checkout import success_redirect
from .config import DEV_WEBHOOK_SECRET
from .errors import StripeError, resource_missing
from .runtime import runtime

bp = Blueprint("controls", __name__)


def _inputs() -> dict[str, Any]:
    """Form fields or a JSON object, whichever the caller sent."""
    body = request.get_json(silent=True) if request.is_json else None
    return body if isinstance(body, dict) else request.form.to_dict()


@bp.errorhandler(StripeError)
def control_error(error: StripeError) -> tuple[Response, int]:
    """Stripe's error shape; a request the session's state refuses is a 409 here."""
    status = 409 if error.replayable else error.status
    return jsonify(error.body()), status


@bp.get("/healthz")
def healthz() -> Response:
    """200 when the database answers."""
    with runtime().store.reading() as conn:
        conn.execute("SELECT 1").fetchone()
    return jsonify(status="ok")


@bp.get("/")
def events_page() -> str:
    """Recent events and every delivery attempt."""
    rt = runtime()
    with rt.store.reading() as conn:
        events = storage.recent_events(conn, limit=200)
    return render_template(
        "events.html", events=events, settings=rt.settings,
        dev_secret=rt.settings.webhook_secret == DEV_WEBHOOK_SECRET,
    )


@bp.get("/_emulator/events")
def list_events() -> Response:
    """Events newest first with their deliveries (`?type=`, `?session=`, `?limit=`)."""
    limit = min(int(request.args.get("limit", 100)), 1000)
    with runtime().store.reading() as conn:
        events = storage.recent_events(
            conn, limit=limit, event_type=request.args.get("type"), ordering_key=request.args.get("session")
        )
    return jsonify(events)


@bp.post("/_emulator/events/<event_id>/resend")
def resend_event(event_id: str) -> tuple[Response, int]:
    """Deliver the same event (same id, same body) once more."""
    with runtime().store.transaction() as conn:
        row = storage.event_row(conn, event_id)
        if row is None:
            raise resource_missing("event", event_id, "id")
        delivery_id = storage.queue_delivery(conn, event_id, row["ordering_key"], time.time())
    return jsonify(event=event_id, delivery=delivery_id), 202


@bp.post("/_emulator/checkout/<session_id>/complete")
def complete(session_id: str) -> tuple[Response, int]:
    """What the hosted page's Pay does (`card=…` or `method=boleto`), answered in JSON."""
    inputs = _inputs()
    rt = runtime()
    with rt.store.transaction() as conn:
        outcome = payments.pay(ledger.context(conn, rt.settings), session_id,
                               card=str(inputs.get("card", "")), method=inputs.get("method") or None)
    body: dict[str, Any] = {"outcome": outcome.result, "session": outcome.session}
    if outcome.completed:
        body["redirect_url"] = success_redirect(outcome.session)
        return jsonify(body), 200
    body["error"] = {"message": outcome.message}
    return jsonify(body), {"declined": 402, "invalid": 422, "closed": 409}[outcome.result]


@bp.post("/_emulator/checkout/<session_id>/settle")
def settle(session_id: str) -> Response | tuple[Response, int]:
    """A boleto is paid (`result=succeeded`) or lapses (`result=failed`)."""
    inputs = _inputs()
    rt = runtime()
    with rt.store.transaction() as conn:
        session = payments.settle(ledger.context(conn, rt.settings), session_id, str(inputs.get("result", "")))
    if inputs.get("return_to") == "page":  # the buttons on the boleto page
        return redirect(url_for("checkout.show", session_id=session_id), 303)
    return jsonify(session), 200


@bp.post("/_emulator/refunds/<refund_id>/settle")
def settle_refund(refund_id: str) -> tuple[Response, int]:
    """A refund of test card 4000 0000 0000 5126 fails (or of 4000 0000 0000 7726 succeeds) now."""
    return jsonify(_in_transaction(payments.settle_refund, refund_id)), 200


@bp.post("/_emulator/checkout/<session_id>/expire")
def expire(session_id: str) -> tuple[Response, int]:
    """Expire an open session now, exactly as when its `expires_at` comes."""
    return jsonify(_in_transaction(payments.expire_session, session_id)), 200


def _in_transaction(change: Callable[[ledger.Context, str], dict[str, Any]], object_id: str) -> dict[str, Any]:
    """One change to an object, in one write transaction; the object as it is now."""
    rt = runtime()
    with rt.store.transaction() as conn:
        return change(ledger.context(conn, rt.settings), object_id)


@bp.app_template_filter("utc")
def utc(timestamp: float | None) -> str:
    """Unix time as a readable UTC time on the emulator's pages."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

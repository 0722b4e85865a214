"""The `/v1` API, as the official SDK calls it: form-encoded requests, JSON answers, Stripe's errors,
API keys and idempotency keys."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from . import expansion, ledger, objects, params, payments, sessions, storage
from .errors import StripeError, param_error, resource_missing
from .runtime import runtime

bp = Blueprint("api", __name__, url_prefix="/v1")

Handler = Callable[[ledger.Context, dict[str, Any]], dict[str, Any]]

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)


def dump(body: Any) -> str:
    """JSON the way Stripe sends it (indented)."""
    return json.dumps(body, indent=2) + "\n"


def json_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer with Stripe's request headers."""
    response = Response(text, status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


# --- authentication and errors --------------------------------------------------------------


def _presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():  # curl -u sk_test_…:
        try:
            return base64.b64decode(value.strip()).decode().partition(":")[0] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def _redacted(key: str) -> str:
    return f"{key[:8]}{'*' * max(len(key) - 12, 4)}{key[-4:]}" if len(key) > 12 else "****"


@bp.before_request
def authenticate() -> None:
    """Require the configured secret key (or any test key when none is configured)."""
    g.request_id = objects.new_id("req_", 14)
    key = _presented_key()
    if key is None:
        raise StripeError(NO_KEY, status=401)
    expected = runtime().settings.secret_key
    valid = hmac.compare_digest(key, expected) if expected else key.startswith("sk_test_")
    if not valid:
        raise StripeError(f"Invalid API Key provided: {_redacted(key)}", status=401)
    g.api_key = key


@bp.after_request
def stripe_headers(response: Response) -> Response:
    """Headers Stripe puts on every API answer."""
    response.headers.setdefault("Request-Id", g.get("request_id") or objects.new_id("req_", 14))
    response.headers["Stripe-Version"] = request.headers.get("Stripe-Version") or runtime().settings.api_version
    key = request.headers.get("Idempotency-Key")
    if key and request.method == "POST":
        response.headers["Idempotency-Key"] = key
    response.headers["Cache-Control"] = "no-cache, no-store"
    return response


@bp.errorhandler(StripeError)
def stripe_error(error: StripeError) -> Response:
    """Stripe's error body, so the SDK raises the matching exception."""
    return json_response(dump(error.body(g.get("request_id"))), error.status)


@bp.errorhandler(Exception)
def api_error(error: Exception) -> Response | HTTPException:
    """A bug in the emulator: Stripe's `api_error` shape (the SDK raises APIError)."""
    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("stripe emulator: unexpected error")
    body = StripeError("An unexpected error occurred in the Stripe emulator.", status=500, type="api_error")
    return json_response(dump(body.body(g.get("request_id"))), 500)


@bp.app_errorhandler(HTTPException)
def unknown_url(error: HTTPException) -> Response | HTTPException:
    """Under /v1, Stripe's answer for routes it does not have; elsewhere the usual page."""
    if not request.path.startswith("/v1/") or error.code not in (404, 405):
        return error
    message = f"Unrecognized request URL ({request.method}: {request.path})."
    return json_response(dump(StripeError(message, status=404).body()), 404)


# --- reads and writes -----------------------------------------------------------------------


def _read(kind: str, obj_id: str) -> Response:
    query = params.decode_form(request.args.items(multi=True))
    rt = runtime()
    with rt.store.reading() as conn:
        ctx = ledger.context(conn, rt.settings)
        record = ledger.require(ctx, kind, obj_id)
        body = expansion.expand(ctx, record.body, expansion.expand_paths(query.get("expand")))
    return json_response(dump(body))


def _write(handler: Handler) -> Response:
    """Run a POST in one transaction, honouring `Idempotency-Key` as Stripe does.

    The key is looked up inside the same `BEGIN IMMEDIATE` transaction that runs the request, so
    a second request with the same key waits for the first to commit and then replays its answer.
    """
    rt = runtime()
    pairs = list(request.form.items(multi=True))
    form = params.decode_form(pairs)
    expand = expansion.expand_paths(form.pop("expand", None))
    key = request.headers.get("Idempotency-Key") or None
    scope = hashlib.sha256(g.api_key.encode()).hexdigest()
    fingerprint = hashlib.sha256(json.dumps(sorted(pairs)).encode()).hexdigest()
    with rt.store.transaction() as conn:
        ctx = ledger.context(conn, rt.settings, request_id=g.request_id, idempotency_key=key)
        if key:
            saved = storage.find_saved_response(conn, scope, key, ctx.now - rt.settings.idempotency_ttl_seconds)
            if saved is not None:
                return _replay(saved, key, fingerprint)
        conn.execute("SAVEPOINT endpoint")
        try:
            status, text = 200, dump(expansion.expand(ctx, handler(ctx, form), expand))
        except StripeError as error:
            conn.execute("ROLLBACK TO endpoint")
            if not (key and error.replayable):
                raise
            status, text = error.status, dump(error.body(g.request_id))
        conn.execute("RELEASE endpoint")
        if key:
            storage.save_response(
                conn, scope, key, path=request.path, fingerprint=fingerprint, status_code=status,
                body=text, request_id=g.request_id, now=ctx.now,
            )
    return json_response(text, status)


def _replay(saved: storage.SavedResponse, key: str, fingerprint: str) -> Response:
    if saved.path != request.path:
        raise StripeError(
            "Keys for idempotent requests can only be used for the same endpoint they were first used "
            f"for ('{saved.path}' vs '{request.path}'). Try using a key other than '{key}' if you meant "
            "to execute a different request.", type="idempotency_error",
        )
    if saved.fingerprint != fingerprint:
        raise StripeError(
            "Keys for idempotent requests can only be used with the same parameters they were first "
            f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
            type="idempotency_error",
        )
    return json_response(
        saved.body, saved.status_code,
        {"Idempotent-Replayed": "true", "Original-Request": saved.request_id},
    )


# --- endpoints ------------------------------------------------------------------------------


@bp.post("/checkout/sessions")
def create_session() -> Response:
    """Create a Checkout Session."""
    return _write(sessions.create_session)


@bp.get("/checkout/sessions")
def list_sessions() -> Response:
    """List sessions, newest first (`limit`, `starting_after`, `status`, `payment_intent`)."""
    query = params.decode_form(request.args.items(multi=True))
    params.check_known(query, {"limit", "starting_after", "status", "payment_intent", "expand"})
    limit = params.page_limit(query)
    filters = {name: query[name] for name in ("status", "payment_intent") if query.get(name)}
    rt = runtime()
    with rt.store.reading() as conn:
        ctx = ledger.context(conn, rt.settings)
        found, has_more = storage.page(
            conn, "checkout.session", limit=limit, starting_after=params.text(query, "starting_after"),
            equals=filters,
        )
        paths = [p.removeprefix("data.") for p in expansion.expand_paths(query.get("expand"))]
        found = [expansion.expand(ctx, session, paths) for session in found]
    return json_response(dump(objects.list_object(found, "/v1/checkout/sessions", has_more)))


@bp.get("/checkout/sessions/<session_id>")
def retrieve_session(session_id: str) -> Response:
    """Retrieve a Checkout Session (`expand[]=line_items`, `payment_intent` supported)."""
    return _read("checkout.session", session_id)


@bp.get("/checkout/sessions/<session_id>/line_items")
def session_line_items(session_id: str) -> Response:
    """A page of a session's line items, in the order they were given (`limit`, `starting_after`, `ending_before`)."""
    query = params.decode_form(request.args.items(multi=True))
    params.check_known(query, {"limit", "starting_after", "ending_before", "expand"})
    if expansion.expand_paths(query.get("expand")):
        raise param_error("The Stripe emulator cannot expand line items' fields.", "expand")
    limit = params.page_limit(query)
    cursors = {name: params.text(query, name) for name in ("starting_after", "ending_before")}
    rt = runtime()
    with rt.store.reading() as conn:
        record = ledger.require(ledger.context(conn, rt.settings), "checkout.session", session_id)
    items = record.private.get("line_items", [])
    url = f"/v1/checkout/sessions/{session_id}/line_items"
    try:
        page = objects.list_page(items, url, limit=limit, **cursors)
    except KeyError as unknown:
        param = "starting_after" if cursors["starting_after"] else "ending_before"
        raise resource_missing("line item", unknown.args[0], param) from None
    return json_response(dump(page))


@bp.post("/checkout/sessions/<session_id>/expire")
def expire_session(session_id: str) -> Response:
    """Expire an open session (400 for any other status)."""

    def handler(ctx: ledger.Context, form: dict[str, Any]) -> dict[str, Any]:
        params.check_known(form, ())
        return payments.expire_session(ctx, session_id)

    return _write(handler)


@bp.get("/payment_intents/<intent_id>")
def retrieve_payment_intent(intent_id: str) -> Response:
    """Retrieve a PaymentIntent."""
    return _read("payment_intent", intent_id)


@bp.get("/charges/<charge_id>")
def retrieve_charge(charge_id: str) -> Response:
    """Retrieve a charge."""
    return _read("charge", charge_id)


@bp.post("/refunds")
def create_refund() -> Response:
    """Refund all or part of a PaymentIntent's charge."""
    return _write(payments.create_refund)


@bp.get("/refunds/<refund_id>")
def retrieve_refund(refund_id: str) -> Response:
    """Retrieve a refund."""
    return _read("refund", refund_id)


@bp.get("/events/<event_id>")
def retrieve_event(event_id: str) -> Response:
    """Retrieve an event as it was sent."""
    rt = runtime()
    with rt.store.reading() as conn:
        event = ledger.load_event(conn, event_id)
    return json_response(dump(event))

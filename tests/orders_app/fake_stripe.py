"""An in-memory Stripe with the methods of orders_app.clients.stripe_client.StripeGateway.

It keeps Stripe's rules that the shop relies on: an idempotency key gives the first answer again
for the same parameters and refuses other parameters; a total below 50 cents is refused; only an
open session can be expired; a payment is refunded once. Test controls (`pay`, `decline`,
`issue_boleto`, `settle`, `expire`) change a session as the hosted page or time would, and return
the event Stripe would send, ready for `signed(...)`.
"""

import hashlib
import hmac
import itertools
import json
import threading
import time
from datetime import UTC, datetime, timedelta

from orders_app.clients.stripe_client import (
    CheckoutSession,
    PaymentRefused,
    PaymentsUnavailable,
    Refund,
    SessionNotOpen,
)

WEBHOOK_SECRET = "whsec_fake_" + "0" * 24


class FakeStripe:
    configured = True

    def __init__(self):
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.saved: dict[str, tuple[dict, dict]] = {}
        self.refunds: dict[str, dict] = {}
        #: the status Stripe gives the next refund when it takes it: `succeeded`, or `pending` (as
        #: test card 4000000000007726's); either may later change (`finish_refund`)
        self.refund_status = "succeeded"
        self.calls: list[tuple] = []
        self.down = False
        #: called as before_call(method) before a call is applied (concurrency tests)
        self.before_call = None
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    # ----- the gateway's interface -----

    def create_session(self, params: dict, idempotency_key: str) -> CheckoutSession:
        self._enter("create_session", idempotency_key)
        with self._lock:
            if idempotency_key in self.saved:
                saved_params, session = self.saved[idempotency_key]
                if saved_params != params:
                    raise PaymentRefused("Keys for idempotent requests can only be used with the same parameters")
                return CheckoutSession.from_dict(session)
            items = params["line_items"]
            amount = sum(line["price_data"]["unit_amount"] * line["quantity"] for line in items)
            line = items[0]
            if amount < 50:
                raise PaymentRefused("The total must be at least 0.50.", "amount_too_small", "line_items")
            session_id = f"cs_test_fake{next(self._ids)}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "status": "open",
                "payment_status": "unpaid",
                "url": f"https://checkout.fake/{session_id}",
                "amount_total": amount,
                "currency": line["price_data"]["currency"],
                "payment_intent": None,
                "expires_at": params["expires_at"],
                "metadata": dict(params["metadata"]),
                "client_reference_id": params["client_reference_id"],
                "payment_method_types": list(params["payment_method_types"]),
                "success_url": params["success_url"],
                "cancel_url": params["cancel_url"],
                "line_items": params["line_items"],
            }
            self.sessions[session_id] = session
            self.saved[idempotency_key] = (params, session)
            return CheckoutSession.from_dict(dict(session))

    def retrieve_session(self, session_id: str) -> CheckoutSession:
        self._enter("retrieve_session", session_id)
        with self._lock:
            session = dict(self.sessions[session_id])
            if session["payment_intent"]:
                session["payment_intent"] = dict(self.intents[session["payment_intent"]])
            return CheckoutSession.from_dict(session)

    def expire_session(self, session_id: str) -> CheckoutSession:
        self._enter("expire_session", session_id)
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise SessionNotOpen('Only Checkout Sessions with a status in ["open"] can be expired.')
            session.update(status="expired", url=None)
            return CheckoutSession.from_dict(dict(session))

    def refund(self, payment_intent: str, idempotency_key: str, metadata: dict) -> Refund:
        self._enter("refund", idempotency_key)
        with self._lock:
            if idempotency_key in self.saved:
                return self._refund(self.saved[idempotency_key][1])
            intent = self.intents[payment_intent]
            if intent["status"] != "succeeded":
                raise PaymentRefused("This PaymentIntent does not have a successful charge to refund.")
            if any(r["payment_intent"] == payment_intent for r in self.refunds.values()):
                raise PaymentRefused("Charge has already been refunded.", "charge_already_refunded")
            refund = {
                "id": f"re_fake{next(self._ids)}",
                "payment_intent": payment_intent,
                "metadata": metadata,
                "amount": intent["amount"],
                "currency": intent["currency"],
                "status": self.refund_status,
                "failure_reason": None,
            }
            self.refunds[refund["id"]] = refund
            self.saved[idempotency_key] = ({"payment_intent": payment_intent}, dict(refund))
            return self._refund(refund)

    def retrieve_refund(self, refund_id: str) -> Refund:
        self._enter("retrieve_refund", refund_id)
        with self._lock:
            return self._refund(self.refunds[refund_id])

    # ----- test controls: what the hosted page, the bank or the clock do -----

    def pay(self, session_id: str, *, amount_total: int | None = None) -> dict:
        """A card payment: complete and paid (optionally for another amount, as a forged total would)."""
        with self._lock:
            session = self.sessions[session_id]
            intent = self._intent(session, "succeeded")
            session.update(status="complete", payment_status="paid", url=None, payment_intent=intent["id"])
            if amount_total is not None:
                session["amount_total"] = intent["amount"] = amount_total
            return self.event("checkout.session.completed", session_id)

    def issue_boleto(self, session_id: str, due_in_days: int = 3) -> dict:
        with self._lock:
            session = self.sessions[session_id]
            intent = self._intent(session, "requires_action")
            due = int(time.time()) + due_in_days * 86400
            intent["next_action"] = {"type": "boleto_display_details", "boleto_display_details": {"expires_at": due}}
            session.update(status="complete", payment_status="unpaid", url=None, payment_intent=intent["id"])
            return self.event("checkout.session.completed", session_id)

    def settle(self, session_id: str, succeeded: bool) -> dict:
        with self._lock:
            session = self.sessions[session_id]
            intent = self.intents[session["payment_intent"]]
            intent["next_action"] = None
            if succeeded:
                intent["status"] = "succeeded"
                session["payment_status"] = "paid"
                return self.event("checkout.session.async_payment_succeeded", session_id)
            intent["status"] = "requires_payment_method"
            return self.event("checkout.session.async_payment_failed", session_id)

    def expire(self, session_id: str) -> dict:
        with self._lock:
            self.sessions[session_id].update(status="expired", url=None)
            return self.event("checkout.session.expired", session_id)

    def finish_refund(
        self, refund_id: str, status: str, failure_reason: str | None = None, event_type: str = "charge.refund.updated"
    ) -> dict:
        """The bank answers a refund Stripe took: `succeeded`, or `failed` with a reason (a closed card,
        as test card 4000000000005126's refund does); the event Stripe sends (`refund.failed` too)."""
        with self._lock:
            refund = self.refunds[refund_id]
            refund.update(status=status, failure_reason=failure_reason)
            return {
                "id": f"evt_fake{next(self._ids)}",
                "object": "event",
                "type": event_type,
                "created": int(time.time()),
                "data": {"object": {"object": "refund", **refund}},
            }

    def event(self, event_type: str, session_id: str) -> dict:
        """The event Stripe would send now about the session (a fresh id every time)."""
        return {
            "id": f"evt_fake{next(self._ids)}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": dict(self.sessions[session_id])},
        }

    def boleto_due(self, session_id: str) -> datetime:
        intent = self.intents[self.sessions[session_id]["payment_intent"]]
        due = intent["next_action"]["boleto_display_details"]["expires_at"]
        return datetime.fromtimestamp(due, UTC).replace(tzinfo=None)

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call[0] == method)

    # ----- inside -----

    def _intent(self, session: dict, status: str) -> dict:
        intent_id = session["payment_intent"] or f"pi_fake{next(self._ids)}"
        intent = self.intents.setdefault(intent_id, {"id": intent_id, "object": "payment_intent"})
        intent.update(status=status, next_action=None, amount=session["amount_total"], currency=session["currency"])
        return intent

    @staticmethod
    def _refund(refund: dict) -> Refund:
        return Refund(refund["id"], refund["amount"], refund["currency"], refund["status"], refund["failure_reason"])

    def _enter(self, method: str, *args) -> None:
        self.calls.append((method, *args))
        if self.before_call:
            self.before_call(method)
        if self.down:
            raise PaymentsUnavailable(f"{method}: Stripe is down")


def signed(event: dict, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> tuple[bytes, dict]:
    """The body and headers of a webhook delivery of `event`, signed as Stripe signs."""
    body = json.dumps(event).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={timestamp},v1={digest}", "Content-Type": "application/json"}


def minutes_from_now(minutes: float) -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=minutes)

"""The one way orders_app talks to Stripe: the official SDK, pointed at the emulator or at Stripe.

`STRIPE_API_BASE` set (dev and tests) sends every call to the emulator; unset, the same calls go
to api.stripe.com. Nothing else differs. The client is built once per app with short timeouts
and the SDK's own network retries: every call that changes something carries an idempotency key,
so a retry can never create a second session or a second refund.

Callers get plain values (`CheckoutSession`) and three kinds of failure: `PaymentsUnavailable`
(no usable answer: down, slow, 5xx, not configured), `PaymentRefused` (Stripe said no to these
parameters) and `SessionNotOpen` (an expire of a session that is already complete or expired).
Tests replace the gateway with a fake that has the same methods (`app.extensions[EXTENSION_KEY]`).
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from flask import current_app

from orders_app.clients import outage

EXTENSION_KEY = "orders_stripe"


class PaymentsError(Exception):
    """Stripe answered, or failed to answer, in a way the caller must handle."""


class PaymentsUnavailable(PaymentsError):
    """No usable answer from Stripe (or no keys configured)."""


class PaymentRefused(PaymentsError):
    """Stripe refused the request; `code` is Stripe's error code (e.g. amount_too_small)."""

    def __init__(self, message: str, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.code = code
        self.param = param


class SessionNotOpen(PaymentsError):
    """The session can no longer be expired: it is complete or expired already."""


@dataclass(frozen=True)
class CheckoutSession:
    """What the shop needs to know about a Checkout Session, from the API or from an event."""

    id: str
    status: str  # open, complete, expired
    payment_status: str  # paid, unpaid, no_payment_required
    url: str | None
    amount_total: int | None
    currency: str | None
    payment_intent: str | None
    #: the PaymentIntent's status, when the session was read with the intent expanded
    intent_status: str | None
    #: a boleto's due date (UTC, naive), when the session was read with the intent expanded
    boleto_due: datetime | None
    expires_at: int | None
    #: metadata the shop put on the session: which order, made by which shop (SHOP_INSTANCE_ID)
    #: and which orders database (its random id)
    order_id: str | None
    instance: str | None
    database: str | None = None

    @classmethod
    def from_dict(cls, body: dict) -> "CheckoutSession":
        intent = body.get("payment_intent")
        intent_id, intent_status, boleto_due = intent, None, None
        if isinstance(intent, dict):
            intent_id, intent_status = intent.get("id"), intent.get("status")
            details = (intent.get("next_action") or {}).get("boleto_display_details") or {}
            if isinstance(details.get("expires_at"), int):
                boleto_due = datetime.fromtimestamp(details["expires_at"], UTC).replace(tzinfo=None)
        metadata = body.get("metadata") or {}
        return cls(
            id=body["id"],
            status=body.get("status") or "",
            payment_status=body.get("payment_status") or "",
            url=body.get("url"),
            amount_total=body.get("amount_total"),
            currency=body.get("currency"),
            payment_intent=intent_id,
            intent_status=intent_status,
            boleto_due=boleto_due,
            expires_at=body.get("expires_at"),
            order_id=metadata.get("order_id") or body.get("client_reference_id"),
            instance=metadata.get("shop_instance"),
            database=metadata.get("shop_database"),
        )


@dataclass(frozen=True)
class Refund:
    """A refund Stripe made: its id and what it gave back (the payment's amount, not the order's total).

    `status` is Stripe's: `succeeded`, or `pending` (it may still fail: charge.refund.updated says
    when), or `failed`/`canceled` (then `failure_reason` says why)."""

    id: str
    amount: int
    currency: str
    status: str = "succeeded"
    failure_reason: str | None = None

    @classmethod
    def of(cls, refund) -> "Refund":
        """From the SDK's Refund object."""
        return cls(refund.id, refund.amount, refund.currency, refund.status, getattr(refund, "failure_reason", None))


class StripeGateway:
    """Stripe's API through one `stripe.StripeClient` (pooled HTTP, timeouts, safe retries)."""

    def __init__(self, app=None):
        self.client: stripe.StripeClient | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app) -> None:
        config = app.config
        self.client = None
        if config.get("STRIPE_SECRET_KEY"):
            base = config.get("STRIPE_API_BASE")
            self.client = stripe.StripeClient(
                config["STRIPE_SECRET_KEY"],
                base_addresses={"api": base} if base else None,
                max_network_retries=config["STRIPE_MAX_NETWORK_RETRIES"],
                http_client=stripe.RequestsClient(
                    timeout=(config["STRIPE_CONNECT_TIMEOUT"], config["STRIPE_READ_TIMEOUT"])
                ),
            )
        app.extensions[EXTENSION_KEY] = self

    @property
    def configured(self) -> bool:
        return self.client is not None

    def create_session(self, params: dict, idempotency_key: str) -> CheckoutSession:
        """A new Checkout Session (or, for a key already used with these parameters, the same one)."""
        return self._session(
            lambda client: client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )

    def retrieve_session(self, session_id: str) -> CheckoutSession:
        """The session as Stripe has it now, with its PaymentIntent expanded (status, boleto due date)."""
        return self._session(
            lambda client: client.v1.checkout.sessions.retrieve(session_id, params={"expand": ["payment_intent"]})
        )

    def expire_session(self, session_id: str) -> CheckoutSession:
        """Close an open session; SessionNotOpen when it is complete or expired already."""
        try:
            return self._session(lambda client: client.v1.checkout.sessions.expire(session_id))
        except PaymentRefused as error:
            raise SessionNotOpen(str(error)) from None

    def refund(self, payment_intent: str, idempotency_key: str, metadata: dict) -> Refund:
        """Refund what is left of a payment. PaymentRefused when nothing is left."""
        refund = self._call(
            lambda client: client.v1.refunds.create(
                params={"payment_intent": payment_intent, "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            )
        )
        return Refund.of(refund)

    def retrieve_refund(self, refund_id: str) -> Refund:
        """A refund as Stripe has it now (its status)."""
        return Refund.of(self._call(lambda client: client.v1.refunds.retrieve(refund_id)))

    def _session(self, call) -> CheckoutSession:
        return CheckoutSession.from_dict(self._call(call).to_dict())

    def _call(self, call):
        if self.client is None:
            raise PaymentsUnavailable("Stripe is not configured (STRIPE_SECRET_KEY is not set)")
        if outage.is_down(outage.STRIPE):
            raise PaymentsUnavailable("not tried: Stripe did not answer earlier in this run")
        try:
            return call(self.client)
        except (stripe.InvalidRequestError, stripe.CardError, stripe.IdempotencyError) as error:
            raise PaymentRefused(
                error.user_message or str(error), getattr(error, "code", None), getattr(error, "param", None)
            ) from None
        except stripe.StripeError as error:
            # Connection errors, timeouts, 5xx, rate limits, a wrong key: nothing usable came back.
            current_app.logger.warning("stripe unavailable: %s: %s", type(error).__name__, error)
            outage.went_down(outage.STRIPE)
            raise PaymentsUnavailable(str(error) or type(error).__name__) from None


def current_stripe() -> StripeGateway:
    """The app's Stripe gateway (or the fake a test put in its place)."""
    return current_app.extensions[EXTENSION_KEY]


def verify_event(payload: bytes, signature: str | None, secret: str | None) -> dict:
    """The event in a webhook's raw body, as a plain dict, once its signature and age check out.

    Raises stripe.SignatureVerificationError for a bad, missing or older than 5 minutes signature,
    ValueError for a body that is not an event.
    """
    # The SDK's own check of the header, then plain JSON: construct_event would also build nested
    # StripeObjects only to have them turned back into a dict (a third of a delivery's CPU time).
    stripe.WebhookSignature.verify_header(payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE)
    event = json.loads(payload)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise ValueError("not a Stripe event")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise ValueError("the event has no data.object")
    return event

"""Webhook delivery: POST each event to STRIPE_WEBHOOK_URL, signed afresh at every attempt, retried
with exponential backoff, every attempt recorded."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from . import storage
from .config import Settings
from .signing import signature_header
from .storage import Store

log = logging.getLogger(__name__)

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks) stripe-emulator"


class WebhookDispatcher:
    """Claims due deliveries and sends them from a small thread pool.

    Deliveries of one session go one at a time in creation order (a retry holds back the later
    events of that session); different sessions go in parallel, and the API never waits for any.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._pool = ThreadPoolExecutor(
            max_workers=settings.webhook_concurrency, thread_name_prefix="stripe-emulator-webhook"
        )
        self._in_flight = 0
        self._lock = threading.Lock()

    def dispatch_due(self) -> int:
        """Start the attempts that are due now; returns how many were started."""
        with self._lock:
            free = self.settings.webhook_concurrency - self._in_flight
        if free <= 0:
            return 0
        lease = self.settings.webhook_timeout_seconds + 10
        with self.store.transaction() as conn:
            rows = storage.claim_due_deliveries(conn, time.time(), lease, free)
        for row in rows:
            with self._lock:
                self._in_flight += 1
            self._pool.submit(self._attempt_and_release, row["id"], row["attempts"], row["payload"])
        return len(rows)

    def shutdown(self) -> None:
        """Stop taking work; attempts in flight finish (their leases keep others off)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _attempt_and_release(self, delivery_id: int, attempts_before: int, payload: str) -> None:
        try:
            self.attempt(delivery_id, attempts_before, payload)
        except Exception:
            log.exception("webhook delivery %s crashed; it will be retried after its lease", delivery_id)
        finally:
            with self._lock:
                self._in_flight -= 1

    def attempt(self, delivery_id: int, attempts_before: int, payload: str) -> None:
        """One POST of the event's exact JSON, then record how it went."""
        settings = self.settings
        started = time.time()
        status_code: int | None = None
        error: str | None = None
        try:
            response = requests.post(
                settings.webhook_url,
                data=payload.encode(),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": signature_header(payload, settings.webhook_secret, int(started)),
                    "User-Agent": USER_AGENT,
                },
                timeout=settings.webhook_timeout_seconds,
                allow_redirects=False,
            )
            status_code = response.status_code
            response.close()
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        finished = time.time()
        attempt_number = attempts_before + 1
        if status_code is not None and 200 <= status_code < 300:
            state = "delivered"
        elif attempt_number >= settings.webhook_max_attempts:
            state = "failed"
            log.warning("webhook delivery %s gave up after %s attempts", delivery_id, attempt_number)
        else:
            state = "pending"
        delay = min(settings.webhook_backoff_seconds * 2 ** (attempt_number - 1),
                    settings.webhook_backoff_max_seconds)
        with self.store.transaction() as conn:
            storage.record_attempt(
                conn, delivery_id, attempted_at=started, status_code=status_code, error=error,
                duration_ms=int((finished - started) * 1000), state=state, next_attempt_at=finished + delay,
            )

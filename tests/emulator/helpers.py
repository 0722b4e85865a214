"""Constants and small request helpers shared by the emulator tests."""

from __future__ import annotations

import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from .servers import EmulatorProcess

SECRET_KEY = "sk_test_emulator_" + secrets.token_hex(8)
WEBHOOK_SECRET = "whsec_" + secrets.token_hex(24)
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared/stripe/fixtures3.subset.json"

# Fast clocks for tests: sessions may expire 2 s after creation, the sweeper looks 5 times a second,
# a failed webhook is retried after 1 s, then 2 s (whole seconds apart, so every signature is fresh).
TEST_SETTINGS = {
    "STRIPE_SECRET_KEY": SECRET_KEY,
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "EMULATOR_MIN_EXPIRY_SECONDS": "2",
    "EMULATOR_SWEEP_INTERVAL_SECONDS": "0.2",
    "EMULATOR_DELIVERY_POLL_SECONDS": "0.05",
    "EMULATOR_WEBHOOK_BACKOFF_SECONDS": "1",
    "EMULATOR_WEBHOOK_MAX_ATTEMPTS": "4",
    "EMULATOR_WEBHOOK_TIMEOUT_SECONDS": "5",
    "EMULATOR_REFUND_SETTLE_SECONDS": "1",
}


def session_params(
    *,
    currency: str = "usd",
    unit_amount: int = 1250,
    quantity: int = 2,
    name: str = "Blue mug",
    order_id: str | None = None,
    expires_in: int = 31 * 60,
    **extra: Any,
) -> dict[str, Any]:
    """Parameters like the orders app's (one line item, order id as reference and metadata)."""
    order_id = order_id or uuid.uuid4().hex[:12]
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": currency, "unit_amount": unit_amount, "product_data": {"name": name}},
                "quantity": quantity,
            }
        ],
        "client_reference_id": order_id,
        "metadata": {"order_id": order_id},
        "success_url": "http://127.0.0.1:8000/orders/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": f"http://127.0.0.1:8000/orders/{order_id}?payment=cancelled",
        "expires_at": int(time.time()) + expires_in,
        **extra,
    }


def line_items(*lines: tuple[str, int, int], currency: str = "usd") -> list[dict[str, Any]]:
    """`line_items` for (name, unit amount, quantity) lines, one per order line as the shop sends them."""
    return [
        {
            "price_data": {"currency": currency, "unit_amount": unit_amount, "product_data": {"name": name}},
            "quantity": quantity,
        }
        for name, unit_amount, quantity in lines
    ]


def pay(http: requests.Session, emulator: EmulatorProcess, session_id: str, **form: str) -> requests.Response:
    """Submit the hosted page's form (without following the redirect to the shop)."""
    return http.post(emulator.url(f"/checkout/{session_id}/pay"), data=form, allow_redirects=False, timeout=10)


def events_of(http: requests.Session, emulator: EmulatorProcess, session_id: str) -> list[dict[str, Any]]:
    """The emulator's record of a session's events, oldest first."""
    response = http.get(emulator.url("/_emulator/events"), params={"session": session_id}, timeout=10)
    response.raise_for_status()
    return list(reversed(response.json()))

"""Webhook signatures exactly as Stripe makes them (`Stripe-Signature: t=…,v1=…`)."""

from __future__ import annotations

import hashlib
import hmac


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    """The header for `payload` signed at `timestamp`: HMAC-SHA256(secret, f"{t}.{payload}")."""
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"

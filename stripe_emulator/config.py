"""Settings of the emulator: environment first, then the project's `.env`, then test overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Used when STRIPE_WEBHOOK_SECRET is unset, so a fresh checkout works without any setup. The
# orders app must then be configured with the same value; the events page shows which is in use.
DEV_WEBHOOK_SECRET = "whsec_stripe_emulator_dev_secret"  # noqa: S105 (a public dev default)


@dataclass(frozen=True)
class Settings:
    """Everything that differs between dev, tests and a demo run."""

    port: int
    api_base: str
    secret_key: str | None
    webhook_secret: str
    webhook_url: str
    var_dir: Path
    database_path: Path
    api_version: str
    min_expiry_seconds: int
    max_expiry_seconds: int
    boleto_expires_after_days: int
    refund_settle_seconds: int
    idempotency_ttl_seconds: int
    sweep_interval_seconds: float
    delivery_poll_seconds: float
    webhook_timeout_seconds: float
    webhook_max_attempts: int
    webhook_backoff_seconds: float
    webhook_backoff_max_seconds: float
    webhook_concurrency: int
    background: bool


def _default_api_version() -> str:
    import stripe

    return stripe.api_version


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def load_settings(test_config: dict[str, Any] | None = None) -> Settings:
    """Read the settings; `test_config` keys (same names as the environment) win.

    Like the shop's apps, tests (SHOP_ENV=test) pass every setting and never read `.env`.
    """
    if os.environ.get("SHOP_ENV") != "test":
        load_dotenv(PROJECT_ROOT / ".env", override=False)
    overrides = dict(test_config or {})

    def get(name: str, default: Any = None) -> Any:
        if name in overrides:
            return overrides[name]
        value = os.environ.get(name)
        return default if value in (None, "") else value

    port = int(get("STRIPE_EMULATOR_PORT", 12111))
    api_base = str(get("STRIPE_API_BASE", f"http://127.0.0.1:{port}")).rstrip("/")
    shop_port = int(get("SHOP_PORT", 8000))
    shop_public_url = str(get("SHOP_PUBLIC_URL", f"http://127.0.0.1:{shop_port}")).rstrip("/")
    var_dir = Path(get("SHOP_VAR_DIR", "var"))
    if not var_dir.is_absolute():
        var_dir = PROJECT_ROOT / var_dir
    database_path = Path(get("STRIPE_EMULATOR_DATABASE", var_dir / "stripe_emulator.sqlite3"))

    return Settings(
        port=port,
        api_base=api_base,
        secret_key=get("STRIPE_SECRET_KEY"),
        webhook_secret=str(get("STRIPE_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET)),
        webhook_url=str(get("STRIPE_WEBHOOK_URL", f"{shop_public_url}/orders/stripe/webhook")),
        var_dir=var_dir,
        database_path=database_path,
        api_version=str(get("EMULATOR_API_VERSION") or _default_api_version()),
        min_expiry_seconds=int(get("EMULATOR_MIN_EXPIRY_SECONDS", 30 * 60)),
        max_expiry_seconds=int(get("EMULATOR_MAX_EXPIRY_SECONDS", 24 * 60 * 60)),
        boleto_expires_after_days=int(get("EMULATOR_BOLETO_EXPIRES_AFTER_DAYS", 3)),
        refund_settle_seconds=int(get("EMULATOR_REFUND_SETTLE_SECONDS", 10)),
        idempotency_ttl_seconds=int(get("EMULATOR_IDEMPOTENCY_TTL_SECONDS", 24 * 60 * 60)),
        sweep_interval_seconds=float(get("EMULATOR_SWEEP_INTERVAL_SECONDS", 1.0)),
        delivery_poll_seconds=float(get("EMULATOR_DELIVERY_POLL_SECONDS", 0.2)),
        webhook_timeout_seconds=float(get("EMULATOR_WEBHOOK_TIMEOUT_SECONDS", 10.0)),
        webhook_max_attempts=int(get("EMULATOR_WEBHOOK_MAX_ATTEMPTS", 8)),
        webhook_backoff_seconds=float(get("EMULATOR_WEBHOOK_BACKOFF_SECONDS", 1.0)),
        webhook_backoff_max_seconds=float(get("EMULATOR_WEBHOOK_BACKOFF_MAX_SECONDS", 60.0)),
        webhook_concurrency=int(get("EMULATOR_WEBHOOK_CONCURRENCY", 4)),
        background=_truthy(get("EMULATOR_BACKGROUND", True)),
    )


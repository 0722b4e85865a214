"""The environment every process of the shop gets: the process environment, then `.env`, then defaults."""

import os
import secrets
import sys
from pathlib import Path

from dotenv import dotenv_values

from shared_ui.config import PROJECT_ROOT

ENV_FILE = PROJECT_ROOT / ".env"
VENV_BIN = Path(sys.executable).parent

PORT_DEFAULTS = {
    "SHOP_PORT": 8000,
    "INVENTORY_PORT": 5001,
    "USERS_PORT": 5002,
    "ORDERS_PORT": 5003,
    "STRIPE_EMULATOR_PORT": 12111,
    "SHOP_MAIL_PORT": 1025,
}


APPS = ("inventory", "users", "orders")
PORT_SETTINGS = {
    "inventory": "INVENTORY_PORT",
    "users": "USERS_PORT",
    "orders": "ORDERS_PORT",
    "stripe": "STRIPE_EMULATOR_PORT",
    "mail": "SHOP_MAIL_PORT",
    "web": "SHOP_PORT",
}


def instances(env: dict[str, str]) -> int:
    """How many copies of each app run (SHOP_INSTANCES, default 1)."""
    return max(1, int(env.get("SHOP_INSTANCES") or "1"))


def ports(env: dict[str, str], app: str) -> list[int]:
    """The loopback ports of an app's instances: `<APP>_PORTS` if given, else base, base+10, ..."""
    setting = PORT_SETTINGS[app]
    explicit = env.get(setting + "S")
    if explicit:
        return [int(p) for p in explicit.split(",")]
    count = instances(env) if app in APPS else 1
    return [int(env[setting]) + 10 * i for i in range(count)]


def dev_secrets() -> dict[str, str]:
    """What `make run` writes to a missing `.env` entry in development."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SHOP_SERVICE_TOKEN": secrets.token_urlsafe(32),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(24),
        "SHOP_ADMIN_LOGIN": "admin",
        "SHOP_ADMIN_PASSWORD": secrets.token_urlsafe(12),
        "SHOP_DEMO_DATA": "1",
    }


def ensure_dev_env(path: Path = ENV_FILE) -> dict[str, str]:
    """Append to `.env` the dev settings it lacks (never overwriting one); return what was added."""
    existing = dotenv_values(path) if path.exists() else {}
    present = {k for k, v in existing.items() if v} | {k for k, v in os.environ.items() if v}
    added = {k: v for k, v in dev_secrets().items() if k not in present}
    if "STRIPE_SECRET_KEY" not in present:
        # No Stripe keys yet: use the emulator. With real keys in .env, nothing here is added.
        added["STRIPE_SECRET_KEY"] = "sk_test_emulator_" + secrets.token_hex(8)
        # STRIPE_API_BASE= (set empty) in the environment says "the real Stripe": no emulator then.
        if "STRIPE_API_BASE" not in present and "STRIPE_API_BASE" not in os.environ:
            added["STRIPE_API_BASE"] = "http://127.0.0.1:${STRIPE_EMULATOR_PORT:-12111}"
    # Secrets: readable by the owner only, from the first byte (a chmod after writing leaves a window),
    # and an existing .env of looser mode is tightened.
    if added or path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a") as env_file:
            os.fchmod(descriptor, 0o600)
            env_file.write("".join(f"{k}={v}\n" for k, v in added.items()))
    return added


def resolve(overrides: dict[str, str] | None = None, *, env_file: Path | None = ENV_FILE) -> dict[str, str]:
    """The full environment for the shop's processes: os.environ wins over `.env`, then defaults.

    A variable set empty in the environment wins too (`STRIPE_API_BASE=` means the real Stripe): it
    is passed on empty, so neither `.env` here nor the apps' own reading of `.env` bring it back.
    """
    env = {k: v for k, v in (dotenv_values(env_file) if env_file and env_file.exists() else {}).items() if v}
    env.update(os.environ)
    env.update(overrides or {})
    for name, port in PORT_DEFAULTS.items():
        _default(env, name, str(port))
    _default(env, "SHOP_PUBLIC_URL", f"http://127.0.0.1:{env['SHOP_PORT']}")
    _default(env, "SHOP_VAR_DIR", str(PROJECT_ROOT / "var"))
    var = Path(env["SHOP_VAR_DIR"])
    env["SHOP_VAR_DIR"] = str(var if var.is_absolute() else PROJECT_ROOT / var)
    if env.get("SHOP_ENV", "development") in ("development", "test"):
        # Dev and tests: mail goes to the local `mail` process (shopctl/mailserver.py).
        env.setdefault("SHOP_SMTP_URL", f"smtp://127.0.0.1:{env['SHOP_MAIL_PORT']}")
    env.setdefault("SHOP_MAIL_FROM", "Shop <shop@localhost>")
    _default(env, "STRIPE_WEBHOOK_URL", f"{env['SHOP_PUBLIC_URL']}/orders/stripe/webhook")
    for app in APPS:  # the apps call each other on every instance, failing over between them
        _default(env, f"{app.upper()}_URL", ",".join(f"http://127.0.0.1:{port}" for port in ports(env, app)))
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', os.defpath)}"
    _default(env, "PYTHONUNBUFFERED", "1")
    _default(env, "SHOP_AUTH_REQUESTS_PER_MINUTE", "30")
    _default(env, "SHOP_PICTURE_CACHE_SECONDS", "600")
    return env


def _default(env: dict[str, str], name: str, value: str) -> None:
    """Set `name` when it is missing or empty (an empty port or folder means "the default")."""
    if not env.get(name):
        env[name] = value


def uses_mailserver(env: dict[str, str]) -> bool:
    """True when mail goes to the local `mail` process (shopctl/mailserver.py), which the shop then starts."""
    return env.get("SHOP_SMTP_URL", "").rstrip("/") == f"smtp://127.0.0.1:{env['SHOP_MAIL_PORT']}"


def uses_emulator(env: dict[str, str]) -> bool:
    """True when Stripe calls go to the emulator on this machine, which the shop then starts."""
    base = env.get("STRIPE_API_BASE", "")
    return base.rstrip("/") == f"http://127.0.0.1:{env['STRIPE_EMULATOR_PORT']}"

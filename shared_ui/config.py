"""Settings shared by every app: the environment first, then the project's `.env`."""

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_env() -> None:
    """Load `.env` from the project root without overriding the process environment.

    Tests (SHOP_ENV=test) get every setting explicitly and never read the developer's `.env`.
    """
    if os.environ.get("SHOP_ENV") != "test":
        load_dotenv(PROJECT_ROOT / ".env", override=False)


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def var_dir() -> Path:
    path = Path(env("SHOP_VAR_DIR", "var"))
    return path if path.is_absolute() else PROJECT_ROOT / path


def sqlite_url(name: str) -> str:
    return f"sqlite:///{var_dir() / f'{name}.sqlite3'}"


def is_dev() -> bool:
    """Dev and tests run with generated secrets; anything else must be given them."""
    return env("SHOP_ENV", "development") in ("development", "test")


#: the time zone pages and e-mails say times in, unless SHOP_TIME_ZONE names another
DEFAULT_TIME_ZONE = "UTC"

#: what the whole shop needs outside dev (each app checks its own; `python -m shopctl run` all of them)
SHOP_SECRETS = ("SECRET_KEY", "SHOP_SERVICE_TOKEN", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")


def start_problems(settings: Mapping, required: tuple[str, ...] = ()) -> list[str]:
    """Why a shop outside dev must not start with these settings; [] when it may (DESIGN, Configuration).

    Outside dev: no Stripe emulator, a SHOP_INSTANCE_ID of its own (it prefixes Stripe's idempotency
    keys), the `required` settings present; under SHOP_ENV=production also no Stripe test key.
    Everywhere, dev too: a SHOP_TIME_ZONE this machine knows.
    """
    problems = [problem] if (problem := zone_problem(settings.get("SHOP_TIME_ZONE") or DEFAULT_TIME_ZONE)) else []
    shop_env = settings.get("SHOP_ENV") or "development"
    if shop_env in ("development", "test"):
        return problems
    problems += [f"{name} is not set" for name in required if not settings.get(name)]
    if (settings.get("SHOP_INSTANCE_ID") or "dev") == "dev":
        problems.append("SHOP_INSTANCE_ID is missing or 'dev': give this shop a name of its own (e.g. shop-eu-1)")
    base = settings.get("STRIPE_API_BASE") or ""
    if base and _is_emulator(base, str(settings.get("STRIPE_EMULATOR_PORT") or env("STRIPE_EMULATOR_PORT", "12111"))):
        problems.append(
            f"STRIPE_API_BASE={base} is the Stripe emulator; set it empty (STRIPE_API_BASE=) for the real Stripe"
        )
    key = settings.get("STRIPE_SECRET_KEY") or ""
    if shop_env == "production" and key.startswith(("sk_test_", "rk_test_")):
        problems.append("STRIPE_SECRET_KEY is a Stripe test key (sk_test_...) under SHOP_ENV=production")
    return problems


def zone_problem(name: str) -> str | None:
    """Why `name` cannot be the shop's time zone (SHOP_TIME_ZONE); None when it can."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return (
            f"SHOP_TIME_ZONE={name!r} is not a time zone this machine knows: give an IANA name such as "
            "America/Sao_Paulo or UTC (the zones come with the tzdata package: `make install`)"
        )
    return None


def _is_emulator(base: str, emulator_port: str) -> bool:
    """The emulator runs on this machine: a loopback host, or the emulator's port."""
    parts = urlsplit(base if "://" in base else f"http://{base}")
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    try:
        same_port = str(parts.port) == emulator_port
    except ValueError:
        same_port = False
    return loopback or same_port


class BaseConfig:
    """What every app reads from the environment; each app subclasses it for its database."""

    #: set by the subclass: the app's name, which is also its URL prefix
    APP_NAME = ""

    def __init__(self) -> None:
        load_env()
        port = env_int("SHOP_PORT", 8000)
        self.SHOP_ENV = env("SHOP_ENV", "development")
        self.SHOP_PUBLIC_URL = env("SHOP_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/")
        self.SECRET_KEY = env("SECRET_KEY")
        self.SHOP_SERVICE_TOKEN = env("SHOP_SERVICE_TOKEN")
        self.SHOP_INSTANCE_ID = env("SHOP_INSTANCE_ID", "dev")
        self.SHOP_CURRENCY = env("SHOP_CURRENCY", "usd").lower()
        #: an IANA zone (America/Sao_Paulo): what pages and e-mails say times in (stored times stay UTC)
        self.SHOP_TIME_ZONE = env("SHOP_TIME_ZONE", DEFAULT_TIME_ZONE)
        self.STRIPE_API_BASE = env("STRIPE_API_BASE")
        #: where Pay sends the browser; the CSP's form-action must allow it (Chrome applies it to redirects)
        self.CHECKOUT_ORIGIN = _origin(self.STRIPE_API_BASE) if self.STRIPE_API_BASE else "https://checkout.stripe.com"
        self.SHOP_PAYMENT_WINDOW_MINUTES = env_int("SHOP_PAYMENT_WINDOW_MINUTES", 30)
        #: seconds nginx may share a catalog page among visitors who are not logged in (0: never)
        self.SHOP_PAGE_CACHE_SECONDS = env_int("SHOP_PAGE_CACHE_SECONDS", 1)
        self.INVENTORY_URL = env("INVENTORY_URL", f"http://127.0.0.1:{env_int('INVENTORY_PORT', 5001)}")
        self.USERS_URL = env("USERS_URL", f"http://127.0.0.1:{env_int('USERS_PORT', 5002)}")
        self.ORDERS_URL = env("ORDERS_URL", f"http://127.0.0.1:{env_int('ORDERS_PORT', 5003)}")
        self.SQLALCHEMY_DATABASE_URI = env(f"{self.APP_NAME.upper()}_DATABASE_URL", sqlite_url(self.APP_NAME))
        # A server database may drop idle connections; a SQLite file cannot (and the ping costs a query).
        on_sqlite = self.SQLALCHEMY_DATABASE_URI.startswith("sqlite")
        self.SQLALCHEMY_ENGINE_OPTIONS = {} if on_sqlite else {"pool_pre_ping": True}
        # A database error's text names the statement, never its values (a password hash, an address)
        # in the log line and traceback it makes.
        self.SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] = True
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        self.SESSION_COOKIE_NAME = "shop_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.WTF_CSRF_TIME_LIMIT = None
        self.WTF_CSRF_SSL_STRICT = True
        #: seconds a user record fetched from users_app is trusted (DESIGN: at most 3)
        self.USER_CACHE_SECONDS = 3.0
        #: API bearer tokens live this long
        self.API_TOKEN_SECONDS = 24 * 3600
        # E-mail (DESIGN "E-mail"): sent only by the jobs process, from each app's outbox.
        self.SHOP_SMTP_URL = env("SHOP_SMTP_URL")
        self.SHOP_MAIL_FROM = env("SHOP_MAIL_FROM", "Shop <shop@localhost>")
        #: the first retry of a message that could not be sent waits this long, each next one twice as long
        self.SHOP_MAIL_RETRY_SECONDS = float(env("SHOP_MAIL_RETRY_SECONDS", "30"))
        self.SHOP_SMTP_TIMEOUT = float(env("SHOP_SMTP_TIMEOUT", "10"))
        self.SERVICE_CONNECT_TIMEOUT = 1.0
        self.SERVICE_READ_TIMEOUT = 3.0
        #: one catalog for the whole project (compiled by `make assets`; see shared_ui/i18n.py)
        self.BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = self.SHOP_TIME_ZONE  # Flask-Babel's filters say the shop's zone too
        if self.SHOP_PUBLIC_URL.startswith("https://"):
            # The __Host- prefix pins the cookie to this host, Path=/ and Secure.
            self.SESSION_COOKIE_NAME = "__Host-shop_session"
            self.SESSION_COOKIE_SECURE = True
            self.PREFERRED_URL_SCHEME = "https"
        host = self.SHOP_PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0]
        self.TRUSTED_HOSTS = _trusted_hosts(host)


def _trusted_hosts(public_host: str) -> list[str]:
    hostname = public_host.rsplit(":", 1)[0] if not public_host.endswith("]") else public_host
    hosts = {hostname, "127.0.0.1", "localhost"}
    return sorted(hosts)


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"

"""The common web layer of the shop's apps: layout, login, CSRF, errors, logging, headers."""

import functools

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from shared_ui.assets import Assets, load_manifest
from shared_ui.auth import FindUser, init_login
from shared_ui.cart_button import cart_button
from shared_ui.config import start_problems
from shared_ui.edge import Edge
from shared_ui.errors import register_error_handlers
from shared_ui.extensions import csrf, htmx
from shared_ui.i18n import init_i18n
from shared_ui.metrics import init_metrics
from shared_ui.money import format_money, least_payable_quantity, minimum_charge
from shared_ui.numbers import BoundedIntConverter
from shared_ui.pages import announce_html
from shared_ui.requests_kind import wants_fragment
from shared_ui.sessions import SharedSessionInterface
from shared_ui.shop_time import init_shop_time

templates = Blueprint("shared_ui", __name__, template_folder="templates")


def init_shop_app(app, *, db, find_user: FindUser) -> None:
    """Give `app` everything the shop's apps share; `find_user(id)` returns a user record."""
    missing = [name for name in ("SECRET_KEY", "SHOP_SERVICE_TOKEN") if not app.config.get(name)]
    if missing:
        raise RuntimeError(
            f"{app.name}: missing setting(s) {', '.join(missing)}. Set them in the environment "
            "(production) or run `make run` once, which writes a development .env."
        )
    if problems := start_problems(app.config):
        raise RuntimeError(f"{app.name} will not start with SHOP_ENV={app.config['SHOP_ENV']}: " + "; ".join(problems))
    # Before any blueprint adds its routes: every <int:id> is bounded to what a column can hold.
    app.url_map.converters["int"] = BoundedIntConverter
    app.wsgi_app = ProxyFix(
        Edge(app.wsgi_app, app.config["APP_NAME"], _security_headers_of(app.config)),
        x_for=1,
        x_proto=1,
        x_host=1,
        x_port=1,
    )
    app.session_interface = SharedSessionInterface()
    # Flask asks ensure_sync about each request hook on every request (an inspect of its code
    # flags each time); the hooks are the same few functions, so the answer is kept per function.
    app.ensure_sync = functools.lru_cache(maxsize=256)(app.ensure_sync)
    htmx.init_app(app)
    # Flask-WTF's own hook looks up the view's exemption before it looks at the method, on every GET
    # too: it is switched off here, where shared_ui's hook, which looks at the method first, replaces it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(_check_csrf)
    init_shop_time(app)  # before Flask-Babel, which reads the zone its own filters say once
    init_i18n(app)
    init_login(app, find_user)
    register_error_handlers(app)
    app.register_blueprint(templates)
    app.jinja_env.globals["assets"] = Assets(load_manifest())
    app.jinja_env.globals.update(is_fragment=wants_fragment, announce=announce_html)
    app.jinja_env.filters["cart_button"] = cart_button
    app.jinja_env.filters["money"] = lambda cents, currency=None: format_money(
        cents, currency or app.config["SHOP_CURRENCY"]
    )
    # Stripe's smallest charge, which pages say before a customer orders what could never be paid
    app.jinja_env.filters["least_payable"] = lambda cents: least_payable_quantity(cents, app.config["SHOP_CURRENCY"])
    app.jinja_env.globals["minimum_charge"] = lambda: minimum_charge(app.config["SHOP_CURRENCY"])
    init_metrics(app)
    _add_health_routes(app, db)


def add_ready_check(app, name: str, check) -> None:
    """`check()` returns None when `name` is fine, else what is wrong; /<app>/readyz runs them all."""
    app.extensions.setdefault("shop_ready_checks", []).append((name, check))


def _add_health_routes(app, db) -> None:
    def database_problem():
        db.session.execute(text("SELECT 1"))

    def healthz():
        database_problem()
        return jsonify(status="ok")

    def readyz():
        checks = {}
        for name, check in [("database", database_problem), *app.extensions.get("shop_ready_checks", [])]:
            try:
                problem = check()
            except Exception as error:  # a failing check is a "not ready", never a 500
                problem = f"{type(error).__name__}: {error}"
            checks[name] = problem or "ok"
        ready = all(result == "ok" for result in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503

    prefix = app.config["APP_NAME"]
    app.add_url_rule(f"/{prefix}/healthz", "healthz", healthz)
    app.add_url_rule(f"/{prefix}/readyz", "readyz", readyz)


def _check_csrf() -> None:
    """CSRF on the methods that change something, views marked `@csrf.exempt` excepted: Flask-WTF's
    own check, whose default hook (switched off in init_shop_app) looked up the view's exemption
    first on every GET as well."""
    config = current_app.config
    if request.method in config["WTF_CSRF_METHODS"] and config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def _security_headers_of(config) -> tuple[tuple[str, str], ...]:
    csp = (
        "default-src 'self'; img-src 'self' data:; "
        f"form-action 'self' {config['CHECKOUT_ORIGIN']}; frame-ancestors 'none'; base-uri 'self'"
    )
    return (
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    )

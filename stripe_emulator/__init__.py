"""A small stateful Stripe for one machine: the Checkout API the shop uses, a hosted payment page,
signed webhooks with retries, and test controls. See README.md."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g

from .config import load_settings
from .runtime import Runtime
from .storage import Store


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory; `test_config` overrides settings by their environment names
    (e.g. `{"SHOP_VAR_DIR": tmp, "EMULATOR_BACKGROUND": False}`)."""
    settings = load_settings(test_config)
    app = Flask(__name__, static_url_path="/_emulator/static")
    app.config.update(MAX_CONTENT_LENGTH=1024 * 1024)
    if test_config:
        app.config.from_mapping(test_config)

    store = Store(settings.database_path)
    store.create_schema()

    background = None
    if settings.background:
        from .background import Background

        background = Background(settings, store)
    app.extensions["stripe_emulator"] = Runtime(settings, store, background)

    from . import api, checkout, controls

    app.register_blueprint(api.bp)
    app.register_blueprint(checkout.bp)
    app.register_blueprint(controls.bp)
    app.after_request(_security_headers)

    if background is not None:
        background.start()
        app.before_request(background.ensure_running)
    return app


def _security_headers(response: Response) -> Response:
    """Locked-down pages: own stylesheet only; forms may post here and redirect to the shop."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if response.mimetype == "text/html":
        origins = " ".join(dict.fromkeys(o for o in g.get("form_action_origins", []) if o))
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; "
            f"form-action 'self'{' ' + origins if origins else ''}; frame-ancestors 'none'; base-uri 'none'"
        )
    return response

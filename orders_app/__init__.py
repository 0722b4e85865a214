"""orders_app: ordering, my orders, the admin order monitor and the orders API."""

from pathlib import Path

from flask import Flask

from orders_app.clients.inventory import current_inventory
from orders_app.config import OrdersConfig
from orders_app.extensions import db, inventory, stripe_gateway, users
from shared_ui import add_ready_check, init_shop_app
from shared_ui.config import is_dev
from shared_ui.db import init_db
from shared_ui.metrics import add_collector
from shared_ui.migrations import init_migrations

STRIPE_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.from_object(OrdersConfig())
    if test_config:
        app.config.update(test_config)
    init_db(app, db)
    init_migrations(app, db, directory=str(Path(__file__).parent / "migrations"))
    users.init_app(app)
    inventory.init_app(app)
    stripe_gateway.init_app(app)
    init_shop_app(app, db=db, find_user=users.find_user)
    _check_stripe_settings(app)
    add_ready_check(app, "stripe", lambda: _stripe_problem(app))
    add_ready_check(app, "inventory", lambda: current_inventory().health_problem())

    from orders_app.metrics import order_metrics

    add_collector(app, order_metrics)
    from orders_app.outbox import OUTBOX
    from shared_ui.outbox import metrics_source

    add_collector(app, metrics_source(OUTBOX))

    from orders_app import api, customer_data, models  # noqa: F401 (models: the tables migrations know)
    from orders_app.cli import register_commands
    from orders_app.views import admin, cart, mail_admin, orders, payments
    from orders_app.views.display import register_filters

    for blueprint in (orders.bp, cart.bp, payments.bp, admin.bp, api.bp, customer_data.bp, mail_admin.bp):
        app.register_blueprint(blueprint)
    register_filters(app)
    register_commands(app)
    return app


def _stripe_problem(app) -> str | None:
    missing = [name for name in STRIPE_SETTINGS if not app.config.get(name)]
    return f"not configured: {', '.join(missing)} missing" if missing else None


def _check_stripe_settings(app) -> None:
    """Outside dev, the shop does not start without its Stripe keys (DESIGN "Configuration")."""
    if not is_dev() and not app.testing and _stripe_problem(app):
        raise RuntimeError(
            f"orders: missing setting(s) {', '.join(n for n in STRIPE_SETTINGS if not app.config.get(n))}. "
            "Set them in the environment: the Stripe dashboard gives the secret key and, for the webhook "
            "endpoint /orders/stripe/webhook, its signing secret."
        )

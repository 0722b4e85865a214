"""inventory_app: the catalog, the admin inventory table, the items API and the stock API."""

from pathlib import Path

from flask import Flask, request

from inventory_app.availability import availability
from inventory_app.config import InventoryConfig
from inventory_app.extensions import db, users
from inventory_app.items import price_warning
from inventory_app.models import Item  # noqa: F401 (the models must be known to migrations)
from inventory_app.pictures import UPLOAD_BODY_MAX, item_picture
from inventory_app.rows import catalog_row
from shared_ui import init_shop_app
from shared_ui.db import init_db
from shared_ui.metrics import add_collector
from shared_ui.migrations import init_migrations


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.from_object(InventoryConfig())
    if test_config:
        app.config.update(test_config)
    init_db(app, db)
    init_migrations(app, db, directory=str(Path(__file__).parent / "migrations"))
    users.init_app(app)
    init_shop_app(app, db=db, find_user=users.find_user)
    # filters, not globals: Jinja calls a filter straight, a global through Context.call
    app.jinja_env.filters.update(
        availability=availability, picture=item_picture, catalog_row=catalog_row, price_warning=price_warning
    )

    from inventory_app import api, internal
    from inventory_app.cli import register_commands
    from inventory_app.metrics import stock_metrics
    from inventory_app.views import admin, catalog, fragments, pictures

    for blueprint in (catalog.bp, admin.bp, fragments.bp, pictures.bp, api.bp, internal.bp):
        app.register_blueprint(blueprint)
    app.url_value_preprocessor(_allow_picture_uploads)
    add_collector(app, stock_metrics)
    register_commands(app)
    return app


#: the routes that take a picture upload: their body may be 6 MiB, every other route's 1 MiB
UPLOAD_ENDPOINTS = {"admin.upload_picture", "admin.remove_picture", "api.put_picture"}


def _allow_picture_uploads(endpoint, values) -> None:
    """Raise the body limit on the upload routes before anything (CSRF's check) reads the form.

    URL value preprocessors run before every before_request function, CSRFProtect's included.
    """
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = UPLOAD_BODY_MAX

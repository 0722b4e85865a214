"""inventory_app."""

from pathlib import Path

from flask import Flask

from inventory_app.config import InventoryConfig
from inventory_app.extensions import db, migrate, users
from shared_ui import init_shop_app
from shared_ui.db import init_db


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.from_object(InventoryConfig())
    if test_config:
        app.config.update(test_config)
    init_db(app, db)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    users.init_app(app)
    init_shop_app(app, db=db, find_user=users.find_user)

    from inventory_app.cli import register_commands
    from inventory_app.views import admin, home

    for blueprint in (home.bp, admin.bp):
        app.register_blueprint(blueprint)
    register_commands(app)
    return app

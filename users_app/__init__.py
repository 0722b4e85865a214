"""users_app: accounts, login and the shared session."""

from pathlib import Path

from flask import Flask

from shared_ui import init_shop_app
from shared_ui.db import init_db
from shared_ui.metrics import add_collector
from shared_ui.migrations import init_migrations
from shared_ui.outbox import metrics_source
from users_app.config import UsersConfig
from users_app.extensions import db
from users_app.models import User


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.from_object(UsersConfig())
    if test_config:
        app.config.update(test_config)
    init_db(app, db)
    init_migrations(app, db, directory=str(Path(__file__).parent / "migrations"))
    init_shop_app(app, db=db, find_user=_find_user)

    from users_app import api, internal
    from users_app.cli import register_commands
    from users_app.mail import OUTBOX
    from users_app.views import account, admin, auth, email_restore, language, mail_admin, password

    blueprints = (auth, account, admin, language, api, internal, password, email_restore, mail_admin)
    for module in blueprints:
        app.register_blueprint(module.bp)
    add_collector(app, metrics_source(OUTBOX))
    app.extensions["shop_user_locale"] = language.stored_locale
    register_commands(app)
    return app


def _find_user(user_id: int, fresh: bool = False) -> dict | None:
    user = db.session.get(User, user_id)
    return user.record() if user else None

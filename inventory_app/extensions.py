"""inventory_app's own extensions (shared_ui holds the ones every app shares)."""

from flask_sqlalchemy import SQLAlchemy

from shared_ui.users_client import UsersClient

db = SQLAlchemy()
users = UsersClient()

"""users_app's own extensions (shared_ui holds the ones every app shares)."""

from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()

"""The users table: logins, password hashes, roles and the session version."""

from datetime import UTC, datetime

from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from users_app.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: bumped by logout, password change, deactivation and demotion: older sessions end
    session_version: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def record(self) -> dict:
        """What every app's user loader gets from `/users/internal/users/<id>`."""
        return {
            "id": self.id,
            "login": self.login,
            "is_admin": self.is_admin,
            "is_active": self.is_active,
            "session_version": self.session_version,
        }

    def to_api(self) -> dict:
        return {"id": self.id, "login": self.login, "is_admin": self.is_admin, "is_active": self.is_active}


# Logins are unique ignoring case, on SQLite and PostgreSQL alike.
Index("uq_users_login_lower", func.lower(User.login), unique=True)


class Attempt(db.Model):
    """A failed login or a registration, counted to slow down guessing and floods.

    Kept in the database so the limits hold across gunicorn workers and instances.
    """

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "login_failed" or "register"
    login_key: Mapped[str | None] = mapped_column(String(64))  # lower-cased login
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_attempts_login", Attempt.kind, Attempt.login_key, Attempt.at)
Index("ix_attempts_address", Attempt.kind, Attempt.address, Attempt.at)

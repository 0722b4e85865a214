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

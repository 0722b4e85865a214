"""The users table: logins, password hashes, roles and the session version."""

from datetime import UTC, datetime

from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared_ui.outbox import OutboxAttemptMixin, OutboxMessageMixin
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
    #: where the shop writes to (unique ignoring case); None for accounts made before e-mail
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set when the customer deleted the account: login, e-mail and password hash are erased
    deleted_at: Mapped[datetime | None]
    #: when an address change was last undone by the notice's link (email_restore.py): every link
    #: made before it is used up
    email_restored_at: Mapped[datetime | None]
    #: the address a change asked for, until its link is confirmed, cancelled or replaced (email_confirm.py):
    #: only a link for this address and this asking works
    email_pending: Mapped[str | None] = mapped_column(String(254))
    #: when that change was asked for (or its link last sent again): its link works 24 hours from then
    email_pending_at: Mapped[datetime | None]

    def drop_email_change(self) -> None:
        """The pending address change ends: every link sent for it stops working, and none still in
        the outbox goes out (users_app/mail.py). Within the caller's write transaction."""
        self.email_pending = None
        self.email_pending_at = None

    def record(self) -> dict:
        """What every app's user loader gets from `/users/internal/users/<id>`."""
        return {
            "id": self.id,
            "login": self.login,
            "is_admin": self.is_admin,
            "is_active": self.is_active,
            "session_version": self.session_version,
            "email": self.email,
            "locale": self.locale,
        }

    def to_api(self) -> dict:
        return {"id": self.id, "login": self.login, "is_admin": self.is_admin, "is_active": self.is_active}


# Logins are unique ignoring case, on SQLite and PostgreSQL alike.
Index("uq_users_login_lower", func.lower(User.login), unique=True)
Index("uq_users_email_lower", func.lower(User.email), unique=True)


class MailMessage(OutboxMessageMixin, db.Model):
    """users_app's outbox (shared_ui/outbox.py): password resets, address change notices."""

    __tablename__ = "outbox"


class MailAttempt(OutboxAttemptMixin, db.Model):
    __tablename__ = "outbox_attempts"


Index("ix_outbox_due", MailMessage.state, MailMessage.next_attempt_at)


class Attempt(db.Model):
    """A login attempt (pending while its password is checked, then failed; a success is deleted),
    a registration, a password reset request or an e-mail address change, counted to slow down
    guessing and floods.

    Kept in the database so the limits hold across gunicorn workers and instances.
    """

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "login_pending" (its password being checked), "login_failed", "register", "reset" or "email_change"
    kind: Mapped[str] = mapped_column(String(16))
    #: what the count per account keys on: the lower-cased login, a hash of the address (resets) or a
    #: trusted browser's own budget for the account (users_app/devices.py)
    login_key: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_attempts_login", Attempt.kind, Attempt.login_key, Attempt.at)
Index("ix_attempts_address", Attempt.kind, Attempt.address, Attempt.at)

"""users' migrations downgraded on SQLite: a login, or an address, is still one account whatever its case.

Alembic copies a table to drop a column on SQLite and cannot reflect indexes on expressions, so the
copy came back without uq_users_login_lower and uq_users_email_lower: after a rollback "Alice" and
"alice" could both register, and the next downgrade failed on the missing index."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.helpers import SECRETS
from users_app import create_app, email_confirm
from users_app.extensions import db
from users_app.models import User, utcnow

BEFORE_PENDING_CHANGES = "f1c9a4e7b3d2"  # email_pending's down revision
BEFORE_RESTORE_LINKS = "23d419b4c23c"  # email_restored_at's down revision
BEFORE_ADDRESSES = "a0f5e6ffb15b"  # the e-mail addresses' down revision


def unique_indexes() -> set[str]:
    rows = db.session.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'"))
    names = {name for (name,) in rows}
    db.session.commit()  # no read transaction left open across the migration's own connection
    return names & {"uq_users_login_lower", "uq_users_email_lower"}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize(
    ("revision", "kept"),
    [
        (BEFORE_PENDING_CHANGES, {"uq_users_login_lower", "uq_users_email_lower"}),
        (BEFORE_RESTORE_LINKS, {"uq_users_login_lower", "uq_users_email_lower"}),
        (BEFORE_ADDRESSES, {"uq_users_login_lower"}),
    ],
)
def test_a_downgrade_keeps_logins_and_addresses_unique_whatever_their_case(tmp_path, revision, kept):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'users.sqlite3'}", **SECRETS})
    directory = str(Path(app.root_path) / "migrations")
    with app.app_context():
        upgrade(directory=directory)
        insert = "INSERT INTO users (login, password_hash, is_admin, is_active, session_version, created_at)"
        db.session.execute(sa.text(f"{insert} VALUES ('Alice', 'x', 0, 1, 1, '2026-12-01 10:00:00')"))
        db.session.commit()

        downgrade(directory=directory, revision=revision)
        assert unique_indexes() == kept
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text(f"{insert} VALUES ('alice', 'y', 0, 1, 1, '2026-12-01 11:00:00')"))
        db.session.rollback()

        upgrade(directory=directory)  # and up again, as it was
        assert unique_indexes() == {"uq_users_login_lower", "uq_users_email_lower"}


def test_a_confirmation_link_mailed_before_the_upgrade_still_works_after_it(tmp_path):
    """The links already in inboxes carry their message's created_at: the last one of each account, of
    the last 24 hours and not confirmed, becomes its change waiting."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'users.sqlite3'}", **SECRETS})
    directory = str(Path(app.root_path) / "migrations")
    asked_at = utcnow() - timedelta(hours=2)
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE_PENDING_CHANGES)
        db.session.execute(
            sa.text(
                "INSERT INTO users (id, login, password_hash, is_admin, is_active, session_version, created_at, email)"
                " VALUES (1, 'alice', 'x', 0, 1, 1, '2026-12-01 10:00:00', 'alice@example.com'),"
                " (2, 'bob', 'x', 0, 1, 1, '2026-12-01 10:00:00', 'bob@new.example')"
            )
        )
        for key, user_id, to, at in (
            ("a1", 1, "alice@first.example", asked_at - timedelta(minutes=5)),
            ("a2", 1, "alice@new.example", asked_at),
            ("b1", 2, "bob@new.example", asked_at),  # confirmed already
        ):
            db.session.execute(
                sa.text(
                    "INSERT INTO outbox (key, kind, user_id, to_address, payload, state, attempts, next_attempt_at,"
                    " created_at) VALUES (:key, 'email_confirm', :user_id, :to, '{}', 'sent', 1, :at, :at)"
                ),
                {"key": key, "user_id": user_id, "to": to, "at": at.isoformat(" ")},
            )
        db.session.commit()
        upgrade(directory=directory)
        alice, bob = db.session.get(User, 1), db.session.get(User, 2)
        assert (alice.email_pending, alice.email_pending_at) == ("alice@new.example", asked_at)
        assert bob.email_pending is None
        mailed = email_confirm.make_token(alice, "alice@new.example", asked_at)  # as the old outbox made it
        assert email_confirm.read_token(mailed, 1) == (alice, "alice@new.example")
        first = email_confirm.make_token(alice, "alice@first.example", asked_at - timedelta(minutes=5))
        with pytest.raises(email_confirm.ConfirmLinkError):
            email_confirm.read_token(first, 1)

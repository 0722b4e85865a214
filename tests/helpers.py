"""Helpers for per-app tests (Flask test client, one app, a fresh database)."""

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event

CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

SECRETS = {"SECRET_KEY": "test-secret-key", "SHOP_SERVICE_TOKEN": "test-service-token"}


def make_app(create_app, name: str, tmp_path: Path, **config):
    """`create_app` with a fresh SQLite file migrated to the latest schema."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'{name}.sqlite3'}",
            **SECRETS,
            **config,
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
    return app


def statements_run(engine, action: Callable[[], object]) -> tuple[object, Counter]:
    """What `action` returns, and the SQL statements (whitespace folded) it runs on `engine`, counted."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return result, Counter(seen)


def csrf_from(client, path: str = "/users/login") -> str:
    """The CSRF token a page of `path` carries for this client's session."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_FIELD.search(html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class FakeUsers:
    """Stands in for users_app in inventory/orders per-app tests: a directory of user records."""

    def __init__(self):
        self.records: dict[int, dict] = {}

    def add(self, user_id: int, login: str, *, is_admin: bool = False) -> dict:
        record = {"id": user_id, "login": login, "is_admin": is_admin, "is_active": True, "session_version": 1}
        self.records[user_id] = record
        return record

    def find_user(self, user_id: int, fresh: bool = False) -> dict | None:
        return self.records.get(user_id)


def log_in(client, record: dict) -> None:
    """Put `record`'s user in the client's shared session, as users_app's login does."""
    with client.session_transaction() as session:
        session["_user_id"] = f"{record['id']}:{record['session_version']}"
        session["_fresh"] = True

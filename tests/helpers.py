"""Helpers for per-app tests (Flask test client, one app, a fresh database)."""

import re
import socket
import threading
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


class SilentServer:
    """A loopback port that accepts every connection and never answers (a hung app, a hung Stripe):
    `url` to point a client at, `connections` to count the calls that came. close() resets them all."""

    def __init__(self):
        self.listening = socket.create_server(("127.0.0.1", 0))
        self.listening.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.listening.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self.changed = threading.Condition()
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def connections(self) -> int:
        with self.changed:
            return len(self.accepted)

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        """Whether `count` connections came within `timeout` seconds."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.accepted) >= count, timeout)

    def close(self) -> None:
        self.closing.set()
        self.thread.join(5)
        self.listening.close()
        with self.changed:
            for connection in self.accepted:
                connection.close()

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                connection, _ = self.listening.accept()
            except TimeoutError:
                continue
            with self.changed:
                self.accepted.append(connection)
                self.changed.notify_all()

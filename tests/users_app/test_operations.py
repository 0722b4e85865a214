"""What an operator sees of users_app: health, readiness, Prometheus metrics, the request log and
the headers every answer carries."""

import json
import logging
import os
import re
import stat
from pathlib import Path

from flask_migrate import upgrade

from tests.helpers import SECRETS, csrf_from
from users_app import create_app
from users_app.extensions import db


def test_healthz_and_readyz_answer_when_the_database_does(client):
    assert client.get("/users/healthz").json == {"status": "ok"}
    ready = client.get("/users/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok"}}


def test_metrics_count_requests_by_route_and_status(client):
    client.get("/users/login")
    client.get("/users/no-such-page")
    body = client.get("/users/metrics").get_data(as_text=True)
    assert 'shop_http_requests_total{app="users",method="GET",route="/users/login",status="200"}' in body
    assert 'route="unmatched",status="404"' in body
    assert "shop_http_request_duration_seconds_bucket" in body


def log_lines(capfd) -> list[dict]:
    return [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith('{"ts"')]


def test_each_answer_carries_its_request_id_and_logs_one_line(client, register, capfd):
    register("alice")
    capfd.readouterr()
    given = client.get("/users/account", headers={"X-Request-ID": "nginx-id_42"})
    made = client.get("/users/login", headers={"X-Request-ID": "not an id; <script>"})
    secret = client.get("/users/password/reset/a-secret-token")
    restore = client.get("/users/email/restore/another-secret-token")
    confirm = client.get("/users/email/confirm/a-third-secret-token")
    assert given.headers["X-Request-ID"] == "nginx-id_42"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])  # a header that is not an id is not trusted
    lines = log_lines(capfd)
    assert [(line["request_id"], line["method"], line["path"], line["status"]) for line in lines] == [
        ("nginx-id_42", "GET", "/users/account", 200),
        (made.headers["X-Request-ID"], "GET", "/users/login", 200),
        (secret.headers["X-Request-ID"], "GET", "/users/password/reset/(token)", secret.status_code),
        (restore.headers["X-Request-ID"], "GET", "/users/email/restore/(token)", restore.status_code),
        (confirm.headers["X-Request-ID"], "GET", "/users/email/confirm/(token)", confirm.status_code),
    ]
    assert lines[0]["user_id"] is not None and lines[0]["app"] == "users"  # the logged-in user who asked
    assert all(isinstance(line["ms"], float) for line in lines)


def test_every_answer_gets_the_security_headers_and_pages_vary_on_the_language(client):
    page, missing, health = client.get("/users/login"), client.get("/users/no-such-page"), client.get("/users/healthz")
    for response in (page, missing, health):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert len(response.headers.getlist("Content-Security-Policy")) == 1
    assert "Accept-Language" in page.headers["Vary"]
    assert "Cookie" in page.headers["Vary"]  # a visitor's page: it depends on the session it read
    assert "Accept-Language" not in health.headers.get("Vary", "")  # JSON does not differ by language


def test_a_request_log_that_cannot_be_written_does_not_fail_the_answer(client, monkeypatch):
    def broken(*args, **kwargs):
        raise BrokenPipeError("standard error is closed")

    monkeypatch.setattr("shared_ui.edge.log_request", broken)
    response = client.get("/users/login")
    assert response.status_code == 200 and response.headers["X-Frame-Options"] == "DENY"


def test_an_answer_refused_for_its_csrf_token_is_logged_with_its_request_id(client, capfd):
    capfd.readouterr()
    without_token = {"login": "alice", "password": "x"}
    refused = client.post("/users/login", data=without_token, headers={"X-Request-ID": "no-token-1"})
    assert refused.status_code == 400
    assert refused.headers["X-Request-ID"] == "no-token-1" and refused.headers["X-Frame-Options"] == "DENY"
    [line] = log_lines(capfd)
    logged = (line["request_id"], line["method"], line["path"], line["status"])
    assert logged == ("no-token-1", "POST", "/users/login", 400)


def test_a_view_that_fails_answers_500_with_its_request_id_headers_and_log_line(app, client, capfd, caplog):
    def broken_view():
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/users/broken", "broken", broken_view)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    capfd.readouterr()
    failed = client.get("/users/broken", headers={"X-Request-ID": "bug-report-7"})
    assert failed.status_code == 500
    assert failed.headers["X-Request-ID"] == "bug-report-7"
    assert failed.headers["X-Content-Type-Options"] == "nosniff" and failed.headers["X-Frame-Options"] == "DENY"
    assert "a bug in a view" not in failed.get_data(as_text=True)  # no detail for the visitor
    lines = log_lines(capfd)
    logged = [(line["request_id"], line["path"], line["status"]) for line in lines]
    assert logged == [("bug-report-7", "/users/broken", 500)]
    [error] = [record for record in caplog.records if record.levelname == "ERROR"]  # the traceback, for the operator
    assert error.getMessage() == "unhandled error" and str(error.exc_info[1]) == "a bug in a view"


def test_a_new_database_file_is_readable_by_its_owner_only(tmp_path):
    """users.sqlite3 holds password hashes and e-mail addresses: the backups of it are owner-only, and
    so is the file itself (it was made 0644 in a var/ others can enter), with its WAL beside it."""
    database = tmp_path / "users.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", **SECRETS})
    previous = os.umask(0o022)  # a login shell's
    try:
        with app.app_context():
            upgrade(directory=str(Path(app.root_path) / "migrations"))
            db.session.execute(db.text("SELECT 1 FROM users")).all()  # a connection of the app's, WAL open
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.glob("users.sqlite3*")}
            db.session.remove()
    finally:
        os.umask(previous)
    assert modes["users.sqlite3"] == 0o600
    assert modes["users.sqlite3-wal"] == modes["users.sqlite3-shm"] == 0o600


def test_a_database_error_is_logged_without_the_values_of_its_statement(app, client, register, caplog):
    """SQLAlchemy's error names the statement's parameters: a password change that failed in the
    database wrote the customer's new password hash into the log with its traceback."""
    register("alice")
    with app.app_context():
        db.session.execute(
            db.text("CREATE TRIGGER full_disk BEFORE UPDATE ON users BEGIN SELECT RAISE(ABORT, 'disk is full'); END")
        )
        db.session.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    token = csrf_from(client, "/users/account")
    form = {"current_password": "a good password", "new_password": "another good one", "csrf_token": token}
    assert client.post("/users/account/password", data=form).status_code == 500
    [error] = [record for record in caplog.records if record.levelname == "ERROR"]
    logged = logging.Formatter().format(error)
    assert "disk is full" in logged and "UPDATE users" in logged  # what failed, for the operator
    assert "$argon2" not in logged  # the new password's hash

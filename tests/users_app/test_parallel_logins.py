"""Logins in flight at once: the right password always gets in, guesses never get past the limit.

A login attempt is pending while its password is checked; one that the limits would refuse were
every pending attempt to fail waits until they conclude. `AllInFlight` makes the race happen every
time: no password check finishes before every login of the test is checking its password, waiting
behind the others, or answered.
"""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from shared_ui.db import write_transaction
from tests.helpers import csrf_from, make_app
from users_app import accounts, create_app, jobs, throttle
from users_app.extensions import db
from users_app.models import Attempt, utcnow

PASSWORD = "a good password"
LIMIT = 5  # SHOP_LOGIN_FAILURES_PER_LOGIN's default


def shop(tmp_path, **config):
    """users_app with alice and user0 ... user7, all with PASSWORD."""
    app = make_app(create_app, "users", tmp_path, **config)
    with app.app_context():
        for name in ("alice", *(f"user{i}" for i in range(8))):
            accounts.register(name, PASSWORD, email=f"{name}@example.com")
    return app


@pytest.fixture(autouse=True)
def attempts_in_flight_stay_young(monkeypatch):
    """Whatever the machine's speed, the outcome depends on the order of events alone, never on a
    held check outliving PENDING_TIMEOUT."""
    monkeypatch.setattr(throttle, "PENDING_TIMEOUT", timedelta(hours=1))


@pytest.fixture
def app(tmp_path):
    return shop(tmp_path)


class AllInFlight:
    """Runs calls in threads of their own and holds every password check until each call is
    checking its password, waiting for the attempts before it, or answered."""

    def __init__(self, monkeypatch):
        self.arrived: set[str] = set()
        self.expected = 0
        self.condition = threading.Condition()
        check, pause = accounts.verify_password, throttle.wait_for_attempts_in_flight

        def held_check(password_hash, password):
            self._arrive()
            with self.condition:
                everyone = self.condition.wait_for(lambda: len(self.arrived) >= self.expected, timeout=60)
            assert everyone, "a login neither checked its password, nor waited, nor was answered"
            return check(password_hash, password)

        def counted_pause(seconds):
            self._arrive()
            pause(seconds)

        monkeypatch.setattr(accounts, "verify_password", held_check)
        monkeypatch.setattr(throttle, "wait_for_attempts_in_flight", counted_pause)

    def _arrive(self) -> None:
        with self.condition:
            self.arrived.add(threading.current_thread().name)
            self.condition.notify_all()

    def run(self, calls: list) -> list:
        """Each call's result, in order."""
        self.expected = len(calls)
        results: list = [None] * len(calls)

        def run_one(i: int) -> None:
            try:
                results[i] = calls[i]()
            finally:
                self._arrive()

        threads = [threading.Thread(target=run_one, args=(i,), name=f"call-{i}") for i in range(len(calls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results


@pytest.fixture
def in_flight(monkeypatch) -> AllInFlight:
    return AllInFlight(monkeypatch)


def api_login(app, login: str, password: str):
    return lambda: app.test_client().post("/users/api/tokens", json={"login": login, "password": password}).status_code


def form_login(app, login: str, password: str):
    def post() -> int:
        client = app.test_client()
        data = {"login": login, "password": password, "csrf_token": csrf_from(client, "/users/login")}
        return client.post("/users/login", data=data).status_code

    return post


def attempts(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Attempt.kind).where(Attempt.kind.like("login%"))))


@pytest.mark.parametrize(("how", "welcome"), [(api_login, 201), (form_login, 303)], ids=["API token", "login form"])
def test_more_parallel_logins_with_the_right_password_than_the_limit_all_get_in(app, in_flight, how, welcome):
    statuses = in_flight.run([how(app, "alice", PASSWORD) for _ in range(LIMIT + 7)])
    assert statuses == [welcome] * (LIMIT + 7)
    assert attempts(app) == []  # successes never count


def test_parallel_right_passwords_from_one_address_are_not_held_to_its_failure_limit(tmp_path, in_flight):
    app = shop(tmp_path, SHOP_LOGIN_FAILURES_PER_ADDRESS=3)
    statuses = in_flight.run([api_login(app, f"user{i}", PASSWORD) for i in range(8)])
    assert statuses == [201] * 8


def test_parallel_e_mail_changes_with_the_right_password_all_go_through(tmp_path, in_flight):
    app = shop(tmp_path, SHOP_EMAIL_CHANGES_PER_HOUR=LIMIT + 3)  # the login limits alone are what is tried
    clients = []
    for _ in range(LIMIT + 3):
        client = app.test_client()
        token = csrf_from(client, "/users/login")
        data = {"login": "alice", "password": PASSWORD, "csrf_token": token}
        assert client.post("/users/login", data=data).status_code == 303
        clients.append((client, csrf_from(client, "/users/account")))

    def change(i: int):
        client, token = clients[i]
        data = {"email": f"alice{i}@example.com", "email_password": PASSWORD, "csrf_token": token}
        return lambda: client.post("/users/account/email", data=data).status_code

    assert in_flight.run([change(i) for i in range(len(clients))]) == [303] * len(clients)


def test_parallel_wrong_guesses_get_exactly_the_limit_through_and_lock_the_login(app, in_flight):
    statuses = in_flight.run([api_login(app, "alice", f"wrong guess {i}!") for i in range(LIMIT + 7)])
    assert sorted(statuses) == [401] * LIMIT + [429] * 7
    assert attempts(app) == ["login_failed"] * LIMIT
    assert api_login(app, "alice", PASSWORD)() == 429  # the right password waits too


@pytest.mark.parametrize("wrong", [LIMIT - 1, LIMIT + 3])
def test_right_passwords_beside_wrong_ones_never_let_more_guesses_through_than_the_limit(app, in_flight, wrong):
    calls = [api_login(app, "alice", f"wrong guess {i}!") for i in range(wrong)]
    calls += [api_login(app, "alice", PASSWORD) for _ in range(6)]
    statuses = in_flight.run(calls)
    guesses, right = statuses[:wrong], statuses[wrong:]
    assert sorted(guesses) == [401] * min(wrong, LIMIT) + [429] * max(0, wrong - LIMIT)
    assert attempts(app) == ["login_failed"] * min(wrong, LIMIT)
    if wrong < LIMIT:
        assert right == [201] * 6  # refused only once the guesses before it used up the limit
    else:
        assert set(right) <= {201, 429}


def pending_attempts(app, n: int, age: timedelta = timedelta(0)) -> None:
    """`n` attempts of alice's whose passwords are being checked elsewhere, started `age` ago."""
    with app.app_context():
        for _ in range(n):
            db.session.add(Attempt(kind="login_pending", login_key="alice", address="192.0.2.1", at=utcnow() - age))
        db.session.commit()


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("succeeded", 201), ("failed", 429), ("worker died", 429)],
)
def test_a_login_behind_the_limit_of_attempts_in_flight_waits_for_their_outcome(app, monkeypatch, outcome, status):
    pending_attempts(app, LIMIT)
    pauses = []

    def they_conclude(seconds):
        pauses.append(seconds)
        with app.app_context():
            pending = Attempt.kind == "login_pending"
            if outcome == "succeeded":
                db.session.execute(delete(Attempt).where(pending))
            elif outcome == "failed":
                db.session.execute(update(Attempt).where(pending).values(kind="login_failed"))
            else:  # their workers died: now older than PENDING_TIMEOUT, they count as failures
                monkeypatch.setattr(throttle, "PENDING_TIMEOUT", timedelta(seconds=1))
                db.session.execute(update(Attempt).where(pending).values(at=utcnow() - timedelta(seconds=2)))
            db.session.commit()

    monkeypatch.setattr(throttle, "wait_for_attempts_in_flight", they_conclude)
    assert api_login(app, "alice", PASSWORD)() == status
    assert len(pauses) == 1


def test_attempts_left_pending_by_a_dead_worker_count_as_failures_without_a_wait(app, monkeypatch):
    monkeypatch.setattr(throttle, "PENDING_TIMEOUT", timedelta(seconds=1))
    pending_attempts(app, LIMIT, age=timedelta(seconds=2))

    def no_wait(seconds):
        raise AssertionError("nothing to wait for: those attempts are over")

    monkeypatch.setattr(throttle, "wait_for_attempts_in_flight", no_wait)
    assert api_login(app, "alice", PASSWORD)() == 429


def test_a_password_check_that_breaks_off_counts_as_a_failed_login(app, monkeypatch):
    def broken(password_hash, password):
        raise RuntimeError("the check broke off")

    monkeypatch.setattr(accounts, "verify_password", broken)
    assert api_login(app, "alice", PASSWORD)() == 500
    assert attempts(app) == ["login_failed"]


def test_the_prune_job_drops_old_attempts_of_every_kind_and_keeps_recent_ones(app):
    pending_attempts(app, 2, age=timedelta(hours=2))
    pending_attempts(app, 1)
    with app.app_context():
        db.session.add(Attempt(kind="login_failed", login_key="alice", address="x", at=utcnow() - timedelta(hours=2)))
        db.session.commit()
        assert jobs.prune_attempts() == {"pruned": 3}
    assert attempts(app) == ["login_pending"]


def test_a_login_that_waits_in_vain_for_the_attempts_in_flight_is_told_so_not_that_it_failed(app, monkeypatch):
    pending_attempts(app, LIMIT)  # they never conclude, and are never old enough to count as failures
    clock = [0.0]
    monkeypatch.setattr(throttle.time, "monotonic", lambda: clock[0])

    def time_passes(seconds):
        clock[0] += seconds * 1000

    monkeypatch.setattr(throttle, "wait_for_attempts_in_flight", time_passes)
    answer = app.test_client().post("/users/api/tokens", json={"login": "alice", "password": PASSWORD})
    message = answer.get_json()["error"]["message"]
    assert answer.status_code == 429 and "being checked at once" in message
    # the same answer for a login no account has: it speaks of the login, not of an account
    assert "with this login" in message and "account" not in message


def test_a_password_set_by_the_emailed_link_also_frees_the_login_from_attempts_of_a_dead_worker(app, monkeypatch):
    monkeypatch.setattr(throttle, "PENDING_TIMEOUT", timedelta(seconds=1))
    pending_attempts(app, LIMIT, age=timedelta(seconds=2))
    assert api_login(app, "alice", PASSWORD)() == 429
    with app.app_context(), write_transaction(db):
        throttle.forgive_login("Alice", accounts.find_by_login("alice").id)
    assert api_login(app, "alice", PASSWORD)() == 201

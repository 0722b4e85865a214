"""Configuration traps: `.env` must not outvote the environment, must not be readable by others, and a
shop outside dev must not start on the Stripe emulator, with test keys or without an instance id."""

import os
import secrets
import stat
import subprocess
import sys

import pytest

from shared_ui.config import PROJECT_ROOT
from shopctl import settings
from shopctl.settings import PORT_DEFAULTS, ensure_dev_env, resolve, uses_emulator
from stacktools.stack import free_port

DEV_KEYS = ("SECRET_KEY", "SHOP_SERVICE_TOKEN", "STRIPE_WEBHOOK_SECRET", "SHOP_ADMIN_LOGIN", "SHOP_ADMIN_PASSWORD")


@pytest.fixture
def bare_environment(monkeypatch):
    for name in (*DEV_KEYS, "SHOP_DEMO_DATA", "STRIPE_SECRET_KEY", "STRIPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_variable_set_empty_in_the_environment_overrides_env_file(tmp_path, bare_environment):
    env_file = tmp_path / ".env"
    env_file.write_text("STRIPE_API_BASE=http://127.0.0.1:12111\nSTRIPE_SECRET_KEY=sk_live_x\n")
    bare_environment.setenv("STRIPE_API_BASE", "")
    env = resolve(env_file=env_file)
    # Passed on empty, so the apps' own load of .env (environment first) cannot bring it back.
    assert env["STRIPE_API_BASE"] == ""
    assert not uses_emulator(env)
    assert env["SHOP_PORT"] == str(PORT_DEFAULTS["SHOP_PORT"])


def test_make_run_adds_no_emulator_when_the_environment_says_real_stripe(tmp_path, bare_environment):
    bare_environment.setenv("STRIPE_API_BASE", "")
    added = ensure_dev_env(tmp_path / ".env")
    assert "STRIPE_API_BASE" not in added and "STRIPE_API_BASE" not in (tmp_path / ".env").read_text()


class Unwritable:
    """A setting value that cannot be written: the write stops after the file was created."""

    def __format__(self, spec):
        raise RuntimeError("stopped mid-write")


def test_env_file_is_private_from_its_first_byte(tmp_path, bare_environment):
    bare_environment.setattr(settings, "dev_secrets", lambda: {"SECRET_KEY": Unwritable()})
    old_umask = os.umask(0o022)
    try:
        with pytest.raises(RuntimeError, match="stopped mid-write"):
            ensure_dev_env(tmp_path / ".env")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_an_existing_env_file_is_tightened(tmp_path, bare_environment):
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}=x\n" for name in (*DEV_KEYS, "SHOP_DEMO_DATA", "STRIPE_SECRET_KEY")))
    env_file.chmod(0o644)
    assert ensure_dev_env(env_file) == {}
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def _production(var_dir, **changes: str) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SHOP_", "STRIPE_"))},
        **{name: str(free_port()) for name in PORT_DEFAULTS},
        "SHOP_ENV": "production",
        "SHOP_VAR_DIR": str(var_dir / "var"),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SHOP_SERVICE_TOKEN": secrets.token_urlsafe(24),
        "SHOP_INSTANCE_ID": "shop-test-1",
        "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_hex(12),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(24),
        "STRIPE_API_BASE": "",
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


REFUSED = [
    ({"STRIPE_API_BASE": "http://127.0.0.1:12111"}, "is the Stripe emulator"),
    ({"STRIPE_API_BASE": "http://localhost:4242/"}, "is the Stripe emulator"),
    ({"STRIPE_SECRET_KEY": "sk_test_" + "0" * 24}, "test key"),
    ({"SHOP_INSTANCE_ID": None}, "SHOP_INSTANCE_ID is missing or 'dev'"),
    ({"SHOP_INSTANCE_ID": "dev"}, "SHOP_INSTANCE_ID is missing or 'dev'"),
    # Set empty, not left out: an empty setting wins over `.env`, and the dev `.env` that `make run`
    # writes in the project root holds a webhook secret (`make run`, then `make test`).
    ({"STRIPE_WEBHOOK_SECRET": ""}, "STRIPE_WEBHOOK_SECRET is not set"),
]


@pytest.mark.parametrize(("changes", "message"), REFUSED)
def test_the_start_command_refuses_production_on_test_plumbing(tmp_path, changes, message):
    env = _production(tmp_path, **changes)
    started = subprocess.run(
        [sys.executable, "-m", "shopctl", "prepare"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode != 0
    assert "The shop will not start with SHOP_ENV=production" in started.stderr and message in started.stderr
    assert not os.path.exists(env["SHOP_VAR_DIR"])  # nothing was prepared


@pytest.mark.parametrize(("changes", "message"), REFUSED[:5])
def test_each_app_refuses_production_on_test_plumbing(tmp_path, changes, message):
    """Started without shopctl (gunicorn by hand, a container), an app stops all the same."""
    env = _production(tmp_path, **changes)
    started = subprocess.run(
        [sys.executable, "-c", "from orders_app import create_app; create_app()"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert started.returncode != 0 and "orders_app will not start" in started.stderr
    assert message in started.stderr


def test_a_staging_shop_may_use_stripe_test_keys(tmp_path):
    env = _production(tmp_path, SHOP_ENV="staging", STRIPE_SECRET_KEY="sk_test_" + "0" * 24)
    started = subprocess.run(
        [sys.executable, "-c", "from orders_app import create_app; create_app()"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert started.returncode == 0, started.stderr


def test_make_run_starts_the_procfile_as_written_whatever_shop_instances_says(tmp_path, monkeypatch):
    """SHOP_INSTANCES is run-scaled's setting (README): left in the environment or `.env`, `make run`
    asked honcho for `inventory-1`, which the Procfile has not, and stopped at once."""
    from shopctl import __main__ as shopctl_main
    from shopctl import procfile

    monkeypatch.setenv("SHOP_ENV", "test")  # no .env read or written
    monkeypatch.setenv("SHOP_INSTANCES", "2")
    monkeypatch.setenv("SHOP_VAR_DIR", str(tmp_path / "var"))
    started = {}
    monkeypatch.setattr(shopctl_main.os, "chdir", lambda path: None)
    monkeypatch.setattr(shopctl_main.os, "execve", lambda path, args, env: started.update(args=args, env=env))
    shopctl_main.main(["run"])
    names = started["args"][started["args"].index(str(procfile.PROCFILE)) + 1 :]
    assert set(names) <= set(procfile.read()) and "inventory" in names
    assert started["env"]["INVENTORY_URL"] == f"http://127.0.0.1:{started['env']['INVENTORY_PORT']}"


def test_prepare_takes_other_users_read_access_away_from_databases_older_versions_made(tmp_path, monkeypatch):
    """New SQLite files are 0600 (shared_ui/db.py); older versions left 0644 ones, and a database holds
    password hashes, addresses and orders. Its owner and group keep what they had."""
    from shopctl import __main__ as shopctl_main

    monkeypatch.setenv("SHOP_ENV", "test")  # no .env read or written
    monkeypatch.setenv("SHOP_VAR_DIR", str(tmp_path))
    for app in ("inventory", "users", "orders"):
        monkeypatch.delenv(f"{app.upper()}_DATABASE_URL", raising=False)
    modes = {"users.sqlite3": 0o644, "users.sqlite3-wal": 0o644, "users.sqlite3-shm": 0o664,
             "orders.sqlite3": 0o640, "inventory.sqlite3": 0o604, "notes.txt": 0o644}
    for name, mode in modes.items():
        (tmp_path / name).touch()
        os.chmod(tmp_path / name, mode)
    assert shopctl_main.main(["prepare"]) == 0
    assert {name: stat.S_IMODE((tmp_path / name).stat().st_mode) for name in modes} == {
        "users.sqlite3": 0o640, "users.sqlite3-wal": 0o640, "users.sqlite3-shm": 0o660,
        "orders.sqlite3": 0o640, "inventory.sqlite3": 0o600, "notes.txt": 0o644,  # not a database: left alone
    }

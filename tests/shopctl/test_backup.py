"""`python -m shopctl backup`: a copy of each app's database that can be restored as it is, taken
while the shop writes: what was committed is in it (also what still sits in the WAL, which a copy of
the database file misses), no transaction is in it halfway, and only the owner can read it."""

import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading

import pytest
from dotenv import dotenv_values

from shared_ui.config import PROJECT_ROOT
from shopctl import backup
from shopctl.settings import PORT_DEFAULTS, resolve
from stacktools.stack import free_port

APPS = ("inventory", "users", "orders")


def live_database(path) -> sqlite3.Connection:
    """A database as the apps keep one: WAL, and (here) never checkpointed, so its commits stay in the WAL."""
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA wal_autocheckpoint = 0")
    connection.execute("CREATE TABLE pairs (id INTEGER PRIMARY KEY, pair INTEGER NOT NULL)")
    return connection


def write_pair(connection: sqlite3.Connection, pair: int) -> None:
    """One transaction, two rows: a copy holds both or neither."""
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany("INSERT INTO pairs (pair) VALUES (?)", [(pair,), (pair,)])
    connection.execute("COMMIT")


def shopctl_backup(var_dir, *args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_") and not k.endswith("_DATABASE_URL")}
    environment |= {"SHOP_ENV": "test", "SHOP_VAR_DIR": str(var_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "shopctl", "backup", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_backup_taken_while_the_shop_writes_holds_every_commit_whole_and_is_private(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    databases = {app: live_database(var_dir / f"{app}.sqlite3") for app in APPS}
    for app, connection in databases.items():
        write_pair(connection, 0)  # committed before the backup, only in the WAL
        assert (var_dir / f"{app}.sqlite3-wal").stat().st_size > 0
    writing, written = threading.Event(), []

    def keep_writing():  # inventory goes on taking orders' holds throughout
        while not writing.is_set():
            written.append(len(written) + 1)
            write_pair(databases["inventory"], written[-1])

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        done = shopctl_backup(var_dir, str(tmp_path / "copy"))
    finally:
        writing.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    assert f"Backed up into {tmp_path / 'copy'}" in done.stdout

    folder = tmp_path / "copy"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{app}.sqlite3" for app in APPS)  # no -wal
    for app in APPS:
        copy = folder / f"{app}.sqlite3"
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # password hashes, addresses
        with sqlite3.connect(copy) as restored:
            assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            pairs = dict(restored.execute("SELECT pair, count(*) FROM pairs GROUP BY pair"))
        assert pairs[0] == 2, app  # what the WAL held
        assert set(pairs.values()) == {2}, (app, pairs)  # every transaction whole
    assert len(written) > 1  # the copies were taken while inventory wrote
    for connection in databases.values():
        connection.close()


def test_an_app_on_another_database_is_named_not_copied_and_a_missing_one_stops_before_anything(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    for app in ("inventory", "users"):
        live_database(var_dir / f"{app}.sqlite3").close()
    missing = shopctl_backup(var_dir, str(tmp_path / "first"))
    assert missing.returncode != 0 and f"no database at {var_dir / 'orders.sqlite3'}" in missing.stderr
    assert not (tmp_path / "first").exists()

    on_postgres = shopctl_backup(var_dir, ORDERS_DATABASE_URL="postgresql+psycopg://shop@127.0.0.1:5433/orders")
    assert on_postgres.returncode == 0, on_postgres.stderr
    assert "orders: not SQLite: back it up with its database server's tools (pg_dump)" in on_postgres.stdout
    [folder] = (var_dir / "backups").iterdir()  # the default: a folder per backup, named by its UTC time
    assert sorted(path.name for path in folder.iterdir()) == ["inventory.sqlite3", "users.sqlite3"]


def test_a_restore_puts_the_copy_back_and_nothing_issued_after_it_is_taken_for_something_else(tmp_path):
    """Orders placed after the copy are lost, but Stripe and inventory still know their ids: no new
    order gets one. Sessions issued after it may name accounts the copy does not have: SECRET_KEY is
    replaced. And nothing is restored under a running shop."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = resolve({"SHOP_VAR_DIR": str(var_dir), **{name: str(free_port()) for name in PORT_DEFAULTS}}, env_file=None)
    for app in ("inventory", "users"):
        live_database(var_dir / f"{app}.sqlite3").close()
    orders = sqlite3.connect(var_dir / "orders.sqlite3", isolation_level=None)
    orders.execute("PRAGMA journal_mode = WAL")
    orders.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT)")
    orders.executemany("INSERT INTO orders (what) VALUES (?)", [("before",)] * 3)
    folder, _ = backup.backup(env, tmp_path / "copy")
    orders.executemany("INSERT INTO orders (what) VALUES (?)", [("after",)] * 2)  # orders 4 and 5: lost
    orders.close()
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=the-old-key\nSHOP_ADMIN_LOGIN=admin\n")
    env_file.chmod(0o600)  # as make run writes it

    running = f"inventory on 127.0.0.1:{env['INVENTORY_PORT']}"
    with socket.create_server(("127.0.0.1", int(env["INVENTORY_PORT"]))), pytest.raises(SystemExit, match=running):
        backup.restore(env, folder, env_file)  # the shop still runs
    with sqlite3.connect(var_dir / "orders.sqlite3") as untouched:
        assert untouched.execute("SELECT count(*) FROM orders").fetchone() == (5,)
    untouched.close()  # `with` ends the transaction only: an open connection is a running shop to restore

    said = backup.restore(env, folder, env_file)
    assert said[-1] == f"SECRET_KEY: replaced in {env_file}; everyone logs in again"
    assert not (var_dir / "orders.sqlite3-wal").exists()
    with sqlite3.connect(var_dir / "orders.sqlite3") as restored:
        assert restored.execute("SELECT what, count(*) FROM orders GROUP BY what").fetchall() == [("before", 3)]
        new_id = restored.execute("INSERT INTO orders (what) VALUES ('next') RETURNING id").fetchone()[0]
    assert new_id == 3 + backup.ORDER_ID_GAP + 1  # never 4 or 5 again
    settings = dotenv_values(env_file)
    assert settings["SECRET_KEY"] not in ("the-old-key", "") and settings["SHOP_ADMIN_LOGIN"] == "admin"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def backed_up_shop(tmp_path, orders: int):
    """A shop's three databases in tmp_path/var (`orders` orders in orders'), backed up into tmp_path/copy:
    (its var folder, its settings, the backup's folder)."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = resolve({"SHOP_VAR_DIR": str(var_dir), **{name: str(free_port()) for name in PORT_DEFAULTS}}, env_file=None)
    for app in APPS:
        live_database(var_dir / f"{app}.sqlite3").close()
    with sqlite3.connect(var_dir / "orders.sqlite3") as connection:
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT)")
        connection.executemany("INSERT INTO orders DEFAULT VALUES", [()] * orders)
    connection.close()
    folder, _ = backup.backup(env, tmp_path / "copy")
    return var_dir, env, folder


def test_a_restore_refuses_while_a_database_is_still_open_whatever_ports_the_shop_was_started_on(tmp_path):
    """`SHOP_PORT=8400 make run` and then `shopctl restore` without those settings checks the default
    ports, which answer nothing: the databases of the shop still running must not be swapped under it
    (its workers would go on writing to the files replaced while new connections open the copy)."""
    var_dir, env, folder = backed_up_shop(tmp_path, orders=0)
    still_open = sqlite3.connect(var_dir / "orders.sqlite3", isolation_level=None)  # a worker's pooled connection
    still_open.execute("PRAGMA journal_mode = WAL")
    still_open.execute("INSERT INTO pairs (pair) VALUES (1)")
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=the-old-key\n")

    with pytest.raises(SystemExit, match=r"Stop the shop first; these databases are still open .*orders\.sqlite3$"):
        backup.restore(env, folder, env_file)
    assert still_open.execute("SELECT count(*) FROM pairs").fetchone() == (1,)
    assert dotenv_values(env_file)["SECRET_KEY"] == "the-old-key"
    still_open.close()

    assert backup.restore(env, folder, env_file)[-1].startswith("SECRET_KEY: replaced")


def test_the_new_secret_key_keeps_the_operators_env_file_as_it_was_given(tmp_path, monkeypatch):
    """In production `.env` is the operator's: 0640 for the service's group (README), or a link to where
    the configuration lives. A restore wrote a new 0600 file in its place, which the service's user
    could then not read, and which cut the link."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = tmp_path / "etc" / "shop.env"
    config.parent.mkdir()
    config.write_text("SECRET_KEY=the-old-key\nSHOP_ADMIN_LOGIN=admin\n")
    config.chmod(0o640)
    env_file = tmp_path / ".env"
    env_file.symlink_to(config)

    assert backup._new_secret_key(env_file).startswith("SECRET_KEY: replaced")
    assert env_file.is_symlink() and env_file.resolve() == config
    assert dotenv_values(config)["SECRET_KEY"] not in ("the-old-key", "")
    assert stat.S_IMODE(config.stat().st_mode) == 0o640

    config.chmod(0o644)  # never readable by others once it holds the new key
    backup._new_secret_key(env_file)
    assert stat.S_IMODE(config.stat().st_mode) == 0o640


def test_a_restore_that_cannot_put_one_copy_back_puts_none_back(tmp_path):
    """The three copies go back together or not at all: orders' copy was put back (without its ids
    moved ahead) before users' failed, and a shop started then gave new orders the ids of orders
    Stripe had already been paid for."""
    var_dir, env, folder = backed_up_shop(tmp_path, orders=1)
    with sqlite3.connect(var_dir / "orders.sqlite3") as orders:
        orders.execute("INSERT INTO orders DEFAULT VALUES")  # order 2, after the copy
    orders.close()
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=the-old-key\n")
    (tmp_path / "not-a-folder").write_text("")  # users' database cannot be written there
    unwritable = {**env, "USERS_DATABASE_URL": f"sqlite:///{tmp_path / 'not-a-folder' / 'users.sqlite3'}"}

    with pytest.raises(OSError):
        backup.restore(unwritable, folder, env_file)
    with sqlite3.connect(var_dir / "orders.sqlite3") as orders:
        assert orders.execute("SELECT count(*) FROM orders").fetchone() == (2,)  # as it was, not the copy
    orders.close()
    assert not list(var_dir.glob("*.restoring")) and dotenv_values(env_file)["SECRET_KEY"] == "the-old-key"


def test_a_backup_into_a_folder_that_exists_leaves_the_folder_as_it_was(tmp_path):
    """`python -m shopctl backup /tmp` (or a shared /srv/backups) made that folder 0700: /tmp lost its
    sticky bit and every other user's access. The copies themselves are owner-only wherever they go."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    for app in APPS:
        live_database(var_dir / f"{app}.sqlite3").close()
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    done = shopctl_backup(var_dir, str(shared))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in shared.iterdir()} == {
        f"{app}.sqlite3": 0o600 for app in APPS
    }


def test_a_backup_into_the_shops_own_folder_is_refused_and_replaces_nothing(tmp_path):
    """`python -m shopctl backup var` copied each live database onto itself: the file the running shop
    writes to was replaced, and what it wrote after that went to a file no longer there."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    for app in APPS:
        live_database(var_dir / f"{app}.sqlite3").close()
    before = {app: (var_dir / f"{app}.sqlite3").stat().st_ino for app in APPS}
    done = shopctl_backup(var_dir, str(var_dir))
    assert done.returncode != 0 and "the shop's own databases" in done.stderr
    assert {app: (var_dir / f"{app}.sqlite3").stat().st_ino for app in APPS} == before

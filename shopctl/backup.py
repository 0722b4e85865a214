"""`python -m shopctl backup [FOLDER]`: a consistent copy of each app's SQLite database, taken while
the shop runs (`make backup`); `python -m shopctl restore FOLDER` puts one back.

Each database is copied with SQLite's online backup API in one step: a read transaction of its own,
so the copy is the database as one committed moment saw it (with WAL, writers go on meanwhile), and
never a file caught halfway through a write, as `cp` of a live database can be. Every copy is checked
(`PRAGMA integrity_check`) before it is kept. The three apps' copies are three moments, a few
milliseconds apart, orders' first: every order its copy has as held has its hold in inventory's
later copy (a hold is written before its order is marked held); a hold whose order came after the
copy lapses at its deadline like any hold of an order that was never placed. Pictures are rows of
inventory's database, so they are in its copy.

The folder (default `$SHOP_VAR_DIR/backups/<UTC time>`) is readable by its owner only: the copies
hold password hashes and e-mail addresses. An app on another database (`<APP>_DATABASE_URL` on
PostgreSQL) is not copied here: that server's own tools (pg_dump) do it.

A restore goes back in time, while the world outside kept what happened after the copy: Stripe
(Checkout sessions and idempotency keys named by order id), browsers and API clients (sessions and
tokens naming account ids and their session versions). So, with the shop stopped, it puts the three
copies back and then
- moves orders' id counter ORDER_ID_GAP ahead: an order placed after the copy is lost, and its id is
  never given to another order (its Stripe session and its inventory hold key name that id);
- replaces SECRET_KEY in `.env` (or says to, when the key comes from the environment): a session or
  token issued after the copy could name an account the copy does not have, an id the next
  registration would be given.
Payments of orders placed after the copy are in Stripe's dashboard, to refund or honour by hand.
"""

import contextlib
import os
import secrets
import socket
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from shopctl.settings import PORT_SETTINGS, ports

#: orders' copy before inventory's (see above); users' stands alone
COPY_ORDER = ("orders", "users", "inventory")
#: how far a restore moves orders' id counter past the copy's: more orders than one shop places
#: between two backups
ORDER_ID_GAP = 1_000_000


def database_file(env: dict[str, str], app: str) -> Path | None:
    """The app's SQLite file as the apps find it (shared_ui.config), or None when it uses another database."""
    url = env.get(f"{app.upper()}_DATABASE_URL")
    if not url:
        return Path(env["SHOP_VAR_DIR"]) / f"{app}.sqlite3"
    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def backup(env: dict[str, str], folder: Path | None = None) -> tuple[Path, dict[str, str]]:
    """Copy every app's SQLite database into `folder`; (the folder, {app: what was done})."""
    sources = {app: database_file(env, app) for app in COPY_ORDER}
    for app, source in sources.items():
        if source is not None and not source.is_file():
            raise SystemExit(f"{app}: no database at {source} (has the shop run with this SHOP_VAR_DIR?)")
    folder = folder or Path(env["SHOP_VAR_DIR"]) / "backups" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if any(source and (folder / f"{app}.sqlite3").resolve() == source.resolve() for app, source in sources.items()):
        raise SystemExit(f"{folder} holds the shop's own databases: back up into another folder (default var/backups/)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)  # whatever the umask
    except FileExistsError:
        pass  # a folder of the operator's (/srv/backups, /tmp): its mode is theirs; each copy is owner-only
    done = {}
    for app, source in sources.items():
        if source is None:
            done[app] = "not SQLite: back it up with its database server's tools (pg_dump)"
        else:
            done[app] = str(copy_database(source, folder / f"{app}.sqlite3"))
    return folder, done


def copy_database(source: Path, target: Path) -> Path:
    """`source` copied to `target` (owner-only) in one read transaction, checked; the target's path."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    reading = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)  # never creates one; reads only
    writing = sqlite3.connect(partial)
    try:
        reading.execute("PRAGMA busy_timeout = 10000")
        reading.backup(writing)  # pages=-1: the whole database in one step
        writing.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        (check,) = writing.execute("PRAGMA integrity_check").fetchone()
    finally:
        writing.close()
        reading.close()
    if check != "ok":
        partial.unlink()
        raise SystemExit(f"the copy of {source} failed its integrity check: {check}")
    partial.replace(target)
    return target


def restore(env: dict[str, str], folder: Path, env_file: Path | None) -> list[str]:
    """Put back the copies in `folder` (the shop stopped); what was done, as lines to print."""
    copies = {app: folder / f"{app}.sqlite3" for app in COPY_ORDER}
    targets = {app: database_file(env, app) for app in COPY_ORDER}
    for app, copy in copies.items():
        if targets[app] is None:
            raise SystemExit(f"{app} does not use SQLite here: restore it with its database server's tools")
        if not copy.is_file():
            raise SystemExit(f"{app}: no copy at {copy}")
        _check(copy)
    if running := [f"{name} on 127.0.0.1:{port}" for name, port in _shop_ports(env) if _answers(port)]:
        raise SystemExit("Stop the shop first; these still answer: " + ", ".join(running))
    if in_use := [str(target) for target in targets.values() if _still_open(target)]:
        raise SystemExit(
            "Stop the shop first; these databases are still open (by a shop started on other ports than"
            " these settings name, or by its jobs process): " + ", ".join(in_use)
        )
    staged = {}
    try:  # every copy made beside its database first: three go back, or none
        for app in COPY_ORDER:
            target = targets[app]
            target.parent.mkdir(parents=True, exist_ok=True)
            staged[app] = copy_database(copies[app], target.with_name(target.name + ".restoring"))
        with sqlite3.connect(staged["orders"]) as orders:
            orders.execute(
                "INSERT OR IGNORE INTO sqlite_sequence (name, seq) SELECT 'orders', 0 WHERE NOT EXISTS"
                " (SELECT 1 FROM sqlite_sequence WHERE name = 'orders')"
            )
            orders.execute("UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'orders'", (ORDER_ID_GAP,))
        orders.close()
    except BaseException:
        for partial in staged.values():
            partial.unlink(missing_ok=True)
        raise
    done = []
    for app in COPY_ORDER:
        target = targets[app]
        for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            leftover.unlink(missing_ok=True)  # the running shop's journal of the database replaced
        staged[app].replace(target)
        done.append(f"{app}: {target} restored from {copies[app]}")
    done.append(f"orders: the next order id is {ORDER_ID_GAP:,} past the copy's")
    done.append(_new_secret_key(env_file))
    return done


def _check(copy: Path) -> None:
    with sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True) as reading:
        (check,) = reading.execute("PRAGMA integrity_check").fetchone()
    reading.close()
    if check != "ok":
        raise SystemExit(f"{copy} fails its integrity check: {check}")


def _still_open(database: Path) -> bool:
    """Whether another process has `database` open. The apps keep theirs in WAL mode, which SQLite
    leaves only when no other connection is open: the check ports cannot make when the shop was
    started with other ones (`SHOP_PORT=8400 make run`). The file is replaced next, so its mode may change."""
    if not database.is_file():
        return False
    connection = sqlite3.connect(database, timeout=0)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()
    return False


def _shop_ports(env: dict[str, str]) -> list[tuple[str, int]]:
    found = [(app, port) for app in COPY_ORDER for port in ports(env, app)]
    return [*found, ("nginx", int(env[PORT_SETTINGS["web"]]))]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _new_secret_key(env_file: Path | None) -> str:
    """A new SECRET_KEY in `.env`, when that is where the shop's comes from."""
    from_file = env_file is not None and env_file.is_file() and dotenv_values(env_file).get("SECRET_KEY")
    if os.environ.get("SECRET_KEY") or not from_file:
        return (
            "SECRET_KEY: give the shop a new one before starting it (every session and token then ends): one issued"
            " after the copy may name an account the copy does not have"
        )
    target = env_file.resolve()  # a link to where the operator keeps the configuration stays one
    given = target.stat()
    lines = target.read_text().splitlines(keepends=True)
    key = secrets.token_urlsafe(32)
    lines = [f"SECRET_KEY={key}\n" if line.startswith("SECRET_KEY=") else line for line in lines]
    partial = target.with_name(target.name + ".new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as written:
        # The mode and group it was given (0640 lets the service's group read it), never others'.
        with contextlib.suppress(PermissionError):  # only root gives a file to another owner
            os.fchown(written.fileno(), given.st_uid, given.st_gid)
        os.fchmod(written.fileno(), stat.S_IMODE(given.st_mode) & 0o640)
        written.writelines(lines)
    partial.replace(target)
    return f"SECRET_KEY: replaced in {env_file}; everyone logs in again"

"""`python -m shopctl backup [FOLDER]`: a consistent copy of each app's SQLite database, taken while
the shop runs (`make backup`).

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
"""

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

#: orders' copy before inventory's (see above); users' stands alone
COPY_ORDER = ("orders", "users", "inventory")


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
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
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

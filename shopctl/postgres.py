"""A PostgreSQL server of the shop's own, from Debian's `postgresql` package, with its data under var/.

`make run-scaled` and the scaled-out tests start one on loopback, create a database per app, and
stop it when they stop. As root the server runs as the `postgres` user (PostgreSQL refuses root),
so its folder must be reachable by that user: when a folder above var/ is closed to others, the
data goes to a private folder under /tmp instead.
"""

import glob
import hashlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

APP_DATABASES = ("inventory", "users", "orders")


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or (
        [shutil.which(name)] if shutil.which(name) else []
    )
    if not found:
        raise SystemExit(
            "PostgreSQL is not installed: `sudo apt-get install postgresql` (make run-scaled does it as root)"
        )
    return found[-1]


class Server:
    """One PostgreSQL server: `start()`, `urls()`, `stop()`."""

    def __init__(self, var_dir: Path, port: int):
        self.port = port
        self.as_root = os.geteuid() == 0
        folder = Path(var_dir) / "postgres"
        if self.as_root and not _reachable_by_others(folder.parent):
            digest = hashlib.sha256(str(folder).encode()).hexdigest()[:10]
            folder = Path(f"/tmp/shop-postgres-{digest}")
        self.data = folder / "data"
        self.socket_dir = folder / "run"
        self.log = folder / "postgres.log"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def start(self) -> None:
        for path in (self.data.parent, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            if self.as_root:
                postgres = pwd.getpwnam("postgres")
                os.chown(path, postgres.pw_uid, postgres.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        pg_ctl = [_bin("pg_ctl"), "-D", str(self.data)]
        if self._run(*pg_ctl, "status", check=False).returncode != 0:  # not left running from before
            self._run(*pg_ctl, "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        for name in APP_DATABASES:
            exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").stdout.strip()
            if not exists:
                self._psql(f'CREATE DATABASE "{name}"')

    def _psql(self, sql: str) -> subprocess.CompletedProcess:
        return self._run(_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-tAc", sql)

    def urls(self) -> dict[str, str]:
        """The apps' database settings pointing at this server."""
        return {
            f"{name.upper()}_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"
            for name in APP_DATABASES
        }

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data.parent, ignore_errors=True)


def _reachable_by_others(path: Path) -> bool:
    path = path.resolve()
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents] if p.exists())

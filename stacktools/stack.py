"""The whole shop started for tests: the Procfile's processes on free ports, a fresh var folder.

Each process runs in its own process group, so a test can stop, kill -9 or restart one of them.
With SHOP_TEST_SCALED=1 in the environment (CI's second pass), every Stack runs two instances of
each app on a PostgreSQL server of its own instead of one instance on SQLite.
"""

import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from shared_ui.config import PROJECT_ROOT
from shopctl import nginx, postgres, procfile
from shopctl.settings import APPS, PORT_DEFAULTS, resolve

SCALED = os.environ.get("SHOP_TEST_SCALED") == "1"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin-" + secrets.token_hex(8)


def _ephemeral_low() -> int:
    """Where the kernel starts picking ports for outgoing connections (32768 by default on Linux)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_EPHEMERAL_LOW = _ephemeral_low()
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on now, for a server that binds it later (or again, on restart).

    Taken below the kernel's range for outgoing connections: a port from bind(0) is in that range,
    and between this call and the server's bind (or while a test has an app stopped) any client
    connection, of which the suite makes thousands, could take it as its own and the server would
    fail to start with "address in use". Each port is handed out once per test run.
    """
    low = max(1024, min(20000, _EPHEMERAL_LOW - 4000))
    if _EPHEMERAL_LOW - low < 1000:  # a machine whose outgoing range starts low: nothing safe below it
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    for _ in range(500):
        port = random.randint(low, _EPHEMERAL_LOW - 1)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free loopback port between {low} and {_EPHEMERAL_LOW - 1}")


class Stack:
    """The running shop; `url(path)` goes through nginx."""

    def __init__(self, *, instances: int | None = None, database: str | None = None, **overrides: str):
        # Under the project, not pytest's tmp: nginx workers (as nobody) must read what they serve.
        self.var_dir = PROJECT_ROOT / "var" / f"test-{uuid.uuid4().hex[:8]}"
        self.var_dir.mkdir(parents=True, mode=0o755)
        self.instances = instances or (2 if SCALED else 1)
        ports = {name: str(free_port()) for name in PORT_DEFAULTS}
        for app in APPS:
            ports[f"{app.upper()}_PORTS"] = ",".join(str(free_port()) for _ in range(self.instances))
            ports[f"{app.upper()}_PORT"] = ports[f"{app.upper()}_PORTS"].split(",")[0]
        self.database = None
        if (database or ("postgres" if SCALED else "sqlite")) == "postgres":
            self.database = postgres.Server(self.var_dir, free_port())
            self.database.start()
            ports.update(self.database.urls())
        self.env = resolve(
            {
                **ports,
                "SHOP_INSTANCES": str(self.instances),
                "SHOP_ENV": "test",
                "SHOP_VAR_DIR": str(self.var_dir),
                "SECRET_KEY": secrets.token_urlsafe(32),
                "SHOP_SERVICE_TOKEN": secrets.token_urlsafe(24),
                "SHOP_INSTANCE_ID": f"test-{uuid.uuid4().hex[:6]}",
                "STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(12),
                "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(24),
                "STRIPE_API_BASE": f"http://127.0.0.1:{ports['STRIPE_EMULATOR_PORT']}",
                "SHOP_ADMIN_LOGIN": ADMIN_LOGIN,
                "SHOP_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "SHOP_DEMO_DATA": "",
                # Every test visitor comes from 127.0.0.1: per-address limits are tested on their own.
                "SHOP_REGISTRATIONS_PER_HOUR": "1000000",
                "SHOP_LOGIN_FAILURES_PER_ADDRESS": "1000000",
                "SHOP_AUTH_REQUESTS_PER_MINUTE": "1000000",
                "SHOP_RESETS_PER_NETWORK": "1000000",
                # A message the mail process could not take yet is tried again a second later.
                "SHOP_MAIL_RETRY_SECONDS": "1",
                # nginx asks the app for a picture again after 3 s (10 min in a shop): a deleted
                # picture's end is seen within a test's wait.
                "SHOP_PICTURE_CACHE_SECONDS": "3",
                "SHOP_PUBLIC_URL": f"http://127.0.0.1:{ports['SHOP_PORT']}",
                "STRIPE_WEBHOOK_URL": f"http://127.0.0.1:{ports['SHOP_PORT']}/orders/stripe/webhook",
                **overrides,
            },
            env_file=None,
        )
        self.commands = procfile.processes(self.env)
        #: where a process added to `commands` answers when ready (the Procfile's have theirs in shopctl.procfile)
        self.health_urls: dict[str, str] = {}
        self.processes: dict[str, subprocess.Popen] = {}
        self.released = False
        nginx.render(self.env)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.env['SHOP_PORT']}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def app_url(self, name: str, path: str) -> str:
        """Straight to (the first instance of) one app on its loopback port, bypassing nginx."""
        return f"http://127.0.0.1:{procfile.ports(self.env, name)[0]}{path}"

    def query(self, app: str, sql: str, **params) -> list[tuple]:
        """Read an app's database directly (SQLite file or PostgreSQL), as an operator would."""
        url = self.env.get(f"{app.upper()}_DATABASE_URL") or f"sqlite:///{self.var_dir / f'{app}.sqlite3'}"
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql), params)]
        finally:
            engine.dispose()

    def running(self, app: str) -> list[subprocess.Popen]:
        """An app's processes (every instance when scaled out, the first first)."""
        return [self.processes[name] for name in self._names((app,)) if name in self.processes]

    def _names(self, names: tuple[str, ...]) -> list[str]:
        """Process names, where "inventory" also means every instance "inventory-N"."""
        if not names:
            return list(self.commands)
        return [n for n in self.commands if n in names or n.split("-")[0] in names]

    def start(self, *names: str, timeout: float = 120) -> None:
        if not self.released:  # scaled out: migrations, admin, demo data once, before any instance
            for step in procfile.release_steps(self.env):
                subprocess.run(["bash", "-c", step], cwd=PROJECT_ROOT, env=self.env, check=True, capture_output=True)
            self.released = True
        # What already runs keeps running (a second copy could not bind its port, and its Popen would be lost).
        names = [name for name in self._names(names) if not self._alive(name)]
        # nginx only once every other process it is started with answers: scaled out, its start
        # command waits for the app instances it proxies to (shopctl/procfile.py), and a wait of its
        # own racing this one would time out together with it. Started last, its wait is already over.
        for name in [n for n in names if n != "web"]:
            self._spawn(name, self.commands[name])
        for name in names:
            if name != "web":
                self.wait_ready(name, timeout)
        if "web" in names:
            started = {name for name, process in self.processes.items() if process.poll() is None}
            self._spawn("web", procfile.processes(self.env, only=started | {"web"})["web"])
            self.wait_ready("web", timeout)

    def _alive(self, name: str) -> bool:
        return name in self.processes and self.processes[name].poll() is None

    def _spawn(self, name: str, command: str) -> None:
        with (self.var_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                ["bash", "-c", command],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, name: str, timeout: float = 120) -> None:
        url = self.health_urls.get(name) or procfile.health_url(self.env, name)
        if url is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log(name)[-3000:]}")
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name} not ready after {timeout}s:\n{self.log(name)[-3000:]}")

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Stop a process (every instance of it, for an app's name) with `sig`."""
        for each in self._names((name,)):
            process = self.processes.pop(each, None)
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
            except ProcessLookupError:
                pass

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def log(self, name: str) -> str:
        """What a process (all instances of an app) wrote to stdout and stderr."""
        return "".join(self._log(each) for each in self._names((name,))) or self._log(name)

    def log_mark(self, name: str) -> dict[str, int]:
        """Where each instance's log of `name` ends now; log_since(name, mark) is what came after."""
        return {each: len(self._log(each)) for each in self._names((name,)) or [name]}

    def log_since(self, name: str, mark: dict[str, int]) -> str:
        """What every instance of `name` wrote after log_mark(name) answered `mark`."""
        return "".join(self._log(each)[mark.get(each, 0) :] for each in self._names((name,)) or [name])

    def _log(self, name: str) -> str:
        path = self.var_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self, keep_files: bool = False) -> None:
        for name in list(self.processes):
            self.stop(name)
        if self.database is not None:
            self.database.stop() if keep_files else self.database.remove()
        if not keep_files:
            shutil.rmtree(self.var_dir, ignore_errors=True)


def serve(stack: Stack, request=None, *names: str, logs: tuple[str, ...] | None = None) -> Iterator[Stack]:
    """For a fixture: `yield from serve(Stack(...), request)`.

    Starts the stack (only the processes `names`, when given); if it cannot start, what did start is
    stopped and its files are kept for reading. After the tests, when any failed, the tails of the
    `logs` processes' output (every process by default) are printed; then the stack is closed.
    """
    try:
        stack.start(*names)
    except BaseException:
        stack.close(keep_files=True)
        raise
    yield stack
    if request is not None and request.session.testsfailed:
        for name in logs or stack.processes:
            print(f"\n----- {name} log (tail) -----\n{stack.log(name)[-4000:]}")
    stack.close()


def wait_until(predicate, timeout: float = 30, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; return that, or fail after `timeout`.

    The default is for a loaded two-core CI machine: what tests wait for is often a webhook, which
    the emulator retries after 1, 2, 4 ... s when the shop answers 500 (e.g. an order mid-change),
    or a sweep of the jobs process. Waiting longer costs nothing when the condition comes true."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def is_world_readable(path: Path) -> bool:
    return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents] if p.exists())

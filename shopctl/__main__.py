"""`python -m shopctl run|run-scaled|prepare|assets|backup [FOLDER]|restore FOLDER`: what `make run`
does after installing, and the backups of the shop's databases.

assets:     copy htmx, Pico and shared_ui's files into build/static under content-hashed names, and
            compile the translations (without them every page and message is in English).
prepare:    write a dev .env with what it lacks, render nginx.conf into $SHOP_VAR_DIR, take other
            users' access away from the SQLite databases (older versions left them readable).
run:        prepare, then start every Procfile process with honcho (Ctrl-C stops them all);
            also what `python -m shopctl` with no command does.
backup:     a consistent copy of each app's SQLite database, taken while the shop runs, into
            FOLDER (default $SHOP_VAR_DIR/backups/<UTC time>); see shopctl/backup.py.
restore:    put such a copy back, the shop stopped (orders' ids move on, SECRET_KEY is replaced).
run-scaled: the same with SHOP_INSTANCES (default 2) instances of each app and of the jobs
            process, on a PostgreSQL server of its own (data in $SHOP_VAR_DIR/postgres).
"""

import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from shared_ui import assets
from shared_ui.config import SHOP_SECRETS, start_problems
from shopctl import backup, nginx, postgres, procfile, settings
from shopctl.settings import resolve


def prepare(env: dict[str, str]) -> None:
    refuse_unsafe(env)
    os.makedirs(env["SHOP_VAR_DIR"], exist_ok=True)
    close_databases_to_others(env)
    nginx.nginx_binary()
    nginx.render(env)


def close_databases_to_others(env: dict[str, str]) -> None:
    """Take other users' access away from each app's SQLite file and its -wal and -shm: new ones are
    made owner-only (shared_ui/db.py), but older versions left them readable by anyone on the machine
    (password hashes, addresses, orders). The owner and group keep theirs."""
    for app in settings.APPS:
        database = backup.database_file(env, app)
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")) if database else ():
            with contextlib.suppress(FileNotFoundError):
                if (mode := stat.S_IMODE(path.stat().st_mode)) & stat.S_IRWXO:
                    path.chmod(mode & ~stat.S_IRWXO)


def refuse_unsafe(env: dict[str, str]) -> None:
    """Outside dev, stop before anything starts when a setting would run production on test plumbing."""
    if problems := start_problems(env, SHOP_SECRETS):
        lines = "".join(f"\n  - {problem}" for problem in problems)
        raise SystemExit(f"The shop will not start with SHOP_ENV={env.get('SHOP_ENV')}:{lines}")


def refuse_taken_ports(env: dict[str, str], names: list[str], command: str = "run") -> None:
    """Stop before anything starts when a port the processes `names` listen on is taken (the shop already
    runs, or another program), naming it and its setting: otherwise nginx's "bind() failed" is one line
    among every process starting and being stopped again. Scaled out, `inventory-2` is the app's second port."""
    for name in names:
        app, _, number = name.partition("-")
        setting = settings.PORT_SETTINGS.get(app)
        if setting is None:
            continue
        port = settings.ports(env, app)[int(number) - 1] if number else int(env[setting])
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no owner
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                raise SystemExit(
                    f"Port {port} ({setting}) is already in use ({error.strerror}): is the shop already running?"
                    f" Stop it, or choose another port, e.g. {setting}={int(env[setting]) + 1} make {command}"
                ) from None


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command == "assets":
        for name, url in assets.build().items():
            print(f"{name} -> {url}")
        CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(procfile.PROJECT_ROOT / "translations")])
        return 0
    if command in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    if command == "backup":
        folder, done = backup.backup(resolve(env_file=_env_file()), Path(argv[1]) if len(argv) > 1 else None)
        for app, what in done.items():
            print(f"{app}: {what}")
        print(f"Backed up into {folder}")
        return 0
    if command == "restore":
        if len(argv) != 2:
            print("python -m shopctl restore FOLDER  (a folder `python -m shopctl backup` wrote)", file=sys.stderr)
            return 2
        for line in backup.restore(resolve(env_file=_env_file()), Path(argv[1]), _env_file()):
            print(line)
        return 0
    if command not in ("run", "run-scaled", "prepare"):
        print(__doc__, file=sys.stderr)
        return 2
    added = settings.ensure_dev_env() if os.environ.get("SHOP_ENV", "development") == "development" else {}
    if command == "run-scaled":
        return run_scaled()
    # One instance of each app, as the Procfile says: SHOP_INSTANCES is run-scaled's setting, and
    # honcho knows no `inventory-1` in the Procfile.
    env = resolve({"SHOP_INSTANCES": "1"}, env_file=_env_file())
    prepare(env)
    if "SHOP_ADMIN_PASSWORD" in added:
        print(
            f"\n  Admin login: {env['SHOP_ADMIN_LOGIN']}  password: {env['SHOP_ADMIN_PASSWORD']}\n"
            "  (written once to .env; it is not shown again)\n"
        )
    if command == "prepare":
        return 0
    names = list(procfile.processes(env))  # the Procfile's processes; the emulator only when Stripe is emulated
    refuse_taken_ports(env, names)
    print(f"\n  The shop will be at {env['SHOP_PUBLIC_URL']}/  (Ctrl-C stops everything)\n", flush=True)
    honcho = [os.path.join(settings.VENV_BIN, "honcho"), "start", "-e", "/dev/null", "-f", str(procfile.PROCFILE)]
    os.chdir(procfile.PROJECT_ROOT)
    os.execve(honcho[0], honcho + names, env)  # noqa: S606 (a fixed program, no shell)


def run_scaled() -> int:
    """Two (SHOP_INSTANCES) of each app behind nginx, on PostgreSQL; stops the server at the end."""
    base = resolve({"SHOP_INSTANCES": os.environ.get("SHOP_INSTANCES", "2")}, env_file=_env_file())
    refuse_unsafe(base)
    refuse_taken_ports(base, list(procfile.processes(base)), "run-scaled")
    server = postgres.Server(base["SHOP_VAR_DIR"], int(base.get("SHOP_POSTGRES_PORT", "5433")))
    server.start()
    try:
        env = resolve({"SHOP_INSTANCES": base["SHOP_INSTANCES"], **server.urls()}, env_file=_env_file())
        prepare(env)
        for step in procfile.release_steps(env):
            subprocess.run(["bash", "-c", step], cwd=procfile.PROJECT_ROOT, env=env, check=True)
        scaled = procfile.PROJECT_ROOT / env["SHOP_VAR_DIR"] / "Procfile.scaled"
        procfile.write_scaled_procfile(env, scaled)
        print(
            f"\n  The shop will be at {env['SHOP_PUBLIC_URL']}/ with {env['SHOP_INSTANCES']} instances of each app"
            f" on PostgreSQL (port {server.port})  (Ctrl-C stops everything)\n",
            flush=True,
        )
        command = [os.path.join(settings.VENV_BIN, "honcho"), "start", "-e", "/dev/null", "-f", str(scaled)]
        honcho = subprocess.Popen([*command, "-d", str(procfile.PROJECT_ROOT)], cwd=procfile.PROJECT_ROOT, env=env)
        # Ctrl-C or a SIGTERM: honcho stops the processes, then the database server stops.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda number, _frame: honcho.send_signal(number))
        return honcho.wait()
    finally:
        server.stop()


def _env_file():
    """The `.env` to read; none under SHOP_ENV=test (the tests of these commands set every setting)."""
    return None if os.environ.get("SHOP_ENV") == "test" else settings.ENV_FILE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

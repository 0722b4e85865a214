"""The Procfile's processes: which run, with what command, and, scaled out, how many of each.

With SHOP_INSTANCES=1 (the default) the Procfile is run as written. With more, each app's line is
split at `&& exec`: what comes before (migrations, bootstrap admin, demo data) runs once, up front,
and each instance runs the rest with its own port; the jobs process runs once per instance too,
which proves its work safe when two copies run at once.

Scaled out, nginx (`web`) starts only once every instance of every app answers its health URL
(`python -m shopctl.procfile wait URL...`, at most WEB_WAIT_SECONDS). nginx counts a refused
connection as a failure of that instance and leaves it out for 10 s, in each nginx worker on its
own: a request reaching nginx while the instances were still starting took them all out, and
nginx then answered "no live upstreams" (502, even to a POST) for up to 10 s after they were up.
"""

import sys
import time
import urllib.request

from shared_ui.config import PROJECT_ROOT
from shopctl.settings import APPS, PORT_SETTINGS, instances, ports, uses_emulator, uses_mailserver

PROCFILE = PROJECT_ROOT / "Procfile"
SCALED = (*APPS, "jobs")
HEALTH_PATHS = {
    "inventory": "/inventory/healthz",
    "users": "/users/healthz",
    "orders": "/orders/healthz",
    "stripe": "/healthz",
    "web": "/users/healthz",
}
EXEC = " && exec "
WEB_WAIT_SECONDS = 120  # then nginx starts anyway and serves the instances that are up


def read() -> dict[str, str]:
    """{process name: shell command} in Procfile order."""
    processes = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def release_steps(env: dict[str, str]) -> list[str]:
    """Commands that run once before a scaled-out start (empty when not scaled out)."""
    if instances(env) == 1:
        return []
    commands = read()
    return [commands[app].split(EXEC, 1)[0] for app in APPS if EXEC in commands[app]]


def processes(env: dict[str, str], only: set[str] | None = None) -> dict[str, str]:
    """{name: command} of every process to start; instances are named `inventory-2` etc.

    `only` (process or app names) keeps those processes; scaled out, nginx then waits for the
    instances of the apps it keeps, never for an app that is not started.
    """
    commands = read()
    count = instances(env)
    wanted = {}
    for name, command in commands.items():
        if name == "stripe" and not uses_emulator(env):
            continue
        if name == "mail" and not uses_mailserver(env):
            continue
        if count == 1 or name not in SCALED:
            wanted[name] = command
            continue
        serve = "exec " + command.split(EXEC, 1)[1] if EXEC in command else command
        for index in range(count):
            if name in APPS:
                port = ports(env, name)[index]
                wanted[f"{name}-{index + 1}"] = f"export {PORT_SETTINGS[name]}={port}; {serve}"
            else:
                wanted[f"{name}-{index + 1}"] = serve
    if only is not None:
        wanted = {name: command for name, command in wanted.items() if name in only or name.partition("-")[0] in only}
    if count > 1 and "web" in wanted:
        urls = [health_url(env, name) for name in wanted if name.partition("-")[0] in APPS]
        wanted["web"] = f"python -m shopctl.procfile wait {' '.join(urls)} && {wanted['web']}"
    return wanted


def health_url(env: dict[str, str], name: str) -> str | None:
    """Where a process answers when it is ready, or None for processes without a port (jobs)."""
    base, _, index = name.partition("-")
    if base not in HEALTH_PATHS:
        return None
    port = ports(env, base)[int(index or 1) - 1]
    return f"http://127.0.0.1:{port}{HEALTH_PATHS[base]}"


def write_scaled_procfile(env: dict[str, str], path) -> None:
    """A Procfile for honcho with one line per instance."""
    path.write_text("".join(f"{name}: {command}\n" for name, command in processes(env).items()))


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def answers(url: str) -> bool:
    """True when `url` answers 200 within a second."""
    try:
        with _DIRECT.open(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def wait(urls: list[str], timeout: float = WEB_WAIT_SECONDS) -> bool:
    """Wait until every URL answers 200, at most `timeout` seconds; True when they all did."""
    deadline = time.monotonic() + timeout
    waiting = list(urls)
    while waiting:
        waiting = [url for url in waiting if not answers(url)]
        if waiting and time.monotonic() > deadline:
            print(f"still not answering after {timeout:.0f}s, starting anyway: {' '.join(waiting)}", file=sys.stderr)
            return False
        if waiting:
            time.sleep(0.2)
    return True


if __name__ == "__main__":
    if sys.argv[1:2] != ["wait"]:
        raise SystemExit("usage: python -m shopctl.procfile wait URL...")
    wait(sys.argv[2:])

"""`python -m shopctl run|prepare|assets`: what `make run` does after installing.

assets:  copy htmx, Pico and shared_ui's files into build/static under content-hashed names.
prepare: write a dev .env with what it lacks, render nginx.conf into $SHOP_VAR_DIR.
run:     prepare, then start every Procfile process with honcho (Ctrl-C stops them all).
"""

import os
import sys

from shared_ui import assets
from shopctl import nginx, procfile, settings
from shopctl.settings import resolve


def prepare(env: dict[str, str]) -> None:
    os.makedirs(env["SHOP_VAR_DIR"], exist_ok=True)
    nginx.nginx_binary()
    nginx.render(env)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command == "assets":
        for name, url in assets.build().items():
            print(f"{name} -> {url}")
        return 0
    if command not in ("run", "prepare"):
        print(__doc__)
        return 2
    added = settings.ensure_dev_env() if os.environ.get("SHOP_ENV", "development") == "development" else {}
    env = resolve()
    prepare(env)
    if "SHOP_ADMIN_PASSWORD" in added:
        print(
            f"\n  Admin login: {env['SHOP_ADMIN_LOGIN']}  password: {env['SHOP_ADMIN_PASSWORD']}\n"
            "  (written once to .env; it is not shown again)\n"
        )
    if command == "prepare":
        return 0
    print(f"\n  The shop will be at {env['SHOP_PUBLIC_URL']}/  (Ctrl-C stops everything)\n", flush=True)
    names = procfile.wanted(env)
    honcho = [os.path.join(settings.VENV_BIN, "honcho"), "start", "-e", "/dev/null", "-f", str(procfile.PROCFILE)]
    os.chdir(procfile.PROJECT_ROOT)
    os.execve(honcho[0], honcho + names, env)  # noqa: S606 (a fixed program, no shell)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

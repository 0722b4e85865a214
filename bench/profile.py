"""`make profile`: where the time goes on the slow paths, with py-spy sampling the gunicorn workers.

Starts the shop as `make bench` does (production settings, 1,000 items), drives one path with wrk
while py-spy records every worker of the apps it touches, and prints the functions that hold the
most samples, inclusive (the function and what it calls) and by itself. By default only the thread
holding the GIL is sampled, which is where the CPU goes on this CPU-bound machine (--wall: all
busy threads, waits included). The collapsed stacks go to
var/bench-profiles/ (open them with speedscope or flamegraph.pl).

py-spy is not a dependency of the shop: `make profile` installs it into var/bench-tools/ (not the
project venv); PYSPY=/path/to/py-spy uses another one.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench import cases as shop_cases
from bench import stacks, wrk
from bench.cases import BROWSER, RENDER_COOKIE, SEARCHES, ShopApi
from shared_ui.config import PROJECT_ROOT

OUT = PROJECT_ROOT / "var" / "bench-profiles"
TOOLS_PYSPY = PROJECT_ROOT / "var" / "bench-tools" / "bin" / "py-spy"
# case -> (the apps whose workers are sampled)
TARGETS = {
    "catalog": ("inventory",),
    "search": ("inventory",),
    "order": ("orders", "inventory", "users"),
    "webhook": ("orders",),
}


def pyspy_binary() -> str | None:
    for candidate in (os.environ.get("PYSPY"), shutil.which("py-spy"), str(TOOLS_PYSPY)):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", default=["catalog", "order"], choices=sorted(TARGETS))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--wall", action="store_true", help="sample every busy thread (waits too), not only the one holding the GIL"
    )
    args = parser.parse_args(argv)
    pyspy = pyspy_binary()
    if pyspy is None:
        print("py-spy not found: `make profile` installs it into var/bench-tools/, or set PYSPY", file=sys.stderr)
        return 2
    folder = OUT / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    shop = None
    try:
        shop = stacks.start_shop()
        stacks.seed(shop, 1000).communicate(timeout=240)
        api = ShopApi(shop.base_url)
        accounts = shop_cases.prepare_accounts(api)
        load = wrk.Load(seconds=args.seconds)
        for case in args.cases:
            request = _request(case, shop, accounts)
            wrk.run(shop.base_url, **request, load=load, seconds=2)  # warm-up
            recorders = {}
            for app in TARGETS[case]:
                output = folder / f"{case}-{app}.collapsed"
                recorders[app] = (
                    output,
                    subprocess.Popen(  # noqa: S603 (py-spy, our own arguments)
                        [pyspy, "record", "--pid", str(shop.processes[app].pid), "--subprocesses", "--format", "raw"]
                        + ["--rate", str(args.rate), "--duration", str(args.seconds + 1), "--output", str(output)]
                        + ([] if args.wall else ["--gil"]),
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    ),
                )
            time.sleep(1)
            run = wrk.run(shop.base_url, **request, load=load)
            print(
                f"\n=== {case}: {run.ok_per_second:.1f} req/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, "
                f"errors {run.error_count}"
            )
            for app, (output, process) in recorders.items():
                _, errors = process.communicate(timeout=args.seconds + 60)
                if not output.exists():
                    print(f"--- {app}: py-spy wrote nothing: {errors.strip()[-500:]}")
                    continue
                print(summarize(output, f"{case} / {app}", args.top))
        print(f"\ncollapsed stacks in {folder}")
        return 0
    finally:
        if shop is not None:
            shop.close()


def _request(case: str, shop, accounts) -> dict:
    if case == "catalog":
        return {"paths": ["/inventory/"], "headers": {**BROWSER, "Cookie": RENDER_COOKIE}}
    if case == "search":
        paths = [f"/inventory/?q={q.replace(' ', '+')}" for q in SEARCHES]
        return {"paths": paths, "headers": {**BROWSER, "HX-Request": "true", "Cookie": RENDER_COOKIE}}
    if case == "order":
        return {
            "paths": ["/orders/api/orders"],
            "method": "POST",
            "headers": {"Content-Type": "application/json"},
            "body": f'{{"inventory_id": {accounts.item_id}, "quantity": 1}}',
            "tokens": accounts.user_tokens,  # the customers in turn, as make bench sends them
        }
    secret = shop.env["STRIPE_WEBHOOK_SECRET"]
    return {
        "paths": ["/orders/stripe/webhook"],
        "method": "POST",
        "headers": {"Content-Type": "application/json"},
        "extra_env": shop_cases.webhook_files(shop.var_dir, secret),
    }


def _frame_key(frame: str) -> str:
    """`render (jinja2/environment.py:1295)` -> `render (jinja2/environment.py)`: lines apart, one function."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    for marker in ("site-packages/", "/lib/python3.11/", str(PROJECT_ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if path else name


def summarize(collapsed: Path, title: str, top: int) -> str:
    """The functions with the most samples: inclusive (itself and callees) and self."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        frames = [_frame_key(f) for f in stack.split(";") if " (" in f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    if not total:
        return f"--- {title}: no samples"
    lines = [f"--- {title}: {total} samples", "  inclusive:"]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    lines.append("  self:")
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

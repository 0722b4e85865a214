"""`make bench`: the shop under load, side by side with a bare hello world, written to bench/results.*.

Steps (each bounded; everything started is stopped in `finally`, also on Ctrl-C or SIGTERM):
1. start the shop (every Procfile process, production settings) and the side stack (nginx, a
   100,000-item inventory, the hello world with TechEmpower's fortunes beside it), then seed 1,000
   items into the shop and 100,000 into the side inventory, both with `flask --app inventory_app
   seed-bulk`;
2. worker choice: hello world, catalog page and order creation under a few gunicorn settings;
3. memory of the shop at idle;
4. every case for `--rounds` rounds of `--seconds` (the two sides of each ratio back to back,
   every other round in reverse order), wrk from a separate process on 127.0.0.1, memory and
   CPU time per request measured throughout (the orders placed by bench.cases.CUSTOMERS customers
   in turn); then the order check (zero oversell, nothing lost, for every item of the one-line and
   the 5-line orders, summed over every customer's orders);
5. bench/results.md and bench/results.json, and the ratio lines printed.
"""

import argparse
import json
import os
import platform
import runpy
import signal
import sys
import time
from pathlib import Path

from bench import cases as shop_cases
from bench import cpu, memory, report, stacks, wrk
from bench.cases import BROWSER, RENDER_COOKIE, SEARCHES, Case, ShopApi

OUT_DIR = Path(__file__).parent
# (label, GUNICORN_CMD_ARGS, config file instead of shopctl/gunicorn_conf.py) for the worker choice.
WORKER_CHOICES = [
    ("gthread 2 x 4, preload + gc.freeze (shopctl default)", "", None),
    ("gthread 1 worker x 8 threads", "--workers 1 --threads 8", None),
    ("gthread 2 workers x 2 threads", "--workers 2 --threads 2", None),
    ("sync 3 workers", "--worker-class sync --workers 3 --threads 1", None),
]
APPS = ("inventory", "users", "orders")
#: cases whose rounds record the share of the hello world's CPU its busiest worker took
ONE_WORKER_CHECKED = ("hello_direct", "hello_nginx")
CASE_ORDER = [
    "hello_direct",
    "hello_nginx",
    "catalog",
    "fortunes",
    "catalog_rendered",
    "catalog_rendered_plain",
    "order_saga",
    "order_create",
    "order_create_5",
    "search_small",
    "search_large",
    "catalog_large",
    "webhook",
    "static_htmx",
    "picture_cached",
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per case per round (default 3)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds over all cases (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--small", type=int, default=1_000, help="items in the shop's catalog")
    parser.add_argument("--large", type=int, default=100_000, help="items in the side catalog")
    parser.add_argument("--worker-seconds", type=float, default=4.0, help="seconds per worker-choice run (0: skip)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where results.md and results.json go")
    parser.add_argument("--keep", action="store_true", help="keep the stacks' var folders (logs, databases)")
    parser.add_argument(
        "--budget",
        type=float,
        default=540,
        help="seconds the whole run may take; worker-choice rows that would overrun it are skipped (default 540)",
    )
    return parser.parse_args(argv)


def _stop_on_sigterm() -> None:
    def handler(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    _stop_on_sigterm()
    wrk.wrk_binary()
    load = wrk.Load(threads=args.threads, connections=args.connections, seconds=args.seconds)
    started = time.monotonic()
    shop = side = None
    failed = True
    try:
        log("starting the shop (production settings) and the side stack (nginx, 100k inventory, hello world)")
        shop = stacks.start_shop()
        side = stacks.start_side()
        log(f"shop at {shop.base_url}, side nginx at {side.base_url}")
        results = Bench(shop, side, load, args, deadline=started + args.budget).run()
        report.write(results, args.out)
        log(f"done in {time.monotonic() - started:.0f} s; wrote {args.out / 'results.md'} and results.json")
        print()
        print(report.ratio_lines(results))
        failed = False
        return 0
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
        return 130
    finally:
        for stack in (side, shop):
            if stack is not None:
                stack.close(keep_files=args.keep or failed)
        if failed and shop is not None:
            log(f"logs kept in {shop.var_dir} and {side.var_dir if side else '-'}")


class Bench:
    """One run: setup, the worker choice, the cases, the checks."""

    def __init__(self, shop, side, load: wrk.Load, args, deadline: float):
        self.shop, self.side, self.load, self.args = shop, side, load, args
        self.deadline = deadline
        self.api = ShopApi(shop.base_url)
        self.results: dict = {
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
            "load": {
                "tool": "wrk",
                "threads": load.threads,
                "connections": load.connections,
                "seconds_per_round": load.seconds,
                "rounds": args.rounds,
            },
            "gunicorn": gunicorn_settings(shop.env),
            "notes": [],
            "memory_kind": "pss" if memory.pss_available() else "rss",
        }

    def note(self, text: str) -> None:
        log(text)
        self.results["notes"].append(text)

    def run(self) -> dict:
        self.seed()
        self.accounts = shop_cases.prepare_accounts(self.api)
        shop_cases.add_pictures(self.api, self.accounts, self.shop.env, self.shop.var_dir)
        shop_cases.find_plain_page(self.api, self.accounts)
        for problem in self.accounts.problems:
            self.note(f"setup: {problem}")
        self.cases = self.build_cases()
        for case in self.cases:
            case.check()
            if case.unavailable:
                self.note(f"{case.title}: {case.unavailable}")
        if self.args.worker_seconds > 0:
            self.worker_choice()
        self.measure()
        return self.results

    # --- setup ---------------------------------------------------------------------------------

    def seed(self) -> None:
        log(f"seeding {self.args.small:,} items into the shop and {self.args.large:,} into the side inventory")
        began = time.monotonic()
        jobs = {"small": stacks.seed(self.shop, self.args.small), "large": stacks.seed(self.side, self.args.large)}
        seeding = {}
        try:
            for name, process in jobs.items():
                output, _ = process.communicate(timeout=240)
                count = self.args.small if name == "small" else self.args.large
                seeding[name] = {"items": count, "ok": process.returncode == 0, "output": output.strip()[-300:]}
                if process.returncode != 0:
                    self.note(f"seed-bulk {count} failed (catalog left as it was): {output.strip()[-300:]}")
        finally:
            for process in jobs.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)
        seeding["seconds"] = round(time.monotonic() - began, 1)
        self.results["seeding"] = seeding
        log(f"seeded in {seeding['seconds']} s")

    def build_cases(self) -> list[Case]:
        shop, side = self.shop, self.side
        hello_path = "/users/hello"
        fragment = {**BROWSER, "HX-Request": "true"}
        search_paths = [f"/inventory/?q={q.replace(' ', '+')}" for q in SEARCHES]
        # Any cookie takes a request past nginx's shared copy of a visitor's page (nginx.conf), as for
        # a visitor who has switched language or been to the login page: the app renders every answer.
        rendered = {**BROWSER, "Cookie": RENDER_COOKIE}
        json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        accounts = self.accounts
        # Every order goes as the next of the customers (each a bearer token, round-robin): a real
        # customer holds a few Pending orders at most, and placing an order counts them.
        customers = f"{len(accounts.user_tokens)} customers in turn"
        order = Case(
            "order_create",
            f"order creation (orders -> inventory hold -> order write; {customers})",
            shop.base_url,
            ["/orders/api/orders"],
            method="POST",
            headers=json_headers,
            body=json.dumps({"inventory_id": accounts.item_id, "quantity": 1}),
            tokens=accounts.user_tokens,
        )
        if not (accounts.user_token and accounts.item_id):
            order.unavailable = (
                "not available yet (no customer token or no item to order: " + "; ".join(accounts.problems) + ")"
            )
        # Its peer: the saga's bare shape on the side stack (bench/saga_app.py), the same body.
        saga = Case(
            "order_saga",
            "the saga's bare shape (front -> stock hold -> order marked held; Flask + SQLAlchemy, two SQLite files)",
            side.base_url,
            ["/orders/api/orders"],
            method="POST",
            headers=json_headers,
            body=json.dumps({"inventory_id": 1, "quantity": 1}),
        )
        # A 5-line cart's checkout (issue 16): every line's item read, the five held at once, one order written.
        order_5 = Case(
            "order_create_5",
            f"order of {shop_cases.CART_LINES} lines (orders -> inventory holds {shop_cases.CART_LINES} lines "
            f"-> order write; {customers})",
            shop.base_url,
            ["/orders/api/orders"],
            method="POST",
            headers=json_headers,
            body=json.dumps({"lines": [{"inventory_id": i, "quantity": 1} for i in accounts.cart_item_ids]}),
            tokens=accounts.user_tokens,
        )
        if not (accounts.user_token and accounts.cart_item_ids):
            order_5.unavailable = (
                "not available yet (no customer token or no items to order: " + "; ".join(accounts.problems) + ")"
            )
        secret = shop.env["STRIPE_WEBHOOK_SECRET"]
        webhook_url = "/orders/stripe/webhook"
        webhook = Case(
            "webhook",
            "signed Stripe webhook deliveries through nginx",
            shop.base_url,
            [webhook_url],
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
            env=shop_cases.webhook_files(shop.var_dir, secret),
            probe=shop_cases.webhook_probe(shop.url(webhook_url), secret),
        )
        # A catalog thumbnail as browsers fetch it: with the session cookie, from nginx's copy.
        picture = Case(
            "picture_cached",
            "a catalog picture from nginx's copy",
            shop.base_url,
            [accounts.picture_path or "/inventory/pictures/none-160.webp"],
            headers={**BROWSER, "Accept": "image/webp,*/*", "Cookie": RENDER_COOKIE},
        )
        if not accounts.picture_path:
            picture.unavailable = "not available yet (no picture uploaded: " + "; ".join(accounts.problems) + ")"
        # The same rendered page without pictures: the cost of the first page's thumbnails (issue 19).
        plain = Case(
            "catalog_rendered_plain",
            f"catalog page rendered, its second page: no pictures ({self.args.small:,} items)",
            shop.base_url,
            [accounts.plain_catalog_path or "/inventory/?after=none"],
            headers=rendered,
        )
        if not accounts.plain_catalog_path:
            plain.unavailable = "not available (no second page without pictures: " + "; ".join(accounts.problems) + ")"
        cases = [
            Case("hello_nginx", "hello world through nginx", side.base_url, [hello_path], headers=BROWSER),
            Case(
                "hello_direct",
                "hello world straight to gunicorn",
                side.app_url("users", ""),
                [hello_path],
                headers=BROWSER,
            ),
            Case(
                "catalog",
                f"catalog page for new visitors, nginx's 1-second copy ({self.args.small:,} items)",
                shop.base_url,
                ["/inventory/"],
                headers=BROWSER,
            ),
            Case(
                "catalog_rendered",
                f"catalog page rendered for a visitor with a cookie ({self.args.small:,} items)",
                shop.base_url,
                ["/inventory/"],
                headers=rendered,
            ),
            plain,
            Case(
                "fortunes",
                "TechEmpower fortunes (Flask + SQLAlchemy + Jinja2) through nginx",
                side.base_url,
                ["/users/fortunes"],
                headers=rendered,
            ),
            Case(
                "search_small",
                f"catalog search fragment rendered ({self.args.small:,} items)",
                shop.base_url,
                search_paths,
                headers={**fragment, "Cookie": RENDER_COOKIE},
            ),
            Case(
                "search_large",
                f"catalog search fragment rendered ({self.args.large:,} items)",
                side.base_url,
                search_paths,
                headers={**fragment, "Cookie": RENDER_COOKIE},
            ),
            Case(
                "catalog_large",
                f"catalog page rendered ({self.args.large:,} items)",
                side.base_url,
                ["/inventory/"],
                headers=rendered,
            ),
            saga,
            order,
            order_5,
            webhook,
            Case(
                "static_htmx", "htmx file from nginx", shop.base_url, [shop_cases.static_htmx_path()], headers=BROWSER
            ),
            picture,
        ]
        by_key = {case.key: case for case in cases}
        # The two sides of each ratio next to each other: in every round they meet the same weather.
        return [by_key[key] for key in CASE_ORDER]

    # --- worker choice -------------------------------------------------------------------------

    def worker_choice(self) -> None:
        """Hello world, catalog page and order creation under each worker setting, all apps restarted."""
        chosen = [
            c for c in self.cases if c.key in ("hello_nginx", "catalog_rendered", "order_create") and not c.unavailable
        ]
        groups_of_shop = None
        rows = []
        seconds = self.args.worker_seconds
        measured = [c for c in self.cases if not c.unavailable]
        main_phase = len(measured) * (self.args.rounds * (self.args.seconds + 1) + 2) + 40  # with restarting back
        row_cost = 0.0
        try:
            for label, gunicorn_args, config in WORKER_CHOICES:
                row_began = time.monotonic()
                if row_began + row_cost + main_phase > self.deadline:
                    self.note(f"worker choice: {label} skipped to finish within --budget {self.args.budget:.0f} s")
                    continue
                log(f"worker choice: {label}")
                stacks.restart_with(self.side, ("users",), gunicorn_args, config)
                stacks.restart_with(self.shop, APPS, gunicorn_args, config)
                groups_of_shop = stacks.process_groups(self.shop)
                row = {"label": label, "gunicorn_args": gunicorn_args, "config": config or stacks.GUNICORN_CONF}
                peak = 0.0
                for case in chosen:
                    self.drive(case, seconds=1)  # warm: workers import lazily, nginx opens its keepalive pool
                    with memory.Sampler(groups_of_shop, 0.5) as sampler:
                        run = self.drive(case, seconds=seconds)
                    row[case.key] = summary(run)
                    peak = max(peak, sampler.peak["total_mib"] if sampler.peak else 0.0)
                row["shop_mib_idle"] = memory.snapshot(groups_of_shop)["total_mib"]
                row["shop_mib_under_load"] = peak
                rows.append(row)
                row_cost = time.monotonic() - row_began
                log(
                    "  "
                    + ", ".join(f"{c.key} {row[c.key]['rps']} req/s" for c in chosen)
                    + f", shop {row['shop_mib_idle']} MiB idle / {peak} MiB under load"
                )
        finally:
            log("worker choice: back to the default settings")
            stacks.restart_with(self.side, ("users",))
            stacks.restart_with(self.shop, APPS)
        self.results["worker_choice"] = rows

    # --- the measured cases --------------------------------------------------------------------

    def drive(self, case: Case, seconds: float | None = None) -> wrk.Run:
        return wrk.run(
            case.base,
            case.paths,
            self.load,
            method=case.method,
            headers=case.headers,
            body=case.body,
            extra_env=case.env,
            seconds=seconds,
            tokens=case.tokens,
        )

    def measure(self) -> None:
        groups = stacks.process_groups(self.shop)
        time.sleep(2)  # let the restarted apps settle
        runnable = [c for c in self.cases if not c.unavailable]
        for case in runnable:
            self.drive(case, seconds=1)  # warm-up, not recorded
        time.sleep(2)
        idle = memory.snapshot(groups)
        log(f"memory at idle: {idle['total_mib']} MiB ({idle['kind']})")
        runs: dict[str, list[wrk.Run]] = {c.key: [] for c in runnable}
        cpu_groups = stacks.both_groups(self.shop, self.side)
        cpu_spent: dict[str, dict[str, float]] = {c.key: {} for c in runnable}
        peaks: dict[str, float] = {}
        load_peak = None
        self.results["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
        # The hello world's (side users') busiest worker, each round: wrk's connections straight to
        # gunicorn are sometimes all accepted by one of its two workers, and then that side runs on
        # one core (see report.py).
        busiest: dict[str, list[float | None]] = {key: [] for key in ONE_WORKER_CHECKED if key in runs}
        for round_number in range(self.args.rounds):
            order = runnable if round_number % 2 == 0 else list(reversed(runnable))
            for case in order:
                with memory.Sampler(groups) as sampler, cpu.Meter(cpu_groups) as meter:
                    run = self.drive(case)
                runs[case.key].append(run)
                if case.key in busiest:
                    busiest[case.key].append(meter.busiest_share("side users"))
                for name, seconds in meter.spent.items():
                    cpu_spent[case.key][name] = cpu_spent[case.key].get(name, 0.0) + seconds
                time.sleep(0.5)  # requests nginx still had in flight finish before the next case
                peak = sampler.peak
                if peak:
                    peaks[case.key] = max(peaks.get(case.key, 0.0), peak["total_mib"])
                    if load_peak is None or peak["total_mib"] > load_peak["total_mib"]:
                        load_peak = peak
                log(
                    f"round {round_number + 1} {case.key:22} {run.ok_per_second:9.1f} req/s  "
                    f"p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms  errors {run.error_count}"
                )
        results = {}
        for case in self.cases:
            entry = {"title": case.title, "method": case.method, "url": case.base + case.paths[0]}
            if case.unavailable:
                entry["status"] = case.unavailable
            else:
                entry.update(status="ok", **summary(wrk.combine(runs[case.key])))
                entry["rounds_rps"] = [round(r.ok_per_second, 1) for r in runs[case.key]]
                answered = sum(r.requests for r in runs[case.key])
                entry["cpu_ms_per_request"] = {
                    name: round(1000 * seconds / answered, 3)
                    for name, seconds in sorted(cpu_spent[case.key].items(), key=lambda kv: -kv[1])
                    if answered and seconds > 0.005
                }
                entry["memory_peak_mib"] = peaks.get(case.key)
                if case.key in busiest:
                    entry["busiest_worker_share"] = [round(x, 3) if x is not None else None for x in busiest[case.key]]
            results[case.key] = entry
        self.results["cases"] = results
        self.results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        self.results["memory"] = {"idle": idle, "load_peak": load_peak}
        ordered = [key for key in report.ORDER_CASES if key in runs]
        if ordered:
            check = shop_cases.order_check(self.api, self.accounts)
            check["answered_2xx"] = {
                key: sum(r.requests - r.errors.get("status", 0) for r in runs[key]) for key in ordered
            }
            self.results["order_check"] = check
            log(f"order check: {check}")
        if "webhook" in runs:
            self.results["webhook_check"] = self.webhook_check(runs["webhook"])
            log(f"webhook check: {self.results['webhook_check']}")
        if "catalog" in runs:
            self.results["page_cache"] = self.page_cache_check()
            log(f"page cache: {self.results['page_cache']}")

    def page_cache_check(self) -> dict:
        """How the catalog requests without a cookie were answered: from nginx's copy or rendered by
        the app (nginx's access log says, per request: HIT/UPDATING from the copy, MISS/EXPIRED
        rendered and stored). Warm-up requests count too."""
        time.sleep(1.5)  # the access log is written every second
        counts: dict[str, int] = {}
        log_file = self.shop.var_dir / "logs" / "nginx-access.log"
        for line in log_file.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("uri") == "/inventory/" and entry.get("cache") not in (None, "", "BYPASS"):
                counts[entry["cache"]] = counts.get(entry["cache"], 0) + 1
        copies = counts.get("HIT", 0) + counts.get("UPDATING", 0)
        rendered = counts.get("MISS", 0) + counts.get("EXPIRED", 0)
        total = copies + rendered
        return {
            "by_status": counts,
            "from_copy": copies,
            "rendered": rendered,
            "share_from_copy": round(copies / total, 4) if total else None,
        }

    def webhook_check(self, runs: list[wrk.Run]) -> dict:
        """The events (about Checkout Sessions this shop never made) were acknowledged and changed
        nothing: no stripe_events row, no order moved past Pending (read from its database)."""
        answered = sum(r.requests - r.errors.get("status", 0) for r in runs)
        try:
            recorded = self.shop.query("orders", "SELECT count(*) FROM stripe_events WHERE id LIKE 'evt_bench_%'")[0][0]
            moved = self.shop.query("orders", "SELECT count(*) FROM orders WHERE status <> 'Pending'")[0][0]
        except Exception as error:  # the tables are the orders engineer's to name
            return {"answered_2xx": answered, "recorded": None, "problem": str(error)[:200]}
        return {
            "answered_2xx": answered,
            "recorded": recorded,
            "orders_moved": moved,
            "ok": answered > 0 and recorded == 0 and moved == 0,
        }


def summary(run: wrk.Run) -> dict:
    return {
        "rps": round(run.ok_per_second, 1),
        "p50_ms": round(run.p50_ms, 2),
        "p90_ms": round(run.p90_ms, 2),
        "p99_ms": round(run.p99_ms, 2),
        "max_ms": round(run.max_ms, 2),
        "requests": run.requests,
        "errors": run.error_count,
        "error_detail": run.errors,
        "seconds": round(run.seconds, 2),
        "kib_per_response": round(run.bytes / run.requests / 1024, 2) if run.requests else None,
    }


def gunicorn_settings(env: dict[str, str]) -> dict:
    """What shopctl/gunicorn_conf.py gives the apps (it reads SHOP_APP, SHOP_WORKERS and SHOP_THREADS)."""
    keys = ("worker_class", "workers", "threads", "keepalive", "timeout")
    settings = {}
    for app in ("", *APPS):
        saved = os.environ.get("SHOP_APP")
        os.environ["SHOP_APP"] = app
        try:
            namespace = runpy.run_path(str(stacks.PROJECT_ROOT / "shopctl" / "gunicorn_conf.py"))
        finally:
            if saved is None:
                os.environ.pop("SHOP_APP")
            else:
                os.environ["SHOP_APP"] = saved
        values = {k: namespace.get(k) for k in keys}
        if not app:
            settings.update(values, pinned=namespace.get("pin_workers"))
        elif (values["workers"], values["threads"]) != (settings["workers"], settings["threads"]):
            settings.setdefault("per_app", {})[app] = {"workers": values["workers"], "threads": values["threads"]}
    return settings


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Where the cores go: two side-by-side experiments behind bench/NOTES.md's fourth round.

    python -m bench.pinning workers [--rounds 4]   # gunicorn workers pinned (the default) vs free to move
    python -m bench.pinning own-core [--rounds 4]  # ratio 2 when nginx does not share the app's core

`workers` starts the shop and the side stack as `make bench` does (1,000 items in each catalog),
then runs the hello world (straight and through nginx), the rendered catalog page, order creation
and signed webhooks, every round once with each worker on its share of the cores (as
shopctl/gunicorn_conf.py starts them) and once with every thread of every worker free to run on
any core, alternating which goes first. Same processes, same data, interleaved: only the affinity differs.

`own-core` measures ratio 2 (hello world through nginx / straight to gunicorn) on the side stack
alone, with the hello world's workers on the first core and nginx and wrk on the second: what the
ratio is when nginx does not take its CPU from the app, as on a machine with cores to spare.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

from bench import cases as shop_cases
from bench import cpu, run, stacks, wrk
from stacktools.processes import followers, group_members

APP_NAMES = ("inventory", "users", "orders")
WORKER_CASES = ("hello_direct", "hello_nginx", "catalog_rendered", "order_create", "webhook")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pinning", description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("workers", "own-core"))
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    shop = side = None
    try:
        side = stacks.start_side()
        if args.experiment == "workers":
            shop = stacks.start_shop()
            workers(shop, side, args.rounds)
        else:
            own_core(side, args.rounds)
    finally:
        for stack in (side, shop):
            if stack is not None:
                stack.close()
    return 0


def workers(shop, side, rounds: int) -> None:
    load = wrk.Load(seconds=3)
    bench = run.Bench(shop, side, load, run.parse_args(["--small", "1000", "--large", "1000"]), time.monotonic() + 3600)
    bench.seed()
    bench.accounts = shop_cases.prepare_accounts(bench.api)
    chosen = [case for case in bench.build_cases() if case.key in WORKER_CASES]
    for case in chosen:
        case.check()
    chosen = [case for case in chosen if not case.unavailable]
    pinned = {pid: os.sched_getaffinity(pid) for stack in (shop, side) for pid in _app_workers(stack)}
    every_core = os.sched_getaffinity(0)
    if all(cores == every_core for cores in pinned.values()):
        raise SystemExit("the apps' workers are not pinned (SHOP_PIN_WORKERS=0, or one core): nothing to compare")
    groups = stacks.both_groups(shop, side)
    for case in chosen:
        bench.drive(case, seconds=1)  # warm-up
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for number in range(rounds):
        for mode in ("pinned", "free") if number % 2 == 0 else ("free", "pinned"):
            for pid, cores in pinned.items():
                _set_cores(pid, cores if mode == "pinned" else every_core)
            for case in chosen:
                with cpu.Meter(groups) as meter:
                    answered = bench.drive(case)
                cpu_ms = 1000 * sum(meter.spent.values()) / max(answered.requests, 1)
                results.setdefault((case.key, mode), []).append((answered.ok_per_second, cpu_ms))
                print(
                    f"round {number + 1} {mode:6} {case.key:16} {answered.ok_per_second:8.1f} req/s "
                    f"{cpu_ms:6.3f} CPU ms/request, errors {answered.error_count}",
                    flush=True,
                )
                time.sleep(0.5)
    print("\nmedians of the rounds (CPU: every process of both stacks and wrk, per answered request):")
    for case in chosen:
        pin_rps, pin_cpu = _medians(results[(case.key, "pinned")])
        free_rps, free_cpu = _medians(results[(case.key, "free")])
        print(
            f"  {case.key:16} pinned {pin_rps:8.1f} req/s {pin_cpu:6.3f} ms | free {free_rps:8.1f} req/s "
            f"{free_cpu:6.3f} ms | req/s {pin_rps / free_rps - 1:+.0%}, CPU {pin_cpu / free_cpu - 1:+.0%}"
        )
    print("order check:", shop_cases.order_check(bench.api, bench.accounts))


def own_core(side, rounds: int) -> None:
    groups = stacks.process_groups(side)
    app_core, nginx_core = sorted(os.sched_getaffinity(0))[:2]
    for name, core in (("users", app_core), ("web", nginx_core)):
        for pid in group_members(groups[name]):
            _set_cores(pid, {core})
    os.sched_setaffinity(0, {nginx_core})  # wrk, started from here, beside nginx
    load = wrk.Load(seconds=3)
    wrk.run(side.base_url, ["/users/hello"], load, headers=shop_cases.BROWSER, seconds=1)
    ratios = []
    for number in range(rounds):
        through = wrk.run(side.base_url, ["/users/hello"], load, headers=shop_cases.BROWSER)
        straight = wrk.run(side.app_url("users", ""), ["/users/hello"], load, headers=shop_cases.BROWSER)
        ratios.append(through.ok_per_second / straight.ok_per_second)
        print(
            f"round {number + 1}: through nginx {through.ok_per_second:7.1f} req/s, straight "
            f"{straight.ok_per_second:7.1f} req/s, ratio {ratios[-1]:.2f}",
            flush=True,
        )
    print(f"ratio 2 with nginx on a core of its own: {statistics.median(ratios):.2f} (median of {rounds} rounds)")


def _set_cores(pid: int, cores: set[int]) -> None:
    """Every thread of a process on `cores` (a thread that ends meanwhile is skipped)."""
    for thread in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(thread), cores)


def _app_workers(stack) -> list[int]:
    groups = stacks.process_groups(stack)
    return [pid for name in APP_NAMES if name in groups for pid in followers(groups[name])]


def _medians(values: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent.parent)
    sys.exit(main(sys.argv[1:]))

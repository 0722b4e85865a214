"""bench/results.md and bench/results.json from one run, and the ratio lines `make bench` prints."""

import json
import statistics
from pathlib import Path

MEMORY_LIMIT_MIB = 400
# (number, what, numerator case, denominator case, at least; None: shown for context, no target)
RATIOS = [
    ("1", "catalog page for new visitors (nginx's copy) / hello world", "catalog", "hello_nginx", 0.5),
    ("1b", "catalog page rendered (a visitor with a cookie) / hello world", "catalog_rendered", "hello_nginx", 0.3),
    # At most 10% more cost for the first page's 24 thumbnails (issue 19): req/s ratio >= 1 / 1.1. The plain
    # page is the second (keyset) page, which also leaves out the category links: if anything, too low.
    ("1c", "catalog page rendered with pictures / without", "catalog_rendered", "catalog_rendered_plain", 0.91),
    ("2", "hello world through nginx / straight to gunicorn", "hello_nginx", "hello_direct", 0.85),
    ("3", "search fragment, 100,000 items / 1,000 items", "search_large", "search_small", 0.8),
    ("4", "order creation / catalog page rendered", "order_create", "catalog_rendered", 0.25),
    ("4b", "order creation / hello world", "order_create", "hello_nginx", 0.1),
    # The saga's bare shape (bench/saga_app.py) shows how much of an order is the shop's own work; no
    # target was set for it (issue 20 asked for 4b), so it is shown for context.
    ("4c", "order creation / the saga's bare shape", "order_create", "order_saga", None),
    ("5", "signed webhooks through nginx / hello world", "webhook", "hello_nginx", 0.3),
    ("7", "htmx file from nginx / hello world (sanity)", "static_htmx", "hello_nginx", 1.0),
    ("8", "a picture from nginx's copy / hello world", "picture_cached", "hello_nginx", 1.0),
    ("9", "5-line order / one-item order", "order_create_5", "order_create", 0.5),
    ("10", "catalog page rendered / fortunes", "catalog_rendered", "fortunes", 0.6),
]
#: cases that place orders: their ratios also need no errors and the order check's verdict
ORDER_CASES = ("order_create", "order_create_5")


def evaluate(results: dict) -> list[dict]:
    """Every ratio with its value, target and verdict (PASS, FAIL, or why it could not be measured)."""
    cases = results.get("cases", {})
    rows = []
    for number, what, top, bottom, target in RATIOS:
        row = {
            "number": number,
            "what": what,
            "numerator": top,
            "denominator": bottom,
            "target": f">= {target}" if target is not None else None,
        }
        a, b = cases.get(top, {}), cases.get(bottom, {})
        missing = next((key for key, c in ((top, a), (bottom, b)) if c.get("status") != "ok"), None)
        if missing is not None:
            case = cases.get(missing, {})
            row.update(value=None, verdict="N/A", why=f"{case.get('title', missing)}: {case.get('status', 'not run')}")
        else:
            row["value"], rounds = ratio_of(a, b)
            row["per_round"] = [ratio for ratio, _ in rounds]
            spread = " ".join(f"{ratio:.2f}{'*' if out else ''}" for ratio, out in rounds)
            if any(out for _, out in rounds):
                spread += " (*: the hello world ran on one of its workers; left out of the median)"
            row["detail"] = f"rounds {spread}; all {a['rps']:.1f} / {b['rps']:.1f} req/s"
            if row["value"] is None:
                row["why"] = "every round ran the hello world on one of its workers"
                row.update(verdict="N/A", detail=f"{row['why']}; {row['detail']}")
                rows.append(row)
                continue
            row["cpu_estimate"] = cpu_estimate(a, b)
            if row["cpu_estimate"] is not None:
                row["detail"] += f"; CPU-time estimate {row['cpu_estimate']:.2f}"
            passed = target is None or row["value"] >= target
            ordering = [(key, case) for key, case in ((top, a), (bottom, b)) if key in ORDER_CASES]
            if ordering:
                check = results.get("order_check", {})
                extra = [
                    f"errors {case['errors']}" + (f" ({key})" if len(ordering) > 1 else "") for key, case in ordering
                ]
                if check:
                    extra.append("no oversell" if check.get("ok") else f"OVERSELL/MISMATCH: {check.get('problem')}")
                row["detail"] += ", " + ", ".join(extra)
                passed = passed and all(case["errors"] == 0 for _, case in ordering) and bool(check.get("ok"))
            row["verdict"] = "info" if target is None else "PASS" if passed else "FAIL"
        rows.append(row)
    memory = results.get("memory", {})
    idle = (memory.get("idle") or {}).get("total_mib")
    loaded = (memory.get("load_peak") or {}).get("total_mib")
    mem_row = {
        "number": "6",
        "what": "memory of the whole shop, default worker counts",
        "target": f"< {MEMORY_LIMIT_MIB} MiB",
    }
    if idle is None or loaded is None:
        mem_row.update(value=None, verdict="N/A", why="not measured")
    else:
        mem_row.update(
            value={"idle_mib": idle, "load_mib": loaded},
            detail=f"idle {idle:.1f} MiB, under load {loaded:.1f} MiB ({results.get('memory_kind', 'pss').upper()})",
            verdict="PASS" if idle < MEMORY_LIMIT_MIB and loaded < MEMORY_LIMIT_MIB else "FAIL",
        )
    rows.insert(next(i for i, row in enumerate(rows) if row["number"] == "7"), mem_row)
    return rows


#: a hello world round whose busiest worker took more than this share of the CPU ran on one core
ONE_WORKER_SHARE = 0.8


def ratio_of(a: dict, b: dict) -> tuple[float | None, list[tuple[float, bool]]]:
    """The median of the rounds' ratios (a burst of noise in one round does not decide), and each
    round's ratio with whether it was left out.

    A round in which either side's hello world ran on one of its two workers is left out: wrk's
    connections straight to gunicorn are sometimes all accepted by one worker, and that round
    compares one core with two. None when every round was left out.
    """
    tops, bottoms = a.get("rounds_rps") or [], b.get("rounds_rps") or []
    if not tops or len(tops) != len(bottoms):
        return (round(a["rps"] / b["rps"], 3) if b["rps"] else 0.0), []
    rounds = [
        (round(top / bottom, 3), one)
        for top, bottom, one in zip(tops, bottoms, one_worker_rounds(a, b), strict=True)
        if bottom
    ]
    kept = [ratio for ratio, one in rounds if not one]
    return (round(statistics.median(kept), 3) if kept else None), rounds


def one_worker_rounds(a: dict, b: dict) -> list[bool]:
    """For each round: did either side's hello world run on one worker only?"""
    rounds = len(a.get("rounds_rps") or [])
    shares = [((case.get("busiest_worker_share") or []) + [None] * rounds)[:rounds] for case in (a, b)]
    return [any(s is not None and s > ONE_WORKER_SHARE for s in pair) for pair in zip(*shares, strict=True)]


def cpu_estimate(a: dict, b: dict) -> float | None:
    """The ratio the CPU time per request predicts on a saturated machine (req/s ~ 1 / CPU per request).

    Unlike req/s it hardly moves with the neighbours' load: a second opinion when the rounds disagree.
    """
    cost_a, cost_b = (
        sum((a.get("cpu_ms_per_request") or {}).values()),
        sum((b.get("cpu_ms_per_request") or {}).values()),
    )
    return round(cost_b / cost_a, 3) if cost_a and cost_b else None


def ratio_lines(results: dict) -> str:
    lines = ["Ratios (successful answers per second; the median of the rounds' ratios, each round side by side):"]
    for row in results.get("ratios") or evaluate(results):
        if row["number"] == "6":
            shown = row.get("detail") or row.get("why", "")
            lines.append(
                f"  {row['number']}. {row['what']:52} {shown}  (target {row['target']} each)  {row['verdict']}"
            )
            continue
        value = f"{row['value']:.2f}" if row.get("value") is not None else "n/a"
        tail = row.get("detail") or row.get("why", "")
        target = f"(target {row['target']})" if row["target"] else "(context)"
        lines.append(f"  {row['number']}. {row['what']:52} {value:>6}  {target}  {row['verdict']:4}  [{tail}]")
    return "\n".join(lines)


def write(results: dict, folder: Path) -> None:
    results["ratios"] = evaluate(results)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (folder / "results.md").write_text(markdown(results))


def _ms(value) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "-"


def markdown(results: dict) -> str:
    load = results["load"]
    gunicorn = results["gunicorn"]
    machine = results["machine"]
    out = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {results['started_at']} (regenerated by every run; the analysis is in "
        f"[NOTES.md](NOTES.md)). Machine: {machine['cpus']} CPUs, Python {machine['python']}, "
        f"Linux {machine['kernel']}.",
        "Load: wrk from a separate process on 127.0.0.1, "
        f"{load['threads']} threads, {load['connections']} connections, {load['rounds']} rounds of "
        f"{load['seconds_per_round']:g} s per case (every other round in reverse order). "
        "Apps: gunicorn with shopctl/gunicorn_conf.py: "
        f"{gunicorn['worker_class']}, {gunicorn['workers']} workers x {gunicorn['threads']} threads per app"
        + "".join(f"; {app}: {s['workers']} x {s['threads']}" for app, s in gunicorn.get("per_app", {}).items())
        + ("; an app's workers share the cores out, each kept to its share" if gunicorn.get("pinned") else "")
        + ".",
        "The machine is shared and noisy: read the ratios, and the absolute numbers only as context.",
        "",
        "## Ratios",
        "",
        "```",
        ratio_lines(results),
        "```",
        "",
        "## Cases",
        "",
        "| case | req/s | p50 ms | p99 ms | errors | KiB/answer | memory peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in results.get("cases", {}).values():
        if case["status"] != "ok":
            out.append(f"| {case['title']} | {case['status']} | | | | | |")
            continue
        out.append(
            f"| {case['title']} | {case['rps']:.1f} | {_ms(case['p50_ms'])} | {_ms(case['p99_ms'])} "
            f"| {case['errors']} | {case['kib_per_response']} | {case.get('memory_peak_mib') or '-'} |"
        )
    out += [
        "",
        "CPU time per answered request, by process group (from /proc; it hardly moves with the neighbours' "
        "load, so it shows where the time goes when req/s are noisy; 2 cores = 2,000 ms of CPU per second):",
        "",
        "| case | CPU ms per request |",
        "|---|---|",
    ]
    for case in results.get("cases", {}).values():
        if case.get("cpu_ms_per_request"):
            spent = ", ".join(f"{name} {ms:.3f}" for name, ms in case["cpu_ms_per_request"].items())
            out.append(f"| {case['title']} | {spent} |")
    out += _order_check_section(results.get("order_check"))
    hooks = results.get("webhook_check")
    if hooks:
        out += [
            "",
            f"Webhook check: {hooks['answered_2xx']} deliveries answered 2xx; orders' stripe_events holds "
            f"{hooks.get('recorded')} of these events and {hooks.get('orders_moved')} orders left Pending"
            + _webhook_verdict(hooks),
        ]
    cache = results.get("page_cache")
    if cache and cache.get("share_from_copy") is not None:
        out += [
            "",
            f"Page cache (ratio 1): of the {cache['from_copy'] + cache['rendered']:,} requests for `/inventory/` "
            f"without a cookie, {cache['from_copy']:,} ({100 * cache['share_from_copy']:.2f}%) were answered from "
            f"nginx's copy and {cache['rendered']:,} rendered by the app (one URL, one language: a new visitor's "
            "landing page at its best; ratio 1b is the page the app renders).",
        ]
    out += _memory_section(results)
    out += _worker_section(results)
    seeding = results.get("seeding", {})
    out += ["", "## Setup", ""]
    for name in ("small", "large"):
        if name in seeding:
            entry = seeding[name]
            status = "ok" if entry["ok"] else f"FAILED: {entry['output']}"
            out.append(f"- seed-bulk {entry['items']:,}: {status}")
    if "seconds" in seeding:
        out.append(f"- seeding took {seeding['seconds']} s (both catalogs at once)")
    for note in results.get("notes", []):
        out.append(f"- {note}")
    return "\n".join(out) + "\n"


def _order_check_section(check: dict | None) -> list[str]:
    """The order check: per ordered item, its stock before and after and the units ordered of it."""
    if not check:
        return []
    answered = ", ".join(f"{key} {count}" for key, count in (check.get("answered_2xx") or {}).items())
    verdict = "for every item, stock taken = units ordered, no oversell." if check.get("ok") else None
    out = [
        "",
        f"Order check: {check.get('orders')} orders for {check.get('units_ordered')} units, by "
        f"{check.get('customers')} customers (at most {check.get('most_orders_per_customer')} orders each; "
        f"{answered or 'none'} answered 2xx within wrk's window): " + (verdict or f"**{check.get('problem')}**"),
    ]
    items = check.get("items") or {}
    if items:
        out += ["", "| item | initial stock | remaining | units ordered |", "|---:|---:|---:|---:|"]
        out += [
            f"| {item_id} | {item['initial_stock']} | {item['remaining_stock']} | {item['units_ordered']} |"
            for item_id, item in items.items()
        ]
    return out


def _webhook_verdict(hooks: dict) -> str:
    if hooks.get("ok"):
        return (
            ": events about sessions the shop never made are acknowledged and change nothing (a Stripe "
            "account can carry other integrations' sessions)."
        )
    if hooks.get("problem"):
        return f" (**{hooks['problem']}**)."
    return ": **events about sessions the shop never made changed something, or none was answered**."


def _memory_section(results: dict) -> list[str]:
    memory = results.get("memory") or {}
    idle, peak = memory.get("idle"), memory.get("load_peak")
    if not idle:
        return []
    kind = results.get("memory_kind", "pss").upper()
    out = [
        "",
        "## Memory of the shop",
        "",
        f"{kind} of every process in each Procfile process's group, summed; under load = the largest total "
        "sampled (every second) during the cases.",
        "",
        "| process | processes | idle MiB | under load MiB |",
        "|---|---:|---:|---:|",
    ]
    for name, group in idle["groups"].items():
        loaded = (peak or {}).get("groups", {}).get(name, {}).get("mib", "-")
        out.append(f"| {name} | {len(group['processes'])} | {group['mib']} | {loaded} |")
    out.append(f"| **total** | | **{idle['total_mib']}** | **{(peak or {}).get('total_mib', '-')}** |")
    return out


def _worker_section(results: dict) -> list[str]:
    rows = results.get("worker_choice")
    if not rows:
        return []
    out = [
        "",
        "## Worker choice",
        "",
        "Each setting for all three apps and the hello world (GUNICORN_CMD_ARGS over shopctl/gunicorn_conf.py, "
        "or another config file), every app restarted, then each path driven through nginx; memory is the "
        "whole shop's.",
        "",
        "| gunicorn | hello req/s | catalog rendered req/s | catalog p99 ms | orders req/s | orders p99 ms "
        "| shop MiB idle | shop MiB under load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        hello, catalog, order = (row.get(k, {}) for k in ("hello_nginx", "catalog_rendered", "order_create"))
        out.append(
            f"| {row['label']} | {hello.get('rps', '-')} | {catalog.get('rps', '-')} | {_ms(catalog.get('p99_ms'))} "
            f"| {order.get('rps', '-')} | {_ms(order.get('p99_ms'))} | {row.get('shop_mib_idle', '-')} "
            f"| {row.get('shop_mib_under_load', '-')} |"
        )
    return out

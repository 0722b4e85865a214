"""In-process timing of the rendered catalog page: CPU µs per request, A/B in one run, by stage.

    python bench/inprocess.py                    # this tree: rounds of 500 requests, µs of CPU each
    python bench/inprocess.py --ab OTHER_TREE    # OTHER_TREE (e.g. `git archive main`) against this one,
                                                 # round by round, every other round in reverse order
    python bench/inprocess.py --stages           # py-spy samples the loop: µs per request by stage

What is measured is `GET /inventory/` as `make bench` asks it for ratio 1b (a visitor with a cookie
that is not the shop's, gzip accepted), called straight through the app's WSGI callable (no server,
no test client) against a migrated SQLite file with 1,000 items from `seed-bulk 1000 --seed 7` and
the first page's 24 items given a picture, with production-like settings (TESTING off). The request
log still writes its line to file descriptor 2 (pointed at /dev/null). CPU time is the process's
(`time.process_time`), so neighbours' load hardly moves it; rounds are medians.
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
PATH = "/inventory/"
HEADERS = {"Accept-Encoding": "gzip", "Accept": "text/html,*/*", "Cookie": "seen_banner=1"}
ITEMS = 1000
PICTURES = 24


def make_app(folder: Path):
    """The inventory app on a fresh seeded database in `folder` (imports from sys.path's tree)."""
    os.environ.setdefault("SHOP_ENV", "test")  # no developer .env; every setting given here
    from flask_migrate import upgrade

    from inventory_app import create_app
    from inventory_app.demo_pictures import draw

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'inventory.sqlite3'}",
            "SECRET_KEY": "bench-secret",
            "SHOP_SERVICE_TOKEN": "bench-token",
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
    runner = app.test_cli_runner()
    done = runner.invoke(args=["seed-bulk", str(ITEMS), "--seed", "7"])
    assert done.exit_code == 0, done.output
    listed = app.test_client().get(f"/inventory/api/items?per_page={PICTURES}").get_json()
    picture = folder / "picture.png"
    picture.write_bytes(draw("mug", "#dfeef7", "#1f5f8b", "#8fb8d3"))
    ids = [str(item["id"]) for item in listed["items"]]
    done = runner.invoke(args=["picture", "set", str(picture), *ids])
    assert done.exit_code == 0, done.output
    return app


def environ_for(app):
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=PATH, headers=HEADERS, base_url="http://localhost/")
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call(app, environ: dict) -> bytes:
    """One request through the WSGI callable; the body, as a server would take it."""
    status = []
    env = dict(environ, **{"wsgi.input": io.BytesIO(b"")})
    body = app(env, lambda s, h, e=None: status.append(s))
    try:
        data = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    assert status[0].startswith("200"), status
    return data


def timed(app, environ: dict, count: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per request over `count` requests."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        call(app, environ)
    return (time.process_time() - cpu) * 1e6 / count, (time.perf_counter() - wall) * 1e6 / count


def quiet_stderr() -> None:
    """The request log's lines go to /dev/null (a write(2) each, as under gunicorn); a traceback
    that ends the script still goes to the terminal, so a broken run says why."""
    terminal = os.fdopen(os.dup(2), "w")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)

    def to_terminal(kind, value, trace):
        traceback.print_exception(kind, value, trace, file=terminal)
        terminal.flush()

    sys.excepthook = to_terminal


def serve_rounds(count: int) -> None:
    """Child of --ab: set up, then answer each line on stdin with one round's CPU µs per request."""
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        environ = environ_for(app)
        quiet_stderr()
        timed(app, environ, 100)  # warm-up
        print("ready", flush=True)
        for _line in sys.stdin:
            cpu, _wall = timed(app, environ, count)
            print(f"{cpu:.1f}", flush=True)


def alternate_rounds(script: str, trees: list[Path], rounds: int, count: int) -> list[list[list[float]]]:
    """Run `script --serve` once per tree and ask each for `rounds` rounds of `count` requests, the
    trees taking turns and every other round in reverse order; each round's numbers per tree."""
    children = [
        subprocess.Popen(  # noqa: S603 (a bench script, another tree on sys.path)
            [sys.executable, script, "--serve", "--tree", str(tree), "--requests", str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for tree in trees
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready"
    results: list[list[list[float]]] = [[] for _ in trees]
    for number in range(rounds):
        for index in list(range(len(trees)))[:: -1 if number % 2 else 1]:
            children[index].stdin.write("go\n")
            children[index].stdin.flush()
            results[index].append([float(value) for value in children[index].stdout.readline().split()])
    for child in children:
        child.stdin.close()
        child.wait()
    return results


def ab(trees: list[Path], rounds: int, count: int) -> None:
    results = [[values[0] for values in rounds_of] for rounds_of in alternate_rounds(__file__, trees, rounds, count)]
    for tree, values in zip(trees, results, strict=True):
        rounds_text = " ".join(f"{v:.0f}" for v in values)
        print(f"{tree}: median {statistics.median(values):.0f} µs CPU per request  [rounds {rounds_text}]")
    if len(trees) == 2:
        ratios = [b / a for a, b in zip(*results, strict=True)]
        print(f"second / first: median {statistics.median(ratios):.3f}")


#: stage -> markers of a frame (function name and file), tried from the innermost frame outwards;
#: the first frame that matches any stage decides (so a query run from a template is "database")
STAGES = [
    ("database", ("sqlalchemy/", "sqlite3", "flask_sqlalchemy/", "inventory_app/search.py")),
    ("i18n and money", ("babel/", "flask_babel/", "shared_ui/i18n.py", "shared_ui/money.py", "gettext.py")),
    ("metrics", ("prometheus_client/", "shared_ui/metrics.py")),
    ("request log", ("shared_ui/request_log.py",)),
    ("session and login", ("flask_login/", "shared_ui/auth.py", "flask/sessions.py", "itsdangerous/")),
    ("CSRF", ("flask_wtf/",)),
    ("template rendering", ("jinja2/", "jinja2_fragments/", ".html", "markupsafe/", "inventory_app/pictures.py")),
    ("template rendering", ("inventory_app/availability.py", "shared_ui/pages.py")),
    ("routing", ("werkzeug/routing/", "url_for", "shared_ui/numbers.py")),
    ("response headers", ("werkzeug/datastructures/", "werkzeug/sansio/response", "werkzeug/wrappers/response")),
    ("request and dispatch", ("werkzeug/", "flask/", "proxy_fix")),
]


def stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for stage, markers in STAGES:
            if any(marker in frame for marker in markers):
                return stage
    return "other"


def stages(count: int, pyspy: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        environ = environ_for(app)
        raw = HERE / "var" / "bench-profiles" / f"inprocess-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        raw.parent.mkdir(parents=True, exist_ok=True)
        saved = os.dup(2)
        quiet_stderr()
        timed(app, environ, 100)
        cpu_plain, _ = timed(app, environ, count)
        output = ["--output", str(raw)]
        recorder = subprocess.Popen(  # noqa: S603 (py-spy on ourselves)
            [pyspy, "record", "--pid", str(os.getpid()), "--format", "raw", "--rate", "250", "--nonblocking", *output],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.5)
        cpu, _ = timed(app, environ, count)
        os.dup2(saved, 2)
        recorder.send_signal(2)
        recorder.wait(timeout=30)
        samples: Counter = Counter()
        for line in raw.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            frames = [f for f in stack.split(";") if "inprocess.py" not in f]
            if any("timed (" in f for f in stack.split(";")):
                samples[stage_of(frames)] += int(n)
        total = sum(samples.values())
        print(f"CPU µs per request: {cpu_plain:.0f} unsampled, {cpu:.0f} while sampled; {total} samples")
        print("| stage | share | µs per request |\n|---|---:|---:|")
        for stage, n in samples.most_common():
            print(f"| {stage} | {100 * n / total:.1f}% | {cpu_plain * n / total:.0f} |")
        print(f"samples in {raw} (`python -c 'from bench.profile import summarize; ...'`)")


DUMPED = ["/inventory/", "/inventory/?available=1", "/inventory/?q=oak", "/inventory/?q=zzzz", "/inventory/items/1"]


def dump(folder: Path) -> None:
    """Write the bodies of a few catalog answers (pages, fragments, Portuguese) to compare trees."""
    import re

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        app = make_app(Path(data))
        client = app.test_client(use_cookies=False)
        first = client.get("/inventory/", headers=HEADERS).get_data(as_text=True)
        after = re.search(r'hx-get="(/inventory/\?after=[^"]+)"', first).group(1).replace("&amp;", "&")
        in_stock = re.search(r'catalog-item-(\d+)">(?:(?!</tr>).)*add-to-cart', first, re.DOTALL).group(1)
        for number, path in enumerate([*DUMPED, after, f"/inventory/items/{in_stock}"]):
            variants = (("page", {}), ("htmx", {"HX-Request": "true"}), ("pt", {"Accept-Language": "pt-BR"}))
            for variant, extra in variants:
                answer = client.get(path, headers={**HEADERS, **extra})
                (folder / f"{number}-{variant}.html").write_bytes(answer.get_data())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=HERE, help="the source tree to import the apps from")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--ab", type=Path, default=None, metavar="OTHER_TREE")
    parser.add_argument("--stages", action="store_true")
    parser.add_argument("--pyspy", default=str(HERE / "var" / "bench-tools" / "bin" / "py-spy"))
    parser.add_argument("--dump", type=Path, default=None, metavar="FOLDER", help="write answers to compare")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ab is not None:
        ab([args.ab.resolve(), args.tree.resolve()], args.rounds, args.requests)
        return
    sys.path.insert(0, str(args.tree.resolve()))
    if args.serve:
        serve_rounds(args.requests)
    elif args.dump is not None:
        dump(args.dump)
    elif args.stages:
        stages(args.requests, args.pyspy)
    else:
        with tempfile.TemporaryDirectory() as folder:
            app = make_app(Path(folder))
            environ = environ_for(app)
            quiet_stderr()
            timed(app, environ, 100)
            values = [timed(app, environ, args.requests)[0] for _ in range(args.rounds)]
            rounds = " ".join(f"{v:.0f}" for v in values)
            print(f"median {statistics.median(values):.0f} µs CPU per request  [rounds {rounds}]")


if __name__ == "__main__":
    main()

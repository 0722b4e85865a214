"""Instructions per rendered catalog page, counted by valgrind: an A/B that the machine's noise cannot move.

    python bench/instructions.py                  # this tree
    python bench/instructions.py OTHER_TREE ...   # each tree, then this one (e.g. `git archive` of a commit with
                                                  # build/ and the compiled .mo copied in, as for inprocess.py --ab)

On this machine the CPU time of one request moves by up to 2x within a minute (a shared VM), so
`bench/inprocess.py --ab` needs many alternating rounds to see a 3% change. This counts instead the
instructions the process executes (valgrind's callgrind, `apt-get install valgrind`): the same
request as inprocess.py (`GET /inventory/` as ratio 1b asks it, through the WSGI callable, on a
seeded SQLite file), run 20 and 220 times in two processes under valgrind; the difference over 200
is the instructions of one request, start-up and warm-up cancelled out. Python's hash seed is fixed
so that two runs of a tree count the same. About a minute per tree (valgrind runs ~50x slower).
Instructions are not time (a cache miss costs more than an add), but a change that removes work
removes instructions.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FEW, MANY = 20, 220


def child(tree: Path, folder: Path, prepare: bool, count: int) -> None:
    sys.path[:0] = [str(tree), str(HERE / "bench")]
    import inprocess

    if prepare:
        inprocess.make_app(folder)
        return
    from inventory_app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'inventory.sqlite3'}",
            "SECRET_KEY": "bench-secret",
            "SHOP_SERVICE_TOKEN": "bench-token",
        }
    )
    environ = inprocess.environ_for(app)
    inprocess.quiet_stderr()
    for _ in range(count):
        inprocess.call(app, environ)


def counted(tree: Path, folder: Path, count: int) -> subprocess.Popen:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        str(tree),
        str(folder),
        str(count),
    ]
    env = dict(os.environ, PYTHONHASHSEED="0", SHOP_ENV="test")
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # noqa: S603


def per_request(tree: Path) -> float:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = dict(os.environ, SHOP_ENV="test")
        subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--child", str(tree), str(folder), "prepare"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        runs = {count: counted(tree, folder, count) for count in (FEW, MANY)}
        totals = {}
        for count, process in runs.items():
            _, errors = process.communicate(timeout=1200)
            found = re.search(r"Collected : (\d+)", errors)
            if process.returncode != 0 or not found:
                raise SystemExit(f"valgrind run of {tree} failed:\n{errors[-2000:]}")
            totals[count] = int(found.group(1))
        return (totals[MANY] - totals[FEW]) / (MANY - FEW)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        tree, folder, what = sys.argv[2:5]
        child(Path(tree), Path(folder), what == "prepare", 0 if what == "prepare" else int(what))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", type=Path, help="other source trees, counted before this one")
    args = parser.parse_args()
    results = []
    for tree in [*args.trees, HERE]:
        count = per_request(tree.resolve())
        results.append(count)
        print(f"{tree}: {count / 1e6:.3f} M instructions per request", flush=True)
    if len(results) > 1:
        print(f"this tree / first: {results[-1] / results[0]:.3f}")


if __name__ == "__main__":
    main()

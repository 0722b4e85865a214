"""The processes a benchmark runs: the shop as in production, and a side stack for the yardsticks.

- The **shop** is `stacktools.stack.Stack`: every Procfile process (nginx, the three apps under
  gunicorn with shopctl/gunicorn_conf.py, jobs) on free ports with a fresh var folder, in the
  production configuration: SHOP_ENV=production, no Stripe emulator (it is a dev and test stand-in;
  nothing benchmarked calls Stripe), no demo data.
- The **side stack** is a second Stack with the same template and settings, running its own nginx,
  an inventory with its own database (the 100,000-item catalog), and the bare hello world in the
  users slot, so nginx proxies `/users/...` to it through the very location block, upstream
  keepalive and headers that the shop's apps get. The hello world's process also serves
  TechEmpower's fortunes (`/users/fortunes`, bench/fortunes_app.py) from a SQLite file in the side
  stack's var folder, written before gunicorn starts. In the orders slot runs the saga's bare shape
  (bench/saga_app.py), the peer of order creation, with its stock app as a process of its own
  (`saga_stock`, on SAGA_STOCK_PORT), each app with its SQLite file in the side stack's var folder.
"""

import signal
import subprocess

from bench import fortunes_app, saga_app
from shared_ui.config import PROJECT_ROOT
from stacktools.stack import Stack, free_port


def _gunicorn(port_setting: str, app: str, shop_app: str) -> str:
    """A side process's command: the shop's gunicorn settings for `shop_app` (its worker and thread
    counts, and their overrides), serving `app` on the port `port_setting` names."""
    return f"exec env SHOP_APP={shop_app} gunicorn -c shopctl/gunicorn_conf.py -b \"127.0.0.1:${port_setting}\" '{app}'"


HELLO_COMMAND = _gunicorn("USERS_PORT", "bench.hello_app:create_app()", "hello")
# The bare shape's two apps count as the apps they stand beside: the front as orders, the stock as inventory.
SAGA_FRONT_COMMAND = _gunicorn("ORDERS_PORT", "bench.saga_app:create_front()", "orders")
SAGA_STOCK_COMMAND = _gunicorn("SAGA_STOCK_PORT", "bench.saga_app:create_stock()", "inventory")


PRODUCTION = {
    "SHOP_ENV": "production",
    "STRIPE_API_BASE": "",  # no emulator process; nothing benchmarked calls Stripe
    # Production refuses a test key (shared_ui.config.start_problems); this one is never sent anywhere.
    "STRIPE_SECRET_KEY": "sk_live_bench_never_used",
    "SHOP_DEMO_DATA": "",
    # The order cases place orders as fast as they can, spread over bench.cases.CUSTOMERS customers
    # (round-robin), none paid or cancelled: each customer ends a run with (orders in the run) /
    # CUSTOMERS Pending orders, some hundreds, where the shop's limit (5) would turn all but the first
    # five each into 409s. Raised so that none is refused.
    "SHOP_MAX_PENDING_ORDERS": "100000000",
    # The bench registers its customers and takes their tokens from one address (127.0.0.1), CUSTOMERS (64) in a
    # few seconds, where nginx and users_app allow 30 a minute per address; nothing measured logs in,
    # so no limit the bench reaches is one a visitor would.
    "SHOP_AUTH_REQUESTS_PER_MINUTE": "1000000",
    "SHOP_REGISTRATIONS_PER_HOUR": "1000000",
}


def make_stack() -> Stack:
    """A Stack in production settings: one instance of each app on SQLite (whatever SHOP_TEST_SCALED says)."""
    stack = Stack(instances=1, database="sqlite", **PRODUCTION)
    # The databases pinned inside the Stack's var folder, so no `.env` (read outside tests) can point elsewhere.
    stack.env.update(
        {
            f"{app.upper()}_DATABASE_URL": f"sqlite:///{stack.var_dir}/{app}.sqlite3"
            for app in ("inventory", "users", "orders")
        }
    )
    return stack


def start_shop() -> Stack:
    return _started(make_stack())


def start_side() -> Stack:
    side = make_stack()
    side.commands["users"] = HELLO_COMMAND
    side.commands["orders"] = SAGA_FRONT_COMMAND
    side.commands["saga_stock"] = SAGA_STOCK_COMMAND
    side.env["SAGA_STOCK_PORT"] = str(free_port())
    side.health_urls["saga_stock"] = f"http://127.0.0.1:{side.env['SAGA_STOCK_PORT']}/healthz"
    fortunes_app.create_database(side.var_dir)
    saga_app.create_databases(side.var_dir)
    return _started(side, "saga_stock", "users", "inventory", "orders", "web")


def _started(stack: Stack, *names: str) -> Stack:
    """The stack, started; if it cannot start (or Ctrl-C), what did start is stopped, the logs kept."""
    try:
        stack.start(*names)
    except BaseException:
        stack.close(keep_files=True)
        raise
    return stack


def seed(stack: Stack, count: int) -> subprocess.Popen:
    """Start `flask --app inventory_app seed-bulk COUNT` against the stack's inventory database."""
    return subprocess.Popen(  # noqa: S603 (our own command)
        ["flask", "--app", "inventory_app", "seed-bulk", str(count), "--seed", "7"],  # noqa: S607 (the venv's flask)
        cwd=PROJECT_ROOT,
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


GUNICORN_CONF = "shopctl/gunicorn_conf.py"


def restart_with(stack: Stack, names: tuple[str, ...], gunicorn_args: str = "", config: str | None = None) -> None:
    """Restart gunicorn processes with extra command-line settings, or another config file.

    GUNICORN_CMD_ARGS overrides shopctl/gunicorn_conf.py (gunicorn reads it after the config
    file), so the Procfile's commands run unchanged with another worker class or count.
    """
    for name in names:
        stack.stop(name, signal.SIGINT)  # gunicorn's quick shutdown: no waiting on idle keepalive sockets
    commands = dict(stack.commands)
    if config:
        for name in names:
            stack.commands[name] = stack.commands[name].replace(GUNICORN_CONF, config)
    if gunicorn_args:
        stack.env["GUNICORN_CMD_ARGS"] = gunicorn_args
    try:
        stack.start(*names)
    finally:
        stack.env.pop("GUNICORN_CMD_ARGS", None)
        stack.commands.update(commands)


def process_groups(stack: Stack) -> dict[str, int]:
    """{Procfile name: process group id}; each process leads its own group."""
    return {name: process.pid for name, process in stack.processes.items() if process.poll() is None}


def both_groups(shop: Stack, side: Stack) -> dict[str, int]:
    """{"shop web": pgid, ..., "side users": pgid}: every process group of both stacks, as reports name them."""
    groups = {f"shop {name}": pgid for name, pgid in process_groups(shop).items()}
    groups.update({f"side {name}": pgid for name, pgid in process_groups(side).items()})
    return groups

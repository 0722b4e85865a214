"""The jobs process (shopctl/jobs.py): one job stuck on a dependency holds up no other job."""

import threading

from orders_app import create_app
from orders_app.extensions import db
from orders_app.jobs import sweep
from orders_app.models import RELEASING, Order
from shopctl.jobs import run_jobs
from tests.helpers import SilentServer, make_app
from tests.orders_app.helpers import half_placed


def test_a_sweep_stuck_on_an_inventory_that_never_answers_holds_up_no_other_job(tmp_path):
    """The jobs ran one after the other on one thread: while the sweeper waited on a hung inventory,
    no e-mail went out and no other job ran."""
    silent = SilentServer()
    # (a read timeout far longer than the test waits: the sweep stays stuck until the port closes)
    app = make_app(create_app, "orders", tmp_path, INVENTORY_URL=silent.url, INVENTORY_READ_TIMEOUT=120)
    order_id = half_placed(app, 1, hold_minutes=30)
    with app.app_context():
        db.session.get(Order, order_id).hold_state = RELEASING
        db.session.commit()
    other_ran, stopping = threading.Event(), threading.Event()
    jobs = [(app, "orders.sweep", 15, sweep), (app, "orders.deliver_mail", 2, other_ran.set)]
    runner = threading.Thread(target=run_jobs, args=(jobs, stopping), daemon=True)
    runner.start()
    try:
        assert silent.wait_for(1), "the sweep never called inventory"
        other_ran.clear()  # (it may have run before the sweep started)
        assert other_ran.wait(20), "no other job ran while the sweep waited on inventory"
    finally:
        stopping.set()
        silent.close()  # the sweep's call ends (connection reset), and with it the run
        runner.join(20)
    assert not runner.is_alive()

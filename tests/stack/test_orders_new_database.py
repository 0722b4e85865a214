"""A shop started again on empty databases beside the same Stripe (the emulator keeps its store):
its new order 1 is paid through a link of its own, and events about the old order 1 are ignored
(issue 18, item 7). Its own stack: the test removes the databases."""

import pytest

from stacktools.stack import Stack, serve, wait_until
from tests.stack.shop_orders import (
    checkout_url,
    complete,
    control,
    customer,
    delivered,
    new_item,
    order,
    placed,
    session_id,
    status_of,
)


@pytest.fixture(scope="module")
def shop(request):
    yield from serve(Stack(instances=1, database="sqlite"), request, logs=("orders", "stripe"))


def test_a_new_database_beside_the_same_stripe_pays_its_order_1_and_ignores_the_old_one(shop):
    item = new_item(shop, price="12.50", quantity=10, name="Lamp")
    bob = customer(shop)
    old_order = placed(order(bob, item, 2))
    old_session = session_id(checkout_url(bob, old_order))

    # The shop stops, its databases go, the emulator (and its store of keys and sessions) stays.
    for name in ("jobs", "orders", "users", "inventory"):
        shop.stop(name)
    for app in ("inventory", "users", "orders"):
        for path in shop.var_dir.glob(f"{app}.sqlite3*"):
            path.unlink()
    shop.start("inventory", "users", "orders", "jobs")

    item = new_item(shop, price="12.50", quantity=10, name="Lamp")  # the same item, the same order
    alice = customer(shop)
    new_order = placed(order(alice, item, 2))
    assert new_order == old_order == 1
    new_session = session_id(checkout_url(alice, new_order))  # a key of its own: no idempotency clash
    assert new_session != old_session

    assert control(shop, f"/checkout/{old_session}/expire").status_code == 200
    wait_until(lambda: delivered(shop, old_session, "checkout.session.expired"))
    assert status_of(shop, new_order) == "Pending"
    assert shop.query("orders", "SELECT count(*) FROM stripe_events")[0][0] == 0  # not even as stale

    assert complete(shop, new_session).status_code in (200, 303)
    wait_until(lambda: status_of(shop, new_order) == "Paid")
    [(flagged,)] = shop.query("orders", "SELECT needs_attention FROM orders WHERE id = 1")
    assert not flagged

"""The internal stock API orders_app calls: holds, changes, commits, releases, the sweeper."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inventory_app.extensions import db
from inventory_app.jobs import PERIODIC, sweep_expired_holds
from inventory_app.models import StockMovement
from tests.inventory_app.holds import HOLDS, SERVICE, hold, in_an_hour, movements, rfc3339, stock_of


def test_a_hold_takes_stock_and_answers_the_reservation(client, make_item, app):
    item_id = make_item(quantity=10)
    expires_at = in_an_hour()
    response = hold(client, "order-1", item_id, 3, expires_at=expires_at)
    assert response.status_code == 201
    assert response.get_json() == {
        "key": "order-1",
        "lines": [{"item_id": item_id, "quantity": 3}],
        "item_id": item_id,
        "quantity": 3,
        "state": "held",
        "expires_at": expires_at,
    }
    assert stock_of(client, item_id) == {
        "id": item_id,
        "name": "Blue Mug",
        "description": "Sturdy and simple.",
        "price": "12.50",
        "price_cents": 1250,
        "quantity": 7,
        "archived": False,
        "held": 3,
        "committed": 0,
    }
    assert movements(app, key="order-1") == [(-3, "held")]


def test_repeating_a_hold_answers_the_same_and_moves_stock_once(client, make_item, app):
    item_id = make_item(quantity=10)
    first = hold(client, "order-1", item_id, 2)
    again = hold(client, "order-1", item_id, 2)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert stock_of(client, item_id)["quantity"] == 8
    assert movements(app, key="order-1") == [(-2, "held")]


def test_the_same_key_for_another_quantity_is_a_conflict(client, make_item):
    item_id = make_item(quantity=10)
    hold(client, "order-1", item_id, 2)
    response = hold(client, "order-1", item_id, 5)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "key_conflict"
    assert stock_of(client, item_id)["quantity"] == 8


def test_concurrent_identical_holds_move_stock_once(app, make_item):
    item_id = make_item(quantity=10)
    answers = []

    def call():
        answers.append(hold(app.test_client(), "order-77", item_id, 4).status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200] * 7 + [201]
    assert stock_of(app.test_client(), item_id)["quantity"] == 6
    assert movements(app, key="order-77") == [(-4, "held")]


def test_concurrent_buyers_of_the_last_units_never_oversell(app, make_item):
    item_id = make_item(quantity=5)
    answers = []

    def buy(n):
        answers.append(hold(app.test_client(), f"order-{n}", item_id, 1).status_code)

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201] * 5 + [409] * 15
    assert stock_of(app.test_client(), item_id)["quantity"] == 0


def test_too_few_units_is_409_with_how_many_are_left(client, make_item):
    item_id = make_item(quantity=2)
    response = hold(client, "order-1", item_id, 3)
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "insufficient_stock",
        "message": "Only 2 left.",
        "available": 2,
        "short": [{"item_id": item_id, "available": 2}],
    }
    assert stock_of(client, item_id)["quantity"] == 2
    assert hold(client, "order-1", item_id, 2).status_code == 201  # nothing was recorded under the key


def test_holds_on_unknown_and_archived_items(client, make_item, admin_token):
    assert hold(client, "order-1", 999, 1).status_code == 404
    item_id = make_item(quantity=3)
    hold(client, "order-2", item_id, 1)
    client.post(f"{HOLDS}/order-2/commit", headers=SERVICE)
    client.delete(f"/inventory/api/items/{item_id}", headers={"Authorization": f"Bearer {admin_token}"})
    response = hold(client, "order-3", item_id, 1)
    assert response.status_code == 410 and response.get_json()["error"]["code"] == "item_archived"
    assert stock_of(client, item_id)["archived"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "", "item_id": 1, "quantity": 1}, "key"),
        ({"key": "order 1", "item_id": 1, "quantity": 1}, "key"),
        ({"key": "order-1", "item_id": "1", "quantity": 1}, "item_id"),
        ({"key": "order-1", "item_id": 1, "quantity": 0}, "quantity"),
        ({"key": "order-1", "item_id": 1, "quantity": True}, "quantity"),
        ({"key": "order-1", "item_id": 1, "quantity": 1, "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        ({"key": "order-1", "item_id": 1, "quantity": 1, "expires_at": "tomorrow"}, "expires_at"),
    ],
)
def test_invalid_hold_requests_are_422_and_name_the_field(client, make_item, body, field):
    make_item()
    response = client.post(HOLDS, json={"expires_at": in_an_hour()} | body, headers=SERVICE)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_times_with_an_offset_are_stored_in_utc(client, make_item):
    item_id = make_item()
    local = (datetime.now(UTC) + timedelta(hours=1)).astimezone().replace(microsecond=0)
    response = hold(client, "order-1", item_id, 1, expires_at=local.isoformat())
    expected = local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert response.get_json()["expires_at"] == expected


@pytest.mark.parametrize("headers", [{}, {"X-Service-Token": "wrong"}])
def test_internal_calls_without_the_service_token_are_refused(client, make_item, headers):
    item_id = make_item()
    body = {"key": "order-1", "item_id": item_id, "quantity": 1, "expires_at": in_an_hour()}
    response = client.post(HOLDS, json=body, headers=headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert client.get(f"/inventory/internal/items/{item_id}", headers=headers).status_code == 403
    assert stock_of(client, item_id)["quantity"] == 10


def test_changing_a_hold_takes_or_returns_the_difference(client, make_item, app):
    item_id = make_item(quantity=10)
    hold(client, "order-1", item_id, 2)
    later = rfc3339(timedelta(hours=2))
    bigger = client.patch(f"{HOLDS}/order-1", json={"quantity": 5, "expires_at": later}, headers=SERVICE)
    assert bigger.status_code == 200
    assert bigger.get_json()["quantity"] == 5 and bigger.get_json()["expires_at"] == later
    assert stock_of(client, item_id)["quantity"] == 5
    again = client.patch(f"{HOLDS}/order-1", json={"quantity": 5}, headers=SERVICE)
    assert again.status_code == 200 and stock_of(client, item_id)["quantity"] == 5
    smaller = client.patch(f"{HOLDS}/order-1", json={"quantity": 1}, headers=SERVICE)
    assert smaller.get_json()["quantity"] == 1
    assert stock_of(client, item_id)["quantity"] == 9
    assert movements(app, key="order-1") == [(-2, "held"), (-3, "hold_increased"), (4, "hold_decreased")]


def test_a_bigger_hold_than_the_stock_allows_is_409_and_changes_nothing(client, make_item):
    item_id = make_item(quantity=4)
    hold(client, "order-1", item_id, 2)
    response = client.patch(f"{HOLDS}/order-1", json={"quantity": 7}, headers=SERVICE)
    assert response.status_code == 409
    assert response.get_json()["error"]["available"] == 2
    assert client.get(f"{HOLDS}/order-1", headers=SERVICE).get_json()["quantity"] == 2
    assert stock_of(client, item_id)["quantity"] == 2


def test_commit_is_idempotent_and_keeps_the_stock_sold(client, make_item, app):
    item_id = make_item(quantity=5)
    hold(client, "order-1", item_id, 2)
    for _ in range(2):
        response = client.post(f"{HOLDS}/order-1/commit", headers=SERVICE)
        assert response.status_code == 200 and response.get_json()["state"] == "committed"
    summary = stock_of(client, item_id)
    assert (summary["quantity"], summary["held"], summary["committed"]) == (3, 0, 2)
    assert movements(app, key="order-1") == [(-2, "held")]


def test_release_returns_the_stock_once(client, make_item, app):
    item_id = make_item(quantity=5)
    hold(client, "order-1", item_id, 2)
    for _ in range(2):
        response = client.post(f"{HOLDS}/order-1/release", json={}, headers=SERVICE)
        assert response.status_code == 200 and response.get_json()["state"] == "released"
    assert stock_of(client, item_id)["quantity"] == 5
    assert movements(app, key="order-1") == [(-2, "held"), (2, "released")]


def test_a_committed_hold_is_released_only_with_restock(client, make_item):
    item_id = make_item(quantity=5)
    hold(client, "order-1", item_id, 2)
    client.post(f"{HOLDS}/order-1/commit", headers=SERVICE)
    refused = client.post(f"{HOLDS}/order-1/release", headers=SERVICE)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "hold_committed"
    assert stock_of(client, item_id)["quantity"] == 3
    restocked = client.post(f"{HOLDS}/order-1/release", json={"restock": True}, headers=SERVICE)
    assert restocked.status_code == 200 and restocked.get_json()["state"] == "released"
    assert stock_of(client, item_id)["quantity"] == 5


def test_committing_a_released_hold_takes_the_stock_again_if_it_can(client, make_item):
    item_id = make_item(quantity=3)
    hold(client, "order-1", item_id, 2)
    client.post(f"{HOLDS}/order-1/release", headers=SERVICE)
    retaken = client.post(f"{HOLDS}/order-1/commit", headers=SERVICE)
    assert retaken.status_code == 200 and retaken.get_json()["state"] == "committed"
    assert stock_of(client, item_id)["quantity"] == 1

    hold(client, "order-2", item_id, 1)
    client.post(f"{HOLDS}/order-2/release", headers=SERVICE)
    hold(client, "order-3", item_id, 1)  # someone else bought the last unit meanwhile
    short = client.post(f"{HOLDS}/order-2/commit", headers=SERVICE)
    assert short.status_code == 409 and short.get_json()["error"]["code"] == "insufficient_stock"
    assert client.get(f"{HOLDS}/order-2", headers=SERVICE).get_json()["state"] == "released"


def test_committing_a_released_hold_of_an_archived_item_says_short_not_archived(client, make_item, admin_token):
    """A paid order whose hold lapsed sells archived items too, so when the stock is gone the
    answer is 409 insufficient_stock (orders refunds it), never 410 (which no payment can act on)."""
    item_id = make_item(quantity=3)
    hold(client, "order-1", item_id, 2)
    client.post(f"{HOLDS}/order-1/release", headers=SERVICE)
    hold(client, "order-2", item_id, 3)  # the stock sold out meanwhile
    client.post(f"{HOLDS}/order-2/commit", headers=SERVICE)
    client.delete(f"/inventory/api/items/{item_id}", headers={"Authorization": f"Bearer {admin_token}"})
    assert stock_of(client, item_id)["archived"] is True
    short = client.post(f"{HOLDS}/order-1/commit", headers=SERVICE)
    assert short.status_code == 409 and short.get_json()["error"]["code"] == "insufficient_stock"
    assert client.get(f"{HOLDS}/order-1", headers=SERVICE).get_json()["state"] == "released"
    # order-2 refunded with its stock back on hand: archived, but order-1 is paid for
    client.post(f"{HOLDS}/order-2/release", json={"restock": True}, headers=SERVICE)
    retaken = client.post(f"{HOLDS}/order-1/commit", headers=SERVICE)
    assert retaken.status_code == 200 and retaken.get_json()["state"] == "committed"
    assert stock_of(client, item_id)["quantity"] == 1


def test_a_released_hold_keeps_its_quantity(client, make_item):
    item_id = make_item(quantity=3)
    hold(client, "order-1", item_id, 2)
    client.post(f"{HOLDS}/order-1/release", headers=SERVICE)
    response = client.patch(f"{HOLDS}/order-1", json={"quantity": 1}, headers=SERVICE)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "hold_not_held"


def test_unknown_keys_are_404(client):
    for method, path in [("GET", "/order-9"), ("POST", "/order-9/commit"), ("POST", "/order-9/release")]:
        response = client.open(HOLDS + path, method=method, headers=SERVICE)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "hold_not_found"


def test_a_hold_that_arrives_after_its_key_was_released_holds_nothing(client, make_item, app):
    """orders_app gave up waiting for a hold (its request was slow on the way: a busy database) and
    released the key, which inventory did not know yet; the hold then arrives. It must take nothing:
    no order will ever pay for it, and its units would be off sale until it expired."""
    item_id = make_item(quantity=5)
    released = client.post(f"{HOLDS}/order-7/release", headers=SERVICE)
    assert released.status_code == 404 and released.get_json()["error"]["code"] == "hold_not_found"
    late = hold(client, "order-7", item_id, 2)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "key_conflict"
    assert stock_of(client, item_id)["quantity"] == 5 and movements(app, key="order-7") == []
    assert client.post(f"{HOLDS}/order-7/release", headers=SERVICE).status_code == 404  # still nothing to give back


def test_an_expired_hold_returns_its_stock(client, make_item, app):
    item_id = make_item(quantity=5)
    hold(client, "order-1", item_id, 2, expires_at=rfc3339(timedelta(seconds=-1)))
    hold(client, "order-2", item_id, 1)
    assert stock_of(client, item_id)["quantity"] == 2
    with app.app_context():
        assert sweep_expired_holds() == {"released": 1}
        assert sweep_expired_holds() is None
    assert client.get(f"{HOLDS}/order-1", headers=SERVICE).get_json()["state"] == "released"
    assert client.get(f"{HOLDS}/order-2", headers=SERVICE).get_json()["state"] == "held"
    assert stock_of(client, item_id)["quantity"] == 4
    assert movements(app, key="order-1") == [(-2, "held"), (2, "expired")]


def test_the_sweeper_runs_from_the_cli_and_the_jobs_process(app, client, make_item):
    item_id = make_item(quantity=5)
    hold(client, "order-1", item_id, 5, expires_at=rfc3339(timedelta(seconds=-1)))
    result = app.test_cli_runner().invoke(args=["holds", "sweep"])
    assert "released 1 expired hold" in result.output
    assert stock_of(client, item_id)["quantity"] == 5
    assert [(name, every) for name, every, _ in PERIODIC] == [("inventory.sweep_holds", 5)]


def test_on_hand_plus_held_plus_sold_stays_what_the_admin_stocked(client, make_item, app):
    item_id = make_item(quantity=10)
    for n in range(1, 5):
        hold(client, f"order-{n}", item_id, n)  # 1+2+3+4 = 10: the last one takes what is left
    client.post(f"{HOLDS}/order-1/commit", headers=SERVICE)
    client.post(f"{HOLDS}/order-2/release", headers=SERVICE)
    client.patch(f"{HOLDS}/order-3", json={"quantity": 1}, headers=SERVICE)
    summary = stock_of(client, item_id)
    assert summary["quantity"] + summary["held"] + summary["committed"] == 10
    assert (summary["quantity"], summary["held"], summary["committed"]) == (4, 5, 1)
    with app.app_context():
        total = db.session.scalar(select(func.sum(StockMovement.delta)).where(StockMovement.item_id == item_id))
    assert total == summary["quantity"]


def test_metrics_show_held_and_sold_units_and_holds_the_sweeper_has_not_released(client, make_item):
    item_id = make_item(quantity=10)
    hold(client, "order-1", item_id, 2)
    hold(client, "order-2", item_id, 3, expires_at=rfc3339(timedelta(seconds=-1)))
    hold(client, "order-3", item_id, 1)
    client.post(f"{HOLDS}/order-3/commit", headers=SERVICE)
    text = client.get("/inventory/metrics").get_data(as_text=True)
    assert 'shop_inventory_reserved_units{state="held"} 5.0' in text
    assert 'shop_inventory_reserved_units{state="committed"} 1.0' in text
    assert "shop_inventory_overdue_holds 1.0" in text
    assert "shop_inventory_low_stock_items 1.0" in text  # 4 units left

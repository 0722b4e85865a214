"""Reservations of several lines: all lines or none, summed duplicates, changes by difference, races."""

import random
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from inventory_app import create_app
from inventory_app.extensions import db
from inventory_app.jobs import sweep_expired_holds
from inventory_app.models import Item, StockMovement
from tests.helpers import SECRETS
from tests.inventory_app.holds import (
    HOLDS,
    SERVICE,
    change_lines,
    hold_lines,
    in_an_hour,
    movements,
    on_hand,
    rfc3339,
    stock_of,
)


@pytest.fixture
def three_items(make_item):
    """A mug (5 units), a bowl (3) and a plate (1), in ascending id."""
    return make_item("Mug", quantity=5), make_item("Bowl", quantity=3), make_item("Plate", quantity=1)


def test_a_hold_of_several_lines_takes_each_and_answers_its_lines(client, three_items, app):
    mug, bowl, plate = three_items
    expires_at = in_an_hour()
    response = hold_lines(client, "order-1", [(plate, 1), (mug, 2), (bowl, 3)], expires_at=expires_at)
    assert response.status_code == 201
    assert response.get_json() == {
        "key": "order-1",
        "lines": [{"item_id": mug, "quantity": 2}, {"item_id": bowl, "quantity": 3}, {"item_id": plate, "quantity": 1}],
        "state": "held",
        "expires_at": expires_at,
    }
    assert on_hand(client, mug, bowl, plate) == [3, 0, 0]
    assert [stock_of(client, i)["held"] for i in three_items] == [2, 3, 1]
    # taken in ascending item id, whatever order the caller listed the lines in
    with app.app_context():
        taken = db.session.execute(
            select(StockMovement.item_id, StockMovement.delta)
            .where(StockMovement.key == "order-1")
            .order_by(StockMovement.id)
        ).all()
    assert [tuple(row) for row in taken] == [(mug, -2), (bowl, -3), (plate, -1)]


def test_lines_naming_the_same_item_are_summed_before_the_check(client, three_items):
    mug, bowl, _ = three_items
    too_many = hold_lines(client, "order-1", [(bowl, 2), (mug, 1), (bowl, 2)])  # 4 bowls, 3 on hand
    assert too_many.status_code == 409
    assert too_many.get_json()["error"]["short"] == [{"item_id": bowl, "available": 3}]
    assert on_hand(client, mug, bowl) == [5, 3]

    held = hold_lines(client, "order-1", [(bowl, 1), (mug, 1), (bowl, 2)])
    assert held.status_code == 201
    assert held.get_json()["lines"] == [{"item_id": mug, "quantity": 1}, {"item_id": bowl, "quantity": 3}]
    assert on_hand(client, mug, bowl) == [4, 0]


def test_a_cart_short_on_two_lines_is_409_naming_both_and_changes_nothing(client, three_items, app):
    mug, bowl, plate = three_items
    response = hold_lines(client, "order-1", [(mug, 2), (bowl, 4), (plate, 2)])
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["short"] == [{"item_id": bowl, "available": 3}, {"item_id": plate, "available": 1}]
    assert "available" not in error  # one count would not say which line it is about
    assert on_hand(client, mug, bowl, plate) == [5, 3, 1]
    assert movements(app, key="order-1") == []
    assert client.get(f"{HOLDS}/order-1", headers=SERVICE).status_code == 404


def test_repeating_a_hold_answers_the_same_and_other_lines_are_a_conflict(client, three_items, app):
    mug, bowl, _ = three_items
    first = hold_lines(client, "order-1", [(mug, 1), (bowl, 2)])
    again = hold_lines(client, "order-1", [(bowl, 2), (mug, 1)])  # same lines, another order
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    other = hold_lines(client, "order-1", [(mug, 1), (bowl, 1)])
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "key_conflict"
    assert on_hand(client, mug, bowl) == [4, 1]
    assert movements(app, key="order-1") == [(-1, "held"), (-2, "held")]


def test_an_archived_or_unknown_line_refuses_the_whole_hold_and_names_the_item(client, three_items, admin_token):
    mug, bowl, _ = three_items
    hold_lines(client, "order-0", [(bowl, 1)])  # a sold order refers to it: deleting archives it
    client.post(f"{HOLDS}/order-0/commit", headers=SERVICE)
    client.delete(f"/inventory/api/items/{bowl}", headers={"Authorization": f"Bearer {admin_token}"})
    archived = hold_lines(client, "order-1", [(mug, 1), (bowl, 1)])
    assert archived.status_code == 410
    assert archived.get_json()["error"] | {"message": ""} == {"code": "item_archived", "message": "", "item_id": bowl}
    unknown = hold_lines(client, "order-2", [(mug, 1), (999, 1)])
    assert unknown.status_code == 404 and unknown.get_json()["error"]["item_id"] == 999
    assert on_hand(client, mug) == [5]


def test_changing_the_lines_takes_more_gives_back_less_and_removed_lines(client, three_items, app):
    mug, bowl, plate = three_items
    hold_lines(client, "order-1", [(mug, 2), (bowl, 2)])
    response = change_lines(client, "order-1", [(mug, 4), (plate, 1)])  # more mugs, no bowls, a plate
    assert response.status_code == 200
    assert response.get_json()["lines"] == [{"item_id": mug, "quantity": 4}, {"item_id": plate, "quantity": 1}]
    assert on_hand(client, mug, bowl, plate) == [1, 3, 0]
    assert movements(app, key="order-1") == [
        (-2, "held"),
        (-2, "held"),
        (-2, "hold_increased"),
        (2, "hold_decreased"),
        (-1, "hold_increased"),
    ]
    again = change_lines(client, "order-1", [(plate, 1), (mug, 4)])
    assert again.status_code == 200 and again.get_json() == response.get_json()
    assert len(movements(app, key="order-1")) == 5  # the same lines again move nothing

    fewer = change_lines(client, "order-1", [(mug, 1)])
    assert fewer.get_json() | {"expires_at": ""} == {
        "key": "order-1",
        "lines": [{"item_id": mug, "quantity": 1}],
        "item_id": mug,
        "quantity": 1,
        "state": "held",
        "expires_at": "",
    }
    assert on_hand(client, mug, bowl, plate) == [4, 3, 1]


def test_a_change_short_on_any_line_is_409_naming_every_one_and_changes_nothing(client, three_items, app):
    mug, bowl, plate = three_items
    hold_lines(client, "order-1", [(mug, 2), (bowl, 1)])
    response = change_lines(client, "order-1", [(mug, 1), (bowl, 4), (plate, 2)])
    assert response.status_code == 409
    assert response.get_json()["error"]["short"] == [
        {"item_id": bowl, "available": 2},
        {"item_id": plate, "available": 1},
    ]
    held = client.get(f"{HOLDS}/order-1", headers=SERVICE).get_json()
    assert held["lines"] == [{"item_id": mug, "quantity": 2}, {"item_id": bowl, "quantity": 1}]
    assert on_hand(client, mug, bowl, plate) == [3, 2, 1]
    assert movements(app, key="order-1") == [(-2, "held"), (-1, "held")]


def test_the_one_item_quantity_change_is_only_for_a_one_line_hold(client, three_items):
    mug, bowl, _ = three_items
    hold_lines(client, "order-1", [(mug, 1), (bowl, 1)])
    response = client.patch(f"{HOLDS}/order-1", json={"quantity": 3}, headers=SERVICE)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "quantity"
    assert on_hand(client, mug, bowl) == [4, 2]


def test_commit_and_release_move_every_line(client, three_items, app):
    mug, bowl, plate = three_items
    hold_lines(client, "order-1", [(mug, 2), (bowl, 1)])
    hold_lines(client, "order-2", [(bowl, 1), (plate, 1)])
    for _ in range(2):
        assert client.post(f"{HOLDS}/order-1/commit", headers=SERVICE).get_json()["state"] == "committed"
        assert client.post(f"{HOLDS}/order-2/release", headers=SERVICE).get_json()["state"] == "released"
    summaries = [stock_of(client, item_id) for item_id in three_items]
    assert [(s["quantity"], s["held"], s["committed"]) for s in summaries] == [
        (3, 0, 2),
        (2, 0, 1),
        (1, 0, 0),
    ]
    refused = client.post(f"{HOLDS}/order-1/release", headers=SERVICE)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "hold_committed"
    restocked = client.post(f"{HOLDS}/order-1/release", json={"restock": True}, headers=SERVICE)
    assert restocked.get_json()["state"] == "released"
    assert on_hand(client, mug, bowl, plate) == [5, 3, 1]
    assert movements(app, key="order-1") == [(-2, "held"), (-1, "held"), (2, "restocked"), (1, "restocked")]


def test_committing_a_released_hold_retakes_all_lines_or_none(client, three_items):
    mug, _, plate = three_items
    hold_lines(client, "order-1", [(mug, 2), (plate, 1)])
    client.post(f"{HOLDS}/order-1/release", headers=SERVICE)
    hold_lines(client, "order-2", [(plate, 1)])  # someone else took the last plate meanwhile
    short = client.post(f"{HOLDS}/order-1/commit", headers=SERVICE)
    assert short.status_code == 409
    assert short.get_json()["error"]["short"] == [{"item_id": plate, "available": 0}]
    assert client.get(f"{HOLDS}/order-1", headers=SERVICE).get_json()["state"] == "released"
    assert on_hand(client, mug, plate) == [5, 0]

    client.post(f"{HOLDS}/order-2/release", headers=SERVICE)
    retaken = client.post(f"{HOLDS}/order-1/commit", headers=SERVICE)
    assert retaken.status_code == 200 and retaken.get_json()["state"] == "committed"
    assert on_hand(client, mug, plate) == [3, 0]


def test_the_sweeper_gives_back_every_line_of_an_expired_hold(client, three_items, app):
    mug, bowl, plate = three_items
    hold_lines(client, "order-1", [(mug, 2), (bowl, 3)], expires_at=rfc3339(timedelta(seconds=-1)))
    hold_lines(client, "order-2", [(mug, 1), (plate, 1)])
    with app.app_context():
        assert sweep_expired_holds() == {"released": 1}
    assert client.get(f"{HOLDS}/order-1", headers=SERVICE).get_json()["state"] == "released"
    assert on_hand(client, mug, bowl, plate) == [4, 3, 0]
    assert movements(app, key="order-1") == [(-2, "held"), (-3, "held"), (2, "expired"), (3, "expired")]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ("1 mug", "lines"),
        ([7], "lines[0]"),
        ([{"item_id": 1, "quantity": 1}, {"item_id": "2", "quantity": 1}], "lines[1].item_id"),
        ([{"item_id": 1, "quantity": 0}], "lines[0].quantity"),
        ([{"item_id": 1}], "lines[0].quantity"),
        ([{"item_id": 1, "quantity": 1}] * 101, "lines"),
    ],
)
def test_invalid_lines_are_422_and_name_the_field(client, make_item, lines, field):
    make_item()
    response = client.post(HOLDS, json={"key": "order-1", "lines": lines, "expires_at": in_an_hour()}, headers=SERVICE)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == field
    assert on_hand(client, 1) == [10]


def test_lines_and_the_one_item_fields_together_are_refused(client, make_item):
    item_id = make_item()
    body = {"key": "order-1", "lines": [{"item_id": item_id, "quantity": 1}], "item_id": item_id, "quantity": 1}
    response = client.post(HOLDS, json=body | {"expires_at": in_an_hour()}, headers=SERVICE)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "item_id"


def test_overlapping_carts_racing_for_few_units_never_oversell(app, make_item):
    """Forty buyers hold, change and release overlapping carts at once against 4 + 3 + 2 units."""
    stocked = {make_item(f"Item {n}", quantity=q): q for n, q in enumerate((4, 3, 2))}
    ids = sorted(stocked)
    answers: list[tuple[int, list, int]] = []
    start = threading.Barrier(40)

    def buyer(n):
        rng = random.Random(n)
        client = app.test_client()
        cart = [(item_id, rng.randint(1, 2)) for item_id in rng.sample(ids, rng.randint(1, 3))]
        start.wait()
        response = hold_lines(client, f"order-{n}", cart)
        answers.append((response.status_code, cart, response))
        if response.status_code == 201 and n % 3 == 0:
            change_lines(client, f"order-{n}", [(item_id, 1) for item_id in ids])
        elif response.status_code == 201 and n % 3 == 1:
            client.post(f"{HOLDS}/order-{n}/release", headers=SERVICE)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for status, _, _ in answers} <= {201, 409}
    assert any(status == 201 for status, _, _ in answers) and any(status == 409 for status, _, _ in answers)
    for status, cart, response in answers:
        if status == 409:  # every line named is one of the cart's, and truly short at that moment
            short = response.get_json()["error"]["short"]
            wanted = dict(cart)
            assert short and all(line["available"] < wanted[line["item_id"]] for line in short)
    client = app.test_client()
    for item_id, put_in in stocked.items():
        summary = stock_of(client, item_id)
        assert summary["quantity"] >= 0
        assert summary["quantity"] + summary["held"] + summary["committed"] == put_in
    with app.app_context():
        ledger = dict(
            db.session.execute(select(StockMovement.item_id, func.sum(StockMovement.delta)).group_by("item_id")).all()
        )
        on_hand_now = dict(db.session.execute(select(Item.id, Item.quantity)).all())
    assert ledger == on_hand_now


def test_one_item_reservations_of_the_previous_schema_become_one_line_holds(tmp_path):
    """The migration turns every reservation into one line of the same item and quantity."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}", **SECRETS})
    migrations = str(Path(app.root_path) / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="b303f24789f5")
        db.session.execute(
            text(
                "INSERT INTO inventory (id, name, price_cents, quantity, created_at, updated_at) VALUES "
                "(1, 'Mug', 1250, 3, '2026-11-01', '2026-11-01'), (2, 'Bowl', 800, 0, '2026-11-01', '2026-11-01')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO reservations (key, item_id, quantity, state, expires_at, created_at, updated_at) VALUES "
                "('order-1', 1, 2, 'held', '2030-01-01 10:00:00', '2026-11-02', '2026-11-02'), "
                "('order-2', 2, 4, 'committed', '2026-11-03 10:00:00', '2026-11-02', '2026-11-03'), "
                "('order-3', 1, 1, 'released', '2026-11-03 10:00:00', '2026-11-02', '2026-11-04')"
            )
        )
        db.session.commit()
        upgrade(directory=migrations)

    client = app.test_client()
    answers = {
        key: client.get(f"{HOLDS}/{key}", headers=SERVICE).get_json() for key in ("order-1", "order-2", "order-3")
    }
    assert answers == {
        "order-1": {
            "key": "order-1",
            "lines": [{"item_id": 1, "quantity": 2}],
            "item_id": 1,
            "quantity": 2,
            "state": "held",
            "expires_at": "2030-01-01T10:00:00Z",
        },
        "order-2": {
            "key": "order-2",
            "lines": [{"item_id": 2, "quantity": 4}],
            "item_id": 2,
            "quantity": 4,
            "state": "committed",
            "expires_at": "2026-11-03T10:00:00Z",
        },
        "order-3": {
            "key": "order-3",
            "lines": [{"item_id": 1, "quantity": 1}],
            "item_id": 1,
            "quantity": 1,
            "state": "released",
            "expires_at": "2026-11-03T10:00:00Z",
        },
    }
    assert [(s["held"], s["committed"]) for s in (stock_of(client, 1), stock_of(client, 2))] == [(2, 0), (0, 4)]
    # and the migrated holds work as any other
    assert client.post(f"{HOLDS}/order-1/release", headers=SERVICE).status_code == 200
    assert stock_of(client, 1)["quantity"] == 5


# ----- quoted prices: the hold holds nothing when one is not the item's price now -----------------


def quoted_hold(client, key, lines, prices):
    """A hold of `lines` [(item_id, quantity)] quoting {item_id: cents}."""
    body = {
        "key": key,
        "lines": [
            {"item_id": i, "quantity": n} | ({"price_cents": prices[i]} if i in prices else {}) for i, n in lines
        ],
        "expires_at": in_an_hour(),
    }
    return client.post(HOLDS, json=body, headers=SERVICE)


def test_a_hold_at_the_prices_items_have_is_held(client, app, make_item):
    mug, bowl = make_item("Mug", quantity=5, price_cents=1250), make_item("Bowl", quantity=3, price_cents=400)
    response = quoted_hold(client, "order-1", [(mug, 2), (bowl, 1)], {mug: 1250, bowl: 400})
    assert response.status_code == 201 and on_hand(client, mug, bowl) == [3, 2]
    one_item = {"key": "order-2", "item_id": mug, "quantity": 1, "price_cents": 1250, "expires_at": in_an_hour()}
    assert client.post(HOLDS, json=one_item, headers=SERVICE).status_code == 201


def test_a_hold_quoting_a_price_the_item_no_longer_has_holds_nothing_and_names_the_price_now(client, app, make_item):
    mug, bowl = make_item("Mug", quantity=5, price_cents=1250), make_item("Bowl", quantity=3, price_cents=400)
    response = quoted_hold(client, "order-1", [(mug, 2), (bowl, 1)], {mug: 1250, bowl: 350})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "price_changed" and error["prices"] == [{"item_id": bowl, "price_cents": 400}]
    assert on_hand(client, mug, bowl) == [5, 3] and movements(app, key="order-1") == []
    assert client.get(f"{HOLDS}/order-1", headers=SERVICE).status_code == 404
    # a line with no price quoted is held at whatever price the item has
    assert quoted_hold(client, "order-1", [(mug, 2), (bowl, 1)], {mug: 1250}).status_code == 201


@pytest.mark.parametrize("cents", [-1, "400", 4.0, True])
def test_a_quoted_price_is_a_whole_number_of_cents(client, make_item, cents):
    bowl = make_item("Bowl", quantity=3, price_cents=400)
    response = quoted_hold(client, "order-1", [(bowl, 1)], {bowl: cents})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "lines[0].price_cents"
    assert on_hand(client, bowl) == [3]


def test_a_change_takes_more_only_at_the_quoted_price_and_gives_back_at_any(client, app, make_item):
    """An order keeps the prices it was placed at: more units of an item repriced since are refused."""
    mug, bowl = make_item("Mug", quantity=5, price_cents=1250), make_item("Bowl", quantity=5, price_cents=400)
    assert quoted_hold(client, "order-1", [(mug, 2), (bowl, 2)], {mug: 1250, bowl: 400}).status_code == 201
    with app.app_context():
        db.session.get(Item, bowl).price_cents = 450  # the admin raised the bowl's price
        db.session.commit()

    def quoted_change(lines):
        body = {"lines": [{"item_id": i, "quantity": n, "price_cents": {mug: 1250, bowl: 400}[i]} for i, n in lines]}
        return client.patch(f"{HOLDS}/order-1", json=body, headers=SERVICE)

    more = quoted_change([(mug, 3), (bowl, 3)])
    assert more.status_code == 409
    error = more.get_json()["error"]
    assert error["code"] == "price_changed" and error["prices"] == [{"item_id": bowl, "price_cents": 450}]
    assert on_hand(client, mug, bowl) == [3, 3] and len(movements(app, key="order-1")) == 2  # nothing moved
    assert quoted_change([(mug, 3), (bowl, 1)]).status_code == 200  # more mugs (same price), fewer bowls
    assert on_hand(client, mug, bowl) == [2, 4]

"""A 409 names only lines that are short when read back. On PostgreSQL (READ COMMITTED) another
buyer's release can commit between a line's refused conditional update and the read of what is
left; here that moment is made to happen by refusing a take whose units are in fact on hand."""

import pytest

from inventory_app import stock
from tests.inventory_app.holds import change_lines, hold, hold_lines, movements, on_hand


@pytest.fixture
def refuse_first_take(monkeypatch):
    """The first take of each named item fails as if its units were out that moment."""
    real = stock._take
    refused: set[int] = set()
    named: set[int] = set()

    def take(item_id, n, **kwargs):
        if item_id in named and item_id not in refused:
            refused.add(item_id)
            return None
        return real(item_id, n, **kwargs)

    monkeypatch.setattr(stock, "_take", take)
    return named


def test_a_line_whose_units_came_back_meanwhile_is_held_on_a_second_try(app, client, make_item, refuse_first_take):
    mug, lamp = make_item("Mug", quantity=5), make_item("Lamp", quantity=5)
    refuse_first_take.add(lamp)
    answer = hold_lines(client, "order-1", [(mug, 2), (lamp, 3)])
    assert answer.status_code == 201, answer.get_json()
    assert on_hand(client, mug, lamp) == [3, 2]
    assert sorted(movements(app, key="order-1")) == [(-3, "held"), (-2, "held")]  # taken once each


def test_a_409_names_the_lines_still_short_not_the_ones_that_came_back(client, make_item, refuse_first_take):
    mug, lamp = make_item("Mug", quantity=5), make_item("Lamp", quantity=1)
    refuse_first_take.add(mug)
    answer = hold_lines(client, "order-1", [(mug, 2), (lamp, 3)])
    assert answer.status_code == 409
    assert answer.get_json()["error"]["short"] == [{"item_id": lamp, "available": 1}]
    assert on_hand(client, mug, lamp) == [5, 1]


def test_a_change_whose_more_units_came_back_meanwhile_is_applied(client, make_item, refuse_first_take):
    mug = make_item("Mug", quantity=5)
    assert hold(client, "order-1", mug, 1).status_code == 201
    refuse_first_take.add(mug)
    answer = change_lines(client, "order-1", [(mug, 4)])
    assert answer.status_code == 200 and answer.get_json()["quantity"] == 4
    assert on_hand(client, mug) == [1]

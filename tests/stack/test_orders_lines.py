"""An order of several lines through nginx with the real inventory and the emulator: every line held,
one Checkout Session listing each line, paid, every line's stock sold; a short line names itself."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from stacktools.stack import wait_until
from tests.stack.shop_orders import (
    api_customer,
    complete,
    new_item,
    reservation,
    session_id,
    stock_of,
    stripe_client,
    wait_for_status,
)


def post_lines(stack, token: str, lines: list[dict]) -> requests.Response:
    return requests.post(
        stack.url("/orders/api/orders"), json={"lines": lines}, headers={"Authorization": f"Bearer {token}"}, timeout=15
    )


def inventory_holds_lines(stack) -> bool:
    """Whether this inventory takes DESIGN's `lines` (the inventory branch), asked on loopback."""
    item = new_item(stack, price="1.00", quantity=1)
    headers = {"X-Service-Token": stack.env["SHOP_SERVICE_TOKEN"]}
    key = f"probe-{item}"
    soon = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = requests.post(
        stack.app_url("inventory", "/inventory/internal/reservations"),
        json={"key": key, "lines": [{"item_id": item, "quantity": 1}], "expires_at": soon},
        headers=headers,
        timeout=10,
    )
    if answer.status_code in (200, 201):
        requests.post(
            stack.app_url("inventory", f"/inventory/internal/reservations/{key}/release"),
            json={},
            headers=headers,
            timeout=10,
        )
    return answer.status_code != 422 or answer.json()["error"].get("field") != "item_id"


def test_an_order_of_three_lines_is_held_paid_and_sold_line_by_line(stack):
    if not inventory_holds_lines(stack):
        pytest.skip("this inventory holds one item per reservation (DESIGN's lines come with the inventory branch)")
    mug, lamp, pin = (new_item(stack, price=p, quantity=10) for p in ("8.50", "12.50", "2.00"))
    _, token = api_customer(stack)
    lines = [
        {"inventory_id": mug, "quantity": 2},
        {"inventory_id": lamp, "quantity": 1},
        {"inventory_id": pin, "quantity": 4},
    ]
    response = post_lines(stack, token, lines)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["total_price"] == "37.50" and len(order["lines"]) == 3
    assert [stock_of(stack, item) for item in (mug, lamp, pin)] == [8, 9, 6]
    assert {(line["item_id"], line["quantity"]) for line in reservation(stack, order["id"])["lines"]} == {
        (mug, 2),
        (lamp, 1),
        (pin, 4),
    }
    checkout = requests.post(
        stack.url(f"/orders/api/orders/{order['id']}/checkout"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    session = session_id(checkout.json()["url"])
    items = stripe_client(stack).v1.checkout.sessions.line_items.list(session).data
    assert [(item.quantity, item.price.unit_amount) for item in items] == [(2, 850), (1, 1250), (4, 200)]
    assert complete(stack, session).status_code in (200, 303)
    wait_for_status(stack, order["id"], "Paid")
    # Paid is written before the webhook's request commits the stock at inventory: wait for that too.
    wait_until(lambda: reservation(stack, order["id"])["state"] == "committed")
    assert [stock_of(stack, item) for item in (mug, lamp, pin)] == [8, 9, 6]

    short = post_lines(stack, token, [{"inventory_id": mug, "quantity": 9}, {"inventory_id": pin, "quantity": 1}])
    assert short.status_code == 409 and short.json()["error"]["short"] == [{"inventory_id": mug, "available": 8}]
    assert [stock_of(stack, item) for item in (mug, lamp, pin)] == [8, 9, 6]

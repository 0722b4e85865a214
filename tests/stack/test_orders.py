"""Ordering through nginx with the real inventory: holds follow the order, money is exact, orders
are private, and the admin monitor sees them all. Helpers: tests/stack/shop_orders.py."""

import secrets

import requests

from tests.stack.shop_orders import admin_token, customer, new_item, order, placed, reservation, stock_of


def test_three_units_at_fifty_cents_cost_exactly_a_dollar_fifty(stack):
    item = new_item(stack, price="0.50", quantity=10)
    alice = customer(stack)
    quote = alice.get(f"/orders/quote?inventory_id={item}&quantity=3", htmx=True)
    assert quote.status_code == 200 and "3 × $0.50 = <strong>$1.50</strong>" in quote.text

    order_id = placed(order(alice, item, 3))
    page = alice.get(f"/orders/{order_id}")
    assert "<strong>$1.50</strong>" in page.text and ">Pending<" in page.text
    assert stock_of(stack, item) == 7
    assert reservation(stack, order_id) | {"expires_at": None} == {
        "key": f"order-{order_id}",
        "item_id": item,
        "quantity": 3,
        "lines": [{"item_id": item, "quantity": 3}],
        "state": "held",
        "expires_at": None,
    }
    listing = alice.get("/orders/")
    assert f'href="/orders/{order_id}"' in listing.text and "$1.50" in listing.text


def test_editing_to_five_holds_two_more_and_cancelling_returns_all_five(stack):
    item = new_item(stack, quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 3))

    edited = alice.post(f"/orders/{order_id}/edit", {"quantity": 5, "version": 1}, htmx=True)
    assert edited.status_code == 200 and "Quantity changed to 5" in edited.text and "$2.50" in edited.text
    assert stock_of(stack, item) == 5 and reservation(stack, order_id)["quantity"] == 5

    cancelled = alice.post(f"/orders/{order_id}/cancel", htmx=True)
    assert cancelled.status_code == 200 and ">Cancelled<" in cancelled.text
    assert stock_of(stack, item) == 10 and reservation(stack, order_id)["state"] == "released"
    history = alice.get(f"/orders/{order_id}").text
    for line in ("Order placed", "Quantity changed", "Cancelled", "Stock returned"):
        assert line in history


def test_ordering_more_than_in_stock_gives_a_clear_error_and_creates_nothing(stack):
    item = new_item(stack, quantity=4)
    alice = customer(stack)
    response = order(alice, item, 5)
    assert response.status_code == 409 and "only 4 left" in response.text
    assert stock_of(stack, item) == 4
    assert 'href="/orders/' not in alice.get("/orders/").text.split('id="order-list"', 1)[1]
    edit_target = placed(order(alice, item, 4))
    too_many = alice.post(f"/orders/{edit_target}/edit", {"quantity": 6}, htmx=True)
    assert "only 0 more left" in too_many.text and stock_of(stack, item) == 0


def test_an_archived_item_is_no_longer_sold(stack):
    item = new_item(stack, quantity=3)
    alice = customer(stack)
    earlier = placed(order(alice, item, 1))  # an item that was ever ordered is archived, not erased
    alice.post(f"/orders/{earlier}/cancel")  # (and none may be held when it goes)
    deleted = requests.delete(
        stack.url(f"/inventory/api/items/{item}"), headers={"Authorization": f"Bearer {admin_token(stack)}"}, timeout=10
    )
    assert deleted.status_code == 204
    response = order(alice, item, 1)
    assert response.status_code == 410 and "this item is no longer sold" in response.text
    assert "this item is no longer sold" in alice.get(f"/orders/quote?inventory_id={item}&quantity=1", htmx=True).text
    assert ">Cancelled<" in alice.get(f"/orders/{earlier}").text  # the earlier order stays as it was


def test_a_second_user_cannot_see_or_touch_the_first_users_orders(stack):
    item = new_item(stack, quantity=10)
    alice, mallory = customer(stack), customer(stack)
    order_id = placed(order(alice, item, 2))
    for path in (f"/orders/{order_id}", f"/orders/{order_id}/edit", f"/orders/{order_id}/cancel"):
        assert mallory.get(path, follow=False).status_code == 404, path
    assert mallory.post(f"/orders/{order_id}/cancel").status_code == 404
    assert mallory.post(f"/orders/{order_id}/edit", {"quantity": 1}).status_code == 404
    assert f"/orders/{order_id}" not in mallory.get("/orders/").text
    token = mallory.api_token(mallory.login_name)
    assert mallory.api("GET", f"/orders/api/orders/{order_id}", token).status_code == 404
    assert mallory.api("POST", f"/orders/api/orders/{order_id}/cancel", token).status_code == 404
    assert stock_of(stack, item) == 8 and reservation(stack, order_id)["state"] == "held"


def test_the_admin_monitor_shows_and_filters_orders(stack, admin):
    item = new_item(stack, quantity=20, name=f"Monitor lamp {secrets.token_hex(3)}")
    alice, bob = customer(stack), customer(stack)
    alice_order = placed(order(alice, item, 2))
    bob_order = placed(order(bob, item, 3))
    bob.post(f"/orders/{bob_order}/cancel")

    page = admin.get("/orders/admin/")
    assert page.status_code == 200 and f"monitor-order-{alice_order}" in page.text
    assert 'hx-get="/inventory/fragments/low-stock"' in page.text

    by_user = admin.get(f"/orders/admin/?user={alice.login_name}", htmx=True).text
    assert f"monitor-order-{alice_order}" in by_user and f"monitor-order-{bob_order}" not in by_user
    cancelled = admin.get(f"/orders/admin/?status=Cancelled&item={item}", htmx=True).text
    assert f"monitor-order-{bob_order}" in cancelled and f"monitor-order-{alice_order}" not in cancelled
    assert "<html" not in cancelled

    row = admin.post(f"/orders/admin/{alice_order}/cancel", htmx=True)
    assert row.status_code == 200 and ">Cancelled<" in row.text
    assert stock_of(stack, item) == 20
    assert admin.get("/inventory/fragments/low-stock", htmx=True).status_code == 200


def test_the_order_form_page_works_without_javascript(stack):
    item = new_item(stack, price="12.50", quantity=5)
    alice = customer(stack)
    form = alice.get(f"/orders/new?inventory_id={item}&quantity=2")
    assert form.status_code == 200 and "2 × $12.50 = <strong>$25.00</strong>" in form.text
    response = alice.post("/orders/", {"inventory_id": item, "quantity": 2}, follow=True)
    assert response.status_code == 200 and "$25.00" in response.text and "placed" in response.text

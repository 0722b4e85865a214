"""Changing a Pending order's quantity and cancelling it (DESIGN steps 4 and 5), and the two at once."""

import re
import threading
from dataclasses import replace

import pytest

from orders_app.cancelling import cancel_order
from orders_app.editing import change_quantity
from orders_app.errors import OrderError
from orders_app.extensions import db
from orders_app.models import HELD, RELEASED, RELEASING, Order
from tests.orders_app.helpers import place, post_form

HX = {"HX-Request": "true"}


def fresh(app, order_id) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.events  # noqa: B018 (load the history before leaving the session)
        db.session.expunge_all()
        return order


def test_the_edit_link_returns_the_inline_quantity_form(alice, widget):
    order_id = place(alice, widget, 3)
    response = alice.get(f"/orders/{order_id}/edit", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="order-detail"' in html and 'name="quantity"' in html and 'value="3"' in html


def test_editing_to_five_holds_two_more_and_recomputes_the_total(app, alice, inventory, widget):
    order_id = place(alice, widget, 3)
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 5, "version": 1}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Quantity changed to 5" in html and "$0.50" in html
    assert inventory.held() == {f"order-{order_id}": 5} and inventory.stock(widget) == 5
    order = fresh(app, order_id)
    assert (order.quantity, order.total_cents, order.version, order.hold_state) == (5, 250, 2, HELD)
    assert [(e.action, e.from_value, e.to_value, e.actor) for e in order.events][-1] == (
        "quantity_changed",
        "3",
        "5",
        "alice",
    )


def test_editing_down_gives_stock_back(alice, inventory, widget):
    order_id = place(alice, widget, 5)
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 2})
    assert inventory.held() == {f"order-{order_id}": 2} and inventory.stock(widget) == 8


def test_editing_without_javascript_redirects_to_the_order_with_a_message(alice, widget):
    order_id = place(alice, widget, 1)
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 2})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{order_id}")
    assert "Quantity changed to 2" in alice.get(f"/orders/{order_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("price", "placed", "edited", "message"),
    [
        (10, 5, 4, "A card payment must be at least $0.50: keep at least 5 in this order, or cancel it instead."),
        (60_000_000, 1, 2, "A card payment can be of at most $999,999.99: order fewer items, in several orders."),
    ],
    ids=["under-the-minimum", "over-the-maximum"],
)
def test_editing_to_a_total_stripe_cannot_charge_is_refused_and_changes_nothing(
    app, alice, inventory, price, placed, edited, message
):
    item = inventory.add_item("Sticker or piano", price, 100)
    order_id = place(alice, item, placed)
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": edited}, htmx=True)
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    order = fresh(app, order_id)
    assert (order.quantity, order.total_cents, order.version, order.hold_state) == (placed, price * placed, 1, HELD)
    assert inventory.held() == {f"order-{order_id}": placed}


def test_the_quantity_form_of_an_item_under_the_minimum_says_how_many_the_order_keeps(
    app, alice, inventory, bearer, client_anonymous
):
    """Said before Save (the field's bound and hint), and refused by the API with the minimum and what is missing."""
    dime = inventory.add_item("Dime sticker", 10, 100)
    order_id = place(alice, dime, 6)
    form = alice.get(f"/orders/{order_id}/edit", headers=HX).get_data(as_text=True)
    assert "A card payment must be at least $0.50: keep at least 5 in this order, or cancel it instead." in form
    assert 'id="quantity" min="5" name="quantity"' in form
    api = client_anonymous.patch(f"/orders/api/orders/{order_id}", json={"quantity": 2}, headers=bearer("alice"))
    error = api.get_json()["error"]
    assert api.status_code == 422 and error["code"] == "amount_too_small" and error["field"] == "quantity"
    assert (error["minimum"], error["missing"]) == ("0.50", "0.30")
    order = fresh(app, order_id)
    assert (order.quantity, order.total_cents, order.version) == (6, 60, 1)
    assert inventory.held() == {f"order-{order_id}": 6}


def test_editing_lines_down_under_the_minimum_is_said_before_and_refused(
    app, alice, inventory, bearer, client_anonymous
):
    dime, free = inventory.add_item("Dime sticker", 10, 100), inventory.add_item("Free sample", 0, 100)
    body = {"lines": [{"inventory_id": dime, "quantity": 5}, {"inventory_id": free, "quantity": 1}]}
    order_id = client_anonymous.post("/orders/api/orders", json=body, headers=bearer("alice")).get_json()["id"]
    form = alice.get(f"/orders/{order_id}/edit", headers=HX).get_data(as_text=True)
    assert "A card payment must be at least $0.50: the total cannot go under it." in form
    response = post_form(alice, f"/orders/{order_id}/edit", {f"quantity-{dime}": 3, f"quantity-{free}": 1}, htmx=True)
    assert (
        "A card payment must be at least $0.50 and these quantities come to $0.30: keep more in this order, "
        "or cancel it instead." in response.get_data(as_text=True)
    )
    lines = {"lines": [{"inventory_id": dime, "quantity": 4}, {"inventory_id": free, "quantity": 1}]}
    api = client_anonymous.patch(f"/orders/api/orders/{order_id}", json=lines, headers=bearer("alice"))
    error = api.get_json()["error"]
    assert api.status_code == 422 and error["code"] == "amount_too_small"
    assert (error["minimum"], error["missing"]) == ("0.50", "0.10")
    assert fresh(app, order_id).line_quantities == {dime: 5, free: 1}
    assert inventory.held() == {f"order-{order_id}": 6} and inventory.stock(dime) == 95


def test_editing_beyond_the_stock_says_how_many_more_and_changes_nothing(app, alice, inventory, widget):
    order_id = place(alice, widget, 3)
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 12}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "only 7 more left" in html and 'aria-invalid="true"' in html
    order = fresh(app, order_id)
    assert (order.quantity, order.total_cents, order.version, order.hold_state) == (3, 150, 1, HELD)
    assert inventory.held() == {f"order-{order_id}": 3}


def test_more_at_a_price_that_changed_since_is_refused_but_less_is_not(app, alice, inventory, widget, bearer):
    """An order keeps the prices it was placed at; more units of an item whose price changed since
    would be bought at the old price, so they are for a new order."""
    order_id = place(alice, widget, 3)
    inventory.items[widget] = replace(inventory.items[widget], price_cents=500)  # repriced by the admin
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 9}, htmx=True)
    html = response.get_data(as_text=True)
    assert "The price of Widget changed since this order was placed" in html and 'aria-invalid="true"' in html
    api = app.test_client().patch(f"/orders/api/orders/{order_id}", json={"quantity": 9}, headers=bearer("alice"))
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "price_changed"
    order = fresh(app, order_id)
    assert (order.quantity, order.total_cents, order.version, order.hold_state) == (3, 150, 1, HELD)
    assert inventory.held() == {f"order-{order_id}": 3} and inventory.stock(widget) == 7
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 2})
    order = fresh(app, order_id)
    assert (order.quantity, order.total_cents) == (2, 100)  # still at the price it was placed at
    assert inventory.held() == {f"order-{order_id}": 2}


def test_an_invalid_quantity_is_refused_next_to_the_field(alice, widget):
    order_id = place(alice, widget, 3)
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": "-1"})
    assert response.status_code == 422
    assert "Enter a whole number of units" in response.get_data(as_text=True)


def test_an_edit_from_a_stale_page_is_refused(alice, widget):
    order_id = place(alice, widget, 3)
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 4, "version": 1})
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 6, "version": 1})
    assert response.status_code == 409 and "changed since you opened it" in response.get_data(as_text=True)


def test_an_edit_refused_as_stale_shows_the_order_as_it_is_and_can_then_be_saved(app, alice, inventory):
    """The refusal shows the order as another tab left it and keeps what was typed; saving that
    form again (the customer has now seen the order) is accepted, not refused again and again."""
    crate = inventory.add_item("Crate", 50, 100)
    for htmx, typed in ((True, 6), (False, 7)):
        order_id = place(alice, crate, 3)
        post_form(alice, f"/orders/{order_id}/edit", {"quantity": 4, "version": 1})  # another tab
        refused = post_form(alice, f"/orders/{order_id}/edit", {"quantity": typed, "version": 1}, htmx=htmx)
        html = refused.get_data(as_text=True)
        assert "changed since you opened it" in html and f'value="{typed}"' in html and "Keep 4" in html
        version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
        again = post_form(alice, f"/orders/{order_id}/edit", {"quantity": typed, "version": version})
        assert again.status_code == 303, again.get_data(as_text=True)
        assert fresh(app, order_id).quantity == typed


def test_edit_with_inventory_down_keeps_the_order_and_says_so(app, alice, inventory, widget):
    order_id = place(alice, widget, 3)
    inventory.fail("change_hold", "before")
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 5}, htmx=True)
    assert "the quantity was not changed" in response.get_data(as_text=True)
    order = fresh(app, order_id)
    assert (order.quantity, order.hold_state) == (3, HELD) and inventory.stock(widget) == 7


def test_edit_whose_answer_is_lost_takes_the_quantity_inventory_holds(app, alice, inventory, widget):
    order_id = place(alice, widget, 3)
    inventory.fail("change_hold", "after")  # applied at inventory, answer lost
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 5}, htmx=True)
    assert "Quantity changed to 5" in response.get_data(as_text=True)
    order = fresh(app, order_id)
    assert (order.quantity, order.total_cents, order.hold_state) == (5, 250, HELD)
    assert inventory.held() == {f"order-{order_id}": 5}


def test_edit_with_inventory_gone_entirely_is_settled_by_the_sweeper(app, alice, inventory, widget):
    from datetime import timedelta

    from orders_app.jobs import sweep
    from orders_app.models import ADJUSTING, utcnow

    order_id = place(alice, widget, 3)
    inventory.fail("change_hold", "after")
    inventory.fail("get_hold", "before")
    response = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 5}, htmx=True)
    assert "checked again with it shortly" in response.get_data(as_text=True)
    assert fresh(app, order_id).hold_state == ADJUSTING
    with app.app_context():
        assert sweep(now=utcnow() + timedelta(minutes=2)) == {"reconciled": 1}
    order = fresh(app, order_id)
    assert (order.quantity, order.total_cents, order.hold_state) == (5, 250, HELD)


def test_cancel_returns_all_units_and_records_who_did_it(app, alice, inventory, widget):
    order_id = place(alice, widget, 3)
    post_form(alice, f"/orders/{order_id}/edit", {"quantity": 5})
    response = post_form(alice, f"/orders/{order_id}/cancel", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Cancelled" in html
    assert 'id="cancel-order"' not in html and 'id="change-quantity"' not in html
    assert inventory.stock(widget) == 10 and inventory.held() == {}
    order = fresh(app, order_id)
    assert (order.status, order.hold_state, order.version) == ("Cancelled", RELEASED, 3)
    actions = [(e.action, e.actor) for e in order.events]
    assert actions == [
        ("placed", "alice"),
        ("quantity_changed", "alice"),
        ("cancelled", "alice"),
        ("stock_released", "inventory"),
    ]


def test_cancel_asks_for_confirmation_first(alice, widget):
    order_id = place(alice, widget, 1)
    html = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert f'hx-post="/orders/{order_id}/cancel"' in html and "hx-confirm=" in html
    page = alice.get(f"/orders/{order_id}/cancel")  # without JavaScript: a confirmation page
    assert page.status_code == 200 and "Yes, cancel the order" in page.get_data(as_text=True)


def test_a_cancelled_order_cannot_be_edited_or_cancelled_again(alice, inventory, widget):
    order_id = place(alice, widget, 2)
    post_form(alice, f"/orders/{order_id}/cancel")
    again = post_form(alice, f"/orders/{order_id}/cancel")
    assert again.status_code == 409 and "only pending orders" in again.get_data(as_text=True)
    edit = post_form(alice, f"/orders/{order_id}/edit", {"quantity": 1})
    assert edit.status_code == 409
    assert inventory.stock(widget) == 10


def test_cancel_with_inventory_down_still_cancels_and_the_sweeper_returns_the_stock(app, alice, inventory, widget):
    from orders_app.jobs import sweep

    order_id = place(alice, widget, 4)
    inventory.down = True
    response = post_form(alice, f"/orders/{order_id}/cancel")
    assert response.status_code == 303
    assert fresh(app, order_id).hold_state == RELEASING and inventory.stock(widget) == 6
    with app.app_context():
        assert sweep() == {"skipped": 1}
        inventory.down = False
        assert sweep() == {"released": 1}
    assert fresh(app, order_id).hold_state == RELEASED and inventory.stock(widget) == 10


def test_cancel_while_an_edit_talks_to_inventory_is_refused_and_nothing_is_corrupted(app, alice, inventory, widget):
    order_id = place(alice, widget, 3)
    seen = {}

    def cancel_meanwhile(method, args):
        if method == "change_hold":
            inventory.before_call = None
            try:
                cancel_order(db.session.get(Order, order_id), "bob")
            except OrderError as error:
                seen["error"] = error.message

    inventory.before_call = cancel_meanwhile
    with app.app_context():
        change_quantity(db.session.get(Order, order_id), 5, "alice")
    assert "being changed right now" in seen["error"]
    order = fresh(app, order_id)
    assert (order.status, order.quantity, order.total_cents, order.hold_state) == ("Pending", 5, 250, HELD)
    assert inventory.held() == {f"order-{order_id}": 5}


def test_an_edit_after_a_cancel_is_refused(app, alice, inventory, widget):
    order_id = place(alice, widget, 3)
    with app.app_context():
        cancel_order(db.session.get(Order, order_id), "alice")
        with pytest.raises(OrderError, match="only pending orders"):
            change_quantity(db.session.get(Order, order_id), 5, "alice")
    assert inventory.stock(widget) == 10 and inventory.held() == {}


def test_concurrent_edit_and_cancel_from_two_browsers_leave_a_consistent_order(app, users, inventory, widget):
    """Two threads: an edit blocked inside inventory while a cancel arrives, then the reverse order."""
    from tests.orders_app.helpers import logged_in

    tab1, tab2 = logged_in(app, users.records[1]), logged_in(app, users.records[1])
    order_id = place(tab1, widget, 3)
    in_inventory, let_go = threading.Event(), threading.Event()

    def block_edit(method, args):
        if method == "change_hold":
            in_inventory.set()
            let_go.wait(5)

    inventory.before_call = block_edit
    results = {}
    edit = threading.Thread(
        target=lambda: results.setdefault("edit", post_form(tab1, f"/orders/{order_id}/edit", {"quantity": 6}))
    )
    edit.start()
    assert in_inventory.wait(5)
    inventory.before_call = None
    results["cancel"] = post_form(tab2, f"/orders/{order_id}/cancel")
    let_go.set()
    edit.join(5)
    assert results["cancel"].status_code == 409
    assert results["edit"].status_code == 303
    order = fresh(app, order_id)
    assert (order.status, order.quantity, order.total_cents) == ("Pending", 6, 300)
    assert inventory.held() == {f"order-{order_id}": 6} and inventory.stock(widget) == 4
    # now the cancel goes through, and the stock comes back whole
    assert post_form(tab2, f"/orders/{order_id}/cancel").status_code == 303
    assert inventory.stock(widget) == 10


def test_only_the_customer_edits_but_an_admin_may_cancel(app, alice, boss, inventory, widget):
    order_id = place(alice, widget, 2)
    assert post_form(boss, f"/orders/{order_id}/edit", {"quantity": 3}).status_code == 403
    response = post_form(boss, f"/orders/{order_id}/cancel")
    assert response.status_code == 303
    order = fresh(app, order_id)
    assert order.status == "Cancelled" and order.events[-2].actor == "boss (admin)"


@pytest.mark.parametrize("htmx", [True, False])
def test_change_quantity_from_a_stale_page_says_the_order_can_no_longer_change(app, alice, widget, htmx):
    """The order was cancelled in another tab: "Change quantity" on the page still showing it Pending
    swapped in the cancelled order with no form and no word why; the click seemed to do nothing."""
    order_id = place(alice, widget, 2)
    assert post_form(alice, f"/orders/{order_id}/cancel").status_code in (200, 303)
    response = alice.get(f"/orders/{order_id}/edit", headers=HX if htmx else {})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and ("<html" in html) is not htmx
    assert re.search(r'role="alert" id="order-error">This order is cancelled; only pending orders can be changed', html)
    assert 'name="quantity"' not in html

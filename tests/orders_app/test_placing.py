"""Ordering an item: the quote, the order form, and the saga of DESIGN step 1 with its failures."""

import re
import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from orders_app.extensions import db
from orders_app.models import HELD, REQUESTING, IdempotencyKey, Order
from tests.helpers import csrf_from
from tests.orders_app.helpers import half_placed, logged_in, place, post_form


def order_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def get_order(app, order_id) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.expunge_all()
        return order


def test_quote_is_unit_price_times_quantity_exact_to_the_cent(client_anonymous, widget):
    response = client_anonymous.get(f"/orders/quote?inventory_id={widget}&quantity=3", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "order-total" not in html  # the inner text of #order-total
    assert "3 × $0.50 = <strong>$1.50</strong>" in html


@pytest.mark.parametrize(
    ("setup", "quantity", "message"),
    [
        ("plain", "11", "only 10 left"),
        ("archived", "1", "this item is no longer sold"),
        ("down", "1", "the inventory service is not answering"),
        ("plain", "0", "Enter a whole number of units from 1 to 1000."),
        ("plain", "abc", "Enter a whole number of units from 1 to 1000."),
    ],
)
def test_quote_says_what_is_wrong_in_plain_words(client_anonymous, inventory, setup, quantity, message):
    item = inventory.add_item("Old lamp", 1999, 10, archived=setup == "archived")
    inventory.down = setup == "down"
    response = client_anonymous.get(f"/orders/quote?inventory_id={item}&quantity={quantity}")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_order_form_shows_the_item_and_total(alice, widget):
    html = alice.get(f"/orders/new?inventory_id={widget}&quantity=2").get_data(as_text=True)
    assert "Order Widget" in html and "$0.50" in html and "10 in stock" in html
    assert "2 × $0.50 = <strong>$1.00</strong>" in html
    assert 'hx-get="/orders/quote"' in html and 'hx-target="#order-total"' in html


def test_order_form_needs_a_login(client_anonymous, widget):
    response = client_anonymous.get(f"/orders/new?inventory_id={widget}")
    assert response.status_code == 302 and "/users/login?next=" in response.headers["Location"]


def test_ordering_three_at_fifty_cents_holds_three_and_costs_a_dollar_fifty(app, alice, inventory, widget):
    order_id = place(alice, widget, 3)
    order = get_order(app, order_id)
    assert (order.status, order.hold_state, order.quantity, order.total_cents) == ("Pending", HELD, 3, 150)
    assert (order.item_name, order.unit_price_cents, order.currency, order.user_login) == ("Widget", 50, "usd", "alice")
    assert inventory.held() == {f"order-{order_id}": 3}
    assert inventory.stock(widget) == 7
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "$1.50" in page and "Pending" in page and "Order placed" in page


def test_the_hold_lasts_the_payment_window_plus_five_minutes(app, alice, inventory, widget):
    order = get_order(app, place(alice, widget, 1))
    assert (order.pay_by - order.created_at).total_seconds() == 30 * 60
    assert (order.hold_expires_at - order.created_at).total_seconds() == 35 * 60
    assert inventory.holds[order.key].expires_at.endswith("Z")


def test_ordering_more_than_in_stock_says_how_many_are_left_and_creates_nothing(app, alice, inventory, widget):
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 11})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "only 10 left" in html and 'aria-invalid="true"' in html
    assert order_count(app) == 0 and inventory.held() == {} and inventory.stock(widget) == 10


@pytest.mark.parametrize(
    ("price", "refused", "enough", "message", "code"),
    [
        # Stripe never charges less than $0.50
        (
            10,
            3,
            5,
            "A card payment must be at least $0.50: order at least 5 of this item, "
            "or add it to your cart with other items.",
            "amount_too_small",
        ),
        # nor more than eight digits, $999,999.99 (every Pay was "Stripe refused to open a payment page")
        (
            60_000_000,
            2,
            1,
            "A card payment can be of at most $999,999.99: order fewer items, in several orders.",
            "amount_too_large",
        ),
    ],
    ids=["under-the-minimum", "over-the-maximum"],
)
def test_an_order_stripe_cannot_charge_is_refused_before_anything_is_held(
    app, alice, inventory, bearer, client_anonymous, price, refused, enough, message, code
):
    """Such an order could never be paid, only hold stock."""
    item = inventory.add_item("Sticker or piano", price, 100)
    quote_url = f"/orders/quote?inventory_id={item}&quantity={refused}"
    quote = client_anonymous.get(quote_url, headers={"HX-Request": "true"})
    assert message.removesuffix(".") in quote.get_data(as_text=True)
    response = post_form(alice, "/orders/", {"inventory_id": item, "quantity": refused})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'aria-invalid="true"' in html
    assert message in html
    halves = [refused // 2, refused - refused // 2]
    lines = {"lines": [{"inventory_id": item, "quantity": half} for half in halves]}
    api = client_anonymous.post("/orders/api/orders", json=lines, headers=bearer("alice"))
    assert api.status_code == 422 and api.get_json()["error"]["code"] == code
    assert order_count(app) == 0 and inventory.held() == {} and inventory.stock(item) == 100
    assert post_form(alice, "/orders/", {"inventory_id": item, "quantity": enough}).status_code == 303


def test_a_free_item_alone_is_refused_on_every_path_saying_so_and_nothing_is_written(
    app, alice, inventory, bearer, client_anonymous
):
    """A free item can't be paid through Stripe Checkout on its own: its order page offers the cart, not a form
    checkout would refuse; the quote, the form's post and the API (with an Idempotency-Key) say why; no
    order, no key, nothing held."""
    free = inventory.add_item("Free sample", 0, 100)
    message = (
        "This item is free, but a card payment must be at least $0.50, so it cannot be ordered on its own: "
        "add it to your cart with other items."
    )
    page = alice.get(f"/orders/new?inventory_id={free}").get_data(as_text=True)
    assert message in page and 'class="inline-form add-to-cart"' in page and "Place order" not in page
    quote = client_anonymous.get(f"/orders/quote?inventory_id={free}&quantity=7", headers={"HX-Request": "true"})
    assert message in quote.get_data(as_text=True)
    posted = post_form(alice, "/orders/", {"inventory_id": free, "quantity": 3, "price_cents": 0})
    assert posted.status_code == 422 and message in posted.get_data(as_text=True)
    auth = {**bearer("alice"), "Idempotency-Key": "free-sample-1"}
    api = client_anonymous.post("/orders/api/orders", json={"inventory_id": free, "quantity": 3}, headers=auth)
    assert api.status_code == 422
    assert api.get_json() == {
        "error": {
            "code": "amount_too_small",
            "message": message,
            "field": "quantity",
            "minimum": "0.50",
            "missing": "0.50",
        }
    }
    portuguese = client_anonymous.post(
        "/orders/api/orders", json={"inventory_id": free, "quantity": 3}, headers={**auth, "Accept-Language": "pt-BR"}
    )
    assert "Este item é grátis" in portuguese.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert order_count(app) == 0 and inventory.held() == {} and inventory.stock(free) == 100


def test_the_api_says_the_minimum_and_what_is_missing_for_an_order_of_several_lines(
    app, inventory, bearer, client_anonymous
):
    dime, free = inventory.add_item("Dime sticker", 10, 100), inventory.add_item("Free sample", 0, 100)
    body = {"lines": [{"inventory_id": dime, "quantity": 2}, {"inventory_id": free, "quantity": 1}]}
    api = client_anonymous.post("/orders/api/orders", json=body, headers=bearer("alice"))
    error = api.get_json()["error"]
    assert api.status_code == 422 and error["code"] == "amount_too_small" and error["field"] == "lines"
    assert (error["minimum"], error["missing"]) == ("0.50", "0.30")
    assert error["message"] == "Card payments need a total of at least $0.50: add $0.30 more."
    assert order_count(app) == 0 and inventory.held() == {}
    body["lines"][0]["quantity"] = 5  # a free item goes with others that reach the minimum
    placed = client_anonymous.post("/orders/api/orders", json=body, headers=bearer("alice"))
    assert placed.status_code == 201 and placed.get_json()["total_price"] == "0.50"


def test_the_order_page_of_an_item_under_the_minimum_starts_at_enough_and_says_why(alice, inventory):
    sticker = inventory.add_item("Sticker", 30, 100)
    page = alice.get(f"/orders/new?inventory_id={sticker}").get_data(as_text=True)
    assert "order at least 2 of this item, or add it to your cart with other items." in page
    assert 'name="quantity" value="2" min="2"' in page and "2 × $0.30 = <strong>$0.60</strong>" in page
    assert post_form(alice, "/orders/", {"inventory_id": sticker, "quantity": 2}).status_code == 303


def test_a_customer_holds_at_most_the_limit_of_pending_orders(app, alice, bob, inventory, widget, bearer):
    """SHOP_MAX_PENDING_ORDERS: nobody keeps everyone else's stock by ordering without paying."""
    app.config["SHOP_MAX_PENDING_ORDERS"] = 2
    first, _second = place(alice, widget, 1), place(alice, widget, 1)
    refused = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 1})
    assert refused.status_code == 409
    assert "You have 2 pending orders: pay or cancel one before placing another." in refused.get_data(as_text=True)
    api = app.test_client().post(
        "/orders/api/orders", json={"inventory_id": widget, "quantity": 1}, headers=bearer("alice")
    )
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "too_many_pending"
    assert order_count(app) == 2 and inventory.stock(widget) == 8
    place(bob, widget, 1)  # a limit per customer
    post_form(alice, f"/orders/{first}/cancel")
    place(alice, widget, 1)  # a cancelled order no longer counts


def test_placing_at_once_cannot_pass_the_limit_of_pending_orders(app, users, inventory, widget):
    app.config["SHOP_MAX_PENDING_ORDERS"] = 1
    clients = [logged_in(app, users.records[1]) for _ in range(4)]
    tokens = [csrf_from(client, "/orders/") for client in clients]
    answers = []

    def order(client, token):
        answers.append(
            client.post("/orders/", data={"inventory_id": widget, "quantity": 1, "csrf_token": token}).status_code
        )

    threads = [threading.Thread(target=order, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [303, 409, 409, 409]
    assert order_count(app) == 1 and inventory.stock(widget) == 9


def test_losing_the_race_for_the_last_units_deletes_the_order(app, alice, inventory, widget):
    def someone_else_buys(method, args):
        if method == "hold":
            inventory.before_call = None
            inventory.hold("order-other", {widget: 9}, __import__("datetime").datetime(2030, 1, 1))

    inventory.before_call = someone_else_buys
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 3})
    assert response.status_code == 409 and "only 1 left" in response.get_data(as_text=True)
    assert order_count(app) == 0 and inventory.held() == {"order-other": 9}


def test_an_order_form_showing_an_old_price_places_nothing_and_shows_todays(app, alice, inventory, widget):
    page = alice.get(f"/orders/new?inventory_id={widget}").get_data(as_text=True)
    assert 'name="price_cents" value="50"' in page
    inventory.items[widget] = replace(inventory.items[widget], price_cents=150)  # repriced by the admin meanwhile
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 2, "price_cents": 50})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "The price changed since this page showed it (now Widget $1.50)" in page
    assert order_count(app) == 0 and inventory.held() == {}
    assert 'name="price_cents" value="150"' in page and "$3.00" in page  # shown again at today's price
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 2, "price_cents": 150})
    assert response.status_code == 303 and order_count(app) == 1


def test_an_archived_item_is_no_longer_sold(app, alice, inventory):
    lamp = inventory.add_item("Old lamp", 1999, 10, archived=True)
    response = post_form(alice, "/orders/", {"inventory_id": lamp, "quantity": 1})
    assert response.status_code == 410 and "this item is no longer sold" in response.get_data(as_text=True)
    assert order_count(app) == 0


def test_inventory_down_fails_cleanly_and_reserves_nothing(app, alice, inventory, widget):
    inventory.down = True
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 2})
    assert response.status_code == 503
    assert "the inventory service is not answering; nothing was reserved" in response.get_data(as_text=True)
    assert order_count(app) == 0


@pytest.mark.parametrize("mode", ["before", "after"])
def test_a_hold_whose_answer_is_lost_is_released_and_the_order_deleted(app, alice, inventory, widget, mode):
    """ "after": inventory held the stock, then timed out or answered 500 — the hold is given back."""
    inventory.fail("hold", mode)
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 4})
    assert response.status_code == 503 and "nothing was reserved" in response.get_data(as_text=True)
    assert order_count(app) == 0
    assert inventory.held() == {} and inventory.stock(widget) == 10


def test_when_the_release_fails_too_the_sweeper_releases_and_deletes(app, alice, inventory, widget):
    inventory.fail("hold", "after")
    inventory.fail("release", "before")
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 4})
    assert response.status_code == 503
    assert inventory.stock(widget) == 6  # held, answer lost, release failed: not yet back
    assert not re.search(r'id="order-\d+"', alice.get("/orders/").get_data(as_text=True))  # hidden from the customer
    with app.app_context():
        from orders_app.jobs import sweep

        assert sweep() == {"deleted": 1}
    assert order_count(app) == 0 and inventory.stock(widget) == 10


def test_a_crash_between_hold_and_order_write_is_finished_by_the_sweeper(app, alice, inventory, widget):
    from datetime import timedelta

    from orders_app.errors import InjectedFault
    from orders_app.jobs import sweep
    from orders_app.models import utcnow

    app.config["ORDERS_FAULT_AFTER_HOLD"] = "raise"
    with pytest.raises(InjectedFault):
        post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 2})
    app.config["ORDERS_FAULT_AFTER_HOLD"] = None
    with app.app_context():
        (order,) = db.session.scalars(select(Order)).all()
        assert order.hold_state == REQUESTING
        assert sweep() == {}  # younger than a minute: a request may still be working on it
        assert sweep(now=utcnow() + timedelta(minutes=2)) == {"placed": 1}
        order_id = order.id
    assert get_order(app, order_id).hold_state == HELD
    assert inventory.held() == {f"order-{order_id}": 2}
    assert f"#{order_id}" in alice.get("/orders/").get_data(as_text=True)


def test_the_fault_hook_is_ignored_outside_tests(app, alice, widget):
    app.config.update(ORDERS_FAULT_AFTER_HOLD="raise", SHOP_ENV="production")
    place(alice, widget, 1)


def test_a_requesting_order_without_a_hold_is_deleted_by_the_sweeper(app, alice, inventory, widget):
    from datetime import timedelta

    from orders_app.jobs import sweep
    from orders_app.models import utcnow

    inventory.down = True
    app.config["ORDERS_FAULT_AFTER_HOLD"] = None
    half_placed(app, widget, hold_minutes=35)
    with app.app_context():
        later = utcnow() + timedelta(minutes=2)
        assert sweep(now=later) == {"skipped": 1}  # inventory down: try again next time
        inventory.down = False
        assert sweep(now=later) == {"deleted": 1}
    assert order_count(app) == 0 and inventory.stock(widget) == 10


def test_order_ids_are_never_reused_after_a_failed_order(app, alice, inventory, widget):
    first = place(alice, widget, 1)
    inventory.fail("hold", "before")
    assert post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 1}).status_code == 503
    # the failed order's row was the last one; its id is not handed out again
    assert place(alice, widget, 1) == first + 2


def test_a_hold_left_under_the_same_key_by_another_order_is_not_taken_over(app, alice, inventory, widget):
    from datetime import datetime

    inventory.hold("order-1", {widget: 5}, datetime(2030, 1, 1))  # from an orders database since reset
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 2})
    assert response.status_code == 503
    assert order_count(app) == 0 and inventory.held() == {"order-1": 5}


def test_a_sweeper_that_places_the_order_first_wins_and_the_customer_sees_it_placed(app, alice, inventory, widget):
    """The hold's answer is lost; before the request gives up, a sweeper finds the hold and places it."""
    from datetime import timedelta

    from orders_app.jobs import sweep
    from orders_app.models import utcnow

    def sweeper_runs(method, args):
        if method == "hold":
            inventory.after_call = None
            assert sweep(now=utcnow() + timedelta(minutes=2)) == {"placed": 1}

    inventory.fail("hold", "after")
    inventory.after_call = sweeper_runs
    order_id = place(alice, widget, 3)
    assert get_order(app, order_id).hold_state == HELD
    assert inventory.held() == {f"order-{order_id}": 3}


def test_a_sweeper_that_gives_up_first_wins_and_the_late_hold_is_released(app, alice, inventory, widget):
    """The sweeper finds no hold yet and deletes the row; the hold that lands after is given back."""
    from datetime import timedelta

    from orders_app.jobs import sweep
    from orders_app.models import utcnow

    def sweeper_runs(method, args):
        if method == "hold":
            inventory.before_call = None
            assert sweep(now=utcnow() + timedelta(minutes=2)) == {"deleted": 1}

    inventory.before_call = sweeper_runs
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 3})
    assert response.status_code == 503
    assert order_count(app) == 0 and inventory.held() == {} and inventory.stock(widget) == 10


@pytest.mark.parametrize("lines", [{"inventory_id": 0, "quantity": 2}, {"lines": [[0, 2], [1, 1]]}])
def test_placing_answers_the_order_as_stored_with_its_history(app, inventory, bearer, client_anonymous, lines):
    widget = inventory.add_item("Widget", 50, 10)
    gadget = inventory.add_item("Gadget", 75, 10)
    ids = [widget, gadget]
    if "lines" in lines:
        lines = {"lines": [{"inventory_id": ids[index], "quantity": quantity} for index, quantity in lines["lines"]]}
    else:
        lines = {"inventory_id": ids[lines["inventory_id"]], "quantity": lines["quantity"]}
    placed = client_anonymous.post("/orders/api/orders", json=lines, headers=bearer("alice"))
    assert placed.status_code == 201
    answer = placed.get_json()
    assert client_anonymous.get(f"/orders/api/orders/{answer['id']}", headers=bearer("alice")).get_json() == answer
    order = get_order(app, answer["id"])
    assert (order.hold_state, order.version, order.needs_attention, order.checkout_state) == (HELD, 1, False, None)
    assert [(line.position, line.line_total_cents) for line in order.lines] == [
        (n, line["quantity"] * {"0.50": 50, "0.75": 75}[line["unit_price"]])
        for n, line in enumerate(answer["lines"], 1)
    ]
    with app.app_context():
        events = db.session.get(Order, answer["id"]).events
        expected = "2 × Widget" if "lines" not in lines else "2 × Widget, 1 × Gadget"
        assert [(e.actor, e.action, e.from_value, e.to_value, e.note) for e in events] == [
            ("alice", "placed", None, "Pending", f"{expected}; stock held")
        ]


def test_the_sweeper_that_finishes_placing_records_the_lines_in_the_history(app, inventory, bearer, client_anonymous):
    from datetime import timedelta

    from orders_app.errors import InjectedFault
    from orders_app.jobs import sweep
    from orders_app.models import utcnow

    widget, gadget = inventory.add_item("Widget", 50, 10), inventory.add_item("Gadget", 75, 10)
    app.config["ORDERS_FAULT_AFTER_HOLD"] = "raise"
    with pytest.raises(InjectedFault):
        lines = [{"inventory_id": widget, "quantity": 2}, {"inventory_id": gadget, "quantity": 1}]
        client_anonymous.post("/orders/api/orders", json={"lines": lines}, headers=bearer("alice"))
    app.config["ORDERS_FAULT_AFTER_HOLD"] = None
    with app.app_context():
        assert sweep(now=utcnow() + timedelta(minutes=2)) == {"placed": 1}
        (order,) = db.session.scalars(select(Order)).all()
        assert order.hold_state == HELD
        assert [(e.actor, e.action, e.to_value, e.note) for e in order.events] == [
            ("sweeper", "placed", "Pending", "2 × Widget, 1 × Gadget; stock held (the sweeper finished placing it)")
        ]


# ----- items read a moment ago (placing.RecentItems): the hold checks their prices ---------------


@pytest.fixture
def recent(app):
    """Orders name the items read for an order in the last minute (production keeps 5 seconds)."""
    app.config["ORDERS_RECENT_ITEMS_SECONDS"] = 60


def test_an_order_soon_after_another_reads_no_item_and_the_hold_carries_its_prices(
    app, alice, inventory, widget, recent
):
    quoted = []
    inventory.before_call = lambda method, args: quoted.append(args[2]) if method == "hold" else None
    first, second = place(alice, widget, 1), place(alice, widget, 2)
    assert inventory.calls.count("items_by_id") == 1 and inventory.calls.count("hold") == 2
    assert quoted == [{widget: 50}, {widget: 50}]
    assert inventory.held() == {f"order-{first}": 1, f"order-{second}": 2}


def test_a_price_changed_since_the_items_were_read_is_the_price_the_order_is_placed_at(
    app, alice, inventory, widget, recent
):
    from dataclasses import replace

    place(alice, widget, 1)  # reads the Widget at $0.50
    inventory.items[widget] = replace(inventory.items[widget], price_cents=80, name="Widget, new")
    order_id = place(alice, widget, 2)
    order = get_order(app, order_id)
    assert (order.item_name, order.unit_price_cents, order.total_cents) == ("Widget, new", 80, 160)
    assert inventory.stock(widget) == 7 and inventory.held()[f"order-{order_id}"] == 2
    assert order_count(app) == 2  # the refused first try left no row behind
    assert inventory.calls.count("items_by_id") == 2


def test_an_item_archived_since_it_was_read_is_no_longer_sold(app, alice, inventory, widget, recent):
    from dataclasses import replace

    place(alice, widget, 1)
    inventory.items[widget] = replace(inventory.items[widget], archived=True)
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 1})
    assert response.status_code == 410 and "this item is no longer sold" in response.get_data(as_text=True)
    assert order_count(app) == 1 and inventory.stock(widget) == 9


def test_a_copy_that_says_too_few_are_left_is_read_again(app, alice, inventory, widget, recent):
    from dataclasses import replace

    place(alice, widget, 1)  # the copy says 10 (it was read before the hold took one)
    inventory.items[widget] = replace(inventory.items[widget], quantity=40)  # restocked
    order_id = place(alice, widget, 20)  # more than the copy's 10: read again, not refused
    assert inventory.held()[f"order-{order_id}"] == 20 and inventory.stock(widget) == 20


def test_a_price_that_changes_again_before_the_second_hold_refuses_the_order_and_holds_nothing(
    app, alice, inventory, widget, recent
):
    from dataclasses import replace

    def raise_the_price(method, args):
        if method == "hold":
            inventory.items[widget] = replace(
                inventory.items[widget], price_cents=inventory.items[widget].price_cents + 5
            )

    inventory.before_call = raise_the_price
    response = post_form(alice, "/orders/", {"inventory_id": widget, "quantity": 1})
    assert response.status_code == 409
    assert "A price changed while the order was being placed" in response.get_data(as_text=True)
    assert inventory.calls.count("hold") == 2 and inventory.held() == {} and inventory.stock(widget) == 10
    assert order_count(app) == 0

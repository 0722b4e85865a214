"""The cart: a visitor's cart in the session joins the account's at login; lines show today's price
and stock; checkout places one order of every line (all or none) and goes to Stripe in one click."""

import re
import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from orders_app import cart
from orders_app.extensions import db
from orders_app.models import CartLine, Order
from tests.helpers import csrf_from, log_in
from tests.orders_app.helpers import logged_in


@pytest.fixture
def shelf(inventory) -> dict[str, int]:
    return {
        "mug": inventory.add_item("Mug", 850, 10),
        "lamp": inventory.add_item("Lamp", 2500, 3),
        "pen": inventory.add_item("Pen", 120, 50),
    }


def same_origin(app) -> dict:
    return {"Origin": app.config["SHOP_PUBLIC_URL"]}


def add(app, client, item_id, quantity=1, **headers):
    data = {"inventory_id": item_id, "quantity": quantity}
    return client.post("/orders/cart/lines", data=data, headers={**same_origin(app), **headers})


def form(client, path, data=None):
    data = {**(data or {}), "csrf_token": csrf_from(client, "/orders/cart/")}
    return client.post(path, data=data)


def cart_rows(app, user_id: int) -> dict[int, int]:
    with app.app_context():
        rows = db.session.scalars(select(CartLine).where(CartLine.user_id == user_id))
        return {row.inventory_id: row.quantity for row in rows}


def test_a_visitor_fills_a_cart_and_it_joins_the_account_at_login(app, client_anonymous, shelf, users):
    visitor = client_anonymous
    assert add(app, visitor, shelf["mug"], 2).status_code == 303
    assert add(app, visitor, shelf["lamp"]).status_code == 303
    page = visitor.get("/orders/cart/").get_data(as_text=True)
    assert "Mug" in page and "Lamp" in page and "$42.00" in page  # 2 x 8.50 + 25.00
    assert "Log in to check out" in page
    assert visitor.get("/orders/cart/count").get_data(as_text=True).strip().endswith("(3)</span>")

    log_in(visitor, users.records[1])  # users_app keeps the session's cart across the login
    assert "Mug" in visitor.get("/orders/cart/").get_data(as_text=True)
    assert cart_rows(app, 1) == {shelf["mug"]: 2, shelf["lamp"]: 1}


def test_a_visitor_cart_carried_by_several_requests_at_once_joins_as_once(app, client_anonymous, alice, shelf, users):
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 1})  # the account's cart
    add(app, client_anonymous, shelf["mug"], 2)
    add(app, client_anonymous, shelf["lamp"])
    log_in(client_anonymous, users.records[1])
    name = app.config["SESSION_COOKIE_NAME"]
    carried = client_anonymous.get_cookie(name).value
    for _ in range(3):  # requests sent right after login, before any answer's cookie drops the cart
        client_anonymous.set_cookie(name, carried)
        assert client_anonymous.get("/orders/cart/count").status_code == 200
    assert cart_rows(app, 1) == {shelf["mug"]: 2, shelf["lamp"]: 1}  # a line in both: the larger quantity


def test_nothing_joins_the_cart_of_an_account_whose_erasure_began(app, client_anonymous, alice, shelf, users):
    """Its login still passes here for a few seconds after the erasure deleted its cart (the user record is
    cached): a line added then would stay behind under the erased account, never shown, never deleted."""
    add(app, client_anonymous, shelf["pen"])
    log_in(client_anonymous, users.records[1])  # the visitor's cart rides in the session until its next request
    headers = {"X-Service-Token": app.config["SHOP_SERVICE_TOKEN"]}
    assert app.test_client().post("/orders/internal/users/1/erase", headers=headers).status_code == 200

    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 1})
    assert "This account has been deleted." in alice.get("/orders/cart/").get_data(as_text=True)
    assert client_anonymous.get("/orders/cart/count").status_code == 200
    assert cart_rows(app, 1) == {}


def test_a_visitor_post_from_another_site_changes_nothing(app, client_anonymous, shelf):
    response = add(app, client_anonymous, shelf["mug"], Origin="https://evil.example")
    assert response.status_code == 400
    no_origin = client_anonymous.post("/orders/cart/lines", data={"inventory_id": shelf["mug"]})
    assert no_origin.status_code == 400
    assert "Your cart is empty." in client_anonymous.get("/orders/cart/").get_data(as_text=True)


def test_a_logged_in_customer_needs_the_csrf_token_except_to_add_from_the_shops_pages(app, alice, shelf):
    # "Add to cart" sits in shared catalog rows (no token): the browser's Origin says it is the shop's
    assert add(app, alice, shelf["mug"]).status_code == 303
    assert add(app, alice, shelf["mug"], Origin="https://evil.example").status_code == 400
    assert alice.post("/orders/cart/lines", data={"inventory_id": shelf["mug"]}).status_code == 400  # no word
    assert cart_rows(app, 1) == {shelf["mug"]: 1}
    with_token = form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    assert with_token.status_code == 303
    assert cart_rows(app, 1) == {shelf["mug"]: 3}
    # everything else a customer does to the cart carries the token, same origin or not
    change = alice.post(f"/orders/cart/lines/{shelf['mug']}", data={"quantity": 9}, headers=same_origin(app))
    checkout = alice.post("/orders/cart/checkout", headers=same_origin(app))
    assert change.status_code == checkout.status_code == 400 and cart_rows(app, 1) == {shelf["mug"]: 3}


def test_quantity_changes_and_remove_and_bad_input(app, alice, shelf):
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 1})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["pen"], "quantity": 1})
    assert form(alice, f"/orders/cart/lines/{shelf['mug']}", {"quantity": "4"}).status_code == 303
    bad = form(alice, f"/orders/cart/lines/{shelf['mug']}", {"quantity": "²"})
    assert bad.status_code == 422 and "Enter a whole number of units from 0 to 1000." in bad.get_data(as_text=True)
    assert form(alice, f"/orders/cart/lines/{shelf['pen']}/remove").status_code == 303
    assert cart_rows(app, 1) == {shelf["mug"]: 4}
    assert form(alice, f"/orders/cart/lines/{shelf['mug']}", {"quantity": "0"}).status_code == 303
    assert cart_rows(app, 1) == {}


def htmx_form(client, path, data=None):
    token = csrf_from(client, "/orders/cart/")
    return client.post(path, data=data or {}, headers={"HX-Request": "true", "X-CSRFToken": token})


def nav_count(html: str) -> str:
    """The navigation's "Cart (n)" an htmx answer swaps in out of band ("" when it swaps none)."""
    match = re.search(r'<span id="nav-cart-label" hx-swap-oob="true">(.*?)</span>\s*$', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split()) if match else ""


def test_changing_or_removing_a_line_in_place_updates_the_navigations_count(app, alice, shelf):
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 3})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["pen"], "quantity": 2})
    changed = htmx_form(alice, f"/orders/cart/lines/{shelf['mug']}", {"quantity": "1"}).get_data(as_text=True)
    assert 'id="cart"' in changed and "<html" not in changed
    assert nav_count(changed) == "Cart (3)"
    removed = htmx_form(alice, f"/orders/cart/lines/{shelf['pen']}/remove").get_data(as_text=True)
    assert nav_count(removed) == "Cart (1)"
    emptied = htmx_form(alice, f"/orders/cart/lines/{shelf['mug']}/remove").get_data(as_text=True)
    assert "Your cart is empty." in emptied and nav_count(emptied) == "Cart"
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert 'hx-swap-oob="true"' not in page  # a whole page has its one navigation


def test_a_line_gone_from_the_cart_in_another_tab_shows_the_cart_as_it_is_now(app, users, shelf):
    """One tab changes or removes a line another tab removed (or checked out): the cart as it is now
    is swapped in with a word why, not the site's generic "nothing here" over the old lines."""
    tabs = [logged_in(app, users.records[1]) for _ in range(2)]
    form(tabs[0], "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    form(tabs[0], "/orders/cart/lines", {"inventory_id": shelf["pen"], "quantity": 1})
    assert form(tabs[1], f"/orders/cart/lines/{shelf['mug']}/remove").status_code == 303
    for path, data in (
        (f"/orders/cart/lines/{shelf['mug']}", {"quantity": "3"}),
        (f"/orders/cart/lines/{shelf['mug']}/remove", {}),
    ):
        swapped = htmx_form(tabs[0], path, data)
        html = swapped.get_data(as_text=True)
        assert swapped.status_code == 200 and 'id="cart"' in html and "<html" not in html
        assert "This item is not in your cart." in html and f'id="cart-line-{shelf["mug"]}"' not in html
        assert f'id="cart-line-{shelf["pen"]}"' in html
        page = form(tabs[0], path, data)
        assert page.status_code == 404 and "This item is not in your cart." in page.get_data(as_text=True)
    assert cart_rows(app, 1) == {shelf["pen"]: 1}


def test_a_refused_quantity_stays_in_its_field_beside_the_message(app, alice, shelf):
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["pen"], "quantity": 1})
    for answer in (
        htmx_form(alice, f"/orders/cart/lines/{shelf['mug']}", {"quantity": "1500"}),
        form(alice, f"/orders/cart/lines/{shelf['mug']}", {"quantity": "1500"}),
    ):
        html = answer.get_data(as_text=True)
        assert "Enter a whole number of units from 0 to 1000." in html
        mug = re.search(rf'<input[^>]*id="cart-quantity-{shelf["mug"]}"[^>]*>', html).group(0)
        assert 'value="1500"' in mug and 'aria-invalid="true"' in mug
        pen = re.search(rf'<input[^>]*id="cart-quantity-{shelf["pen"]}"[^>]*>', html).group(0)
        assert 'value="1"' in pen and "aria-invalid" not in pen
    assert cart_rows(app, 1) == {shelf["mug"]: 2, shelf["pen"]: 1}


def test_the_cart_shows_price_changes_stock_left_and_items_no_longer_sold(app, alice, shelf, inventory):
    for item in shelf.values():
        form(alice, "/orders/cart/lines", {"inventory_id": item, "quantity": 2})
    inventory.items[shelf["mug"]] = replace(inventory.items[shelf["mug"]], price_cents=900)
    inventory.items[shelf["pen"]] = replace(inventory.items[shelf["pen"]], archived=True)
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert "Was $8.50 when you added it." in page
    assert "Only 3 left." in page  # the lamp
    assert "No longer sold." in page


def test_checkout_places_one_order_of_every_line_and_empties_the_cart(app, alice, shelf, inventory, stripe_fake):
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["lamp"], "quantity": 1})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["pen"], "quantity": 3})
    response = form(alice, "/orders/cart/checkout")
    assert response.status_code == 303
    assert response.headers["Location"] == next(iter(stripe_fake.sessions.values()))["url"]
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert order.total_cents == 2 * 850 + 2500 + 3 * 120
        assert {line.inventory_id: line.quantity for line in order.lines} == {
            shelf["mug"]: 2,
            shelf["lamp"]: 1,
            shelf["pen"]: 3,
        }
    assert cart_rows(app, 1) == {}
    assert inventory.stock(shelf["mug"]) == 8 and inventory.stock(shelf["lamp"]) == 2


def test_a_short_line_checks_out_nothing_and_says_which(app, alice, shelf, inventory, stripe_fake):
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["lamp"], "quantity": 5})
    response = form(alice, "/orders/cart/checkout")
    assert response.status_code == 409
    assert "Only 3 left." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert cart_rows(app, 1) == {shelf["mug"]: 2, shelf["lamp"]: 5}
    assert inventory.stock(shelf["mug"]) == 10 and not stripe_fake.sessions


@pytest.mark.parametrize(("quantity", "stock", "said"), [(5, 3, "Lamp: only 3 left"), (1, 0, "Lamp: sold out")])
def test_a_lone_short_line_is_named_at_checkout(app, alice, shelf, inventory, stripe_fake, quantity, stock, said):
    """The cart's message stands above every line, so it names the item as with several lines: not
    the item page's "only 0 left: this item is sold out", which says neither which item nor begins a
    sentence."""
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["lamp"], "quantity": quantity})
    inventory.items[shelf["lamp"]] = replace(inventory.items[shelf["lamp"]], quantity=stock)
    response = form(alice, "/orders/cart/checkout")
    assert response.status_code == 409
    assert re.search(r'id="cart-error">\s*' + re.escape(said), response.get_data(as_text=True))
    assert cart_rows(app, 1) == {shelf["lamp"]: quantity} and not stripe_fake.sessions


def test_a_cart_asks_no_more_than_one_order_may_have(app, alice, shelf, inventory, client_anonymous, users):
    """At most ORDERS_MAX_QUANTITY units a line and ORDERS_MAX_LINES lines, as checkout would refuse more."""
    app.config["ORDERS_MAX_LINES"] = 2
    too_many = form(alice, "/orders/cart/lines", {"inventory_id": shelf["pen"], "quantity": 1001})
    assert too_many.status_code == 303 and cart_rows(app, 1) == {}  # told on the cart page
    assert "Enter a whole number of units from 1 to 1000." in alice.get("/orders/cart/").get_data(as_text=True)
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 1})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["lamp"], "quantity": 1})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["pen"], "quantity": 1})
    assert "the most one order may have" in alice.get("/orders/cart/").get_data(as_text=True)
    assert cart_rows(app, 1) == {shelf["mug"]: 1, shelf["lamp"]: 1}
    assert form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2}).status_code == 303
    assert cart_rows(app, 1) == {shelf["mug"]: 3, shelf["lamp"]: 1}  # more of a line it has is fine

    # A visitor's cart joined at login may make more lines than an order may have: nothing is lost,
    # and the cart says what to do before any checkout.
    add(app, client_anonymous, shelf["pen"], 5)
    log_in(client_anonymous, users.records[1])
    page = client_anonymous.get("/orders/cart/").get_data(as_text=True)
    assert cart_rows(app, 1) == {shelf["mug"]: 3, shelf["lamp"]: 1, shelf["pen"]: 5}
    assert "An order has at most 2 lines and your cart has 3" in page
    refused = form(client_anonymous, "/orders/cart/checkout")
    assert refused.status_code == 409 and inventory.stock(shelf["pen"]) == 50


def test_checkout_from_a_page_showing_other_prices_places_nothing(app, alice, shelf, inventory, stripe_fake):
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    page = alice.get("/orders/cart/").get_data(as_text=True)
    shown = re.search(r'name="shown" value="([^"]*)"', page).group(1)
    inventory.items[shelf["mug"]] = replace(inventory.items[shelf["mug"]], price_cents=1200)  # raised meanwhile
    stale = form(alice, "/orders/cart/checkout", {"shown": shown})
    assert stale.status_code == 409 and "Your cart changed since this page showed it" in stale.get_data(as_text=True)
    assert "$24.00" in stale.get_data(as_text=True)  # the cart shown again, at today's price
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert cart_rows(app, 1) == {shelf["mug"]: 2} and not stripe_fake.sessions
    shown = re.search(r'name="shown" value="([^"]*)"', stale.get_data(as_text=True)).group(1)
    assert form(alice, "/orders/cart/checkout", {"shown": shown}).status_code == 303


def test_a_price_changed_while_checkout_reads_the_cart_places_nothing(
    app, alice, shelf, inventory, stripe_fake, monkeypatch
):
    """The cart as checkout read it (and found as the page showed it) is what is ordered: a price
    changed a moment later, before the order is written, is not charged unseen."""
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    page = alice.get("/orders/cart/").get_data(as_text=True)
    shown = re.search(r'name="shown" value="([^"]*)"', page).group(1)
    place = cart.place_order

    def raised_meanwhile(*args, **kwargs):
        inventory.items[shelf["mug"]] = replace(inventory.items[shelf["mug"]], price_cents=1200)
        return place(*args, **kwargs)

    monkeypatch.setattr(cart, "place_order", raised_meanwhile)
    response = form(alice, "/orders/cart/checkout", {"shown": shown})
    assert response.status_code == 409 and "$12.00" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert cart_rows(app, 1) == {shelf["mug"]: 2} and not stripe_fake.sessions
    assert inventory.stock(shelf["mug"]) == 10


def test_a_checkout_sent_twice_places_one_order_and_both_go_to_its_payment_page(
    app, alice, shelf, inventory, stripe_fake
):
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    page = alice.get("/orders/cart/").get_data(as_text=True)
    shown = re.search(r'name="shown" value="([^"]*)"', page).group(1)
    first = form(alice, "/orders/cart/checkout", {"shown": shown})
    again = form(alice, "/orders/cart/checkout", {"shown": shown})  # the twin finds the cart emptied
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert inventory.stock(shelf["mug"]) == 8 and len(stripe_fake.sessions) == 1
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})  # the same cart again
    assert form(alice, "/orders/cart/checkout").status_code == 303  # is a new order
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 2
    assert inventory.stock(shelf["mug"]) == 6


def test_two_checkouts_of_one_cart_at_once_place_one_order(app, users, shelf, inventory, stripe_fake, monkeypatch):
    """Two tabs press Check out together: the second waits for the first's order and answers it."""
    tabs = [logged_in(app, users.records[1]) for _ in range(2)]
    form(tabs[0], "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    first_placing, second_waiting, go_on = threading.Event(), threading.Event(), threading.Event()
    place, pause = cart.place_order, cart.pause

    def held_up(*args):
        first_placing.set()
        assert go_on.wait(30)
        return place(*args)

    def waiting(seconds):  # only the claim's poll calls it: the second tab found the first's claim
        second_waiting.set()
        pause(seconds)

    monkeypatch.setattr(cart, "place_order", held_up)
    monkeypatch.setattr(cart, "pause", waiting)
    pages = [tab.get("/orders/cart/").get_data(as_text=True) for tab in tabs]
    forms = [
        {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1) for name in ("csrf_token", "shown")}
        for page in pages
    ]
    answers = {}

    def check_out(n):
        answers[n] = tabs[n].post("/orders/cart/checkout", data=forms[n])

    threads = [threading.Thread(target=check_out, args=(n,)) for n in range(2)]
    threads[0].start()
    assert first_placing.wait(30)
    threads[1].start()
    assert second_waiting.wait(30)  # the second found the first's claim, and waits
    go_on.set()
    for thread in threads:
        thread.join(60)
    assert answers[0].status_code == answers[1].status_code == 303
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert inventory.stock(shelf["mug"]) == 8 and len(stripe_fake.sessions) == 1


def test_an_item_put_in_the_cart_while_its_order_is_placed_stays_in_the_cart(
    app, alice, shelf, inventory, stripe_fake, monkeypatch
):
    """Another tab adds a pen while Check out places the order of the mugs: the pen is not in that
    order, so it stays in the cart for the next one."""
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    place = cart.place_order

    def another_tab_adds_a_pen(user, lines, *args, **kwargs):
        order = place(user, lines, *args, **kwargs)
        cart.add(user, shelf["pen"], 1)
        return order

    monkeypatch.setattr(cart, "place_order", another_tab_adds_a_pen)
    assert form(alice, "/orders/cart/checkout").status_code == 303
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert order.line_quantities == {shelf["mug"]: 2}
    assert cart_rows(app, 1) == {shelf["pen"]: 1}


def test_a_cart_under_the_minimum_charge_holds_nothing_and_says_what_is_missing(app, alice, inventory, stripe_fake):
    dime = inventory.add_item("Dime sticker", 10, 100)
    form(alice, "/orders/cart/lines", {"inventory_id": dime, "quantity": 2})
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert "A card payment must be at least $0.50: add $0.30 more to check out." in page
    # no Check out that could only be refused: the way back to the catalog instead
    assert 'id="cart-checkout"' not in page and 'id="cart-keep-shopping"' in page
    response = form(alice, "/orders/cart/checkout")
    assert response.status_code == 422 and "at least $0.50" in response.get_data(as_text=True)
    assert inventory.stock(dime) == 100 and cart_rows(app, 1) == {dime: 2}
    assert stripe_fake.count("create_session") == 0


def test_adding_a_free_item_says_at_once_what_the_cart_lacks_and_it_goes_with_others(
    app, alice, client_anonymous, bearer, inventory, stripe_fake
):
    """From a catalog row or an item page (htmx): the answer beside the button says what checkout would need."""
    free, mug = inventory.add_item("Free sample", 0, 100), inventory.add_item("Mug", 850, 10)
    added = add(app, alice, free, 1, **{"HX-Request": "true"}).get_data(as_text=True)
    message = "A card payment must be at least $0.50: add $0.50 more to check out."
    assert "In your cart: 1." in added and message in added
    assert message in added[added.index('id="announcer"') :]  # read out too
    api = client_anonymous.post("/orders/api/cart/checkout", headers=bearer("alice"))
    error = api.get_json()["error"]
    assert api.status_code == 422 and (error["code"], error["minimum"], error["missing"]) == (
        "amount_too_small",
        "0.50",
        "0.50",
    )
    assert cart_rows(app, 1) == {free: 1} and inventory.held() == {}
    inventory.calls.clear()
    added = add(app, alice, mug, 1, **{"HX-Request": "true"}).get_data(as_text=True)
    assert "In your cart: 1." in added and "A card payment must be" not in added
    assert inventory.calls == ["item"]  # a line that reaches the minimum alone: no read of the whole cart
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert 'id="cart-checkout"' in page and 'id="cart-minimum"' not in page
    assert form(alice, "/orders/cart/checkout").status_code == 303  # the free sample goes with the mug
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert order.line_quantities == {free: 1, mug: 1} and order.total_cents == 850


def test_a_cart_over_the_maximum_charge_holds_nothing_and_says_so(app, alice, inventory, stripe_fake):
    piano = inventory.add_item("Concert grand piano", 60_000_000, 10)
    form(alice, "/orders/cart/lines", {"inventory_id": piano, "quantity": 2})
    page = alice.get("/orders/cart/").get_data(as_text=True)  # said before Check out, as the minimum is
    assert 'id="cart-maximum"' in page and "A card payment can be of at most $999,999.99" in page
    response = form(alice, "/orders/cart/checkout")
    assert response.status_code == 422 and "at most $999,999.99" in response.get_data(as_text=True)
    assert inventory.stock(piano) == 10 and inventory.held() == {} and cart_rows(app, 1) == {piano: 2}
    assert stripe_fake.count("create_session") == 0


def test_the_cart_api(app, alice, bearer, shelf, inventory, stripe_fake, client_anonymous):
    auth = bearer("alice")
    assert client_anonymous.get("/orders/api/cart", headers=auth).get_json() == {"lines": [], "total_price": "0.00"}
    put = client_anonymous.put(f"/orders/api/cart/lines/{shelf['mug']}", json={"quantity": 3}, headers=auth)
    assert put.status_code == 200 and put.get_json()["total_price"] == "25.50"
    line = put.get_json()["lines"][0]
    assert line == {
        "inventory_id": shelf["mug"],
        "name": "Mug",
        "unit_price": "8.50",
        "quantity": 3,
        "line_total": "25.50",
        "available": 10,
        "sold": True,
        "price_changed": False,
    }
    missing = client_anonymous.put("/orders/api/cart/lines/999", json={"quantity": 1}, headers=auth)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    client_anonymous.put(f"/orders/api/cart/lines/{shelf['lamp']}", json={"quantity": 9}, headers=auth)
    short = client_anonymous.post("/orders/api/cart/checkout", headers=auth)
    assert short.status_code == 409
    assert short.get_json()["error"]["short"] == [{"inventory_id": shelf["lamp"], "available": 3}]
    assert client_anonymous.delete(f"/orders/api/cart/lines/{shelf['lamp']}", headers=auth).status_code == 200
    done = client_anonymous.post("/orders/api/cart/checkout", headers=auth)
    assert done.status_code == 201
    assert done.get_json()["order"]["total_price"] == "25.50" and done.get_json()["url"]
    assert client_anonymous.get("/orders/api/cart", headers=auth).get_json()["lines"] == []


def test_the_cart_apis_lines_add_up_to_its_total_when_an_item_is_no_longer_sold(
    app, bearer, shelf, inventory, client_anonymous
):
    auth = bearer("alice")
    for item, quantity in (("mug", 2), ("pen", 3)):
        client_anonymous.put(f"/orders/api/cart/lines/{shelf[item]}", json={"quantity": quantity}, headers=auth)
    inventory.items[shelf["pen"]] = replace(inventory.items[shelf["pen"]], archived=True)
    body = client_anonymous.get("/orders/api/cart", headers=auth).get_json()
    assert body["total_price"] == "17.00"  # the pens are not sold any more: nothing to pay for them
    assert [(line["sold"], line["line_total"]) for line in body["lines"]] == [(True, "17.00"), (False, "0.00")]


def test_the_cart_page_reads_every_line_from_inventory_in_one_call(alice, shelf, inventory):
    for item_id in shelf.values():
        form(alice, "/orders/cart/lines", {"inventory_id": item_id, "quantity": 1})
    inventory.calls.clear()
    html = alice.get("/orders/cart/").get_data(as_text=True)
    assert all(f'id="cart-line-{item_id}"' in html for item_id in shelf.values())
    assert inventory.calls == ["items_by_id"]


def test_the_navigations_log_in_and_register_bring_a_visitor_back_to_the_page_they_were_on(client_anonymous, shelf):
    """A visitor with a full cart who used "Log in" or "Register" at the top of the page landed on the
    catalog afterwards, not back at the cart (the cart's own "Log in to check out" kept it)."""
    page = client_anonymous.get("/orders/cart/?from=nav").get_data(as_text=True)
    back = "?next=/orders/cart/%3Ffrom%3Dnav"
    assert f'<a href="/users/login{back}" id="nav-login">' in page
    assert f'<a href="/users/register{back}" role="button" id="nav-register">' in page


def test_a_quantity_above_the_stock_left_says_so_beside_its_field_not_updated(app, alice, shelf, inventory):
    """The cart kept 5 lamps of 3 left and said "Your cart is updated." above a total no checkout could
    charge; only a small "Only 3 left." in the row hinted, and Check out then refused. It still keeps
    what was typed (nothing is held in a cart), and says what to do, tied to the field."""
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["lamp"], "quantity": 1})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["pen"], "quantity": 1})
    html = htmx_form(alice, f"/orders/cart/lines/{shelf['lamp']}", {"quantity": "5"}).get_data(as_text=True)
    assert "Your cart is updated." not in html
    assert re.search(r'id="cart-error">\s*Only 3 of Lamp are left: lower the quantity to check out.', html)
    lamp = re.search(rf'<input[^>]*id="cart-quantity-{shelf["lamp"]}"[^>]*>', html).group(0)
    assert 'value="5"' in lamp and 'aria-invalid="true"' in lamp and 'aria-describedby="cart-error"' in lamp
    assert cart_rows(app, 1) == {shelf["lamp"]: 5, shelf["pen"]: 1}

    inventory.items[shelf["lamp"]] = replace(inventory.items[shelf["lamp"]], quantity=0)
    plain = form(alice, f"/orders/cart/lines/{shelf['pen']}", {"quantity": "2"})  # another line: updated
    assert "Your cart is updated." in alice.get(plain.headers["Location"]).get_data(as_text=True)
    form(alice, f"/orders/cart/lines/{shelf['lamp']}", {"quantity": "2"})  # without JavaScript too
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert "Lamp is sold out: remove it from your cart to check out." in page
    assert "Your cart is updated." not in page


def test_a_checked_out_cart_says_which_order_waits_for_payment(app, alice, shelf, stripe_fake):
    """Back from Stripe's page (the browser's Back, or "Cart" in the navigation), the customer found
    only "Your cart is empty.": no word of the order its lines became, still holding their stock, so
    they were put in again for a second order."""
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    assert form(alice, "/orders/cart/checkout").status_code == 303
    with app.app_context():
        order_id = db.session.scalar(select(Order.id))
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert f"Your cart was checked out as order #{order_id}, which waits for payment." in page
    assert f'<a href="/orders/{order_id}">Pay or change order #{order_id}</a>' in page

    assert form(alice, f"/orders/{order_id}/cancel").status_code in (200, 303)
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert "Your cart is empty." in page and "checked out as order" not in page


def test_a_cart_with_a_short_or_sold_out_line_offers_no_check_out_and_says_how_to_fix_it(app, alice, shelf, inventory):
    """The cart offered "Check out" beside a line short of stock, with a total counting units no one
    could buy, and the server then refused. Now each such line says what to do and what the total is
    then, and Check out comes back once the cart can be checked out."""
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["mug"], "quantity": 2})
    form(alice, "/orders/cart/lines", {"inventory_id": shelf["lamp"], "quantity": 5})
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert 'id="cart-checkout"' not in page
    assert "Only 3 left. Lower the quantity to 3 to check out: the total is then $92.00." in page  # 2 x 8.50 + 3 x 25
    assert "1 line above cannot be bought as it is: change or remove it to check out." in page

    inventory.items[shelf["lamp"]] = replace(inventory.items[shelf["lamp"]], quantity=0)
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert "Sold out. Remove it to check out: the total without it is $17.00." in page
    assert 'id="cart-checkout"' not in page

    form(alice, f"/orders/cart/lines/{shelf['lamp']}/remove")
    page = alice.get("/orders/cart/").get_data(as_text=True)
    assert 'id="cart-checkout"' in page and "cannot be bought" not in page

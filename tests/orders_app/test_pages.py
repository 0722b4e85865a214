"""My orders and the order page: newest first, paginated, filtered; nobody sees another's orders."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from orders_app.extensions import db
from orders_app.models import Order, utcnow
from orders_app.views.display import when
from tests.helpers import csrf_from
from tests.orders_app.helpers import half_placed, place, post_form


def order_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="order-(\d+)"', html)]


def test_my_orders_are_newest_first_with_status_badges(alice, widget):
    first, second = place(alice, widget, 1), place(alice, widget, 2)
    post_form(alice, f"/orders/{first}/cancel")
    html = alice.get("/orders/").get_data(as_text=True)
    assert order_ids(html) == [second, first]
    assert 'class="badge badge-pending">Pending' in html and 'class="badge badge-cancelled">Cancelled' in html


def test_my_orders_filter_by_status_as_a_fragment(alice, widget):
    first, second = place(alice, widget, 1), place(alice, widget, 2)
    post_form(alice, f"/orders/{first}/cancel")
    response = alice.get("/orders/?status=Cancelled", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # the filter is the template's, not the answer's status
    assert 'id="order-list"' in html and "<html" not in html
    assert order_ids(html) == [first]
    no_paid = alice.get("/orders/?status=Paid").get_data(as_text=True)
    assert "No paid orders." in no_paid and "0 orders" not in no_paid and "page 1 of 1" not in no_paid  # said once
    assert "HX-Request" in response.headers["Vary"]
    assert order_ids(alice.get("/orders/?status=nonsense").get_data(as_text=True)) == [second, first]


def test_my_orders_are_paginated(app, alice, inventory):
    item = inventory.add_item("Pin", 50, 100)
    app.config["ORDERS_PER_PAGE"] = 2
    ids = [place(alice, item, 1) for _ in range(5)]
    page1 = alice.get("/orders/").get_data(as_text=True)
    page3 = alice.get("/orders/?page=3").get_data(as_text=True)
    assert order_ids(page1) == [ids[4], ids[3]] and "page 1 of 3" in page1 and 'href="/orders/?page=2"' in page1
    assert order_ids(page3) == [ids[0]]
    past = alice.get("/orders/?page=9").get_data(as_text=True)  # not "You have no orders yet."
    assert order_ids(past) == [ids[0]] and "page 3 of 3" in past


def test_the_order_page_shows_the_item_as_ordered_and_its_history(alice, inventory, widget):
    order_id = place(alice, widget, 3)
    inventory.items[widget] = inventory.items[widget].__class__(widget, "Widget v2", 99, 7, False)  # price change
    html = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Widget v2" not in html and "$0.99" not in html
    assert 'id="order-item">Widget<' in html and 'id="order-unit-price">$0.50<' in html
    assert "<strong>$1.50</strong>" in html and "Order placed" in html and "3 × Widget; stock held" in html
    assert '<div id="order-actions"' in html


def test_pay_by_is_never_a_time_already_past_while_pay_is_offered(app, alice, widget):
    """A payment link that lapsed left "Pay by 6:57 PM" at 6:58 beside the Pay button, which still
    made a new link: the page now gives the last time Pay does (the hold's end), or no time at all."""
    order_id = place(alice, widget, 1)
    now = utcnow()

    def shown_after_setting(**fields) -> str | None:
        with app.app_context():
            db.session.execute(update(Order).where(Order.id == order_id).values(**fields))
            db.session.commit()
        html = alice.get(f"/orders/{order_id}").get_data(as_text=True)
        shown = re.search(r'<td id="order-pay-by">([^<]+)</td>', html)
        return shown.group(1) if shown else None

    in_ten = now + timedelta(minutes=10)
    assert shown_after_setting(pay_by=in_ten, hold_expires_at=in_ten + timedelta(minutes=5)) == when_text(app, in_ten)
    lapsed, hold_ends = now - timedelta(minutes=1), now + timedelta(minutes=4)
    assert shown_after_setting(pay_by=lapsed, hold_expires_at=hold_ends) == when_text(app, hold_ends)
    assert shown_after_setting(pay_by=lapsed, hold_expires_at=now - timedelta(seconds=1)) is None


def when_text(app, moment) -> str:
    with app.test_request_context():
        return when(moment)


def test_orders_placed_halfway_are_hidden(app, alice, widget):
    order_id = half_placed(app, widget, hold_minutes=5)
    assert order_ids(alice.get("/orders/").get_data(as_text=True)) == []
    assert alice.get(f"/orders/{order_id}").status_code == 404


OTHERS_PAGES = [
    ("GET", "/orders/{id}"),
    ("GET", "/orders/{id}/edit"),
    ("POST", "/orders/{id}/edit"),
    ("GET", "/orders/{id}/cancel"),
    ("POST", "/orders/{id}/cancel"),
]


@pytest.mark.parametrize(("method", "path"), OTHERS_PAGES)
def test_another_customers_order_is_a_404_on_every_page(alice, bob, inventory, widget, method, path):
    order_id = place(alice, widget, 2)
    url = path.format(id=order_id)
    response = bob.get(url) if method == "GET" else post_form(bob, url, {"quantity": 1})
    assert response.status_code == 404
    assert inventory.held() == {f"order-{order_id}": 2}


@pytest.mark.parametrize("path", ["/orders/", "/orders/1", "/orders/new?inventory_id=1", "/orders/admin/"])
def test_pages_need_a_login(client_anonymous, path):
    response = client_anonymous.get(path)
    assert response.status_code == 302 and "/users/login?next=" in response.headers["Location"]


def test_anonymous_htmx_requests_are_sent_to_the_login_page(client_anonymous):
    response = client_anonymous.get("/orders/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/users/login")


def test_a_form_sent_after_the_session_ended_logs_in_back_to_the_page_it_was_sent_from(app, alice, users, widget):
    """Pay (a plain form) after a logout in another tab: the login leads back to the order page, not
    to the Pay button's address, which a browser can only GET (405 Method Not Allowed)."""
    order_id = place(alice, widget, 2)
    token = csrf_from(alice, f"/orders/{order_id}")
    users.records[1]["session_version"] += 1  # logged out elsewhere
    public = app.config["SHOP_PUBLIC_URL"]
    sent_from = {"Referer": f"{public}/orders/{order_id}?payment=cancelled"}
    response = alice.post(f"/orders/{order_id}/pay", data={"csrf_token": token}, headers=sent_from)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/login?next=/orders/{order_id}%3Fpayment%3Dcancelled"
    checkout = alice.post(
        "/orders/cart/checkout", data={"csrf_token": token}, headers={"Referer": f"{public}/orders/cart/"}
    )
    assert checkout.headers["Location"] == "/users/login?next=/orders/cart/"
    unknown = alice.post(f"/orders/{order_id}/pay", data={"csrf_token": token})  # no Referer sent
    assert unknown.headers["Location"] == "/users/login"


def test_an_admin_sees_every_order_page(alice, boss, widget):
    order_id = place(alice, widget, 2)
    html = boss.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "by alice" in html and 'id="cancel-order"' in html and 'id="change-quantity"' not in html

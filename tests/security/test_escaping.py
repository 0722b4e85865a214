"""Script payloads typed into item names, descriptions and logins come out as text, never as markup."""

from urllib.parse import quote

from stacktools.client import DEFAULT_PASSWORD, ShopClient
from tests.stack.shop_orders import customer, order, placed

NAME = '<script>alert("name")</script>Lamp'
DESCRIPTION = '<img src=x onerror="alert(1)"><b>bold</b>'


def assert_escaped(html: str, *payloads: str) -> None:
    for payload in payloads:
        assert payload not in html
    assert "&lt;script&gt;" in html or "&lt;img" in html


def test_item_payloads_are_escaped_in_every_page_and_fragment(stack, admin):
    token = admin.api_token("admin", stack.env["SHOP_ADMIN_PASSWORD"])
    created = admin.api(
        "POST",
        "/inventory/api/items",
        token,
        json={"name": NAME, "description": DESCRIPTION, "price": "9.00", "quantity": 3},
    )
    assert created.status_code == 201
    item = created.json()["id"]
    assert created.json()["name"] == NAME  # stored as typed: escaping is the pages' job

    visitor = ShopClient(stack.base_url)
    pages = [
        visitor.get(f"/inventory/items/{item}").text,
        visitor.get(f"/inventory/?q={quote('Lamp')}").text,
        visitor.get(f"/inventory/?q={quote('Lamp')}", htmx=True).text,
        admin.get(f"/inventory/admin/?q={quote('Lamp')}").text,
        admin.get(f"/inventory/admin/items/{item}/edit", htmx=True).text,
    ]
    for html in pages:
        assert_escaped(html, "<script>alert", '<img src=x onerror="alert(1)">')

    buyer = customer(stack)
    order_id = placed(order(buyer, item, 1))
    for html in (buyer.get(f"/orders/{order_id}").text, admin.get("/orders/admin/").text):
        assert_escaped(html, "<script>alert")


def test_a_login_with_markup_is_refused_and_not_echoed_as_markup(stack):
    visitor = ShopClient(stack.base_url)
    response = visitor.post("/users/register", {"login": "<script>x</script>", "password": DEFAULT_PASSWORD})
    assert response.status_code == 422
    assert "<script>x</script>" not in response.text and "&lt;script&gt;x&lt;/script&gt;" in response.text
    search = visitor.get(f"/inventory/?q={quote('<script>alert(1)</script>')}")
    assert "<script>alert(1)</script>" not in search.text

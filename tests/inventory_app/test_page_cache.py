"""Which catalog answers the app lets nginx share among visitors (shared_ui/page_cache.py)."""

from shared_ui.page_cache import NGINX_EXPIRES


def test_a_visitors_catalog_and_item_pages_may_be_shared_for_a_second(client, make_item):
    item_id = make_item()
    for path in ("/inventory/", "/inventory/?q=mug", f"/inventory/items/{item_id}"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers[NGINX_EXPIRES] == "1", path
        assert "Set-Cookie" not in response.headers, path
        assert b"csrf" not in response.data.lower(), path  # nothing of a session in a shared page
    fragment = client.get("/inventory/?q=mug", headers={"HX-Request": "true"})
    assert fragment.headers[NGINX_EXPIRES] == "1"
    assert "HX-Request" in fragment.headers["Vary"]


def test_nothing_of_one_visitor_is_ever_marked_shareable(client, customer, make_item):
    item_id = make_item()
    logged_in = customer.get(f"/inventory/items/{item_id}")
    assert b'id="order-form"' in logged_in.data  # the order form carries the customer's CSRF token
    assert NGINX_EXPIRES not in logged_in.headers
    assert NGINX_EXPIRES not in customer.get("/inventory/").headers
    # Any cookie (a session, a flash, a chosen language) makes the page the visitor's own.
    client.set_cookie("shop_session", "anything")
    assert NGINX_EXPIRES not in client.get("/inventory/").headers
    client.delete_cookie("shop_session")
    # A bearer token is somebody's too; errors are not shared either.
    assert NGINX_EXPIRES not in client.get("/inventory/", headers={"Authorization": "Bearer x"}).headers
    missing = client.get("/inventory/items/999999")
    assert missing.status_code == 404 and NGINX_EXPIRES not in missing.headers


def test_the_setting_turns_it_off(app, client, make_item):
    app.config["SHOP_PAGE_CACHE_SECONDS"] = 0
    assert NGINX_EXPIRES not in client.get("/inventory/").headers

"""Pictures through nginx: uploads take 6 MiB bodies on their routes only, nginx keeps a copy of each
picture (served to everyone, cookie or not), and every instance of inventory serves every picture
(scaled out on PostgreSQL, SHOP_TEST_SCALED=1: uploaded through one, served by the other)."""

import io
import secrets
import threading

import pytest
import requests

from shopctl.settings import ports
from stacktools.client import ShopClient
from stacktools.stack import ADMIN_LOGIN, SCALED, wait_until
from tests import picture_samples as samples

YEAR = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def admin_token(stack):
    return ShopClient(stack.base_url).api_token(ADMIN_LOGIN, stack.env["SHOP_ADMIN_PASSWORD"])


@pytest.fixture
def item_id(stack, admin_token) -> int:
    body = {"name": f"Framed Print {secrets.token_hex(4)}", "price": "30.00", "quantity": 4, "category": "Art"}
    created = ShopClient(stack.base_url).api("POST", "/inventory/api/items", admin_token, json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def put_picture(base: str, item_id: int, token: str, data: bytes, name: str = "print.jpg") -> requests.Response:
    return requests.put(
        f"{base}/inventory/api/items/{item_id}/picture",
        files={"file": (name, io.BytesIO(data), "image/jpeg")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_nginx_keeps_a_copy_of_each_picture_for_everyone(stack, item_id, admin_token):
    response = put_picture(stack.base_url, item_id, admin_token, samples.picture("JPEG", (900, 600)))
    assert response.status_code == 200, response.text
    url = stack.url(response.json()["picture"]["url"])
    first = requests.get(url, timeout=15)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/webp"
    assert first.headers["Cache-Control"] == YEAR and first.headers["ETag"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"  # never taken for anything but a picture
    assert "Vary" not in first.headers  # the same for everyone: a browser keeps it across logins
    assert first.headers["X-Cache-Status"] in ("MISS", "HIT")
    # A cookie changes nothing: served from the copy. Asked until an answer comes from one (nginx's
    # copy lasts 3 s in the test stack; a loaded machine may ask after that, which makes a new copy).
    again = wait_until(
        lambda: (
            (answer := requests.get(url, cookies={"shop_session": "someone"}, timeout=15))
            and answer.headers["X-Cache-Status"] == "HIT"
            and answer
        )
    )
    assert again.content == first.content
    assert "Set-Cookie" not in again.headers
    unchanged = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=15)
    assert unchanged.status_code == 304


def test_a_deleted_picture_stops_being_served_once_nginx_asks_again(stack, item_id, admin_token):
    response = put_picture(stack.base_url, item_id, admin_token, samples.picture("JPEG", (640, 480)))
    url = stack.url(response.json()["picture"]["url"])
    first = requests.get(url, timeout=15)
    wait_until(lambda: requests.get(url, timeout=15).headers["X-Cache-Status"] == "HIT")  # nginx has a copy
    gone = requests.delete(
        f"{stack.base_url}/inventory/api/items/{item_id}/picture",
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=15,
    )
    assert gone.status_code in (200, 204), gone.text
    # nginx's copy lasts SHOP_PICTURE_CACHE_SECONDS (3 s in the test stack): then the app says 404
    wait_until(lambda: requests.get(url, timeout=15).status_code == 404, timeout=30, interval=0.5)
    revalidated = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=15)
    assert revalidated.status_code == 404  # a browser's copy is not confirmed either


def test_a_missing_pictures_page_asked_by_a_customer_is_never_handed_to_anyone_else(stack):
    """A picture URL that answers 404 (a deleted picture, a stale or made-up link) is the shop's
    "Not found" page, with the asker's login, their CSRF token and their menus: a copy of it kept by
    path was served to the next visitors of that URL, cookie or not."""
    url = f"/inventory/pictures/{secrets.token_hex(32)}-320.webp"
    customer = ShopClient(stack.base_url)
    customer.register()
    missing = customer.get(url)
    assert missing.status_code == 404 and customer.login_name in missing.text  # their own page, as anywhere
    for _ in range(3):
        visitor = requests.get(stack.url(url), timeout=15)
        assert visitor.status_code == 404
        assert customer.login_name not in visitor.text and "csrf" not in visitor.text.lower()


def test_upload_routes_take_6_mib_bodies_and_others_1_mib(stack, item_id, admin_token):
    big = b"\xff\xd8" + b"\0" * (5 * 1024 * 1024 + 100)  # over 5 MiB: the app's own refusal, not nginx's
    response = put_picture(stack.base_url, item_id, admin_token, big)
    assert response.status_code == 422 and "5 MB" in response.json()["error"]["message"]
    huge = put_picture(stack.base_url, item_id, admin_token, b"\0" * (6 * 1024 * 1024 + 1000))
    assert huge.status_code == 413  # nginx's refusal, in the API's error shape and saying the limit
    assert huge.json()["error"]["code"] == "payload_too_large" and "5 MB" in huge.json()["error"]["message"]
    form = requests.post(
        stack.url(f"/inventory/admin/items/{item_id}/picture"),
        files={"file": ("print.jpg", b"\0" * (6 * 1024 * 1024 + 1000), "image/jpeg")},
        timeout=30,
    )
    assert form.status_code == 413 and "a picture may be up to 5 MB" in form.text  # a page, both languages
    assert "uma imagem pode ter até 5 MB" in form.text
    elsewhere = requests.post(
        stack.url("/inventory/api/items"),
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert elsewhere.status_code == 413


def test_a_picture_uploaded_through_one_instance_is_served_by_every_instance(stack, item_id, admin_token):
    instances = [f"http://127.0.0.1:{port}" for port in ports(stack.env, "inventory")]
    if SCALED:
        assert len(instances) == 2
    response = put_picture(instances[0], item_id, admin_token, samples.picture("PNG", (500, 500)), "print.png")
    assert response.status_code == 200, response.text
    picture = response.json()["picture"]
    for base in instances:
        served = requests.get(base + picture["url"], timeout=15)
        assert served.status_code == 200 and served.headers["Cache-Control"] == YEAR
        assert requests.get(f"{base}/inventory/api/items/{item_id}", timeout=15).json()["picture"] == picture
        page = requests.get(f"{base}/inventory/items/{item_id}", timeout=15).text
        assert picture["url"].rsplit("-", 1)[0] in page


def test_a_picture_given_to_one_item_while_another_drops_it_keeps_its_files(stack, admin_token):
    """Items share the stored files of one picture. An admin gives item 1 the picture item 2 shows
    (its files are stored: none are written) while another removes it from item 2 (no other item
    shows it, as far as committed rows say: its files go). On PostgreSQL (scaled out) both ran at
    once and item 1 was left showing files that were gone; SQLite lets one writer in at a time."""
    import inventory_app
    from inventory_app import pictures
    from inventory_app.extensions import db
    from inventory_app.models import Item
    from shared_ui.db import write_transaction

    maker = ShopClient(stack.base_url)
    first, second = (
        maker.api("POST", "/inventory/api/items", admin_token, json={"name": n, "price": "5.00", "quantity": 1}).json()
        for n in (f"Poster {secrets.token_hex(4)}", f"Poster {secrets.token_hex(4)}")
    )
    data = samples.picture("PNG", (240, 160))
    assert put_picture(stack.base_url, second["id"], admin_token, data, "poster.png").status_code == 200
    url = stack.env.get("INVENTORY_DATABASE_URL") or f"sqlite:///{stack.var_dir / 'inventory.sqlite3'}"
    app = inventory_app.create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32, "SHOP_SERVICE_TOKEN": "y" * 24}
    )
    with app.test_request_context():
        prepared = pictures.prepare(data)
    attached, commit, dropping = (threading.Event() for _ in range(3))
    errors = []

    def give_it_to_the_first():
        try:
            with app.app_context(), write_transaction(db):
                pictures.attach(db.session.get(Item, first["id"]), prepared, None)
                attached.set()
                assert commit.wait(60)
        except Exception as error:  # reported below
            errors.append(error)

    def take_it_from_the_second():
        try:
            with app.app_context():
                dropping.set()
                with write_transaction(db):
                    assert pictures.detach(db.session.get(Item, second["id"]))
        except Exception as error:
            errors.append(error)

    giver = threading.Thread(target=give_it_to_the_first)
    giver.start()
    assert attached.wait(60)  # item 1 shows it, not committed yet
    taker = threading.Thread(target=take_it_from_the_second)
    taker.start()
    assert dropping.wait(60)
    if SCALED:  # PostgreSQL: the removal goes as far as it may, finished or waiting for the first
        wait_until(lambda: not taker.is_alive() or waiting_for_a_lock(stack))
    commit.set()
    giver.join(60)
    taker.join(60)
    assert errors == []
    stored = stack.query("inventory", "SELECT count(*) FROM picture_files WHERE hash = :h", h=prepared.hash)
    assert stored == [(len(prepared.files),)]  # item 1's picture is all there
    shown = requests.get(stack.url(f"/inventory/api/items/{first['id']}"), timeout=15).json()["picture"]
    assert requests.get(stack.url(shown["url"]), timeout=15).status_code == 200
    with app.app_context():
        db.engine.dispose()


def waiting_for_a_lock(stack) -> bool:
    return stack.query("inventory", "SELECT count(*) FROM pg_locks WHERE NOT granted")[0][0] > 0

"""E-mail through the whole shop: the `mail` process (aiosmtpd) receives what the jobs process
sends from each app's outbox. Password reset by the e-mailed link, one receipt per paid order
however often the payment is applied, nothing lost while the mail server is down, and an
account deleted by its owner."""

import re
import time
from urllib.parse import quote

import requests

from stacktools.client import DEFAULT_PASSWORD, ShopClient, new_login
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD, wait_until
from tests.mail_server import LINK, mail_to, text_of, wait_for_mail
from tests.stack.shop_orders import (
    checkout_url,
    complete,
    control,
    delivered,
    emulator_events,
    new_item,
    order,
    placed,
    session_id,
    stock_of,
    wait_for_status,
)

#: how nginx's access log writes a reset link's path (nginx.conf: the token is never logged)
REDACTED_LINK = "/users/password/reset/(token)"
CONFIRM_LINK = re.compile(r"https?://[^\s\"<]+(/users/email/confirm/[A-Za-z0-9_.\-]+)")


def deliveries(stack, session: str, event_id: str) -> int:
    """How many times the emulator delivered this event to the shop (answered 2xx)."""
    [event] = [e for e in emulator_events(stack, session) if e["id"] == event_id]
    return sum(d["state"] == "delivered" for d in event["deliveries"])


def registered(stack) -> tuple[ShopClient, str, str]:
    client = ShopClient(stack.base_url)
    login = new_login("mail")
    email = f"{login}@example.com"
    assert client.register(login, email=email).status_code == 303
    return client, login, email


def test_a_forgotten_password_is_reset_by_the_emailed_link_once(stack):
    client, login, email = registered(stack)
    token = client.api_token(login)
    bearer = {"Authorization": f"Bearer {token}"}

    visitor = ShopClient(stack.base_url)
    known = visitor.post("/users/password/forgot", {"email": email.upper()})
    unknown = visitor.post("/users/password/forgot", {"email": f"nobody-{login}@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert "If an account has this address" in known.text and "If an account has this address" in unknown.text

    [message] = wait_for_mail(stack, email)
    assert message["Subject"] == "Reset your password"
    link = LINK.search(text_of(message)).group(0).replace(stack.base_url, "")
    access_log = stack.var_dir / "logs" / "nginx-access.log"
    logged_before = access_log.read_text().count(REDACTED_LINK)  # other tests' visits share the log
    page = visitor.get(link)
    assert page.status_code == 200 and login in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    # The language switch on that page names it as where to come back to: as the browser sends it
    # (its "/" written %2F), and as written by hand
    switcher = ShopClient(stack.base_url)
    for next_page in (quote(link, safe=""), link):
        assert switcher.get(f"/users/language?lang=pt_BR&next={next_page}", follow=False).status_code == 303
    done = visitor.post(link, {"password": "a brand new password"})
    assert done.status_code == 303

    assert (
        requests.post(
            stack.url("/users/api/tokens"), json={"login": login, "password": DEFAULT_PASSWORD}, timeout=10
        ).status_code
        == 401
    )
    assert visitor.api_token(login, "a brand new password")
    wait_until(
        lambda: requests.get(stack.url("/orders/api/orders"), headers=bearer, timeout=10).status_code == 401, timeout=6
    )
    assert client.get("/users/account", follow=False).status_code == 302  # the old session ended too
    again = visitor.get(link)
    assert again.status_code == 410 and "This link was used already" in again.text
    assert requests.post(stack.url("/users/api/password-resets"), json={"email": email}, timeout=10).status_code == 202
    secret = link.rsplit("/", 1)[1]
    # This test's visits of the link (flushed within a second), each logged without its token
    wait_until(lambda: access_log.read_text().count(REDACTED_LINK) >= logged_before + 4)
    assert "next=%2Fusers%2Fpassword%2Freset%2F(token)" in access_log.read_text()
    assert secret not in access_log.read_text()
    assert secret not in stack.log("users") and secret not in stack.log("jobs")


def test_a_new_address_waits_for_the_link_sent_to_it_and_then_the_old_one_is_told(stack):
    client, login, email = registered(stack)
    new = f"{login}@new.example"  # mail_to matches a part of the address: not one holding the other
    asked = client.post("/users/account/email", {"email": new, "email_password": DEFAULT_PASSWORD}, follow=True)
    sent = f"We sent a link to {new}; your address changes when you open it and confirm."
    assert sent in asked.text.replace("&#39;", "'")
    [message] = wait_for_mail(stack, new)
    assert message["Subject"] == "Confirm your new e-mail address"
    link = CONFIRM_LINK.search(text_of(message)).group(1)
    assert mail_to(stack, email) == []  # nothing changed yet
    assert f'value="{email}"' in client.get("/users/account").text

    stranger = ShopClient(stack.base_url)  # whoever else reads that inbox, not logged in: nothing changes
    assert stranger.get(link, follow=False).status_code == 302
    assert f'value="{email}"' in client.get("/users/account").text  # opening it only asks
    assert "Confirm my new address" in client.get(link).text
    done = client.post(link)  # the page's button
    assert done.status_code == 303
    assert f'value="{new}"' in client.get("/users/account").text
    [notice] = wait_for_mail(stack, email)
    assert notice["Subject"] == "Your e-mail address was changed"
    secret = link.rsplit("/", 1)[1]
    access_log = stack.var_dir / "logs" / "nginx-access.log"
    wait_until(lambda: "/users/email/confirm/(token)" in access_log.read_text())
    assert secret not in access_log.read_text() and secret not in stack.log("users")


def test_strangers_asking_for_reset_links_leave_the_owners_browser_its_own(stack):
    owner, _login, email = registered(stack)  # registering logged this browser in: it is trusted
    owner.logout()
    stranger = ShopClient(stack.base_url)
    for _ in range(4):  # one more than SHOP_RESETS_PER_ADDRESS: the strangers' budget is used up
        assert stranger.post("/users/password/forgot", {"email": email}).status_code == 200
    wait_for_mail(stack, email, count=3)
    answer = owner.post("/users/password/forgot", {"email": email})
    assert answer.status_code == 200 and "If an account has this address" in answer.text
    assert "shop_device" not in answer.headers.get("Set-Cookie", "")
    wait_for_mail(stack, email, count=4)  # the owner's link arrives all the same


def test_one_receipt_however_often_the_payment_arrives(stack):
    client, _login, email = registered(stack)
    item = new_item(stack, price="12.50", quantity=5)
    order_id = placed(order(client, item, 2))
    session = session_id(checkout_url(client, order_id))
    paid = complete(stack, session)
    assert paid.status_code == 200, paid.text
    for _ in range(2):
        client.get(f"/orders/checkout/success?session_id={session}")
    wait_until(lambda: delivered(stack, session, "checkout.session.completed"), timeout=45)
    [completed] = [e for e in emulator_events(stack, session) if e["type"] == "checkout.session.completed"]
    for _ in range(2):  # the same event twice more: three deliveries in all
        assert control(stack, f"/events/{completed['id']}/resend").status_code == 202
    wait_until(lambda: deliveries(stack, session, completed["id"]) >= 3, timeout=45)
    wait_for_status(stack, order_id, "Paid")
    [receipt] = wait_for_mail(stack, email)
    assert receipt["Subject"] == f"Receipt for your order {order_id}"
    text = text_of(receipt)
    assert "2 × " in text and "Total: $25.00" in text and f"/orders/{order_id}" in text
    assert stack.query("orders", "SELECT count(*) FROM outbox WHERE key = :k", k=f"order-{order_id}-paid") == [(1,)]
    assert len(mail_to(stack, email)) == 1


def test_a_receipt_paid_while_the_mail_server_is_down_arrives_once_it_is_back(stack):
    client, _login, email = registered(stack)
    item = new_item(stack, price="12.50", quantity=5)
    order_id = placed(order(client, item, 1))
    session = session_id(checkout_url(client, order_id))
    stack.stop("mail")
    try:
        assert complete(stack, session).status_code == 200
        wait_for_status(stack, order_id, "Paid")
        key = f"order-{order_id}-paid"
        wait_until(lambda: stack.query("orders", "SELECT attempts FROM outbox WHERE key = :k", k=key)[0][0] >= 1)
        assert mail_to(stack, email) == []
    finally:
        stack.start("mail")
    [receipt] = wait_for_mail(stack, email, timeout=60)
    assert receipt["Subject"] == f"Receipt for your order {order_id}"
    assert len(mail_to(stack, email)) == 1


def test_a_deleted_account_frees_its_login_ends_its_token_and_returns_its_pending_stock(stack):
    client, login, email = registered(stack)
    token = client.api_token(login)
    bearer = {"Authorization": f"Bearer {token}"}
    item = new_item(stack, price="12.50", quantity=5)
    paid_id = placed(order(client, item, 1))
    assert complete(stack, session_id(checkout_url(client, paid_id))).status_code == 200
    wait_for_status(stack, paid_id, "Paid")
    order_id = placed(order(client, item, 2))
    assert stock_of(stack, item) == 2
    export = requests.get(stack.url("/users/api/me/export"), headers=bearer, timeout=15)
    assert export.status_code == 200 and [o["id"] for o in export.json()["orders"]] == [paid_id, order_id]
    assert export.json()["account"]["email"] == email
    wrong = requests.delete(stack.url("/users/api/me"), json={"password": "not it"}, headers=bearer, timeout=30)
    assert wrong.status_code == 422
    gone = requests.delete(stack.url("/users/api/me"), json={"password": DEFAULT_PASSWORD}, headers=bearer, timeout=30)
    deleted = time.monotonic()
    assert gone.status_code == 204, gone.text
    assert stock_of(stack, item) == 4  # the Pending order's two units are back; the paid one stays sold
    monitor = ShopClient(stack.base_url)
    monitor.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    page = monitor.get(f"/orders/admin/?q={paid_id}").text
    assert f"#{paid_id}" in page or f">{paid_id}<" in page
    assert "deleted customer" in page and login not in page
    # orders_app trusts its copy of the user record for at most 3 seconds: 5 seconds after the deletion
    # the token is refused by every worker, every time, however long each request takes to answer.
    time.sleep(max(0.0, deleted + 5 - time.monotonic()))
    for _ in range(4):
        assert requests.get(stack.url("/orders/api/orders"), headers=bearer, timeout=10).status_code == 401
    again = ShopClient(stack.base_url)
    assert again.register(login, email=email).status_code == 303


def test_my_data_has_what_sits_in_the_cart_too(stack):
    """The account page promises everything the shop keeps about you; the lines of the cart (kept in
    orders' database, with when each was added and at what price) were not in the file."""
    client, login, _email = registered(stack)
    bearer = {"Authorization": f"Bearer {client.api_token(login)}"}
    item = new_item(stack, price="3.00", quantity=5)
    put = requests.put(stack.url(f"/orders/api/cart/lines/{item}"), json={"quantity": 2}, headers=bearer, timeout=15)
    assert put.status_code == 200, put.text
    export = requests.get(stack.url("/users/api/me/export"), headers=bearer, timeout=15)
    assert export.status_code == 200
    [line] = export.json()["cart"]
    assert (line["inventory_id"], line["quantity"], line["price_seen"]) == (item, 2, "3.00")
    assert line["added_at"].endswith("Z")

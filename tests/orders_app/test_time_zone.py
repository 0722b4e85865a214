"""A shop in São Paulo (SHOP_TIME_ZONE=America/Sao_Paulo) tells its customers and admins São Paulo's
time, naming the zone, on the order page, in the receipt and in the order monitor, and reads the
monitor's dates as São Paulo's days; the JSON API keeps saying UTC."""

import re
from datetime import datetime

import pytest
from sqlalchemy import update

from orders_app import create_app
from orders_app import outbox as order_outbox
from orders_app.clients.inventory import EXTENSION_KEY
from orders_app.extensions import db
from orders_app.models import Order
from shared_ui import outbox
from tests.helpers import make_app
from tests.mail_server import smtp_server, text_of
from tests.orders_app.helpers import paid_order, pay, place

#: 22:00:31 UTC on 7 December: 19:00:31 in São Paulo
PLACED = datetime(2026, 12, 7, 22, 0, 31)
#: 01:30 UTC on 8 December: still 22:30 on the 7th in São Paulo
LATE = datetime(2026, 12, 8, 1, 30)


@pytest.fixture
def app(tmp_path, inventory, users):
    app = make_app(create_app, "orders", tmp_path, SHOP_PAYMENT_WINDOW_MINUTES=30, SHOP_TIME_ZONE="America/Sao_Paulo")
    app.extensions["shop_find_user"] = users.find_user
    app.extensions[EXTENSION_KEY] = inventory
    return app


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="monitor-order-(\d+)"', html)]


def send_mail(app):
    with app.app_context():
        return outbox.deliver_due(order_outbox.OUTBOX)


def set_times(app, order_id, **times) -> None:
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == order_id).values(**times))
        db.session.commit()


def plain(html: str) -> str:
    return html.replace("\u202f", " ")  # CLDR's narrow space before AM/PM


def test_the_order_page_says_sao_paulos_time_in_both_languages(app, alice, widget, bearer):
    order_id = place(alice, widget, 1)
    set_times(app, order_id, created_at=PLACED)
    english = plain(alice.get(f"/orders/{order_id}").get_data(as_text=True))
    assert "12/7/26, 7:00 PM -03" in english and "10:00 PM" not in english and "UTC" not in english
    portuguese = alice.get(f"/orders/{order_id}", headers={"Accept-Language": "pt-BR"}).get_data(as_text=True)
    assert "07/12/2026 19:00 BRT" in portuguese and "UTC" not in portuguese
    listed = plain(alice.get("/orders/").get_data(as_text=True))
    assert re.search(r'<time datetime="2026-12-07T22:00:31Z">12/7/26, 7:00 PM -03</time>', listed)  # machines: UTC
    api = app.test_client().get(f"/orders/api/orders/{order_id}", headers=bearer("alice")).get_json()
    assert api["created_at"] == "2026-12-07T22:00:31Z"


def test_the_pay_by_in_the_history_is_sao_paulos_time_in_english_too(app, alice, widget, stripe_fake):
    """The English history line is the stored audit text in a UTC shop; here it is said anew."""
    order_id = place(alice, widget, 1)
    pay(alice, order_id)
    html = plain(alice.get(f"/orders/{order_id}").get_data(as_text=True))
    assert re.search(r"Payment page opened; pay by \d+/\d+/\d\d, \d+:\d\d [AP]M -03<", html), html
    assert "UTC" not in html


@pytest.mark.parametrize(
    ("locale", "said"), [("pt_BR", "O pedido {id} foi pago em 7 de dezembro de 2026 22:30:00 BRT."),
                         ("en", "Order {id} was paid on December 7, 2026, 10:30:00 PM -03.")]
)
def test_the_receipt_says_when_it_was_paid_in_sao_paulo(app, alice, widget, stripe_fake, monkeypatch, locale, said):
    account = {"id": 1, "email": "alice@example.com", "locale": locale, "is_active": True}
    monkeypatch.setattr(order_outbox, "recipient", lambda user_id: account)
    with smtp_server() as server:
        app.config.update(SHOP_SMTP_URL=server.url, SHOP_PUBLIC_URL="http://shop.test")
        order_id = paid_order(app, alice, widget, stripe_fake, quantity=1)
        set_times(app, order_id, paid_at=LATE)
        send_mail(app)
        [receipt] = server.inbox.to("alice@example.com")
    text = plain(text_of(receipt))
    assert said.format(id=order_id) in text, text


def test_the_monitor_shows_sao_paulos_time_and_reads_its_dates_as_sao_paulos_days(app, alice, boss, widget):
    evening, late = place(alice, widget, 1), place(alice, widget, 1)
    set_times(app, evening, created_at=PLACED)
    set_times(app, late, created_at=LATE)
    html = plain(boss.get("/orders/admin/?view=all").get_data(as_text=True))
    assert 'title="12/7/26, 10:30 PM -03"' in html and 'title="12/7/26, 7:00 PM -03"' in html
    assert re.search(r"updated \d+/\d+/\d\d, \d+:\d\d [AP]M -03", html)
    # The 8th in UTC, the 7th in São Paulo: the admin asking for the 7th sees both orders.
    on_the_7th = boss.get("/orders/admin/?view=all&date_from=2026-12-07&date_to=2026-12-07").get_data(as_text=True)
    assert sorted(row_ids(on_the_7th)) == [evening, late]
    assert row_ids(boss.get("/orders/admin/?view=all&date_from=2026-12-08").get_data(as_text=True)) == []


def test_an_unknown_zone_stops_the_app(tmp_path):
    with pytest.raises(RuntimeError, match="SHOP_TIME_ZONE='America/Sao_Palo' is not a time zone"):
        make_app(create_app, "orders", tmp_path, SHOP_TIME_ZONE="America/Sao_Palo")


def test_the_pay_by_is_said_in_sao_paulo_too(app, alice, widget, stripe_fake):
    order_id = place(alice, widget, 1)
    pay(alice, order_id)
    set_times(app, order_id, pay_by=datetime(2099, 1, 2, 2, 59), hold_expires_at=datetime(2099, 1, 2, 3, 4))
    html = plain(alice.get(f"/orders/{order_id}").get_data(as_text=True))
    assert '<td id="order-pay-by">1/1/99, 11:59 PM -03</td>' in html

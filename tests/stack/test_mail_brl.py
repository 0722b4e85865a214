"""A Portuguese-speaking customer of a shop selling in reais gets Portuguese e-mails with R$ amounts:
the receipt, and the cancellation notice with its refund when an admin cancels the paid order."""

import pytest

from stacktools.client import ShopClient, new_login
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD, Stack, serve
from tests.mail_server import mail_to, text_of, wait_for_mail
from tests.stack.shop_orders import checkout_url, complete, new_item, order, placed, session_id, wait_for_status


@pytest.fixture(scope="module")
def brl_shop(request):
    yield from serve(Stack(SHOP_CURRENCY="brl"), request, logs=("orders", "users", "jobs", "mail"))


def test_a_portuguese_customer_reads_receipt_and_refund_in_portuguese_and_reais(brl_shop):
    stack = brl_shop
    client = ShopClient(stack.base_url)
    login = new_login("ana")
    email = f"{login}@example.com.br"
    assert client.register(login, email=email).status_code == 303
    assert client.post("/users/language", {"lang": "pt_BR", "next": "/users/account"}).status_code == 303
    item = new_item(stack, price="12.50", quantity=5)
    order_id = placed(order(client, item, 2))
    assert complete(stack, session_id(checkout_url(client, order_id))).status_code == 200
    wait_for_status(stack, order_id, "Paid")
    [receipt] = wait_for_mail(stack, email)
    assert receipt["Subject"] == f"Recibo do seu pedido {order_id}"
    assert "Total: R$ 25,00" in text_of(receipt) and "Obrigado pelo seu pedido" in text_of(receipt)

    admin = ShopClient(stack.base_url)
    admin.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    cancelled = admin.post(f"/orders/admin/{order_id}/cancel", {"restock": "y"}, htmx=True)
    assert cancelled.status_code == 200, cancelled.text
    wait_for_status(stack, order_id, "Cancelled")
    notices = wait_for_mail(stack, email, count=2)
    notice = next(m for m in notices if m["Subject"] == f"Seu pedido {order_id} foi cancelado")
    assert "Seu pagamento de R$ 25,00 foi estornado" in text_of(notice)
    assert len(mail_to(stack, email)) == 2

"""Boleto through nginx with the emulator (a shop in BRL): issued, the order waits with its stock
held; settled it is paid and the stock sold; lapsed it is cancelled and the stock returned."""

import pytest

from stacktools.client import ShopClient
from stacktools.stack import Stack, serve, wait_until
from tests.stack.shop_orders import (
    api_order,
    checkout_url,
    complete,
    control,
    customer,
    history,
    new_item,
    order,
    pay,
    placed,
    reservation,
    rfc3339,
    session_id,
    stock_of,
    stripe_client,
    wait_for_status,
)


@pytest.fixture(scope="module")
def brl_shop(request):
    yield from serve(Stack(SHOP_CURRENCY="brl"), request, logs=("orders", "stripe", "jobs"))


def boleto_issued(shop, quantity: int = 2) -> tuple[int, int, str, ShopClient]:
    """An order of `quantity` R$ 25.00 units paid with a boleto that is not settled yet."""
    item = new_item(shop, price="25.00", quantity=10)
    buyer = customer(shop)
    order_id = placed(order(buyer, item, quantity))
    session = session_id(checkout_url(buyer, order_id))
    assert stripe_client(shop).v1.checkout.sessions.retrieve(session).payment_method_types == ["card", "boleto"]
    issued = complete(shop, session, method="boleto")
    assert issued.status_code == 200 and issued.json()["session"]["payment_status"] == "unpaid"
    wait_until(lambda: "Boleto issued" in history(buyer, order_id), timeout=20)
    return item, order_id, session, buyer


def test_a_settled_boleto_pays_the_order_and_sells_its_stock(brl_shop):
    item, order_id, session, buyer = boleto_issued(brl_shop, 2)
    assert api_order(brl_shop, order_id)["status"] == "Pending"
    intent = stripe_client(brl_shop).v1.checkout.sessions.retrieve(session, params={"expand": ["payment_intent"]})
    due = intent.payment_intent.next_action.boleto_display_details.expires_at
    wait_until(lambda: reservation(brl_shop, order_id)["expires_at"] == rfc3339(due + 7 * 86400))  # a week
    page = history(buyer, order_id)
    assert "awaiting payment: boleto issued" in page and "R$ 50.00" in page
    assert "A boleto was issued" in buyer.post(f"/orders/{order_id}/cancel", htmx=True).text
    assert pay(buyer, order_id).status_code == 409

    assert control(brl_shop, f"/checkout/{session}/settle", result="succeeded").status_code == 200
    wait_for_status(brl_shop, order_id, "Paid")
    wait_until(lambda: reservation(brl_shop, order_id)["state"] == "committed")
    assert stock_of(brl_shop, item) == 8


def test_a_lapsed_boleto_cancels_the_order_and_returns_its_stock(brl_shop):
    item, order_id, session, buyer = boleto_issued(brl_shop, 3)
    assert stock_of(brl_shop, item) == 7
    assert control(brl_shop, f"/checkout/{session}/settle", result="failed").status_code == 200
    wait_for_status(brl_shop, order_id, "Cancelled")
    wait_until(lambda: reservation(brl_shop, order_id)["state"] == "released")
    assert stock_of(brl_shop, item) == 10
    assert "The boleto was not paid by its due date" in history(buyer, order_id)

"""An order's history and payments read in the reader's language: the notes, the From and To
columns and the amounts; in English exactly as stored; a line written before notes had their
message and arguments shows its English note in every language."""

import html as html_text
import re
from datetime import datetime, timedelta

import pytest

from orders_app import history
from orders_app.extensions import db
from orders_app.jobs import sweep
from orders_app.models import OrderEvent, utcnow
from tests.orders_app.helpers import choose_language, deliver, fresh, pay, place, post_form, session_of


@pytest.fixture
def lamp(inventory) -> int:
    """An item at $31.75 with 10 in stock."""
    return inventory.add_item("Lamp", 3175, 10)


def history_rows(page: str) -> list[tuple[str, str, str, str, str]]:
    """(who, what, from, to, note) of each line of the page's history table, as a reader sees them."""
    table = page.split('class="order-history"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    cells = [[html_text.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]
    return [tuple(row[1:]) for row in cells if len(row) == 6]


def payment_notes(page: str) -> list[str]:
    table = page.split('id="payment-timeline"', 1)[1].split("</table>", 1)[0]
    return [html_text.unescape(note) for note in re.findall(r'<small class="muted">\((.*?)\)</small>', table)]


def placed_edited_paid_and_refunded(app, alice, boss, stripe_fake, lamp) -> int:
    """3 lamps placed, a payment link opened, 2 lamps instead, paid, then cancelled by an admin with a refund."""
    order_id = place(alice, lamp, 3)
    assert pay(alice, order_id).status_code == 303
    assert post_form(alice, f"/orders/{order_id}/edit", {"quantity": 2}).status_code == 303
    assert pay(alice, order_id).status_code == 303
    assert deliver(app, stripe_fake.pay(session_of(app, order_id))).status_code == 200
    assert post_form(boss, f"/orders/admin/{order_id}/cancel", {"restock": "y"}).status_code in (200, 303)
    assert fresh(app, order_id).refund_id
    return order_id


def test_a_placed_edited_paid_and_refunded_order_reads_in_portuguese(app, alice, boss, stripe_fake, lamp):
    order_id = placed_edited_paid_and_refunded(app, alice, boss, stripe_fake, lamp)
    refund_id = fresh(app, order_id).refund_id
    choose_language(alice, "pt_BR")
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    rows = history_rows(page)
    pay_by = rows[1][4]
    assert re.fullmatch(r"Página de pagamento aberta; pague até \d\d/\d\d/\d{4} \d\d:\d\d UTC", pay_by), pay_by
    assert rows == [
        ("alice", "Pedido feito", "", "Pendente", "3 × Lamp; estoque reservado"),
        ("alice", "Link de pagamento", "", "", pay_by),
        ("alice", "Link de pagamento encerrado", "", "", "antes da alteração de quantidade"),
        ("alice", "Quantidade alterada", "3", "2", ""),
        ("alice", "Link de pagamento", "", "", rows[4][4]),
        ("Stripe", "Pago", "Pendente", "Pago", "US$ 63,50 (webhook checkout.session.completed)"),
        ("o estoque da loja", "Estoque vendido", "reservado", "vendido", "2 vendidos"),
        ("um administrador", "Cancelado", "Pago", "Cancelado", "Estorno solicitado; o estoque volta à venda"),
        ("o estoque da loja", "Estoque devolvido", "vendido", "liberado", "2 de volta ao estoque"),
        ("Stripe", "Estornado", "", "", f"US$ 63,50 estornados ({refund_id})"),
    ]
    assert payment_notes(page) == ["US$ 63,50"]


def when_in_english(note_data: dict) -> str:
    """The note's pay_by as the page's own times read in English ("12/7/26, 10:33 PM UTC")."""
    moment = datetime.fromisoformat(note_data["args"]["pay_by"]["time"])
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment:%y}, {hour}:{moment:%M}\u202f{moment:%p} UTC"  # Babel: narrow space


def test_the_same_order_reads_in_english_as_it_always_did(app, alice, boss, stripe_fake, lamp):
    order_id = placed_edited_paid_and_refunded(app, alice, boss, stripe_fake, lamp)
    order = fresh(app, order_id)
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    rows = history_rows(page)
    # the stored audit text keeps its ISO-like time; the page says it as the page's other times do
    assert re.fullmatch(r"Payment page opened; pay by \d{4}-\d\d-\d\d \d\d:\d\d UTC", order.events[1].note)
    pay_by = rows[1][4]
    assert re.fullmatch(r"Payment page opened; pay by \d\d?/\d\d?/\d\d, \d\d?:\d\d\s[AP]M UTC", pay_by), pay_by
    assert pay_by == f"Payment page opened; pay by {when_in_english(order.events[1].note_data)}"
    assert rows == [
        ("alice", "Order placed", "", "Pending", "3 × Lamp; stock held"),
        ("alice", "Payment link", "", "", pay_by),
        ("alice", "Payment link closed", "", "", "before the quantity change"),
        ("alice", "Quantity changed", "3", "2", ""),
        ("alice", "Payment link", "", "", rows[4][4]),
        ("Stripe", "Paid", "Pending", "Paid", "$63.50 (webhook checkout.session.completed)"),
        ("the shop's stock", "Stock sold", "held", "committed", "2 sold"),
        ("an administrator", "Cancelled", "Paid", "Cancelled", "Refund requested; its stock goes back on sale"),
        ("the shop's stock", "Stock returned", "committed", "released", "2 back in stock"),
        ("Stripe", "Refunded", "", "", f"$63.50 refunded ({order.refund_id})"),
    ]
    # the stored English text is unchanged (the audit text): the page shows exactly it, but for its times
    assert [event.note or "" for event in order.events if "pay by" not in (event.note or "")] == [
        row[4] for row in rows if "pay by" not in row[4]
    ]
    assert [event.actor for event in order.events][5:] == ["stripe", "inventory", "boss (admin)", "inventory", "stripe"]
    assert payment_notes(page) == ["$63.50"]
    # which administrator it was is for the shop's eyes: an administrator reads their login
    assert history_rows(boss.get(f"/orders/{order_id}").get_data(as_text=True))[7][0] == "boss (admin)"


def test_an_order_cancelled_by_its_customer_reads_in_portuguese(app, alice, stripe_fake, lamp):
    order_id = place(alice, lamp, 3)
    pay(alice, order_id)
    assert post_form(alice, f"/orders/{order_id}/cancel").status_code == 303
    choose_language(alice, "pt_BR")
    rows = history_rows(alice.get(f"/orders/{order_id}").get_data(as_text=True))
    assert rows[2:] == [
        ("alice", "Link de pagamento encerrado", "", "", "antes do cancelamento"),
        ("alice", "Cancelado", "Pendente", "Cancelado", "Cancelado na página do pedido"),
        ("o estoque da loja", "Estoque devolvido", "reservado", "liberado", "3 de volta ao estoque"),
    ]


def test_an_order_of_several_lines_changed_on_its_page_reads_in_portuguese(
    app, alice, bearer, client_anonymous, inventory, lamp
):
    mug = inventory.add_item("Mug", 850, 10)
    lines = [{"inventory_id": mug, "quantity": 2}, {"inventory_id": lamp, "quantity": 1}]
    placed = client_anonymous.post("/orders/api/orders", json={"lines": lines}, headers=bearer("alice"))
    order_id = placed.json["id"]
    edit = {f"quantity-{mug}": "1", f"quantity-{lamp}": "1", "version": str(fresh(app, order_id).version)}
    assert post_form(alice, f"/orders/{order_id}/edit", edit).status_code == 303
    choose_language(alice, "pt_BR")
    rows = history_rows(alice.get(f"/orders/{order_id}").get_data(as_text=True))
    assert rows[-1] == ("alice", "Linhas alteradas", "2 × Mug, 1 × Lamp", "1 × Mug, 1 × Lamp", "")


def test_a_line_written_before_notes_were_translatable_shows_its_english_note(app, alice, lamp):
    order_id = place(alice, lamp, 1)
    with app.app_context():
        db.session.add(
            OrderEvent(
                order_id=order_id,
                actor="inventory",
                action="stock_released",
                from_value="held",
                to_value="released",
                note="1 back in stock",
            )
        )
        db.session.commit()
    choose_language(alice, "pt_BR")
    rows = history_rows(alice.get(f"/orders/{order_id}").get_data(as_text=True))
    assert rows[-1] == ("o estoque da loja", "Estoque devolvido", "reservado", "liberado", "1 back in stock")


def test_a_note_keeps_its_english_text_and_its_message_and_arguments():
    paid = history.note("%(amount)s (%(via)s)", amount=history.Money(6350, "usd"), via=history.note("reconcile"))
    assert paid.english == "$63.50 (reconcile)"
    assert history.Note.from_data(paid.data()) == paid
    sold = history.note_plural("%(num)d sold", "%(num)d sold", 1)
    assert sold.english == "1 sold" and history.Note.from_data(sold.data()) == sold


def test_an_order_the_shop_cancelled_says_who_in_the_readers_language(app, alice, lamp):
    order_id = place(alice, lamp, 1)
    with app.app_context():
        assert sweep(now=utcnow() + timedelta(hours=1)) == {"expired": 1}
    english = history_rows(alice.get(f"/orders/{order_id}").get_data(as_text=True))
    assert [row[:2] for row in english[-2:]] == [
        ("the shop (automatic)", "Cancelled"),
        ("the shop's stock", "Stock returned"),
    ]
    choose_language(alice, "pt_BR")
    portuguese = history_rows(alice.get(f"/orders/{order_id}").get_data(as_text=True))
    assert [row[:2] for row in portuguese[-2:]] == [
        ("a loja (automático)", "Cancelado"),
        ("o estoque da loja", "Estoque devolvido"),
    ]

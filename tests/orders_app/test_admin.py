"""The admin order monitor: every order, filters and search, counts and totals, needs attention."""

import html as html_text
import json
import re
from datetime import datetime, timedelta

from orders_app.clients.stripe_client import PaymentRefused
from orders_app.extensions import db
from orders_app.models import Order, utcnow
from orders_app.views.display import when
from tests.orders_app.helpers import (
    choose_language,
    deliver,
    fresh,
    logged_in,
    paid_order,
    pay,
    place,
    post_form,
    session_of,
)

HX = {"HX-Request": "true"}


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="monitor-order-(\d+)"', html)]


def summary_row(html: str, status: str) -> str:
    return re.search(rf'<tr id="summary-{status}">(.*?)</tr>', html, re.S).group(1)


def summary_of(html: str, status: str) -> tuple[str, str]:
    row = summary_row(html, status)
    count = re.search(r'class="summary-count">(\d+)<', row).group(1)
    total = re.search(r'class="summary-total">([^<]+)<', row).group(1)
    return count, total


def seed(app, users, inventory):
    """alice: 3 Widgets (pending) and 1 Lamp (cancelled); bob: 5 Widgets (pending)."""
    widget = inventory.add_item("Widget", 20, 100)
    lamp = inventory.add_item("Desk lamp", 1999, 5)
    alice, bob = logged_in(app, users.records[1]), logged_in(app, users.records[2])
    ids = {"alice_widget": place(alice, widget, 3), "alice_lamp": place(alice, lamp, 1), "bob": place(bob, widget, 5)}
    post_form(alice, f"/orders/{ids['alice_lamp']}/cancel")
    return ids


def test_the_monitor_is_for_admins_only(alice, client_anonymous):
    assert alice.get("/orders/admin/").status_code == 403
    assert client_anonymous.get("/orders/admin/").status_code == 302


def test_the_monitor_lists_every_order_with_login_item_quantity_total_status_and_age(app, users, inventory, boss):
    ids = seed(app, users, inventory)
    html = boss.get("/orders/admin/").get_data(as_text=True)
    assert row_ids(html) == [ids["bob"], ids["alice_lamp"], ids["alice_widget"]]
    row = re.search(rf'<tr id="monitor-order-{ids["bob"]}">(.*?)</tr>', html, re.S).group(1)
    for text in ("bob", "Widget", ">5<", "$1.00", "Pending", " s</time>"):
        assert text in row, text
    assert summary_of(html, "pending") == ("2", "$1.60")
    assert summary_of(html, "cancelled") == ("1", "$19.99")
    assert summary_of(html, "paid") == ("0", "$0.00")


def test_the_summary_totals_orders_per_status_and_names_the_refunded_ones_no_revenue(
    app, users, inventory, boss, stripe_fake
):
    """Only Paid is money the shop keeps: a Cancelled order's total is not called revenue, and the
    Cancelled ones whose payment went back say so."""
    seed(app, users, inventory)
    lamp = inventory.add_item("Lamp", 1250, 10)
    alice = logged_in(app, users.records[1])
    paid_order(app, alice, lamp, stripe_fake, quantity=2)
    refunded = paid_order(app, alice, lamp, stripe_fake, quantity=3)
    assert post_form(boss, f"/orders/admin/{refunded}/cancel", {"restock": "y"}).status_code == 303
    html = boss.get("/orders/admin/").get_data(as_text=True)
    assert summary_of(html, "paid") == ("1", "$25.00")
    assert summary_of(html, "cancelled") == ("2", "$57.49")  # $19.99 never paid, $37.50 refunded
    assert "of which 1 refunded: $37.50" in summary_row(html, "cancelled")
    assert "refunded" not in summary_row(html, "pending") + summary_row(html, "paid")
    assert ">Total of orders<" in html and "Revenue" not in html


def test_filters_by_status_user_item_and_search(app, users, inventory, boss):
    ids = seed(app, users, inventory)

    def rows(query):
        return row_ids(boss.get(f"/orders/admin/?{query}", headers=HX).get_data(as_text=True))

    assert rows("status=Cancelled") == [ids["alice_lamp"]]
    assert rows("user=ALI") == [ids["alice_lamp"], ids["alice_widget"]]
    assert rows("item=lamp") == [ids["alice_lamp"]]
    assert rows("item=1") == [ids["bob"], ids["alice_widget"]]  # an item id
    assert rows("q=bob") == [ids["bob"]]
    assert rows(f"q=%23{ids['alice_widget']}") == [ids["alice_widget"]]
    assert rows("user=alice&status=Pending") == [ids["alice_widget"]]
    unknown = boss.get("/orders/admin/?status=Shipped", headers=HX).get_data(as_text=True)
    assert "Unknown status “Shipped”; showing every status." in unknown and len(row_ids(unknown)) == 3


def test_the_date_range_filters_on_the_day_ordered(app, users, inventory, boss):
    ids = seed(app, users, inventory)
    # One clock reading for every order and for "today": seeded just before midnight (UTC) and read
    # just after, the orders would belong to yesterday.
    now = utcnow()
    with app.app_context():
        for key in ("alice_widget", "alice_lamp"):
            db.session.get(Order, ids[key]).created_at = now
        db.session.get(Order, ids["bob"]).created_at = now - timedelta(days=3)
        db.session.commit()
    today = now.date()
    three_days_ago = (today - timedelta(days=3)).isoformat()
    html = boss.get(f"/orders/admin/?date_from={three_days_ago}&date_to={three_days_ago}").get_data(as_text=True)
    assert row_ids(html) == [ids["bob"]]
    html = boss.get(f"/orders/admin/?date_from={today.isoformat()}").get_data(as_text=True)
    assert ids["bob"] not in row_ids(html) and len(row_ids(html)) == 2
    bad = boss.get("/orders/admin/?date_from=yesterday").get_data(as_text=True)
    assert "use a date like" in bad and len(row_ids(bad)) == 3


def test_needs_attention_shows_overdue_stuck_and_flagged_orders(app, users, inventory, boss):
    ids = seed(app, users, inventory)
    with app.app_context():
        db.session.get(Order, ids["bob"]).pay_by = utcnow() - timedelta(minutes=1)
        flagged = db.session.get(Order, ids["alice_lamp"])
        flagged.needs_attention, flagged.attention_reason = True, "paid after it was cancelled; refunded"
        db.session.commit()
    html = boss.get("/orders/admin/?view=attention").get_data(as_text=True)
    assert row_ids(html) == [ids["bob"], ids["alice_lamp"]]
    assert "not paid within the payment window" in html and "paid after it was cancelled; refunded" in html


def test_the_results_refresh_themselves_keeping_the_filters(boss):
    html = boss.get("/orders/admin/?status=Pending&user=al").get_data(as_text=True)
    region = re.search(r'<div id="monitor-results"[^>]*>', html).group(0)
    assert 'hx-trigger="every 10s"' in region and 'hx-include="#monitor-filters"' in region
    form = re.search(r'<form id="monitor-filters".*?</form>', html, re.S).group(0)
    assert 'value="al"' in form and '<option value="Pending" selected>' in form
    assert 'hx-get="/inventory/fragments/low-stock"' in html
    assert 'hx-trigger="load, every 30s, shop:stock-changed from:body"' in html  # and after a restocking cancel
    fragment = boss.get("/orders/admin/?status=Pending", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="monitor-results"') and "<html" not in fragment


def test_without_javascript_the_low_stock_box_links_to_the_inventory_instead_of_loading_forever(boss):
    # htmx fills the box from inventory; a browser without JavaScript never asks, so what the page
    # itself holds is what the admin keeps: a way to the emptiest items, not "loading…".
    html = boss.get("/orders/admin/").get_data(as_text=True)
    box = re.search(r'<aside id="low-stock".*?</aside>', html, re.S).group(0)
    assert "loading" not in box.lower()
    assert '<a href="/inventory/admin/?sort=quantity">Inventory, emptiest first</a>' in box


def test_an_admin_cancels_any_pending_order_from_the_monitor(app, users, inventory, boss):
    ids = seed(app, users, inventory)
    response = post_form(boss, f"/orders/admin/{ids['bob']}/cancel", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(f'<tr id="monitor-order-{ids["bob"]}"')
    assert "Cancelled" in html and inventory.stock(1) == 97
    again = post_form(boss, f"/orders/admin/{ids['bob']}/cancel", htmx=True)
    assert "only pending orders" in again.get_data(as_text=True)
    plain = post_form(boss, f"/orders/admin/{ids['alice_widget']}/cancel")
    assert plain.status_code == 303 and inventory.stock(1) == 100


def test_an_admin_marks_a_flagged_order_resolved_and_its_history_keeps_the_reason(app, users, inventory, boss, alice):
    ids = seed(app, users, inventory)
    lamp, widget = ids["alice_lamp"], ids["alice_widget"]
    with app.app_context():
        flagged = db.session.get(Order, lamp)
        flagged.needs_attention, flagged.attention_reason = True, "paid after it was cancelled; refunded"
        db.session.commit()
    page = boss.get(f"/orders/{lamp}").get_data(as_text=True)
    assert "Needs attention: paid after it was cancelled; refunded" in page and 'id="resolve-attention"' in page
    assert "Needs attention" not in alice.get(f"/orders/{lamp}").get_data(as_text=True)  # the customer's page
    monitor = boss.get("/orders/admin/").get_data(as_text=True)
    assert f'hx-post="/orders/admin/{lamp}/resolve"' in monitor
    assert lamp in row_ids(boss.get("/orders/admin/?view=attention").get_data(as_text=True))
    assert f'hx-post="/orders/admin/{widget}/resolve"' not in monitor  # nothing to resolve there

    assert post_form(alice, f"/orders/admin/{lamp}/resolve").status_code == 403
    with app.app_context():
        assert db.session.get(Order, lamp).needs_attention

    response = post_form(boss, f"/orders/admin/{lamp}/resolve", htmx=True)
    row = response.get_data(as_text=True)
    assert response.status_code == 200 and row.lstrip().startswith(f'<tr id="monitor-order-{lamp}"')
    assert f"Order #{lamp} is marked as resolved." in row and "/resolve" not in row
    assert lamp not in row_ids(boss.get("/orders/admin/?view=attention").get_data(as_text=True))
    with app.app_context():
        order = db.session.get(Order, lamp)
        assert (order.needs_attention, order.attention_reason, order.status) == (False, None, "Cancelled")
    history = boss.get(f"/orders/{lamp}").get_data(as_text=True)
    assert "Marked as resolved" in history and "paid after it was cancelled; refunded" in history
    assert "Needs attention:" not in history

    again = post_form(boss, f"/orders/admin/{lamp}/resolve", htmx=True).get_data(as_text=True)
    assert "is not flagged: there is nothing to resolve" in again
    plain = post_form(boss, f"/orders/admin/{lamp}/resolve", {"return_to": "order"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/orders/{lamp}")
    assert post_form(boss, "/orders/admin/999999/resolve").status_code == 404


def test_resolving_without_the_csrf_token_is_refused_and_changes_nothing(app, users, inventory, boss):
    ids = seed(app, users, inventory)
    with app.app_context():
        db.session.get(Order, ids["alice_lamp"]).needs_attention = True
        db.session.commit()
    assert boss.post(f"/orders/admin/{ids['alice_lamp']}/resolve").status_code == 400
    with app.app_context():
        assert db.session.get(Order, ids["alice_lamp"]).needs_attention


def test_a_date_in_another_iso_spelling_is_shown_in_the_field_as_the_filter_applies_it(app, users, inventory, boss):
    """20260131 and 2026-W05-6 are dates to Python but not to a date field: the field would show
    empty while the list is filtered by it."""
    ids = seed(app, users, inventory)
    with app.app_context():
        for order_id in ids.values():
            db.session.get(Order, order_id).created_at = datetime(2026, 1, 31, 12)
        db.session.commit()
    for spelling in ("20260131", "2026-W05-6"):
        html = boss.get(f"/orders/admin/?date_from={spelling}&date_to={spelling}").get_data(as_text=True)
        form = re.search(r'<form id="monitor-filters".*?</form>', html, re.S).group(0)
        assert 'name="date_from" value="2026-01-31"' in form and 'name="date_to" value="2026-01-31"' in form
        assert len(row_ids(html)) == 3


def test_a_date_range_from_after_to_says_why_nothing_matches_in_both_languages(app, users, inventory, boss):
    seed(app, users, inventory)
    html = boss.get("/orders/admin/?date_from=2026-02-01&date_to=2026-01-01").get_data(as_text=True)
    assert row_ids(html) == [] and "From is after To" in html
    assert 'name="date_from" value="2026-02-01"' in html and 'name="date_to" value="2026-01-01"' in html
    choose_language(boss, "pt_BR")
    html = boss.get("/orders/admin/?date_from=2026-02-01&date_to=2026-01-01", headers=HX).get_data(as_text=True)
    assert "De é posterior a Até" in html
    one_day = boss.get("/orders/admin/?date_from=2026-01-01&date_to=2026-01-01").get_data(as_text=True)
    assert "De é posterior a Até" not in one_day


def test_a_nul_character_in_a_filter_is_dropped_not_sent_to_the_database(app, users, inventory, boss):
    """PostgreSQL refuses NUL in text (psycopg raises DataError: a 500); SQLite cut the pattern there
    and showed every order for a customer name that matches none."""
    seed(app, users, inventory)
    for name in ("q", "user", "item"):
        html = boss.get(f"/orders/admin/?{name}=%00nobody").get_data(as_text=True)
        assert row_ids(html) == [], name
    html = boss.get("/orders/admin/?item=wid%00get").get_data(as_text=True)  # the NUL dropped, the rest kept
    assert 'name="item" value="widget"' in html


def test_the_item_filter_takes_an_id_as_the_rows_show_it(app, users, inventory, boss):
    """A row shows its item as "Widget (#1)": typing "#1" in Item finds that item's orders, as "#12"
    in the search box finds order 12."""
    ids = seed(app, users, inventory)
    html = boss.get("/orders/admin/", headers=HX).get_data(as_text=True)
    assert "(#1)" in html
    assert row_ids(boss.get("/orders/admin/?item=%231", headers=HX).get_data(as_text=True)) == [
        ids["bob"],
        ids["alice_widget"],
    ]


def shown(html: str) -> tuple[str, int]:
    """The rows the page shows (from the pages line: first, en dash, last) and how many orders there are
    (the count line)."""
    rows = re.search(r'id="monitor-range">orders (\S+)</span>', html).group(1)
    return rows, int(re.search(r'<span id="monitor-total">(\d+)</span>', html).group(1))


def next_link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return html_text.unescape(found.group(1)) if found else None


def test_a_later_page_keeps_its_rows_while_orders_arrive(app, users, inventory, boss, monkeypatch):
    """Offset paging moved every row down one page per new order: an admin reading "Older" saw rows of
    the page before again (and missed as many). A later page is anchored to its orders."""
    monkeypatch.setattr("orders_app.views.admin.PER_PAGE", 2)
    ids = seed(app, users, inventory)
    first = boss.get("/orders/admin/").get_data(as_text=True)
    assert row_ids(first) == [ids["bob"], ids["alice_lamp"]] and shown(first) == ("1–2", 3)
    later = place(logged_in(app, users.records[2]), 1, 4)  # bob orders again while the admin reads page 1
    second = boss.get(next_link(first, "next")).get_data(as_text=True)
    assert row_ids(second) == [ids["alice_widget"]] and shown(second) == ("4–4", 4)
    assert f'"before": {ids["alice_widget"] + 1}' in second  # its refreshes keep to its orders
    refreshed = boss.get(f"/orders/admin/?before={ids['alice_widget'] + 1}", headers=HX).get_data(as_text=True)
    assert row_ids(refreshed) == [ids["alice_widget"]]
    back = boss.get(next_link(second, "prev")).get_data(as_text=True)  # the orders the admin saw, the new one above
    assert row_ids(back) == [ids["bob"], ids["alice_lamp"]] and shown(back) == ("2–3", 4)
    top = boss.get(next_link(back, "prev")).get_data(as_text=True)  # not a page of one at the top: the first page
    assert row_ids(top) == [later, ids["bob"]] and shown(top) == ("1–2", 4) and 'rel="prev"' not in top


def test_a_page_whose_orders_went_away_shows_the_last_page_not_an_empty_list(app, users, inventory, boss, monkeypatch):
    """The list refreshes itself on the page the admin is on: when resolving or cancelling takes its
    orders out of the filters, it shows the last page, not "No orders match."."""
    monkeypatch.setattr("orders_app.views.admin.PER_PAGE", 1)
    ids = seed(app, users, inventory)
    html = boss.get(f"/orders/admin/?before={ids['alice_widget']}", headers=HX).get_data(as_text=True)
    assert row_ids(html) == [ids["alice_widget"]] and shown(html) == ("3–3", 3) and 'rel="next"' not in html
    assert f'"before": {ids["alice_widget"] + 1}' in html
    made_up = boss.get("/orders/admin/?before=x&after=99999999999", headers=HX).get_data(as_text=True)
    assert row_ids(made_up) == [ids["bob"]] and shown(made_up) == ("1–1", 3)  # from the top


def test_an_action_without_javascript_comes_back_to_the_monitor_as_it_was_filtered(app, users, inventory, boss):
    """The form's own fields say which monitor it came from: back there, not to every order."""
    ids = seed(app, users, inventory)
    page = boss.get("/orders/admin/?user=bob&status=Pending").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="/orders/admin/{ids["bob"]}/cancel".*?</form>', page, re.S).group(0)
    inputs = re.findall(r"<input [^>]*>", form)
    fields = {re.search(r'name="(\w+)"', i).group(1): re.search(r'value="([^"]*)"', i).group(1) for i in inputs}
    assert set(fields) == {"csrf_token", "back", "shown_status"}
    answer = boss.post(f"/orders/admin/{ids['bob']}/cancel", data={k: html_text.unescape(v) for k, v in fields.items()})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/orders/admin/?status=Pending&user=bob"
    forged = post_form(boss, f"/orders/admin/{ids['alice_widget']}/cancel", {"back": "next=https://evil.example/&q=x"})
    assert forged.headers["Location"] == "/orders/admin/?q=x"  # only the monitor's own filters


def rendered_form(page: str, action: str) -> dict:
    """The fields of the page's form posting to `action`, as the browser sends them."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S).group(0)
    inputs = re.findall(r"<input [^>]*>", form)
    fields = {re.search(r'name="(\w+)"', i).group(1): re.search(r'value="([^"]*)"', i).group(1) for i in inputs}
    return {name: html_text.unescape(value) for name, value in fields.items()}


def test_a_cancel_shown_on_a_pending_order_that_was_paid_meanwhile_refunds_nothing(
    app, users, inventory, boss, stripe_fake
):
    """The monitor showed the order Pending with Cancel ("its stock goes back"); the customer paid
    before the admin clicked. The click must not refund the customer's payment (and, no restock box
    being on that form, keep the stock sold for an order nobody will receive): it is refused, the
    order stays paid, and the row shows it as it is now."""
    lamp = inventory.add_item("Lamp", 1250, 10)
    alice = logged_in(app, users.records[1])
    order_id = place(alice, lamp, 2)
    assert pay(alice, order_id).status_code == 303
    action = f"/orders/admin/{order_id}/cancel"
    fields = rendered_form(boss.get("/orders/admin/?status=Pending").get_data(as_text=True), action)

    assert deliver(app, stripe_fake.pay(session_of(app, order_id))).get_json()["outcome"] == "paid"
    filters = {"status": "Pending", "q": "", "user": ""}  # htmx sends the monitor's filters along (hx-include)
    answer = boss.post(action, data={**filters, **fields}, headers=HX)
    row = answer.get_data(as_text=True)

    order = fresh(app, order_id)
    assert (order.status, order.refund_state) == ("Paid", None) and stripe_fake.count("refund") == 0
    assert inventory.stock(lamp) == 8 and inventory.holds[f"order-{order_id}"].state == "committed"
    assert "This order is paid; only pending orders can be changed or cancelled." in html_text.unescape(row)
    assert "HX-Trigger" not in answer.headers  # no stock moved
    # The row now offers the refund, with its question and restock box, for the admin to decide;
    # its Refund refunds (sent with the filters too, whatever status they filter on).
    refund = rendered_form(row, action)
    assert refund["restock"] == "y"
    boss.post(action, data={**filters, **refund}, headers=HX)
    order = fresh(app, order_id)
    assert (order.status, order.refund_state) == ("Cancelled", "done") and inventory.stock(lamp) == 10


def test_the_admins_refund_says_what_stripe_did_with_the_refund(app, users, inventory, boss, stripe_fake, monkeypatch):
    """It said "cancelled and its payment refunded" for a refund Stripe refused (the order flagged, to be
    refunded by hand) and for one Stripe was still processing."""
    lamp = inventory.add_item("Lamp", 1250, 10)
    alice = logged_in(app, users.records[1])
    pending, refused = paid_order(app, alice, lamp, stripe_fake), paid_order(app, alice, lamp, stripe_fake)

    stripe_fake.refund_status = "pending"  # as test card 4000000000007726's refund
    row = post_form(boss, f"/orders/admin/{pending}/cancel", {"restock": "y"}, htmx=True).get_data(as_text=True)
    assert f"Order #{pending} is cancelled; Stripe is still processing its refund. Its stock went back." in row

    def refuse(*_args, **_kwargs):
        raise PaymentRefused("Your card was declined.")

    monkeypatch.setattr(stripe_fake, "refund", refuse)
    row = post_form(boss, f"/orders/admin/{refused}/cancel", {"restock": "y"}, htmx=True).get_data(as_text=True)
    error = re.search(r'<small class="field-error" role="alert">([^<]*)</small>', row)
    assert error and html_text.unescape(error.group(1)) == (
        f"Order #{refused} is cancelled, but Stripe refused its refund: refund it by hand. Its stock went back."
    )
    assert "payment refunded" not in row


def oob_summary(html: str) -> str:
    """The totals table an action's answer brings out of band (in a <template>, beside the row)."""
    table = r'<table class="monitor-summary" id="monitor-summary" hx-swap-oob="true">.*?</table>'
    found = re.search(rf"<template>\s*({table})", html, re.S)
    assert found, html
    return found.group(1)


def test_an_action_answers_with_its_row_and_the_totals_counted_again_for_the_admins_filters(
    app, users, inventory, boss, stripe_fake
):
    """The totals above the rows showed the counts before the action (Paid 1 after its refund) until
    the next refresh; the low-stock box showed the stock before a cancel that returned it."""
    ids = seed(app, users, inventory)
    lamp = inventory.add_item("Lamp", 1250, 10)
    paid = paid_order(app, logged_in(app, users.records[1]), lamp, stripe_fake, quantity=2)
    back = {"back": "user=alice&status=Pending"}  # as the monitor's forms send it

    cancelled = post_form(boss, f"/orders/admin/{ids['alice_widget']}/cancel", back, htmx=True)
    html = cancelled.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="monitor-order-{ids["alice_widget"]}"')
    assert f"Order #{ids['alice_widget']} is cancelled; its stock went back." in html  # the row's message stays
    summary = oob_summary(html)  # alice's orders only, every status (as the monitor counts them)
    assert summary_of(summary, "pending") == ("0", "$0.00")
    assert summary_of(summary, "paid") == ("1", "$25.00")
    assert summary_of(summary, "cancelled") == ("2", "$20.59")
    assert json.loads(cancelled.headers["HX-Trigger"]) == {"shop:stock-changed": ids["alice_widget"]}

    refunded = post_form(boss, f"/orders/admin/{paid}/cancel", {"back": "user=alice"}, htmx=True)
    summary = oob_summary(refunded.get_data(as_text=True))
    assert summary_of(summary, "paid") == ("0", "$0.00")
    assert summary_of(summary, "cancelled") == ("3", "$45.59")
    assert "of which 1 refunded: $25.00" in summary_row(summary, "cancelled")
    assert "HX-Trigger" not in refunded.headers  # unticked: its stock stays sold

    refused = post_form(boss, f"/orders/admin/{paid}/cancel", {"back": "user=alice", "restock": "y"}, htmx=True)
    assert 'class="field-error" role="alert"' in refused.get_data(as_text=True)
    assert "HX-Trigger" not in refused.headers  # nothing was done: no stock moved
    resolved = post_form(boss, f"/orders/admin/{ids['bob']}/resolve", {"back": "view=attention&user=b"}, htmx=True)
    html = resolved.get_data(as_text=True)
    assert "HX-Trigger" not in resolved.headers and summary_of(oob_summary(html), "pending") == ("0", "$0.00")
    # The row's forms (bob's Cancel) keep the filters for the row's next action and its totals.
    assert html_text.unescape(re.search(r'name="back" value="([^"]*)"', html).group(1)) == "user=b&view=attention"

    # The order page's forms carry no `back`: no totals to bring.
    from_order_page = post_form(boss, f"/orders/admin/{ids['bob']}/cancel", {"return_to": "order"}, htmx=True)
    assert "monitor-summary" not in from_order_page.get_data(as_text=True)


def test_an_actions_answer_says_it_was_done_whatever_the_filters_it_was_posted_with(app, users, inventory, boss):
    """A `back` longer than any monitor address (a hand-made post) was counted for its totals after
    the cancel was done: SQLite refused the search's LIKE and the answer, a 500, said nothing was
    changed. Such a `back` is not read: the row says what was done, with no totals."""
    ids = seed(app, users, inventory)
    back = {"back": "user=alice&q=" + "x" * 60_000}
    cancelled = post_form(boss, f"/orders/admin/{ids['alice_widget']}/cancel", back, htmx=True)
    assert cancelled.status_code == 200
    html = cancelled.get_data(as_text=True)
    assert f"Order #{ids['alice_widget']} is cancelled; its stock went back." in html
    assert "monitor-summary" not in html
    with app.app_context():
        assert db.session.get(Order, ids["alice_widget"]).status == "Cancelled"
    plain = post_form(boss, f"/orders/admin/{ids['bob']}/cancel", back)  # without htmx: the monitor, unfiltered
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/orders/admin/")


def oob_count(html: str) -> str:
    """The "N orders · updated ..." line an action's answer brings out of band, as text."""
    line = r'<p class="muted" id="monitor-count" hx-swap-oob="true">(.*?)</p>'
    found = re.search(rf"<template>.*?{line}.*?</template>", html, re.S)
    assert found, html
    return html_text.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def test_an_actions_answer_brings_the_count_and_the_time_of_the_monitor_it_came_from(
    app, users, inventory, boss, monkeypatch
):
    """After a cancel or a resolve, "2 orders needing attention · updated <before>" stayed until the
    next refresh, beside totals that already counted the action."""
    ids = seed(app, users, inventory)
    with app.app_context():
        flagged = db.session.get(Order, ids["alice_lamp"])
        flagged.needs_attention, flagged.attention_reason = True, "paid after it was cancelled; refunded"
        db.session.commit()
    page = boss.get("/orders/admin/?view=attention").get_data(as_text=True)
    assert re.search(r'<span id="monitor-total">1</span> order needing attention ·', page)
    later = utcnow() + timedelta(minutes=7)
    monkeypatch.setattr("orders_app.views.admin.utcnow", lambda: later)
    with app.test_request_context():
        updated = f"updated {when(later)}"

    resolved = post_form(boss, f"/orders/admin/{ids['alice_lamp']}/resolve", {"back": "view=attention"}, htmx=True)
    line = oob_count(resolved.get_data(as_text=True))
    assert line.startswith(f"0 orders needing attention · {updated}"), line

    cancelled = post_form(boss, f"/orders/admin/{ids['bob']}/cancel", {"back": "status=Pending"}, htmx=True)
    line = oob_count(cancelled.get_data(as_text=True))
    assert line.startswith(f"1 order · {updated}"), line  # alice's Widgets: the one Pending order left


def test_an_actions_row_says_what_was_done_in_sight_not_only_to_screen_readers(
    app, users, inventory, boss, stripe_fake
):
    """"Order #N is cancelled and its payment refunded; its stock was not returned." went to the live
    region alone: a sighted admin saw the badge turn Cancelled and nothing of the refund or the stock."""
    lamp = inventory.add_item("Lamp", 1250, 10)
    paid = paid_order(app, logged_in(app, users.records[1]), lamp, stripe_fake, quantity=2)
    stripe_fake.refund_status = "pending"
    html = post_form(boss, f"/orders/admin/{paid}/cancel", {"back": ""}, htmx=True).get_data(as_text=True)
    seen = re.sub(r"<template>.*?</template>", "", html, flags=re.S)
    done = re.search(r'<small class="action-done">([^<]*)</small>', seen)
    assert done, seen
    assert html_text.unescape(done.group(1)) == (
        f"Order #{paid} is cancelled; Stripe is still processing its refund. Its stock was not returned."
    )


def test_an_empty_needs_attention_list_says_nothing_needs_attention(app, users, inventory, boss):
    """With nothing flagged, overdue or stuck, the list said "No orders match.", as a search that
    found nothing: the admin could not tell all is well from a filter that missed."""
    seed(app, users, inventory)
    empty = html_text.unescape(boss.get("/orders/admin/?view=attention").get_data(as_text=True))
    assert "Nothing needs attention: no order is flagged, overdue or stuck." in empty
    assert "No orders match." not in empty
    searched = boss.get("/orders/admin/?view=attention&user=nobody").get_data(as_text=True)
    assert "No orders match." in searched and "Nothing needs attention" not in searched
    assert "No orders match." in boss.get("/orders/admin/?user=nobody").get_data(as_text=True)

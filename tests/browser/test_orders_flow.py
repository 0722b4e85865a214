"""In Chromium through nginx: order an item, watch the total follow the quantity, change the
quantity on the order page, then cancel it after confirming; and the admin watches it happen."""

import re
import time

from playwright.sync_api import Page, expect

from stacktools.stack import ADMIN_LOGIN, wait_until
from tests.browser.helpers import log_in_as_admin, register
from tests.stack.shop_orders import (
    checkout_url,
    complete,
    control,
    customer,
    new_item,
    order,
    placed,
    reservation,
    session_id,
    status_of,
    stock_of,
    wait_for_status,
)


def test_order_edit_and_cancel_an_order_in_the_browser(stack, page: Page):
    item = new_item(stack, price="0.50", quantity=10)
    register(stack, page)

    page.goto(stack.url(f"/inventory/items/{item}"))
    page.get_by_label("Quantity").fill("3")
    expect(page.locator("#order-total")).to_have_text("3 × $0.50 = $1.50")  # computed by orders_app
    page.get_by_label("Quantity").fill("12")
    expect(page.locator("#order-total")).to_have_text("only 10 left")
    page.get_by_label("Quantity").fill("3")
    expect(page.locator("#order-total")).to_have_text("3 × $0.50 = $1.50")
    page.get_by_role("button", name="Order").click()

    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("#order-total-price")).to_have_text("$1.50")
    expect(page.locator("#order-status")).to_have_text("Pending")
    assert stock_of(stack, item) == 7

    page.get_by_role("button", name="Change quantity").click()
    quantity = page.locator("#order-quantity").get_by_label("Quantity")
    expect(quantity).to_be_focused()
    quantity.fill("5")
    page.get_by_role("button", name="Save quantity").click()
    expect(page.locator("#order-quantity")).to_have_text("5")
    expect(page.locator("#order-total-price")).to_have_text("$2.50")
    expect(page.locator("#order-detail").get_by_role("status")).to_contain_text("Quantity changed to 5")
    assert stock_of(stack, item) == 5

    page.get_by_role("button", name="Change quantity").click()
    page.locator("#order-quantity").get_by_label("Quantity").fill("50")
    page.get_by_role("button", name="Save quantity").click()
    expect(page.locator("#quantity-error")).to_contain_text("only 5 more left")
    page.get_by_role("button", name="Keep 5").click()
    expect(page.locator("#order-quantity")).to_have_text("5")

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#order-status")).to_have_text("Cancelled")
    assert dialogs and "Cancel order #" in dialogs[0]
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    expect(page.locator(".order-history")).to_contain_text("Stock returned")
    assert stock_of(stack, item) == 10

    page.goto(stack.url("/orders/"))
    expect(page.locator("#order-list .badge").first).to_have_text("Cancelled")


def test_the_admin_monitor_filters_without_losing_them_on_refresh(stack, page: Page):
    item = new_item(stack, price="2.00", quantity=10)
    buyer = register(stack, page)
    page.goto(stack.url(f"/orders/new?inventory_id={item}&quantity=2"))
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#order-status")).to_have_text("Pending")
    page.get_by_role("button", name="Log out").click()

    page.goto(stack.url("/users/login"))
    page.get_by_label("Login").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(stack.env["SHOP_ADMIN_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    page.goto(stack.url("/orders/admin/"))
    page.get_by_label("Customer").fill(buyer)
    expect(page).to_have_url(re.compile(rf"user={buyer}"))
    rows = page.locator("#monitor-results .monitor-orders tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(buyer)
    expect(rows.first).to_contain_text("$4.00")
    # The results region refreshes itself every 10 s, with the filters (the deadline leaves a loaded
    # machine time to send the poll and answer it).
    with page.expect_response(re.compile(rf"/orders/admin/\?.*user={buyer}"), timeout=30_000):
        pass
    expect(rows).to_have_count(1)
    expect(page.locator("#low-stock")).to_contain_text("Low stock")

    page.on("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name="Cancel").click()
    expect(rows.first).to_contain_text("Cancelled")
    assert stock_of(stack, item) == 10


def test_the_admin_monitor_says_it_refreshes_itself_only_where_it_does(stack, page: Page):
    """htmx does the refreshing: without JavaScript the page stays as it was loaded and must not say
    "refreshes every 10 s"; the time it was updated is true either way."""
    log_in_as_admin(stack, page)
    no_script = page.context.browser.new_context(java_script_enabled=False)
    static_page = no_script.new_page()
    log_in_as_admin(stack, static_page)
    for each in (page, static_page):
        each.goto(stack.url("/orders/admin/"))
    summary = "#monitor-results p.muted"
    assert re.search(r"updated .* · refreshes every 10 s$", page.locator(summary).inner_text())
    without = static_page.locator(summary).inner_text()
    no_script.close()
    assert "updated" in without and "refreshes" not in without


def test_the_admins_restock_choice_survives_the_monitors_refresh_and_is_what_the_refund_does(stack, page: Page):
    item = new_item(stack, price="3.00", quantity=10)
    alice = customer(stack)
    kept, restocked = placed(order(alice, item, 2)), placed(order(alice, item, 3))
    for order_id in (kept, restocked):
        complete(stack, session_id(checkout_url(alice, order_id)))
        wait_for_status(stack, order_id, "Paid")
        wait_until(lambda order_id=order_id: reservation(stack, order_id)["state"] == "committed")
    assert stock_of(stack, item) == 5

    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/orders/admin/?item={item}"))
    kept_box = page.locator(f"#monitor-order-{kept}").get_by_label("restock")
    restocked_box = page.locator(f"#monitor-order-{restocked}").get_by_label("restock")
    expect(kept_box).to_be_checked()  # as the API: the stock goes back unless the admin says no
    expect(restocked_box).to_be_checked()
    kept_box.uncheck()
    restocked_box.uncheck()
    restocked_box.check()
    # The results region refreshes itself (every 10 s): wait for the new region to be swapped in.
    page.locator("#monitor-results").evaluate("region => { region.dataset.before = 'refresh'; }")
    expect(page.locator("#monitor-results[data-before]")).to_have_count(0, timeout=30_000)
    expect(kept_box).not_to_be_checked()
    expect(restocked_box).to_be_checked()

    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.locator(f"#monitor-order-{kept}").get_by_role("button", name="Refund").click()
    expect(page.locator(f"#monitor-order-{kept}")).to_contain_text("Cancelled")
    assert questions[-1].endswith("Its stock is not returned: it stays sold."), questions
    page.locator(f"#monitor-order-{restocked}").get_by_role("button", name="Refund").click()
    expect(page.locator(f"#monitor-order-{restocked}")).to_contain_text("Cancelled")
    assert questions[-1].endswith("Its stock goes back on sale."), questions
    wait_until(lambda: stock_of(stack, item) == 8)  # three back on sale, two stay sold
    assert reservation(stack, kept)["state"] == "committed"


def test_the_order_pages_refund_asks_first_and_a_no_sends_nothing(stack, page: Page):
    item = new_item(stack, price="2.00", quantity=10)
    alice = customer(stack)
    order_id = placed(order(alice, item, 2))
    complete(stack, session_id(checkout_url(alice, order_id)))
    wait_for_status(stack, order_id, "Paid")

    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/orders/{order_id}"))
    page.locator("#refund-form").get_by_label("Put the stock back on sale").uncheck()
    answers, questions = iter([False, True]), []
    page.on(
        "dialog",
        lambda dialog: (questions.append(dialog.message), dialog.accept() if next(answers) else dialog.dismiss()),
    )
    page.locator("#refund-order").click()  # asked, and answered no
    expect(page.locator("#refund-order")).to_be_visible()
    assert len(questions) == 1 and questions[0].endswith("Its stock is not returned: it stays sold.")
    assert status_of(stack, order_id) == "Paid"
    page.locator("#refund-order").click()  # asked again, and answered yes
    expect(page.locator(".flash-success")).to_contain_text(f"Order #{order_id} is cancelled and its payment refunded")
    assert len(questions) == 2 and status_of(stack, order_id) == "Cancelled"


REFRESH_MS = 10_000  # orders_app.views.admin.REFRESH_SECONDS
MONITOR_REFRESH = re.compile(r"/orders/admin/\?")


class HeldAnswers:
    """Slow answers, made deterministic: the page's htmx requests to `url` reach the server (which
    answers at once: an action is done), but the page gets each answer only when the test releases it.
    The first `count` requests are held; later ones pass. With `reach_server=False` a held request
    never leaves the browser (a refresh that never answers)."""

    def __init__(self, page: Page, url, count: int = 1, reach_server: bool = True):
        self.page, self.count, self.reach_server = page, count, reach_server
        self.held = []
        page.route(url, self._hold)

    def _hold(self, route) -> None:
        if route.request.headers.get("hx-request") != "true" or len(self.held) >= self.count:
            route.fallback()
            return
        self.held.append((route, route.fetch() if self.reach_server else None))

    def wait(self, count: int = 1) -> None:
        """Until `count` requests are held (route handlers run while Playwright is called)."""
        deadline = time.monotonic() + 30
        while len(self.held) < count:
            assert time.monotonic() < deadline, f"{len(self.held)} of {count} requests held"
            self.page.wait_for_timeout(20)

    def release(self) -> None:
        for route, answer in self.held:
            route.fulfill(response=answer)


def monitor_row(page: Page, order_id: int):
    return page.locator(f"#monitor-order-{order_id}")


def test_quick_actions_on_several_monitor_rows_each_show_their_answer(stack, page: Page):
    """The first cancel's answer is slow (the server did it; its answer is held back): a cancel and a
    refund clicked on other rows meanwhile do not make the page throw that answer away, and each
    row shows its own. Each question is asked once, at the click, and the refund does what the
    admin chose when it was asked (no restock), though the box was ticked again while it waited."""
    item = new_item(stack, price="1.00", quantity=10)
    alice = customer(stack)
    first, second, paid = (placed(order(alice, item, quantity)) for quantity in (1, 1, 2))
    complete(stack, session_id(checkout_url(alice, paid)))
    wait_for_status(stack, paid, "Paid")
    wait_until(lambda: reservation(stack, paid)["state"] == "committed")
    log_in_as_admin(stack, page)
    # No refresh answers in this test, so each row can show only what its own action answered.
    HeldAnswers(page, MONITOR_REFRESH, count=1_000, reach_server=False)
    first_answer = HeldAnswers(page, f"**/orders/admin/{first}/cancel")
    page.goto(stack.url(f"/orders/admin/?item={item}"))
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))

    monitor_row(page, first).get_by_role("button", name="Cancel").click()
    first_answer.wait()
    assert status_of(stack, first) == "Cancelled"
    monitor_row(page, second).get_by_role("button", name="Cancel").click()
    monitor_row(page, paid).get_by_label("restock").uncheck()
    monitor_row(page, paid).get_by_role("button", name="Refund").click()
    assert [question.split(" of ")[0] for question in questions] == [
        f"Cancel order #{first}",
        f"Cancel order #{second}",
        f"Cancel paid order #{paid}",
    ]
    assert questions[-1].endswith("Its stock is not returned: it stays sold.")
    monitor_row(page, paid).get_by_label("restock").check()  # changed after the answer, while the refund waits
    first_answer.release()

    for order_id in (first, second, paid):
        expect(monitor_row(page, order_id).locator("td").nth(5)).to_contain_text("Cancelled")
        expect(monitor_row(page, order_id).get_by_role("button", name=re.compile(r"^(Cancel|Refund)"))).to_have_count(0)
        assert status_of(stack, order_id) == "Cancelled"
    assert len(questions) == 3  # none asked again when its request's turn came
    wait_until(lambda: stock_of(stack, item) == 8)  # the two Pending orders' units back; the refunded two stay sold
    assert reservation(stack, paid)["state"] == "committed"


# After every htmx swap, what the page shows of each watched order's status.
WATCH_ROWS = """(ids) => {
  const status = (id) => document.querySelector(`#monitor-order-${id} td:nth-child(6) span`)?.textContent.trim();
  window.monitorSwaps = [];
  document.addEventListener("htmx:afterSwap", (event) => {
    const shown = Object.fromEntries(ids.map((id) => [id, status(id)]));
    window.monitorSwaps.push({ swapped: event.target.id, shown });
  });
}"""


def never_went_back(swaps: list[dict], order_id: int) -> bool:
    shown = [swap["shown"][str(order_id)] for swap in swaps]
    return "Pending" not in shown[shown.index("Cancelled") :] if "Cancelled" in shown else True


def next_refresh(page: Page) -> None:
    """The 10-second refresh falls due now, and its answer is swapped in."""
    page.locator("#monitor-results").evaluate("region => { region.dataset.before = 'refresh'; }")
    page.clock.fast_forward(REFRESH_MS)
    expect(page.locator("#monitor-results[data-before]")).to_have_count(0)


def test_a_refresh_neither_keeps_an_action_waiting_nor_brings_its_row_back(stack, page: Page):
    """A refresh under way when the admin cancels an order (its answer, read before the cancel, is
    held back) neither delays the cancel nor brings the row back as it was; a refresh due while a
    cancel is under way (its answer held back) does not take the row from that answer; and the
    refreshes go on as usual."""
    item = new_item(stack, price="1.00", quantity=10)
    alice = customer(stack)
    first, second = placed(order(alice, item, 1)), placed(order(alice, item, 1))
    log_in_as_admin(stack, page)
    page.clock.install()  # the test says when a refresh falls due
    old_refresh = HeldAnswers(page, MONITOR_REFRESH)
    page.goto(stack.url(f"/orders/admin/?item={item}"))
    page.evaluate(WATCH_ROWS, [first, second])
    page.on("dialog", lambda dialog: dialog.accept())

    page.clock.fast_forward(REFRESH_MS)
    old_refresh.wait()  # under way: the server answered that both orders are Pending
    monitor_row(page, first).get_by_role("button", name="Cancel").click()
    expect(monitor_row(page, first)).to_contain_text("Cancelled")  # the refresh is still unanswered
    old_refresh.release()
    next_refresh(page)
    expect(monitor_row(page, first)).to_contain_text("Cancelled")
    expect(monitor_row(page, second).get_by_role("button", name="Cancel")).to_be_visible()

    second_answer = HeldAnswers(page, f"**/orders/admin/{second}/cancel")
    monitor_row(page, second).get_by_role("button", name="Cancel").click()
    second_answer.wait()
    assert status_of(stack, second) == "Cancelled"
    page.clock.fast_forward(REFRESH_MS)  # a refresh falls due while the cancel's answer is on its way
    second_answer.release()
    expect(monitor_row(page, second)).to_contain_text("Cancelled")
    next_refresh(page)
    expect(monitor_row(page, second)).to_contain_text("Cancelled")

    swaps = page.evaluate("window.monitorSwaps")
    assert any(swap["swapped"] == f"monitor-order-{second}" for swap in swaps), swaps  # its answer reached the row
    assert never_went_back(swaps, first) and never_went_back(swaps, second), swaps


def test_a_second_click_on_an_action_under_way_asks_nothing_and_sends_nothing(stack, page: Page):
    """A double-click, or a click again on a slow answer, asked the same question twice and sent the
    cancel twice: the second was refused, and its row said the order could not be cancelled."""
    item = new_item(stack, price="1.00", quantity=10)
    order_id = placed(order(customer(stack), item, 1))
    log_in_as_admin(stack, page)
    HeldAnswers(page, MONITOR_REFRESH, count=1_000, reach_server=False)
    answer = HeldAnswers(page, f"**/orders/admin/{order_id}/cancel", count=2)
    page.goto(stack.url(f"/orders/admin/?item={item}"))
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))

    monitor_row(page, order_id).get_by_role("button", name="Cancel").dblclick()
    answer.wait()
    monitor_row(page, order_id).get_by_role("button", name="Cancel").click()  # the answer is slow
    page.wait_for_timeout(200)  # time for a second request to leave, if the page sent one
    assert len(answer.held) == 1 and len(questions) == 1, questions
    answer.release()
    expect(monitor_row(page, order_id).locator("td").nth(5)).to_contain_text("Cancelled")
    expect(monitor_row(page, order_id).locator(".field-error")).to_have_count(0)
    assert len(questions) == 1


# Which events made the low-stock box ask inventory again ("load", "every", or an HX-Trigger's), in
# <body data-low-stock-asked> (where `expect` can wait for it; the shop's CSP allows no eval).
WATCH_LOW_STOCK = """() => {
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt.id !== "low-stock") return;
    const asked = document.body.dataset.lowStockAsked;
    document.body.dataset.lowStockAsked = (asked ? asked + " " : "") + event.detail.triggeringEvent?.type;
  });
}"""


def test_the_monitors_totals_and_low_stock_follow_a_refund_at_once_not_at_the_next_refresh(stack, page: Page, word):
    """After a refund the totals still said Paid 1 / $75.50 until the results refreshed (10 s), and
    the low-stock box showed the stock before it went back (30 s). Here no refresh ever answers:
    what the page shows after the click comes from the refund's own answer, beside the row's message."""
    item = new_item(stack, price="37.75", quantity=10, name=f"Lamp {word}")  # the totals count this test's order only
    alice = customer(stack)
    paid = placed(order(alice, item, 2))
    complete(stack, session_id(checkout_url(alice, paid)))
    wait_for_status(stack, paid, "Paid")
    wait_until(lambda: reservation(stack, paid)["state"] == "committed")
    log_in_as_admin(stack, page)
    HeldAnswers(page, MONITOR_REFRESH, count=1_000, reach_server=False)
    page.goto(stack.url(f"/orders/admin/?item={word}&status=Paid"))  # the totals count every status
    page.evaluate(WATCH_LOW_STOCK)
    expect(page.locator("#low-stock h2")).to_have_text("Low stock")  # inventory's box is in
    paid_totals, cancelled_totals = page.locator("#summary-paid"), page.locator("#summary-cancelled")
    expect(paid_totals.locator(".summary-count")).to_have_text("1")
    expect(paid_totals.locator(".summary-total")).to_have_text("$75.50")
    expect(cancelled_totals.locator(".summary-count")).to_have_text("0")
    expect(page.locator("#monitor-total")).to_have_text("1")  # "1 order · updated …"

    page.on("dialog", lambda dialog: dialog.accept())
    monitor_row(page, paid).get_by_role("button", name="Refund").click()
    expect(monitor_row(page, paid).locator("td").nth(5)).to_contain_text("Cancelled")
    expect(paid_totals.locator(".summary-count")).to_have_text("0")
    expect(paid_totals.locator(".summary-total")).to_have_text("$0.00")
    expect(cancelled_totals.locator(".summary-count")).to_have_text("1")
    expect(cancelled_totals.locator(".summary-refunded")).to_have_text("of which 1 refunded: $75.50")
    expect(page.locator("#monitor-total")).to_have_text("0")  # no Paid order left (it kept 1)
    expect(page.locator("#announcer")).to_contain_text(f"Order #{paid} is cancelled and its payment refunded")
    expect(page.locator("body")).to_have_attribute("data-low-stock-asked", re.compile(r"\bshop:stock-changed\b"))
    assert stock_of(stack, item) == 10  # back when the box asked: the refund's answer came after the restock


def test_a_flagged_orders_row_fits_a_desktop_screen_with_its_mark_as_resolved_in_view(stack, browser, word):
    """A refund that failed flags its order with Stripe's reason, which quotes the payment's and the
    refund's ids (28 letters without a space): the row grew wider than the monitor on a 1280-px
    screen, and "Marcar como resolvido" was cut off at its edge (found only by scrolling sideways)."""
    item = new_item(stack, price="5.00", quantity=10, name=f"Lamp {word}")
    alice = customer(stack)
    paid = placed(order(alice, item, 2))
    complete(stack, session_id(checkout_url(alice, paid)), card="4000 0000 0000 5126")
    wait_for_status(stack, paid, "Paid")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="pt-BR")
    page = context.new_page()
    log_in_as_admin(stack, page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(stack.url(f"/orders/admin/?item={word}"))
    monitor_row(page, paid).get_by_role("button", name="Estornar").click()
    expect(monitor_row(page, paid).locator("td").nth(5)).to_contain_text("Cancelado")
    [(refund_id,)] = stack.query("orders", "SELECT refund_id FROM orders WHERE id = :id", id=paid)
    assert control(stack, f"/refunds/{refund_id}/settle").json()["status"] == "failed"
    wait_until(lambda: stack.query("orders", "SELECT needs_attention FROM orders WHERE id = :id", id=paid)[0][0])

    page.goto(stack.url(f"/orders/admin/?item={word}"))
    expect(monitor_row(page, paid)).to_contain_text("expired_or_canceled_card")
    rows = page.locator(".monitor-orders").locator("xpath=..")  # its .table-scroll box
    width, room = rows.evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert width <= room, f"the monitor's rows are {width - room}px wider than their box"
    resolve = monitor_row(page, paid).get_by_role("button", name="Marcar como resolvido")
    box, edge = resolve.bounding_box(), rows.bounding_box()
    assert box["x"] + box["width"] <= edge["x"] + edge["width"], "Marcar como resolvido is cut off"
    context.close()


def test_the_low_stock_box_is_one_line_until_opened_and_stays_open_through_its_refreshes(stack, page: Page, word):
    """With many items sold out the low-stock box listed 20 lines above the monitor's orders, pushing
    them a screen down. Closed it is one line saying how many; opened, it stays open when it is
    refreshed (here by the event an admin's restocking cancel sends), with nothing stored on the server."""
    for n in range(21):
        new_item(stack, quantity=0, name=f"Sold Out {n} {word}")
    log_in_as_admin(stack, page)
    page.goto(stack.url("/orders/admin/"))
    page.evaluate(WATCH_LOW_STOCK)
    box = page.locator("#low-stock")
    expect(box.locator("summary")).to_contain_text("20+ items with 5 units or fewer, 20 out of stock")
    expect(box.locator("li").first).to_be_hidden()
    assert box.bounding_box()["height"] < 130

    box.locator("summary").click()
    expect(box.locator("li")).to_have_count(20)
    expect(box.locator("li").first).to_be_visible()
    box.evaluate("(element) => { element.dataset.before = 'refresh'; }")
    page.evaluate("() => document.body.dispatchEvent(new CustomEvent('shop:stock-changed'))")
    expect(page.locator("body")).to_have_attribute("data-low-stock-asked", re.compile(r"\bshop:stock-changed\b"))
    expect(page.locator("#low-stock[data-before]")).to_have_count(0)  # the box came again
    expect(box.locator("details")).to_have_attribute("open", "")
    expect(box.locator("li").first).to_be_visible()

    box.locator("summary").click()
    expect(box.locator("li").first).to_be_hidden()
    box.evaluate("(element) => { element.dataset.before = 'refresh'; }")
    page.evaluate("() => document.body.dispatchEvent(new CustomEvent('shop:stock-changed'))")
    expect(page.locator("#low-stock[data-before]")).to_have_count(0)
    expect(box.locator("li").first).to_be_hidden()


def test_the_monitors_pages_line_never_keeps_a_count_an_action_changed(stack, page: Page, word):
    """After a cancel the count line above the orders was counted again ("0 orders" of the Pending ones)
    while the pages line below kept its "of 1" until the next refresh. The pages line now says
    which rows these are and leaves the count to the count line, so the two never disagree."""
    item = new_item(stack, price="12.00", quantity=10, name=f"Kettle {word}")
    pending = placed(order(customer(stack), item, 1))
    log_in_as_admin(stack, page)
    HeldAnswers(page, MONITOR_REFRESH, count=1_000, reach_server=False)
    page.goto(stack.url(f"/orders/admin/?item={word}&status=Pending"))
    expect(page.locator("#monitor-count")).to_contain_text("1 order ·")
    pages = page.get_by_role("navigation", name="Pages")
    expect(pages).to_contain_text("orders 1–1")

    page.on("dialog", lambda dialog: dialog.accept())
    monitor_row(page, pending).get_by_role("button", name="Cancel").click()
    expect(monitor_row(page, pending).locator("td").nth(5)).to_contain_text("Cancelled")
    expect(page.locator("#monitor-count")).to_contain_text("0 orders ·")  # the row stays, with its message
    expect(pages).not_to_contain_text(" of ")  # it said "of 1" under "0 orders"
    expect(pages).to_have_text("orders 1–1")

"""A customer's orders: order an item, my orders, an order's page, change its quantity, pay, cancel it."""

from math import ceil

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from orders_app import cancelling, checkout, editing, errors, history, placing, states, store
from orders_app.errors import ONLY_OWNER_CHANGES, ONLY_OWNER_PAYS, OrderError
from orders_app.forms import ActionForm, LinesForm, OrderForm, QuantityForm, RefundForm
from orders_app.models import STATUSES, Order, utcnow
from shared_ui.money import least_payable_quantity
from shared_ui.numbers import page_number, whole_number
from shared_ui.pages import hx_redirect, render_page
from shared_ui.requests_kind import wants_fragment

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.route("/")
@login_required
def index():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    page = page_number(request.args)
    per_page = current_app.config["ORDERS_PER_PAGE"]
    orders, total = store.list_orders(user_id=current_user.id, status=status, page=page, per_page=per_page)
    pages = max(ceil(total / per_page), 1)
    if page > pages:  # a link kept from when there were more (cancelled orders left the filter): the last page
        page = pages
        orders, total = store.list_orders(user_id=current_user.id, status=status, page=page, per_page=per_page)
    return render_page(
        "orders/index.html",
        "order_list",
        orders=orders,
        status=status,
        statuses=STATUSES,
        page=page,
        pages=pages,
        total=total,
    )


@bp.route("/quote")
def quote():
    """The total for a quantity of an item: the inner text of `#order-total` (order form, item page).

    Open to anonymous visitors: it says only what the catalog shows (price, stock), and the item
    page may show its order form before the visitor logs in.
    """
    try:
        result = placing.quote(request.args.get("inventory_id"), request.args.get("quantity"))
    except OrderError as error:
        return render_template("orders/_quote.html", quote=None, quote_error=error.message)
    return render_template("orders/_quote.html", quote=result, quote_error=None)


@bp.route("/new")
@login_required
def new():
    # No quantity asked: the fewest that can be paid alone (one, unless the item costs under Stripe's minimum)
    item_id, quantity = request.args.get("inventory_id", ""), request.args.get("quantity")
    form = OrderForm(formdata=None, inventory_id=item_id, quantity=quantity)
    return _order_form_page(form)


@bp.route("/", methods=["POST"])
@login_required
def create():
    form = OrderForm()
    status = 422
    if form.validate_on_submit():
        try:
            order = placing.place_order(
                current_user, [(form.inventory_id.data, form.quantity.data)], shown_prices=_shown_price(form)
            )
        except OrderError as error:
            status = error.status
            form.quantity.errors.append(error.message)
        else:
            what = {"id": order.id, "quantity": order.quantity, "item": order.item_name}
            flash(_("Order #%(id)d placed: %(quantity)d × %(item)s.", **what), "success")
            return redirect(url_for(".show", order_id=order.id), code=303)
    return _order_form_page(form, status=status, ask_inventory=status != 503)


def _shown_price(form: OrderForm) -> dict[int, int] | None:
    """{item id: cents} the form's page showed; None from a form without it (an older page)."""
    item_id, cents = whole_number(form.inventory_id.data or ""), whole_number(form.price_cents.data or "")
    return {item_id: cents} if item_id and cents is not None else None


def _order_form_page(form: OrderForm, status: int = 200, ask_inventory: bool = True):
    """The order form for an item; the item is read again unless inventory just failed to answer."""
    item, item_error, current_quote, quote_error = None, None, None, None
    if ask_inventory:
        try:
            item = placing.read_item(form.inventory_id.data)
            if not form.quantity.data:
                least = least_payable_quantity(item.price_cents, current_app.config["SHOP_CURRENCY"])
                form.quantity.data = str(least or 1)
            current_quote = placing.quote_for(item, form.quantity.data)
        except OrderError as error:
            if item is None:
                item_error = error.message
                status = error.status if status == 200 else status
            elif not form.quantity.errors:
                quote_error = error.message
    return render_page(
        "orders/new.html",
        form=form,
        item=item,
        item_error=item_error,
        quote=current_quote,
        quote_error=quote_error,
        http_status=status,
    )


@bp.route("/<int:order_id>")
@login_required
def show(order_id: int):
    order = _order_or_404(order_id)
    back_from_stripe = request.args.get("payment") == "cancelled" and order.is_pending
    return _order_page(order, payment_cancelled=back_from_stripe)


@bp.route("/<int:order_id>/pay", methods=["POST"])
@login_required
def pay(order_id: int):
    """Off to the order's Stripe Checkout page (303, or HX-Redirect for htmx)."""
    order = _own_order_or_403(order_id, ONLY_OWNER_PAYS)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        url = checkout.start_checkout(order, store.actor_name(current_user))
    except OrderError as error:
        return _order_page(_order_or_404(order_id), error=error.message, status=error.status)
    return hx_redirect(url)


@bp.route("/<int:order_id>/edit", methods=["GET", "POST"])
@login_required
def edit(order_id: int):
    order = _own_order_or_403(order_id, ONLY_OWNER_CHANGES)
    if request.method == "GET" and not order.can_change():
        return _no_longer_changeable(order)
    if order.one_line is None:
        return _edit_lines(order)
    if request.method == "GET":
        form = QuantityForm(formdata=None, quantity=str(order.quantity), version=str(order.version))
        return _order_page(order, quantity_form=form)
    form = QuantityForm()
    if not form.validate_on_submit():
        return _order_page(order, quantity_form=form, status=400)
    try:
        order = editing.change_quantity(order, form.quantity.data, store.actor_name(current_user), _version(form))
    except OrderError as error:
        form.quantity.errors.append(error.message)
        _shown_now(form, order)
        shown_elsewhere = None if order.can_change() else error.message  # no form on a settled order
        return _order_page(order, quantity_form=form, error=shown_elsewhere, status=error.status)
    total = _money(order.total_cents)
    changed = _("Quantity changed to %(quantity)d; the total is now %(total)s.", quantity=order.quantity, total=total)
    return _done(order, changed)


def _no_longer_changeable(order: Order):
    """"Change quantity" from a page gone stale (the order cancelled or paid in another tab, or by the
    sweeper): the order as it is now, saying why no form came, not silently without one."""
    try:
        errors.refused(order, states.why_not_change(order))
    except OrderError as error:
        return _order_page(order, error=error.message)
    return _order_page(order)


def _edit_lines(order: Order):
    """An order of several lines: a quantity field per line (0 removes it), saved all or none."""
    if request.method == "GET":
        return _order_page(order, lines_form=LinesForm(formdata=None, version=str(order.version)))
    form = LinesForm()
    if not form.validate_on_submit():
        return _order_page(order, lines_form=form, status=400)
    wanted = [(line.inventory_id, request.form.get(f"quantity-{line.inventory_id}", "")) for line in order.lines]
    try:
        order = editing.change_lines(order, wanted, store.actor_name(current_user), _version(form))
    except OrderError as error:
        _shown_now(form, order)
        shown_elsewhere = None if order.can_change() else error.message
        return _order_page(
            order, lines_form=form, lines_error=error.message, error=shown_elsewhere, status=error.status
        )
    return _done(order, _("The order is changed; the total is now %(total)s.", total=_money(order.total_cents)))


@bp.route("/<int:order_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(order_id: int):
    order = _order_or_404(order_id)
    if request.method == "GET":  # the confirmation page, for browsers without JavaScript
        return render_page("orders/cancel.html", order=order, form=ActionForm())
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        order = cancelling.cancel_order(
            order, store.actor_name(current_user), history.note("Cancelled on the order page")
        )
    except OrderError as error:
        return _order_page(order, error=error.message, status=error.status)
    return _done(order, _("Order #%(id)d is cancelled; its stock went back to the shop.", id=order.id))


def _order_or_404(order_id: int) -> Order:
    return store.order_for(current_user, order_id) or abort(404)


def _own_order_or_403(order_id: int, rule) -> Order:
    """The order, if it is the current user's to pay or change (the 403 error page otherwise)."""
    order = _order_or_404(order_id)
    try:
        errors.check_owner(order, current_user, rule)
    except OrderError as error:
        abort(error.status, error.message)
    return order


def _order_page(
    order: Order,
    *,
    quantity_form=None,
    lines_form=None,
    lines_error=None,
    error=None,
    notice=None,
    status=200,
    payment_cancelled=False,
):
    """The order page, or its detail region for htmx (errors then answer 200 so htmx swaps them)."""
    if wants_fragment():
        status = 200
    return render_page(
        "orders/show.html",
        "order_detail",
        order=order,
        quantity_form=quantity_form,
        lines_form=lines_form,
        lines_error=lines_error,
        action_form=ActionForm(),
        refund_form=RefundForm(),
        payment_events=store.events_of(order.id),
        pay_by=checkout.payable_until(order, utcnow()),
        payment_cancelled=payment_cancelled,
        error=error,
        notice=notice,
        http_status=status,
    )


def _done(order: Order, message: str):
    if wants_fragment():
        return _order_page(order, notice=message)
    flash(message, "success")
    return redirect(url_for(".show", order_id=order.id), code=303)


def _shown_now(form, order: Order) -> None:
    """A refused edit's form is shown again beside the order as it is now (another tab may have
    changed it): sent again, it is for that version, not refused as stale once more."""
    form.version.data = str(order.version)


def _version(form) -> int | None:
    return whole_number(form.version.data or "")


def _money(cents: int) -> str:
    return current_app.jinja_env.filters["money"](cents)

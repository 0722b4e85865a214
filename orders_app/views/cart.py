"""The cart's pages: add from the catalog or an item page, change or remove a line, check out.

CSRF (docs/conventions.md, "The cart"): a logged-in customer's posts carry the token like every
other form. A visitor's catalog page is shared by nginx and carries no token, so a visitor's cart
posts are accepted only when the browser says they come from the shop's own pages: an `Origin`
equal to SHOP_PUBLIC_URL's, or else `Sec-Fetch-Site: same-origin`. Browsers set both on every
POST and a page on another site cannot forge them; a request with neither needs the token.
"Add to cart" is checked that way for everyone: its button sits in catalog rows kept and shared
between customers (no token of anyone's in them), and without JavaScript nothing adds one.
"""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from orders_app import cart
from orders_app.errors import OrderError
from orders_app.forms import ActionForm
from orders_app.models import PENDING
from shared_ui.extensions import csrf
from shared_ui.pages import hx_redirect, render_page
from shared_ui.requests_kind import is_htmx_request, wants_fragment

bp = Blueprint("cart", __name__, url_prefix="/orders/cart")
csrf.exempt(bp)


@bp.before_request
def check_origin_and_join():
    """Posts: the token, or the browser's word that the post comes from the shop (a visitor's
    posts, and everyone's "Add to cart")."""
    by_origin = not current_user.is_authenticated or request.endpoint == "cart.add"
    if request.method == "POST" and not (by_origin and _same_origin()):
        csrf.protect()
    if current_user.is_authenticated:
        cart.join_visitor_cart(current_user)


def _same_origin() -> bool:
    public = urlsplit(current_app.config["SHOP_PUBLIC_URL"])
    origin = request.headers.get("Origin")
    if origin:
        given = urlsplit(origin)
        return (given.scheme, given.netloc) == (public.scheme, public.netloc)
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


@bp.get("/")
def show():
    return _cart_page()


@bp.get("/count")
def count():
    """The navigation's "Cart (n)": pulled by every page with hx-get, so shared pages stay shared."""
    return render_template("orders/_cart_count.html", units=cart.units_in(current_user))


@bp.post("/lines")
def add():
    """Add to cart (catalog rows, item pages): htmx gets a short confirmation, a form a redirect."""
    item_id = request.form.get("inventory_id")
    try:
        quantity, missing = cart.add_and_check(current_user, item_id, request.form.get("quantity") or 1)
    except OrderError as error:
        if is_htmx_request():
            return render_template("orders/_cart_added.html", error=error.message, units=None), 200
        flash(error.message, "error")
        return redirect(url_for(".show"), code=303)
    units = cart.units_in(current_user)
    if is_htmx_request():
        # a free item, or a few cheap ones, make a cart no card pays for yet: said here, where it was added
        return render_template("orders/_cart_added.html", error=None, quantity=quantity, units=units, missing=missing)
    flash(_("Added to your cart."), "success")
    return redirect(url_for(".show"), code=303)


@bp.post("/lines/<int:item_id>")
def change(item_id: int):
    try:
        cart.set_quantity(current_user, item_id, request.form.get("quantity"))
    except OrderError as error:  # a 404: the line went meanwhile (another tab): the cart as it is now
        error_item = None if error.status == 404 else item_id
        return _cart_page(error=error.message, error_item=error_item, status=error.status)
    return _after_change(_("Your cart is updated."), changed=item_id)


@bp.post("/lines/<int:item_id>/remove")
def remove(item_id: int):
    try:
        cart.remove(current_user, item_id)
    except OrderError as error:
        return _cart_page(error=error.message, status=error.status)
    return _after_change(_("The line is removed from your cart."))


@bp.post("/checkout")
@login_required
def checkout():
    """One click: the order is placed from the cart and the customer goes to Stripe Checkout."""
    try:
        order, url = cart.check_out(current_user, shown=request.form.get("shown"))
    except OrderError as error:
        short = {line["inventory_id"]: line["available"] for line in (error.short or [])}
        return _cart_page(error=error.message, short=short, status=error.status)
    if url is None:
        if order.status == PENDING:
            flash(_("Order #%(id)d is placed, but the payment page could not be opened. Try Pay again.", id=order.id))
        return hx_redirect(url_for("orders.show", order_id=order.id))
    return hx_redirect(url)


def _after_change(message: str, changed: int | None = None):
    if wants_fragment():  # the navigation's "Cart (n)" is outside the swapped region: sent out of band
        return _cart_page(notice=message, changed=changed, nav_units=cart.units_in(current_user))
    try:
        too_many = _more_than_left(cart.view(current_user), changed) if changed else None
    except OrderError:  # inventory did not answer: the cart page it goes to says so
        too_many = None
    flash(too_many or message, "error" if too_many else "success")
    return redirect(url_for(".show"), code=303)


def _more_than_left(view, item_id: int | None) -> str | None:
    """What to say of a quantity just saved that is more than the shop has: it is kept (nothing is held
    in a cart, stock may come back), but "Your cart is updated" beside a total no checkout can charge
    read as if it could be bought."""
    line = next((line for line in view.lines if line.inventory_id == item_id), None) if view else None
    if line is None or not line.sold or line.quantity <= line.available:
        return None
    if not line.available:
        return _("%(name)s is sold out: remove it from your cart to check out.", name=line.name)
    return ngettext(
        "Only %(num)d of %(name)s is left: lower the quantity to check out.",
        "Only %(num)d of %(name)s are left: lower the quantity to check out.",
        line.available,
        name=line.name,
    )


def _cart_page(*, error=None, error_item=None, notice=None, changed=None, short=None, nav_units=None, status=200):
    try:
        view = cart.view(current_user)
    except OrderError as problem:
        view, error, status = None, problem.message, problem.status
    if (too_many := _more_than_left(view, changed)) is not None:
        notice, error, error_item = None, too_many, changed
    if wants_fragment():
        status = 200  # htmx swaps only 2xx answers; the message is in the fragment
    return render_page(
        "orders/cart.html",
        "cart",
        cart=view,
        waiting_order=cart.checked_out_waiting(current_user) if view is not None and not view.lines else None,
        error=error,
        error_item=error_item,
        notice=notice,
        short=short or {},
        nav_units=nav_units,
        action_form=ActionForm(),
        http_status=status,
    )

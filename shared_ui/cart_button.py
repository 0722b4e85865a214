"""The "Add to cart" form (orders_app/views/cart.py), on inventory's catalog rows and item pages.

It carries no CSRF token on purpose: a visitor's catalog page is shared by nginx, so orders_app checks
the browser's Origin / Sec-Fetch-Site instead (docs/conventions.md, "The cart"). Works without
JavaScript. One unit a click: the item page's one quantity field belongs to its order form, and the
cart page changes quantities. While its answer is on its way, a click again is dropped (hx-sync): a
double-click, or a second click on a slow network, would add a unit the customer did not mean.

A filter (`item|cart_button`) rather than a template macro: the catalog shows it on most rows, and
the macro call cost ~15 µs a row (bench/NOTES.md, fifth round).
"""

from markupsafe import Markup, escape

from shared_ui.i18n import gettext as _


def cart_button(item) -> Markup:
    """The form that adds one unit of `item` (anything with an id and a name) to the cart."""
    label = _("Add to cart")  # outside the f-string: `pybabel extract` does not read into one
    return Markup(  # noqa: S704 (every value put into it goes through escape())
        '<form method="post" action="/orders/cart/lines" hx-post="/orders/cart/lines"'
        ' hx-target="find .cart-feedback" hx-swap="innerHTML" hx-sync="this:drop"\n'
        '      class="inline-form add-to-cart">\n'
        f'  <input type="hidden" name="inventory_id" value="{escape(item.id)}">\n'
        f'  <button type="submit" class="secondary add-to-cart-button">{escape(label)}'
        f'<span class="visually-hidden"> {escape(item.name)}</span></button>\n'
        '  <span class="cart-feedback"></span>\n'
        "</form>"
    )

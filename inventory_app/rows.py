"""A catalog row, rendered once per what it shows: the template filter `item|catalog_row(...)`.

Every catalog page the app renders (a visitor with a cookie, a customer, a search, "More items")
shows 24 rows, and rendering them was about a quarter of the page's CPU (bench/NOTES.md, seventh round).
A row's HTML is a function of the row's values as the page's own query read them (name, price,
stock, picture...), of where it stands on the page (lazy picture, focus), of the low-stock
threshold, and of the request's language and currency: with all of them in the key, a kept row is
exactly the row the template would render now. Stock is still read on every request, by the page's
query, and a row whose stock moved has another key. The rows are kept in a bounded LRU per process.
"""

import functools

from flask import current_app
from markupsafe import Markup

from shared_ui.i18n import current_locale

ROW_TEMPLATE = "inventory/_catalog_row.html"
ROWS_KEPT = 2048  # ~1 KiB each: a catalog of 1,000 items in two languages, its pictures' positions too


def catalog_row(item, lazy: bool, autofocus: bool, low_stock: int) -> Markup:
    """The `<tr>` of a `search.ListedItem` (hashable: every field it shows is in its hash)."""
    currency = current_app.config["SHOP_CURRENCY"]
    return _rendered(item, bool(lazy), bool(autofocus), low_stock, current_locale(), currency)


@functools.lru_cache(maxsize=ROWS_KEPT)
def _rendered(item, lazy: bool, autofocus: bool, low_stock: int, _locale: str, _currency: str) -> Markup:
    # The locale and currency are the request's (the filters read them from it): in the key only.
    template = current_app.jinja_env.get_template(ROW_TEMPLATE)
    return Markup(template.render(item=item, lazy=lazy, autofocus=autofocus, low_stock=low_stock))  # noqa: S704 (autoescaped template output)

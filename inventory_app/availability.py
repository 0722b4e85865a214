"""How much of an item a shopper can buy, in words: the catalog's rows and the item page.

The template filter `item|availability(threshold)`.

A function rather than a template macro: the catalog shows it on every row, and a Jinja macro call
cost more than the rest of the row together. Built with escape() and an f-string: Markup.format goes
through string.Formatter, which took 5 of its 13 µs a row.
"""

from markupsafe import Markup, escape

from shared_ui.i18n import gettext as _
from shared_ui.i18n import ngettext


def availability(item, threshold: int) -> Markup:
    """"In stock", "Only 2 left" (at or below `threshold`) or "Out of stock", in a span to style."""
    quantity = item.quantity
    # The words are looked up outside the f-strings: `pybabel extract` does not read into them.
    # S704: every value put into the markup goes through escape()
    if quantity <= 0:
        text = _("Out of stock")
        return Markup(f'<span class="stock-out">{escape(text)}</span>')  # noqa: S704
    if quantity <= threshold:
        text = ngettext("Only %(num)d left", "Only %(num)d left", quantity)
        return Markup(f'<span class="stock-low">{escape(text)}</span>')  # noqa: S704
    text = _("In stock")
    return Markup(f'<span class="stock-in">{escape(text)}</span>')  # noqa: S704

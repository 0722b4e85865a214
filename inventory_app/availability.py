"""How much of an item a shopper can buy, in words: the catalog's rows and the item page.

A function rather than a template macro: the catalog shows it on every row, and a Jinja macro call
cost more than the rest of the row together.
"""

from markupsafe import Markup

from shared_ui.i18n import gettext as _
from shared_ui.i18n import ngettext


def availability(item, threshold: int) -> Markup:
    """"In stock", "Only 2 left" (at or below `threshold`) or "Out of stock", in a span to style."""
    quantity = item.quantity
    if quantity <= 0:
        return Markup('<span class="stock-out">{}</span>').format(_("Out of stock"))
    if quantity <= threshold:
        return Markup('<span class="stock-low">{}</span>').format(
            ngettext("Only %(num)d left", "Only %(num)d left", quantity)
        )
    return Markup('<span class="stock-in">{}</span>').format(_("In stock"))

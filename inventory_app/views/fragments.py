"""Fragments other apps pull into their pages with hx-get (same origin through nginx)."""

from flask import Blueprint, current_app

from inventory_app import search, stock
from shared_ui.auth import admin_required
from shared_ui.pages import render_page

bp = Blueprint("fragments", __name__, url_prefix="/inventory/fragments")
#: the emptiest items the order monitor's box lists; past them it says there are more
LOW_STOCK_LISTED = 20


@bp.route("/low-stock")
@admin_required
def low_stock():
    """The items running out, for the admin order monitor: `<section id="low-stock">`."""
    threshold = current_app.config["LOW_STOCK_THRESHOLD"]
    found = search.low_stock(threshold, limit=LOW_STOCK_LISTED + 1)  # one more: are there others?
    listed = found[:LOW_STOCK_LISTED]
    return render_page(
        "inventory/low_stock.html",
        items=listed,
        held=stock.held_by_item(item.id for item in listed),  # back on sale if those orders go unpaid
        more=len(found) > LOW_STOCK_LISTED,
        threshold=threshold,
    )

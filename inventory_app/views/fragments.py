"""Fragments other apps pull into their pages with hx-get (same origin through nginx)."""

from flask import Blueprint, current_app

from inventory_app import search
from shared_ui.auth import admin_required
from shared_ui.pages import render_page

bp = Blueprint("fragments", __name__, url_prefix="/inventory/fragments")


@bp.route("/low-stock")
@admin_required
def low_stock():
    """The items running out, for the admin order monitor: `<section id="low-stock">`."""
    threshold = current_app.config["LOW_STOCK_THRESHOLD"]
    return render_page("inventory/low_stock.html", items=search.low_stock(threshold), threshold=threshold)

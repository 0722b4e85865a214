"""The orders app's admin page."""

from flask import Blueprint

from shared_ui.auth import admin_required
from shared_ui.pages import render_page

bp = Blueprint("admin", __name__, url_prefix="/orders/admin")


@bp.route("/")
@admin_required
def index():
    return render_page("orders/admin.html")

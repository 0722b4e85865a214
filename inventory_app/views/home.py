"""The inventory app's first page."""

from flask import Blueprint

from shared_ui.pages import render_page

bp = Blueprint("home", __name__, url_prefix="/inventory")


@bp.route("/")
def index():
    return render_page("inventory/index.html")

"""The orders app's first page."""

from flask import Blueprint
from flask_login import login_required

from shared_ui.pages import render_page

bp = Blueprint("home", __name__, url_prefix="/orders")


@bp.route("/")
@login_required
def index():
    return render_page("orders/index.html")

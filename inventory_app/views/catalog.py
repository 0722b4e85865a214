"""The catalog for everyone: search as you type, "available only", categories, keyset pages, item pages."""

from flask import Blueprint, abort, current_app, request, url_for

from inventory_app import search
from inventory_app.items import live_item
from inventory_app.models import CATEGORY_MAX
from shared_ui.page_cache import shared_for_visitors
from shared_ui.pages import render_page

bp = Blueprint("catalog", __name__, url_prefix="/inventory")

QUERY_MAX = 100


@bp.route("/")
@shared_for_visitors
def index():
    q = request.args.get("q", "").strip()[:QUERY_MAX]
    available = request.args.get("available") == "1"
    category = " ".join(request.args.get("category", "").split())[:CATEGORY_MAX] or None
    after = search.Cursor.decode(request.args.get("after"))
    size = current_app.config["CATALOG_PAGE_SIZE"]
    items, next_cursor = search.catalog_page(q, available, after, size, category)
    filters = {"q": q or None, "available": "1" if available else None, "category": category}
    return render_page(
        "inventory/catalog.html",
        # "More items" swaps in the next rows only; the search form and the category links swap
        # the whole result list (which holds the links).
        "more_items" if after else "results",
        items=items,
        q=q,
        available=available,
        category=category,
        categories=search.categories() if not after else [],
        next_url=url_for(".index", **filters, after=next_cursor.encode()) if next_cursor else None,
        first_url=url_for(".index", **filters) if after else None,
    )


@bp.route("/items/<int:item_id>")
@shared_for_visitors
def show(item_id: int):
    item = live_item(item_id) or abort(404)
    return render_page("inventory/item.html", item=item)

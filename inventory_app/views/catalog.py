"""The catalog for everyone: search as you type, "available only", categories, keyset pages, item pages."""

import threading
from collections import OrderedDict

from flask import Blueprint, abort, current_app, make_response, request, url_for
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from inventory_app import categories, search
from inventory_app.extensions import db
from inventory_app.items import any_item, live_item
from shared_ui.db import change_token
from shared_ui.i18n import current_locale
from shared_ui.page_cache import shared_for_visitors
from shared_ui.pages import render_page
from shared_ui.requests_kind import vary_on, wants_fragment

bp = Blueprint("catalog", __name__, url_prefix="/inventory")

QUERY_MAX = 100
RESULTS_TEMPLATE = "inventory/_catalog_results.html"


class KeptResults:
    """The catalog's rendered results, kept per everything they show (a bounded LRU per process).

    The results (category links, rows, "More items") are a function of the database, the query
    string, the page size, the low-stock threshold, the language, the currency, and whether they
    are an htmx fragment (which announces them): with all of these in the key, kept results are
    exactly what rendering them would give now. The database's part is `change_token`, read
    before the page's queries (None, so rendered, if the session has a transaction open): any
    commit to the catalog's database, by any process, gives every later request another key. So a
    page is as fresh as before, and only the pages read again before anything changed skip the
    queries and the template. Where the database gives no such token (PostgreSQL), results are
    rendered every time.
    """

    MOST = 256  # a few KiB each

    def __init__(self):
        self.kept: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            body = self.kept.get(key)
            if body is not None:
                self.kept.move_to_end(key)
            return body

    def put(self, key: tuple, body: str) -> None:
        with self._lock:
            self.kept[key] = body
            if len(self.kept) > self.MOST:
                self.kept.popitem(last=False)


@bp.record_once
def _keep_results(state) -> None:
    state.app.extensions["catalog_results"] = KeptResults()


@bp.route("/")
@shared_for_visitors
def index():
    # A plain dict: werkzeug's MultiDict.get raises and catches a BadRequestKeyError for each absent key.
    args = request.args.to_dict()
    q = args.get("q", "").strip()[:QUERY_MAX]
    available = args.get("available") == "1"
    category = categories.asked_for(args.get("category"))
    after = search.Cursor.decode(args.get("after"))
    fragment = wants_fragment()
    # "More items" swaps in the next rows only; the search form and the category links swap the
    # whole result list (which holds the links).
    block = "more_items" if after and fragment else "results"
    results = _results(q, available, category, after, block, fragment)
    if fragment:
        response = make_response(results)
        vary_on(response, "HX-Request")
        return response
    return render_page("inventory/catalog.html", results=Markup(results), q=q, available=available)  # noqa: S704 (rendered by an autoescaping template)


def _results(q: str, available: bool, category: str | None, after, block: str, fragment: bool) -> str:
    config = current_app.config
    size = config["CATALOG_PAGE_SIZE"]
    token = change_token(db)
    key = None
    if token is not None:
        cursor = after.encode() if after else None
        key = (token, q, available, category, cursor, block, fragment, size, config["LOW_STOCK_THRESHOLD"])
        key += (current_locale(), config["SHOP_CURRENCY"])
        kept = current_app.extensions["catalog_results"]
        if (body := kept.get(key)) is not None:
            return body
    items, next_cursor = search.catalog_page(q, available, after, size, category)
    filters = {"q": q or None, "available": "1" if available else None, "category": category}
    body = render_block(
        RESULTS_TEMPLATE,
        block,
        items=items,
        q=q,
        available=available,
        category=category,
        categories=_linked(category) if block == "results" else [],  # a page past the first without htmx links them too
        next_url=url_for(".index", **filters, after=next_cursor.encode()) if next_cursor else None,
        first_url=url_for(".index", **filters) if after else None,
    )
    if key is not None:
        kept.put(key, body)
    return body


def _linked(category: str | None) -> list[str]:
    """The categories the catalog links, the one shown among them (it may be past the first ones listed:
    its items link it). The list is read once; whether items have the one shown is one index probe."""
    listed = categories.shown()
    if category and listed and category not in listed and categories.in_use(category):
        return [*listed, category]
    return listed


@bp.route("/items/<int:item_id>")
@shared_for_visitors
def show(item_id: int):
    item = live_item(item_id)
    if item is None:
        # An archived item's old links (a customer's order, a bookmark) say what became of it.
        abort(404, _("This item is no longer sold.") if any_item(item_id) is not None else None)
    return render_page("inventory/item.html", item=item)

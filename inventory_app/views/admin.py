"""The admin inventory table: rows edited in place (htmx edit-row pattern), added and deleted inline.

Every action also works as a plain link or form without JavaScript: edit and add open a page
with just that row's form, and delete asks on a confirmation page instead of `hx-confirm`.
Validation errors come back in the row itself: status 200 for htmx (which swaps only 2xx by
default), 422 for a plain form post.
"""

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inventory_app import categories, items, pictures, search, stock
from inventory_app.forms import ItemForm
from inventory_app.items import live_item
from shared_ui.auth import admin_required
from shared_ui.numbers import page_number
from shared_ui.pages import announce, render_page
from shared_ui.requests_kind import wants_fragment

bp = Blueprint("admin", __name__, url_prefix="/inventory/admin")

TEMPLATE = "inventory/admin.html"
QUERY_MAX = 100


@bp.route("/")
@admin_required
def index():
    q = request.args.get("q", "").strip()[:QUERY_MAX]
    sort = request.args.get("sort") if request.args.get("sort") in search.SORTS else "name"
    desc = request.args.get("dir") == "desc"
    page = page_number(request.args)
    found, has_more = search.admin_page(q, sort, desc, page, current_app.config["ADMIN_PAGE_SIZE"])
    rows = [(item, None) for item in found]
    held = stock.held_by_item(item.id for item in found)
    return _page("item_table", q=q, sort=sort, desc=desc, page=page, has_more=has_more, rows=rows, held=held)


@bp.route("/items/new")
@admin_required
def new():
    return _row(None, ItemForm(formdata=None))


@bp.route("/items/new/cancel")
@admin_required
def cancel_new():
    """The new row's Cancel: an empty answer swaps the row away."""
    return "" if wants_fragment() else redirect(url_for(".index"))


@bp.route("/items", methods=["POST"])
@admin_required
def create():
    form = ItemForm()
    try:
        item = items.create_item(items.check_fields(form.values(), typed=True), actor=_actor())
    except items.ItemError as error:
        form.show_errors(error.errors)
        return _row(None, form, status=_invalid())
    return _saved(item, _("Added %(name)s.", name=item.name))


@bp.route("/items/<int:item_id>")
@admin_required
def show(item_id: int):
    """The display row (the edit row's Cancel)."""
    item = live_item(item_id) or abort(404)
    return _row(item) if wants_fragment() else redirect(url_for(".index", q=item.name))


@bp.route("/items/<int:item_id>/edit")
@admin_required
def edit(item_id: int):
    item = live_item(item_id) or abort(404)
    return _row(item, ItemForm.for_item(item))


@bp.route("/items/<int:item_id>", methods=["POST", "PUT"])
@admin_required
def update(item_id: int):
    item = live_item(item_id) or abort(404)
    form = ItemForm()
    try:
        values = items.check_fields(form.values(), typed=True)
        expected = form.expected()
        if values["quantity"] == expected:
            del values["quantity"]  # not edited: leave the stock to the orders that move it meanwhile
        item = items.update_item(item_id, values, expected_quantity=expected, seen=form.seen_digests(), actor=_actor())
    except items.ItemError as error:
        form.show_errors(error.errors)
        form.note_seen(error.seen)
        return _row(item, form, status=_invalid())
    except stock.StockError as error:
        form.show_errors({"quantity": error.message})
        if error.available is not None:
            form.expected_quantity.data = str(error.available)  # saving again sets it anyway
        return _row(item, form, status=_invalid())
    return _saved(item, _("Saved %(name)s.", name=item.name))


@bp.route("/items/<int:item_id>", methods=["DELETE"])
@admin_required
def delete(item_id: int):
    item = live_item(item_id) or abort(404)
    name = item.name
    try:
        outcome = items.remove_item(item_id)
    except items.ItemError as error:
        return _row(item, error=error.message)
    if outcome == "erased":
        return announce("", _("“%(name)s” is deleted.", name=name))
    notice = _("“%(name)s” is archived: orders refer to it, so it stays in their history.", name=name)
    return _page("item_row", item=item, notice=notice, rows=[(item, None)])


@bp.route("/items/<int:item_id>/picture")
@admin_required
def picture(item_id: int):
    """The row in picture mode: upload, replace or remove the item's picture."""
    item = live_item(item_id) or abort(404)
    return _row(item, picture_mode=True)


@bp.route("/items/<int:item_id>/picture", methods=["POST"])
@admin_required
def upload_picture(item_id: int):
    """A multipart upload (`file`, optional `alt`) from the row or the item page (`return_to=item`).

    With no file chosen, an item that has a picture keeps it and takes the new alternative text.
    """
    item = live_item(item_id) or abort(404)
    upload = request.files.get("file")
    try:
        if (upload is None or not upload.filename) and item.image is not None:
            item = items.set_picture_alt(item_id, request.form.get("alt"))
            return _picture_done(item, _("The alternative text of %(name)s is saved.", name=item.name))
        data = upload.read(pictures.UPLOAD_MAX_BYTES + 1) if upload else b""
        item = items.set_picture(item_id, data, request.form.get("alt"))
    except pictures.PictureError as error:
        return _picture_refused(item, error)
    return _picture_done(item, _("The picture of %(name)s is saved.", name=item.name))


@bp.route("/items/<int:item_id>/picture/delete", methods=["POST"])
@admin_required
def remove_picture(item_id: int):
    item, removed = items.remove_picture(item_id)
    if removed:
        message = _("The picture of %(name)s is removed.", name=item.name)
    else:
        message = _("%(name)s has no picture.", name=item.name)
    return _picture_done(item, message)


@bp.route("/archived")
@admin_required
def archived():
    """Items taken off sale because orders refer to them; each can be put back."""
    page = page_number(request.args)
    found, has_more = items.archived_items(page, current_app.config["ADMIN_PAGE_SIZE"])
    return render_page("inventory/archived.html", items=found, page=page, has_more=has_more)


@bp.route("/items/<int:item_id>/restore", methods=["POST"])
@admin_required
def restore(item_id: int):
    item, restored = items.restore_item(item_id)
    if restored:
        message = _("“%(name)s” is back in the catalog.", name=item.name)
    else:
        message = _("“%(name)s” is not archived: it is in the catalog already.", name=item.name)
    if wants_fragment():
        return render_page("inventory/archived.html", "archived_row", item=item, message=message)
    flash(message, "success")
    return redirect(url_for(".archived"), code=303)


@bp.route("/items/<int:item_id>/history")
@admin_required
def history(item_id: int):
    """Every recorded change of the item's stock on hand, newest first."""
    item = live_item(item_id) or abort(404)
    return render_page(
        "inventory/history.html", item=item, movements=stock.movements_of(item.id), **stock.totals(item.id)
    )


@bp.route("/items/<int:item_id>/delete", methods=["GET", "POST"])
@admin_required
def confirm_delete(item_id: int):
    """Delete without JavaScript: a confirmation page, then a plain form post."""
    item = live_item(item_id) or abort(404)
    if request.method == "GET":
        held = stock.held_by_item([item.id]).get(item.id, 0)
        return render_page("inventory/admin_delete.html", item=item, held=held, ordered=stock.ever_reserved(item.id))
    name = item.name
    try:
        outcome = items.remove_item(item_id)
    except items.ItemError as error:
        flash(error.message, "error")
        return redirect(url_for(".index", q=name), code=303)
    if outcome == "archived":
        flash(_("“%(name)s” is archived: orders refer to it.", name=name), "success")
    else:
        flash(_("“%(name)s” is deleted.", name=name), "success")
    return redirect(url_for(".index"), code=303)


def _actor() -> str:
    return f"admin:{current_user.id}"


def _invalid() -> int:
    return 200 if wants_fragment() else 422


def _saved(item, message: str):
    warning = items.price_warning(item.price_cents)
    if warning:  # allowed, but said (and read out) where the admin saved it: no order of it alone may be payable
        message = f"{message} {warning}"
    if wants_fragment():
        return _row(item, announcement=message)
    flash(message, "success")
    return redirect(url_for(".index", q=item.name), code=303)


def _from_item_page() -> bool:
    return request.form.get("return_to") == "item"


def _picture_refused(item, error: pictures.PictureError):
    """The form again with the reason next to its field: in the row, or on the item page."""
    errors = {error.field: error.message}
    alt = request.form.get("alt", "")
    if _from_item_page():
        context = {"item": item, "picture_errors": errors, "alt_value": alt}
        return render_page("inventory/item.html", "picture", _invalid(), **context)
    return _row(item, picture_mode=True, picture_errors=errors, alt_value=alt, status=_invalid())


def _picture_done(item, message: str):
    if _from_item_page():
        if wants_fragment():
            return render_page("inventory/item.html", "picture", item=item, announcement=message)
        flash(message, "success")
        return redirect(url_for("catalog.show", item_id=item.id), code=303)
    return _saved(item, message)


def _row(
    item, form: ItemForm | None = None, *, status: int = 200, error: str | None = None, announcement=None, **extra
):
    """One row (display, form or picture form): the fragment for htmx, else the admin page holding just that row."""
    held = stock.held_by_item([item.id]) if item is not None else {}
    row_id = None if item is not None else f"new-{secrets.token_hex(4)}"
    context = {"item": item, "form": form, "rows": [(item, form)], "held": held, "error": error, "row_id": row_id}
    return _page("item_row", status, **context, announcement=announcement, **extra)


def _page(block: str, status: int = 200, **context):
    page = {
        "q": "",
        "sort": "name",
        "desc": False,
        "page": 1,
        "has_more": False,
        "notice": None,
        "error": None,
        "picture_mode": False,
        "picture_errors": {},
        "alt_value": None,
        # the category datalist is outside the rows: only a whole page needs it
        "categories": [] if wants_fragment() else categories.shown(),
    }
    return render_page(TEMPLATE, block, status, **{**page, **context})

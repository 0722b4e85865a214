"""inventory JSON API: items for everyone to read, for admins to add, change and delete."""

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inventory_app import categories, items, pictures, search, stock
from inventory_app.items import live_item
from inventory_app.openapi import OPENAPI
from shared_ui.api import ApiError, cents_to_str, json_body, page_args, page_of
from shared_ui.auth import admin_required
from shared_ui.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/inventory/api")
csrf.exempt(bp)

PATCH_FIELDS = {*items.FIELDS, "expected_quantity"}


def item_json(item) -> dict:
    return {
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "price": cents_to_str(item.price_cents),
        "quantity": item.quantity,
        "category": item.category,
        "picture": pictures.picture_json(item),
    }


@bp.get("/items")
def list_items():
    page, per_page = page_args()
    q = request.args.get("q", "").strip()[:100]
    available = request.args.get("available", "") in ("1", "true")
    category = categories.asked_for(request.args.get("category"))
    found, total = search.numbered_page(q, available, page, per_page, category)
    return jsonify(page_of([item_json(item) for item in found], page, per_page, total))


@bp.get("/items/<int:item_id>")
def get_item(item_id: int):
    return jsonify(item_json(live_item(item_id) or abort(404)))


@bp.post("/items")
@admin_required
def create_item():
    body = json_body(items.FIELDS)
    item = items.create_item(_checked(body, partial=False), actor=_actor())
    response = jsonify(item_json(item))
    response.status_code = 201
    response.headers["Location"] = url_for(".get_item", item_id=item.id)
    return response


@bp.patch("/items/<int:item_id>")
@admin_required
def update_item(item_id: int):
    live_item(item_id) or abort(404)
    body = json_body(PATCH_FIELDS)
    expected = body.pop("expected_quantity", None)
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or "quantity" not in body):
        message = _("expected_quantity is a whole number sent with quantity.")
        raise ApiError(422, "invalid_field", message, field="expected_quantity")
    values = _checked(body, partial=True)
    try:
        item = items.update_item(item_id, values, expected_quantity=expected, actor=_actor())
    except stock.StockError as error:
        raise ApiError(error.status, error.code, error.message, field="quantity") from None
    return jsonify(item_json(item))


@bp.delete("/items/<int:item_id>")
@admin_required
def delete_item(item_id: int):
    """204 whether the item is erased or archived (orders refer to it); either way it is gone here."""
    try:
        items.remove_item(item_id)
    except items.ItemError as error:
        raise ApiError(error.status, error.code, error.message) from None
    return "", 204


@bp.put("/items/<int:item_id>/picture")
@admin_required
def put_picture(item_id: int):
    """Multipart `file` (PNG, JPEG or WebP up to 5 MiB) and optional `alt`: 200 item, 422 with the reason."""
    live_item(item_id) or abort(404)
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "invalid_field", _("Send the picture as the multipart field “file”."), field="file")
    try:
        item = items.set_picture(item_id, upload.read(pictures.UPLOAD_MAX_BYTES + 1), request.form.get("alt"))
    except pictures.PictureError as error:
        raise ApiError(422, "invalid_field", error.message, field=error.field) from None
    return jsonify(item_json(item))


@bp.delete("/items/<int:item_id>/picture")
@admin_required
def delete_picture(item_id: int):
    """Remove the item's picture: 200 item (also when it had none)."""
    item, _removed = items.remove_picture(item_id)
    return jsonify(item_json(item))


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


def _checked(body: dict, *, partial: bool) -> dict:
    try:
        return items.check_fields(body, partial=partial)
    except items.ItemError as error:
        raise ApiError(error.status, error.code, error.message, field=error.field) from None


def _actor() -> str:
    return f"admin:{current_user.id}"

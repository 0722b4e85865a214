"""orders JSON API (DESIGN "JSON API"): the same use cases as the pages."""

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from orders_app import cancelling, cart, checkout, editing, errors, history, idempotency, placing, store
from orders_app.errors import ONLY_OWNER_CHANGES, ONLY_OWNER_PAYS, OrderError
from orders_app.models import STATUSES, Order
from orders_app.openapi import OPENAPI
from shared_ui.api import ApiError, cents_to_str, error_json, json_body, only_fields, page_args, page_of
from shared_ui.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/orders/api")
csrf.exempt(bp)


@bp.errorhandler(OrderError)
def _order_error(error: OrderError):
    body = {"code": error.code, "message": str(error.message)}
    if error.field:
        body["field"] = error.field
    if error.available is not None:
        body["available"] = error.available
    if error.short is not None:
        body["short"] = error.short
    for name, cents in (error.amounts or {}).items():
        body[name] = cents_to_str(cents)
    return error_json(error.status, body)


#: the two forms of an order's body (and of a change's, with "quantity" alone)
ONE_ITEM, LINES = ("inventory_id", "quantity"), ("lines",)


@bp.post("/orders")
@login_required
def create_order():
    """Place an order; with an `Idempotency-Key`, the same request sent again answers the same order
    (`Idempotent-Replayed: true`) instead of placing another (idempotency.py)."""
    body = json_body()
    one_item = "lines" not in body
    only_fields(body, ONE_ITEM if one_item else LINES)  # one form or the other (the document's oneOf)
    lines = [(_required(body, "inventory_id"), _required(body, "quantity"))] if one_item else _json_lines(body["lines"])
    order, replayed = placing.place_order_once(current_user, lines, idempotency.of_request(request.headers, body))
    response = jsonify(order.to_api())
    response.headers["Location"] = url_for(".get_order", order_id=order.id)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


@bp.get("/orders")
@login_required
def list_orders():
    page, per_page = page_args()
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        message = _("status must be one of %(statuses)s.", statuses=", ".join(STATUSES))
        raise ApiError(422, "invalid_field", message, field="status")
    everyone = request.args.get("all") in ("1", "true")
    if everyone and not current_user.is_admin:
        raise ApiError(403, "forbidden", _("Only administrators may list every order."))
    orders, total = store.list_orders(
        user_id=None if everyone else current_user.id, status=status, page=page, per_page=per_page
    )
    return jsonify(page_of([o.to_api() for o in orders], page, per_page, total))


@bp.get("/orders/<int:order_id>")
@login_required
def get_order(order_id: int):
    return jsonify(_order_or_404(order_id).to_api())


@bp.patch("/orders/<int:order_id>")
@login_required
def change_order(order_id: int):
    order = _order_or_404(order_id)
    errors.check_owner(order, current_user, ONLY_OWNER_CHANGES)
    body = json_body()
    only_fields(body, LINES if "lines" in body else ("quantity",))
    if "lines" in body:
        order = editing.change_lines(order, _json_lines(body["lines"]), store.actor_name(current_user))
    else:  # a one-line order's quantity
        order = editing.change_quantity(order, _required(body, "quantity"), store.actor_name(current_user))
    return jsonify(order.to_api())


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel_order(order_id: int):
    """A Pending order is cancelled and its stock given back; an admin also cancels a Paid one,
    refunded in full, its stock back on sale unless the body says {"restock": false}."""
    order = _order_or_404(order_id)
    restock = _restock() if current_user.is_admin else True
    actor = store.actor_name(current_user)
    order = cancelling.cancel_as(
        order, actor, admin=current_user.is_admin, restock=restock, note=history.note("Cancelled through the API")
    )
    return jsonify(order.to_api())


def _restock() -> bool:
    """The refund's `restock` (default true); the body is optional."""
    restock = json_body(("restock",)).get("restock", True) if request.get_data() else True
    if not isinstance(restock, bool):
        raise ApiError(422, "invalid_field", _("%(field)s must be true or false.", field="restock"), field="restock")
    return restock


@bp.post("/orders/<int:order_id>/checkout")
@login_required
def checkout_order(order_id: int):
    """The order's Stripe Checkout URL (the same as the order page's Pay)."""
    order = _order_or_404(order_id)
    errors.check_owner(order, current_user, ONLY_OWNER_PAYS)
    return jsonify(url=checkout.start_checkout(order, store.actor_name(current_user)))


@bp.get("/cart")
@login_required
def get_cart():
    return jsonify(_cart_api())


@bp.put("/cart/lines/<int:item_id>")
@login_required
def put_cart_line(item_id: int):
    quantity = json_body(("quantity",)).get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ApiError(422, "invalid_field", _("%(field)s must be a whole number.", field="quantity"), field="quantity")
    cart.put_line(current_user, item_id, quantity)
    return jsonify(_cart_api())


@bp.delete("/cart/lines/<int:item_id>")
@login_required
def delete_cart_line(item_id: int):
    cart.discard(current_user, item_id)
    return jsonify(_cart_api())


@bp.post("/cart/checkout")
@login_required
def checkout_cart():
    order, url = cart.check_out(current_user)
    response = jsonify(order=order.to_api(), url=url)
    response.headers["Location"] = url_for(".get_order", order_id=order.id)
    return response, 201


def _cart_api() -> dict:
    view = cart.view(current_user)
    return {
        "lines": [
            {
                "inventory_id": line.inventory_id,
                "name": line.name,
                "unit_price": cents_to_str(line.unit_price_cents),
                "quantity": line.quantity,
                "line_total": cents_to_str(line.line_total_cents),
                "available": line.available if line.sold else 0,
                "sold": line.sold,
                "price_changed": line.price_changed,
            }
            for line in view.lines
        ],
        "total_price": cents_to_str(view.total_cents),
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


def _order_or_404(order_id: int) -> Order:
    return store.order_for(current_user, order_id) or abort(404)


def _json_lines(lines):
    """The lines of a JSON body: numbers are JSON numbers here, as in the one-item body (the order
    form's strings are the form's); the rest (how many, each a pair) is placing.parse_lines'."""
    if isinstance(lines, list):
        for line in lines:
            if not isinstance(line, dict):
                raise ApiError(422, "invalid_field", _("Each line names an item and a quantity."), field="lines")
            for name in ("inventory_id", "quantity"):
                value = line.get(name)
                if isinstance(value, bool) or not isinstance(value, int):
                    message = _("%(field)s must be a whole number.", field=name)
                    raise ApiError(422, "invalid_field", message, field=name)
    return lines


def _required(body: dict, name: str):
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, "invalid_field", _("%(field)s must be a whole number.", field=name), field=name)
    return value

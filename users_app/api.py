"""users JSON API: registration, bearer tokens, me, and the admin list."""

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from shared_ui.api import ApiError, json_body, page_args, page_of
from shared_ui.auth import admin_required, issue_api_token
from shared_ui.extensions import csrf
from users_app import accounts, devices, my_data, password_reset
from users_app.extensions import db
from users_app.models import User
from users_app.openapi import OPENAPI
from users_app.orders_client import OrdersUnavailable
from users_app.throttle import Throttled

bp = Blueprint("api", __name__, url_prefix="/users/api")
csrf.exempt(bp)


@bp.errorhandler(Throttled)
def _throttled(error: Throttled):
    response = ApiError(429, "too_many_requests", error.message).to_response()
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _account_error(error: accounts.AccountError) -> ApiError:
    return ApiError(error.status, error.code, error.message, field=error.field)


def _string(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ApiError(422, "invalid_field", _("%(field)s must be a string.", field=name), field=name)
    return value


@bp.post("/users")
def create_user():
    body = json_body(("login", "email", "password"))
    email = _string(body, "email") if body.get("email") is not None else None
    try:
        user = accounts.register(
            _string(body, "login"), _string(body, "password"), address=request.remote_addr, email=email
        )
    except accounts.AccountError as error:
        raise _account_error(error) from None
    return jsonify(user.to_api()), 201


@bp.post("/tokens")
def create_token():
    """A bearer token, and a device token the client may send back in `Shop-Device` at its next
    logins, so that strangers' failed guesses of the login do not refuse it (users_app/devices.py)."""
    body = json_body(("login", "password"))
    device = devices.from_api_request()
    try:
        user = accounts.authenticate(_string(body, "login"), _string(body, "password"), request.remote_addr, device)
    except accounts.AccountError as error:  # the right password of a deactivated account
        raise _account_error(error) from None
    if user is None:
        raise ApiError(401, "invalid_credentials", _("Wrong login or password."))
    token, expires_at = issue_api_token(user.record())
    return jsonify(
        token=token,
        token_type="Bearer",  # noqa: S106
        expires_at=expires_at.isoformat().replace("+00:00", "Z"),
        user=user.to_api(),
        device_token=devices.api_token(user, device),
    ), 201


@bp.get("/me")
@login_required
def me():
    return jsonify(db.get_or_404(User, current_user.id).to_api())


@bp.get("/me/export")
@login_required
def export_me():
    try:
        response = jsonify(my_data.export(db.get_or_404(User, current_user.id)))
    except OrdersUnavailable:
        message = _("Your orders cannot be read right now. Please try again in a moment.")
        raise ApiError(503, "orders_unavailable", message) from None
    response.headers["Cache-Control"] = "no-store"  # everything the shop knows of this person
    return response


@bp.delete("/me")
@login_required
def delete_me():
    body = json_body(("password",))
    try:
        user = db.get_or_404(User, current_user.id)
        password = _string(body, "password")
        my_data.delete_account(user, password, address=request.remote_addr, device=devices.from_api_request())
    except accounts.AccountError as error:
        raise _account_error(error) from None
    except OrdersUnavailable:
        message = _("Your orders could not be reached, so your account is not deleted. Please try again in a moment.")
        raise ApiError(503, "orders_unavailable", message) from None
    return "", 204


@bp.post("/password-resets")
def create_password_reset():
    """202 whether or not an account has the address (no enumeration)."""
    body = json_body(("email",))
    password_reset.request_reset(_string(body, "email"), request.remote_addr, devices.from_api_request())
    return jsonify(status="accepted"), 202


@bp.get("/users")
@admin_required
def list_users():
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(User))
    users = db.session.scalars(select(User).order_by(User.id).limit(per_page).offset((page - 1) * per_page))
    return jsonify(page_of([u.to_api() for u in users], page, per_page, total))


@bp.patch("/users/<int:user_id>")
@admin_required
def update_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    body = json_body(("is_admin", "is_active"))
    changes = {}
    for name in ("is_admin", "is_active"):
        if name in body:
            if not isinstance(body[name], bool):
                raise ApiError(422, "invalid_field", _("%(field)s must be true or false.", field=name), field=name)
            changes[name] = body[name]
    if not changes:
        raise ApiError(422, "invalid_field", _("Give is_admin and/or is_active."))
    try:
        accounts.set_roles(current_user.id, user, **changes)
    except accounts.AccountError as error:
        raise _account_error(error) from None
    return jsonify(user.to_api())


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)

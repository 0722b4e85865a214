"""The admin user list: promote, demote, deactivate, reactivate."""

from math import ceil

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from shared_ui.auth import admin_required
from shared_ui.numbers import page_number
from shared_ui.pages import render_page
from shared_ui.requests_kind import wants_fragment
from users_app import accounts
from users_app.extensions import db
from users_app.forms import ActionForm
from users_app.models import User

bp = Blueprint("admin", __name__, url_prefix="/users/admin")

PER_PAGE = 50
ACTIONS = {
    "promote": {"is_admin": True},
    "demote": {"is_admin": False},
    "deactivate": {"is_active": False},
    "reactivate": {"is_active": True},
}
DONE = {
    "promote": _l("%(login)s is now an administrator."),
    "demote": _l("%(login)s is no longer an administrator."),
    "deactivate": _l("%(login)s is deactivated."),
    "reactivate": _l("%(login)s is active again."),
}


@bp.route("/")
@admin_required
def index():
    q = request.args.get("q", "").strip()  # no NUL: shared_ui.edge drops it
    page = page_number(request.args)
    query = select(User).order_by(User.id)
    if q:
        query = query.where(func.lower(User.login).contains(q.lower(), autoescape=True))
    users = db.session.scalars(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    if not users and page > 1:  # past the last (a stale link, a search that narrowed): the last page
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        page = max(ceil(total / PER_PAGE), 1)
        users = db.session.scalars(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    return render_page(
        "users/admin.html",
        "user_table",
        users=users[:PER_PAGE],
        q=q,
        page=page,
        has_more=len(users) > PER_PAGE,
        form=ActionForm(),
    )


@bp.route("/<int:user_id>/<action>", methods=["POST"])
@admin_required
def change(user_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    user = db.get_or_404(User, user_id)
    error = None
    try:
        accounts.set_roles(current_user.id, user, **ACTIONS[action])
    except accounts.AccountError as exc:
        error = exc.message
    done = str(DONE[action]) % {"login": user.login}
    if not wants_fragment():  # the no-JavaScript path: back to the list with a message
        flash(error or done, "error" if error else "success")
        page = page_number(request.form)  # back to the list as it was searched and paged
        return redirect(url_for(".index", q=request.form.get("q") or None, page=page if page > 1 else None), code=303)
    return render_page("users/admin.html", "user_row", user=user, form=ActionForm(), error=error, done=done)

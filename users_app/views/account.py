"""A user's own account page: who they are, and a password change."""

from flask import Blueprint, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from shared_ui.pages import render_page
from users_app import accounts
from users_app.extensions import db
from users_app.forms import PasswordForm
from users_app.models import User
from users_app.throttle import Throttled
from users_app.views.auth import start_session

bp = Blueprint("account", __name__, url_prefix="/users")


@bp.route("/")
@bp.route("/account")
@login_required
def show():
    user = db.get_or_404(User, current_user.id)
    return render_page("users/account.html", user=user, form=PasswordForm())


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    user = db.get_or_404(User, current_user.id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                user, form.current_password.data, form.new_password.data, address=request.remote_addr
            )
        except Throttled as error:
            form.current_password.errors.append(error.message)
            response = render_page("users/account.html", user=user, form=form, status=429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        except accounts.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            start_session(user)  # this browser stays logged in; every other session ends
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect("/users/account", code=303)
    return render_page("users/account.html", user=user, form=form, status=422)

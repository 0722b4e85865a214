"""Forgot your password? An address, then a link by e-mail, then a new password."""

from flask import Blueprint, flash, redirect, request
from flask_babel import gettext as _

from shared_ui.pages import render_page, secret_link_page
from users_app import accounts, devices, password_reset
from users_app.forms import ForgotPasswordForm, ResetPasswordForm
from users_app.throttle import Throttled

bp = Blueprint("password", __name__, url_prefix="/users/password")


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.request_reset(form.email.data, request.remote_addr, devices.from_request())
        except Throttled as error:
            form.email.errors.append(error.message)
            response = render_page("users/forgot.html", form=form, http_status=429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        # The same page whether or not an account has this address.
        return render_page("users/forgot.html", form=form, sent=True)
    return render_page("users/forgot.html", form=form, http_status=422 if form.errors else 200)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@secret_link_page
def reset(token: str):
    form = ResetPasswordForm()
    try:
        user = password_reset.user_for_token(token)
    except password_reset.ResetLinkError as error:
        return render_page("users/reset.html", form=None, refused=error.message, http_status=410)
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data)
        except accounts.AccountError as error:
            form.password.errors.append(error.message)
        except password_reset.ResetLinkError as error:
            return render_page("users/reset.html", form=None, refused=error.message, http_status=410)
        else:
            flash(_("Your password is changed; every device was logged out. Log in with the new one."), "success")
            return redirect("/users/login", code=303)
    return render_page("users/reset.html", form=form, login=user.login, http_status=422 if form.errors else 200)

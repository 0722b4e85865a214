"""A user's own account page: who they are, their e-mail address, a password change, their data."""

import json

from flask import Blueprint, Response, flash, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from shared_ui.pages import render_page
from users_app import accounts, devices, email_confirm, my_data
from users_app.extensions import db
from users_app.forms import DeleteAccountForm, EmailForm, PasswordForm
from users_app.models import User, utcnow
from users_app.orders_client import OrdersUnavailable
from users_app.throttle import Throttled
from users_app.views.auth import HOME, KEPT_SESSION_KEYS, start_session

bp = Blueprint("account", __name__, url_prefix="/users")

#: the account page with its message at the top in view: a redirect without a fragment would keep
#: the form's (account.html: each form posts to its own place on the page)
AT_THE_TOP = "/users/account#main"


def _page(user: User, status: int = 200, **forms):
    forms.setdefault("form", PasswordForm())
    forms.setdefault("email_form", EmailForm(formdata=None, email=user.email))
    forms.setdefault("delete_form", DeleteAccountForm(formdata=None))
    until = email_confirm.expires_at(user.email_pending_at) if user.email_pending_at else None
    pending = {"pending_until": until, "pending_expired": until is not None and until <= utcnow()}
    return render_page("users/account.html", user=user, http_status=status, **pending, **forms)


def _throttled(user: User, error: Throttled, field, **forms):
    """429 with the account page: `field` (the password's, unless the limit is about another) says how
    long to wait."""
    field.errors.append(error.message)
    response = _page(user, 429, **forms)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.route("/")
@bp.route("/account")
@login_required
def show():
    return _page(db.get_or_404(User, current_user.id))


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    user = db.get_or_404(User, current_user.id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                address=request.remote_addr,
                device=devices.from_request(),
            )
        except Throttled as error:
            return _throttled(user, error, form.current_password, form=form)
        except accounts.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            start_session(user)  # this browser stays logged in; every other session ends
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(AT_THE_TOP, code=303)
    return _page(user, 422, form=form)


@bp.route("/account/email", methods=["POST"])
@login_required
def change_email():
    user = db.get_or_404(User, current_user.id)
    form = EmailForm()
    if form.validate_on_submit():
        try:
            written = accounts.change_email(
                user,
                form.email_password.data,
                form.email.data,
                address=request.remote_addr,
                device=devices.from_request(),
            )
        except Throttled as error:  # too many failed logins (the password), or address changes (the address)
            field = form.email if error.field == "email" else form.email_password
            return _throttled(user, error, field, email_form=form)
        except accounts.AccountError as error:
            field = "email_password" if error.field == "current_password" else "email"
            getattr(form, field).errors.append(error.message)
        else:
            if written:
                flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
            else:
                email = form.email.data.strip()
                sent = _("We sent a link to %(email)s; your address changes when you open it and confirm.", email=email)
                flash(sent, "success")
            return redirect(AT_THE_TOP, code=303)
    return _page(user, 422, email_form=form)


@bp.route("/account/email/resend", methods=["POST"])
@login_required
def resend_email_confirm():
    """The link of the change waiting, sent again (a new one: the ones before stop working)."""
    user = db.get_or_404(User, current_user.id)
    try:
        email = accounts.resend_email_confirm(user, address=request.remote_addr)
    except Throttled as error:
        response = _page(user, 429, pending_error=error.message)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except accounts.AccountError as error:  # cancelled or confirmed meanwhile (another tab)
        flash(error.message, "error")
    else:
        flash(_("We sent a new link to %(email)s; the links sent before no longer work.", email=email), "success")
    return redirect(AT_THE_TOP, code=303)


@bp.route("/account/email/cancel", methods=["POST"])
@login_required
def cancel_email_change():
    """The change waiting ends: its link stops working, and the account keeps its address."""
    user = db.get_or_404(User, current_user.id)
    try:
        email = accounts.cancel_email_change(user)
    except accounts.AccountError as error:
        flash(error.message, "error")
    else:
        flash(_("The change to %(email)s is cancelled; the link sent to it no longer works.", email=email), "success")
    return redirect(AT_THE_TOP, code=303)


@bp.route("/account/export")
@login_required
def export():
    user = db.get_or_404(User, current_user.id)
    try:
        document = my_data.export(user)
    except OrdersUnavailable:
        flash(_("Your orders cannot be read right now. Please try again in a moment."), "error")
        return redirect("/users/account", code=303)
    response = Response(json.dumps(document, indent=2, ensure_ascii=False), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-shop-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["POST"])
@login_required
def delete():
    user = db.get_or_404(User, current_user.id)
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            my_data.delete_account(
                user, form.delete_password.data, address=request.remote_addr, device=devices.from_request()
            )
        except Throttled as error:
            return _throttled(user, error, form.delete_password, delete_form=form)
        except accounts.AccountError as error:
            form.delete_password.errors.append(error.message)
        except OrdersUnavailable:
            form.delete_password.errors.append(
                _("Your orders could not be reached, so your account is not deleted. Please try again in a moment.")
            )
            return _page(user, 503, delete_form=form)
        else:
            logout_user()
            kept = {key: session[key] for key in KEPT_SESSION_KEYS if key in session}
            session.clear()
            session.update(kept)
            flash(_("Your account is deleted."), "success")
            return redirect(HOME, code=303)
    return _page(user, 422, delete_form=form)

"""The links of an address change: the one sent to the new address, which makes the change, and the
"it was not me" one of the notice then sent to the old address, which asks, then puts it back."""

from flask import Blueprint, flash, redirect, session
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from shared_ui.auth import login_url
from shared_ui.pages import render_page, secret_link_page
from users_app import accounts, email_confirm, email_restore

bp = Blueprint("email_restore", __name__, url_prefix="/users/email")


#: where a link opened logged out brings its owner back after the login: no token in it
CONFIRM_AFTER_LOGIN = "/users/email/confirm"


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@secret_link_page
def confirm(token: str):
    """The link, opened logged in as its account (email_confirm.py says why logged in), asks; the
    button makes the change. Not the GET itself: the link of a mistyped address is its stranger's,
    who could make the owner's browser open it (a link or a redirect from any page carries the
    session cookie) and so put their own address on the account.

    Opened logged out, the link waits in the session and the login page's `next` names only
    CONFIRM_AFTER_LOGIN: the token stays out of the login page's address (nginx's error log while
    users is down, its Referer, the browser's history)."""
    if not current_user.is_authenticated:
        if len(token) <= email_confirm.TOKEN_MAX:  # a made-up one as long as a URL would burst the cookie
            session[email_confirm.SESSION_KEY] = token
        return redirect(login_url(CONFIRM_AFTER_LOGIN))  # as login_required answers
    form = FlaskForm()  # the CSRF token alone: the link names the address, the button is the consent
    try:
        user, new = email_confirm.read_token(token, current_user.id)
        if form.validate_on_submit():
            user, _old = accounts.confirm_email(token, current_user.id)
            flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
            return redirect("/users/account#main", code=303)
    except email_confirm.ConfirmLinkError as error:
        return render_page("users/confirm_email.html", refused=error.message, http_status=410)
    except accounts.AccountError as error:  # the address has another account: its inbox's owner may know
        return render_page("users/confirm_email.html", refused=error.message, http_status=error.status)
    return render_page("users/confirm_email.html", form=form, login=user.login, email=new)


@bp.route("/confirm")
@secret_link_page
@login_required
def confirm_after_login():
    """Back from the login: the page of the link that was opened logged out (kept in the session)."""
    token = session.pop(email_confirm.SESSION_KEY, None)
    if not token:
        refused = _("Open the link we sent to your new address again.")
        return render_page("users/confirm_email.html", refused=refused, http_status=410)
    return redirect(f"/users/email/confirm/{token}", code=303)


@bp.route("/restore/<token>", methods=["GET", "POST"])
@secret_link_page
def restore(token: str):
    form = FlaskForm()  # the CSRF token alone: the link is the credential, the button the consent
    try:
        user, old = email_restore.read_token(token)
        if form.validate_on_submit():
            user, old = accounts.restore_email(token)
            flash(
                _(
                    "%(email)s is the address of your account again, and everyone was logged out of it. "
                    "We sent it a link to choose a new password.",
                    email=old,
                ),
                "success",
            )
            return redirect("/users/login", code=303)
    except email_restore.RestoreLinkError as error:
        return render_page("users/restore_email.html", refused=error.message, http_status=410)
    return render_page("users/restore_email.html", form=form, login=user.login, email=old)

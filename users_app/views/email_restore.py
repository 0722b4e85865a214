"""The "it was not me" link of an e-mail change notice: a page that asks, then puts the old address back."""

from flask import Blueprint, flash, redirect
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from shared_ui.pages import render_page, secret_link_page
from users_app import accounts, email_restore

bp = Blueprint("email_restore", __name__, url_prefix="/users/email")


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

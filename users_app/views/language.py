"""The language switch every page's layout posts to: kept in the shared session and on the account."""

from flask import Blueprint, flash, redirect, request, session
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user

from shared_ui.auth import safe_next
from shared_ui.i18n import LANGUAGES, SESSION_KEY
from users_app import accounts
from users_app.extensions import db
from users_app.models import User

bp = Blueprint("language", __name__, url_prefix="/users")

HOME = "/inventory/"


@bp.route("/language", methods=["POST"])
def choose():
    """Show the shop in `lang` (en or pt_BR) from now on, then go back to `next`."""
    next_path = safe_next(request.form.get("next"), HOME)
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        flash(_("That language is not available."), "error")
        return redirect(next_path, code=303)
    session[SESSION_KEY] = lang
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        if user is not None:
            accounts.set_locale(user, lang)
    refresh()  # the message below in the language just chosen
    flash(_("Language changed to %(language)s.", language=LANGUAGES[lang]), "success")
    return redirect(next_path, code=303)


def stored_locale(user_id: int) -> str | None:
    """The locale saved on the account (for shared_ui.i18n's selection when the session has none)."""
    user = db.session.get(User, user_id)
    return user.locale if user is not None else None

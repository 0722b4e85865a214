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


@bp.route("/language", methods=["GET", "POST"])
def choose():
    """Show the shop in `lang` (en or pt_BR) from now on, then go back to `next`.

    Logged-in pages post the switch with their CSRF token, and the choice is saved on the account.
    A visitor who is not logged in has no session, and so no token, until something needs one: their
    pages carry none so nginx can share them (shared_ui/page_cache.py), and their switch is a GET
    that changes only the session it starts. A forged GET can at most change the language of a
    visitor who is not logged in (and so the language saved on an account that has none when they
    next log in, as any choice made before logging in is), which they change back with one click;
    for a logged-in visitor a GET changes nothing.
    """
    values = request.form if request.method == "POST" else request.args
    next_path = safe_next(values.get("next"), HOME)
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(next_path, code=303)
    lang = values.get("lang", "")
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

"""Register, log in, log out: the only place that writes the auth keys of the shared session."""

from urllib.parse import quote

from flask import Blueprint, flash, redirect, request, session
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user

from shared_ui.auth import ShopUser, safe_next
from shared_ui.i18n import LANGUAGES, SESSION_KEY
from shared_ui.pages import render_page
from users_app import accounts, devices, email_confirm
from users_app.extensions import db
from users_app.forms import LoginForm, RegisterForm
from users_app.models import User
from users_app.throttle import Throttled

bp = Blueprint("auth", __name__, url_prefix="/users")

HOME = "/inventory/"
KEPT_SESSION_KEYS = (SESSION_KEY, "cart")  # the language, and a visitor's cart (orders_app/cart.py)


def start_session(user) -> None:
    """Log `user` in with a fresh session: nothing from before the login carries over.

    The language goes with the account: the one saved on it wins; without one, the visitor's
    choice so far is saved on it. An address confirmation link opened before the login waits on
    (views/email_restore.py), for the page the login goes back to.
    """
    kept = {key: session[key] for key in (*KEPT_SESSION_KEYS, email_confirm.SESSION_KEY) if key in session}
    session.clear()  # a new CSRF token too: no session fixation
    session.update(kept)
    if user.locale in LANGUAGES:
        session[SESSION_KEY] = user.locale
    elif session.get(SESSION_KEY) in LANGUAGES:
        accounts.set_locale(user, session[SESSION_KEY])
    refresh()  # the messages of this request in the account's language
    login_user(ShopUser(user.record()))
    devices.remember(user)  # this browser's failed logins and reset requests count apart


def next_query(next_path: str) -> str:
    """The `?next=` that keeps where the visitor was going between the login and register pages."""
    return "" if next_path == HOME else f"?next={quote(next_path, safe='/')}"


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    next_path = safe_next(request.args.get("next"), HOME)
    valid = form.validate_on_submit()
    if form.is_submitted():  # show every field's problem at once, not just the first
        problems = accounts.registration_problems(form.login.data, form.password.data, form.email.data or "")
        for name, problem in problems.items():
            field = getattr(form, name)
            if not field.errors:
                field.errors.append(problem)
                valid = False
    if valid:
        try:
            user = accounts.register(
                form.login.data, form.password.data, address=request.remote_addr, email=form.email.data
            )
        except Throttled as error:
            form.login.errors.append(error.message)
            response = render_page("users/register.html", form=form, next_query=next_query(next_path), http_status=429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        except accounts.AccountError as error:
            getattr(form, error.field or "login").errors.append(error.message)
        else:
            start_session(user)
            flash(_("Welcome, %(login)s! Your account is ready.", login=user.login), "success")
            return redirect(next_path, code=303)
    status = 422 if form.errors else 200
    return render_page("users/register.html", form=form, next_query=next_query(next_path), http_status=status)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    next_path = safe_next(request.values.get("next"), HOME)
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.login.data, form.password.data, request.remote_addr, devices.from_request()
            )
        except Throttled as error:
            form.password.errors.append(error.message)
            response = render_page(
                "users/login.html", form=form, next_path=next_path, next_query=next_query(next_path), http_status=429
            )
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        except accounts.AccountDeactivated as error:  # the right password: only its owner reads this
            form.form_errors.append(error.message)
            user = None
        if user is None:
            if not form.form_errors:
                form.password.errors.append(_("Wrong login or password."))
        else:
            start_session(user)
            flash(_("Logged in as %(login)s.", login=user.login), "success")
            return redirect(next_path, code=303)
    status = 422 if form.errors else 200
    return render_page(
        "users/login.html", form=form, next_path=next_path, next_query=next_query(next_path), http_status=status
    )


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        if user is not None:
            accounts.end_sessions(user)
        logout_user()
    kept = {key: session[key] for key in KEPT_SESSION_KEYS if key in session}
    session.clear()
    session.update(kept)
    flash(_("You are logged out."), "success")
    return redirect(HOME, code=303)

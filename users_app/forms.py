"""users_app's forms; the rules themselves live in accounts.py."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired


class RegisterForm(FlaskForm):
    login = StringField("Login", validators=[InputRequired("Choose a login.")], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", validators=[InputRequired("Choose a password.")], render_kw={"autocomplete": "new-password"}
    )


class LoginForm(FlaskForm):
    login = StringField(
        "Login", validators=[InputRequired("Enter your login.")], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password.")], render_kw={"autocomplete": "current-password"}
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password", validators=[InputRequired("Choose a new password.")], render_kw={"autocomplete": "new-password"}
    )


class ActionForm(FlaskForm):
    """A button that posts: only the CSRF token."""

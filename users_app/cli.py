"""users_app commands: `flask --app users_app bootstrap-admin`."""

import click
from flask import current_app

from users_app import accounts


def register_commands(app) -> None:
    @app.cli.command("bootstrap-admin")
    def bootstrap_admin():
        """Create the admin named by SHOP_ADMIN_LOGIN/SHOP_ADMIN_PASSWORD if that login is free."""
        login = current_app.config["SHOP_ADMIN_LOGIN"]
        password = current_app.config["SHOP_ADMIN_PASSWORD"]
        if not (login and password):
            click.echo("bootstrap-admin: SHOP_ADMIN_LOGIN/SHOP_ADMIN_PASSWORD not set; no admin created")
            return
        try:
            user = accounts.ensure_admin(login, password)
        except accounts.AccountError as error:
            raise click.ClickException(f"cannot create admin {login!r}: {error.message}") from None
        click.echo(f"bootstrap-admin: {'created' if user else 'kept existing'} admin {login!r}")

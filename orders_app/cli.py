"""orders_app commands: `flask --app orders_app orders sweep`, `flask --app orders_app payments reconcile`."""

import json

import click
from flask.cli import AppGroup

from orders_app import jobs


def register_commands(app) -> None:
    orders = AppGroup("orders", help="Orders housekeeping.")

    @orders.command("sweep")
    @click.option(
        "--older-than",
        type=click.IntRange(min=0),
        default=None,
        help="Seconds an unfinished step must be old before it is finished (default ORDERS_STALE_SECONDS).",
    )
    def sweep(older_than):
        """Finish orders a request left halfway; cancel Pending orders past their hold deadline."""
        click.echo(json.dumps(jobs.sweep(stale_seconds=older_than)))

    app.cli.add_command(orders)

    group = AppGroup("payments", help="Payments housekeeping.")

    @group.command("reconcile")
    def reconcile():
        """Ask Stripe about every Pending order with a session and apply what it says (missed webhooks);
        commit the stock of paid orders whose commit is pending; retry refunds that are due."""
        click.echo(json.dumps(jobs.reconcile_payments()))

    app.cli.add_command(group)

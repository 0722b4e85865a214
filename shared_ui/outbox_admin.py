"""The admins' page of e-mail that could not be sent (each app's outbox), with "Try again", and
`flask --app <app> mail deliver` to send what is due by hand (what the jobs process does)."""

import json

import click
from flask import Blueprint, flash, redirect
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from shared_ui import outbox
from shared_ui.auth import admin_required
from shared_ui.pages import render_page


def admin_blueprint(app_name: str, mail_outbox: outbox.Outbox) -> Blueprint:
    """`/<app>/admin/mail`: the messages that kept failing; an admin may queue one again."""
    bp = Blueprint(f"{app_name}_mail_admin", __name__, url_prefix=f"/{app_name}/admin/mail", cli_group="mail")
    page_url = f"/{app_name}/admin/mail"

    @bp.route("/")
    @admin_required
    def index():
        messages, total = outbox.needing_attention(mail_outbox)
        retrying, next_attempt = outbox.retrying(mail_outbox)
        return render_page(
            "shared_ui/mail_failures.html",
            messages=messages,
            total=total,
            retrying=retrying,
            next_attempt=next_attempt,
            form=FlaskForm(),
            page_url=page_url,
        )

    @bp.route("/<int:message_id>/retry", methods=["POST"])
    @admin_required
    def retry(message_id: int):
        if FlaskForm().validate_on_submit():
            if outbox.retry(mail_outbox, message_id):
                flash(_("The message will be sent again."), "success")
            else:  # another admin (or another tab) asked first, or no such message
                flash(_("That message is no longer on the list: it was already queued again."), "error")
        return redirect(page_url, code=303)

    @bp.cli.command("deliver")
    def deliver():
        """Send the e-mail that is due now (the jobs process does it every 2 seconds)."""
        click.echo(json.dumps(outbox.deliver_due(mail_outbox) or {}))

    return bp

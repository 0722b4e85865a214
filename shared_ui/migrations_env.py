"""Alembic's environment, the same for every app: each app's `migrations/env.py` calls `run()`.

This is Flask-Migrate's standard env.py written once: the URL and the metadata come from the app's
Flask-SQLAlchemy extension, and autogenerate writes no empty revision. An app passes
`include_name` to keep autogenerate off objects that no model describes (inventory's full-text index).
"""

import logging
from collections.abc import Callable
from logging.config import fileConfig

from alembic import context
from flask import current_app

logger = logging.getLogger("alembic.env")

IncludeName = Callable[[str | None, str, dict], bool]


def run(include_name: IncludeName | None = None) -> None:
    config = context.config
    fileConfig(config.config_file_name, disable_existing_loggers=False)
    migrate = current_app.extensions["migrate"]
    engine = migrate.db.engine
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    metadata = migrate.db.metadatas[None] if hasattr(migrate.db, "metadatas") else migrate.db.metadata

    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def no_empty_revision(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    configure_args = dict(migrate.configure_args)
    configure_args.setdefault("process_revision_directives", no_empty_revision)
    if include_name is not None:
        configure_args.setdefault("include_name", include_name)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Alembic's recipe for SQLite: a batch operation copies a table and drops the old one,
            # and with foreign keys on, that drop would cascade into the tables that refer to it.
            # Off outside any transaction (SQLite ignores the pragma inside one), checked after.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            context.configure(connection=connection, target_metadata=metadata, **configure_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
            if connection.in_transaction():
                connection.commit()  # what the migrations did is in; the pragma below needs no transaction
        finally:
            if sqlite:
                driver = connection.connection.driver_connection
                driver.execute("PRAGMA foreign_keys = ON")

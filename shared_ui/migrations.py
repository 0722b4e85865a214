"""Flask-Migrate for every app, imported only when a migration runs.

Flask-Migrate imports Alembic, Mako and Pygments: 10.9 MiB of every process that imports it (RSS over
SQLAlchemy's, 148 modules), and every web worker and the jobs runner did, to serve requests that
never migrate (bench/NOTES.md, seventh round). Here an app gets two stand-ins that load Flask-Migrate
on first use and then step aside:
- `app.extensions["migrate"]`, read by `flask_migrate.upgrade()` & co. and by the migrations'
  env.py (shared_ui/migrations_env.py);
- the `flask db ...` command group.
The migrations, the commands and their options are Flask-Migrate's, unchanged.
"""

import click


def init_migrations(app, db, directory: str) -> None:
    """What `Migrate(app, db, directory=directory, render_as_batch=True)` does, on first use."""
    config = _LazyMigrateConfig(app, db, directory)
    app.extensions["migrate"] = config
    app.cli.add_command(_MigrationCommands(config))


class _LazyMigrateConfig:
    """Stands in for Flask-Migrate's app.extensions["migrate"] until something reads it."""

    def __init__(self, app, db, directory: str):
        self._app, self._db, self._directory = app, db, directory
        self._loaded = None

    def load(self):
        """Flask-Migrate set up on the app as usual (it replaces this stand-in); its config."""
        if self._loaded is None:
            from flask_migrate import Migrate

            Migrate(self._app, self._db, directory=self._directory, render_as_batch=True)
            self._loaded = self._app.extensions["migrate"]
        return self._loaded

    def __getattr__(self, name):
        return getattr(self.load(), name)


class _MigrationCommands(click.Group):
    """`flask db ...`: Flask-Migrate's command group, imported when the command runs."""

    def __init__(self, config: _LazyMigrateConfig):
        super().__init__(name="db", help="Perform database migrations (Flask-Migrate).")
        self._config = config

    def _group(self) -> click.Group:
        self._config.load()
        from flask_migrate.cli import db

        return db

    def make_context(self, info_name, args, parent=None, **extra):
        # The context is the real group's, so the real group parses the options and runs.
        return self._group().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return self._group().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        return self._group().get_command(ctx, cmd_name)

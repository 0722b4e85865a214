"""inventory_app commands."""

import click


def register_commands(app) -> None:
    @app.cli.command("demo-data")
    def demo_data():
        """Seed demo items when SHOP_DEMO_DATA is set and the catalog is empty."""
        click.echo("demo-data: the inventory has no item table yet")

"""The admin table's rows as a browser edits them (a helper for the inventory admin tests)."""

import html
import re

from tests.inventory_app.conftest import htmx

SHOWN = r'name="(name|price|quantity|category|expected_quantity|seen)"[^>]*value="([^"]*)"'


def shown_in(row: str) -> dict:
    """What an edit row's form would send back untouched: the values it shows and its hidden fields."""
    shown = {name: html.unescape(value) for name, value in re.findall(SHOWN, row)}
    shown["description"] = html.unescape(re.search(r'name="description"[^>]*>\n?([^<]*)</textarea>', row).group(1))
    return shown


def opened(admin, item_id) -> dict:
    """The edit row as an admin opens it, as the values its form would send back."""
    return shown_in(htmx(admin, "GET", f"/inventory/admin/items/{item_id}/edit").get_data(as_text=True))


def save(admin, item_id, shown: dict, **fields):
    """Send a row's form, opened earlier, with some fields changed."""
    return htmx(admin, "POST", f"/inventory/admin/items/{item_id}", data={**shown, **fields})


def edit(admin, item_id, **fields):
    """Save the row as the admin table's form would send it: the shown values with some changed."""
    return save(admin, item_id, opened(admin, item_id), **fields)

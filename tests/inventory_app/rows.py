"""The admin table's rows as a browser edits them (a helper for the inventory admin tests)."""

import re

from tests.inventory_app.conftest import htmx


def edit(admin, item_id, **fields):
    """Save the row as the admin table's form would send it: the shown values with some changed."""
    row = htmx(admin, "GET", f"/inventory/admin/items/{item_id}/edit").get_data(as_text=True)
    shown = dict(re.findall(r'name="(name|price|quantity|expected_quantity)"[^>]*value="([^"]*)"', row))
    shown["description"] = re.search(r'name="description"[^>]*>\n?([^<]*)</textarea>', row).group(1)
    return htmx(admin, "POST", f"/inventory/admin/items/{item_id}", data={**shown, **fields})

"""Names sort the way a Portuguese or English reader files them: without case and accents first
("açúcar" next to "Acucar", "Água" among the A's), the older item first on a tie. The catalog's
keyset pages (by category and "available only" too), the API's numbered pages and the admin table
all list in that order, and a page boundary in the middle of accented names loses nothing. A search
ignores case and accents too: "acucar" finds "Açúcar" and "açúcar" finds "Acucar"."""

import re
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, select, text

from inventory_app import models, search
from inventory_app.extensions import db
from inventory_app.models import Item, name_key
from tests.inventory_app.conftest import htmx
from tests.inventory_app.rows import edit
from tests.inventory_app.test_api import bearer
from tests.inventory_app.test_catalog import HX, names_in, next_link
from tests.inventory_app.test_categories import set_category
from tests.inventory_app.test_search_folding import newest_migration

#: made in this order (so "açúcar" is older than "Acucar"), listed as SORTED
MADE = ["Zebra listrada", "Óleo de cozinha", "açúcar", "Água de coco", "Acucar", "banana", "Écharpe", "apple"]
SORTED = ["açúcar", "Acucar", "Água de coco", "apple", "banana", "Écharpe", "Óleo de cozinha", "Zebra listrada"]
BEFORE_KEYS_REVISION = "7e3a9c1d5b20"
#: searched for, newest first
SPELLED = ["Açúcar refinado", "Acucar mascavo", "Água de coco"]
SEARCHES = [
    ("acucar", ["Acucar mascavo", "Açúcar refinado"]),
    ("AÇÚCAR ref", ["Açúcar refinado"]),
    ("agua", ["Água de coco"]),
    ("a\u0301gua", ["Água de coco"]),  # "á" typed as "a" and a combining accent, as some keyboards send it
]


#: names with numbers and dots, and what searching them finds (on both databases)
JOINED = ["Jack 3.5mm", "Water 1.5L", "Cable USB-C 2.0", "Mug shop.example.com", "Bolt -5 mm"]
JOINED_SEARCHES = [
    ("2.0", ["Cable USB-C 2.0"]),
    ("3.5mm", ["Jack 3.5mm"]),
    ("5mm", ["Jack 3.5mm"]),
    ("1.5l", ["Water 1.5L"]),
    ("example", ["Mug shop.example.com"]),
    ("usb-c", ["Cable USB-C 2.0"]),
    ("5 mm", ["Bolt -5 mm"]),
]


def catalog_pages(client, path: str) -> list[list[str]]:
    """The names of each page a shopper sees: the page, then "More items" until there is none."""
    html = client.get(path).get_data(as_text=True)
    pages, link = [names_in(html)], next_link(html)
    while link:
        assert len(pages) < 20, "paging does not end"
        html = client.get(link, headers=HX).get_data(as_text=True)
        pages.append(names_in(html))
        link = next_link(html)
    return pages


@pytest.mark.parametrize("page_size", [3, 4])  # a boundary between "açúcar" and "Acucar", and after them
def test_the_catalog_pages_through_accented_names_in_reading_order(app, client, make_item, page_size):
    app.config["CATALOG_PAGE_SIZE"] = page_size
    for name in MADE:
        make_item(name)
    pages = catalog_pages(client, "/inventory/")
    assert [name for page in pages for name in page] == SORTED
    assert all(len(page) == page_size for page in pages[:-1])


def test_available_only_and_a_category_page_keep_the_same_order(app, client, make_item):
    app.config["CATALOG_PAGE_SIZE"] = 2
    for name in MADE:
        item_id = make_item(name, quantity=0 if name == "apple" else 5)
        set_category(app, item_id, "Feira" if name == "banana" else "Mercado")
    available = [name for page in catalog_pages(client, "/inventory/?available=1") for name in page]
    assert available == [name for name in SORTED if name != "apple"]
    in_category = [name for page in catalog_pages(client, "/inventory/?category=Mercado") for name in page]
    assert in_category == [name for name in SORTED if name != "banana"]


@pytest.mark.parametrize(("q", "found"), SEARCHES)
def test_a_search_ignores_case_and_accents(client, make_item, q, found):
    for name in SPELLED:
        make_item(name)
    assert names_in(client.get("/inventory/", query_string={"q": q}).get_data(as_text=True)) == found



@pytest.mark.parametrize(("q", "found"), JOINED_SEARCHES)
def test_a_search_with_numbers_and_dots_finds_the_items(client, make_item, q, found):
    """What PostgreSQL finds too (test_name_order_postgres.py)."""
    for name in JOINED:
        make_item(name)
    assert names_in(client.get("/inventory/", query_string={"q": q}).get_data(as_text=True)) == found

def test_the_apis_numbered_pages_are_in_the_same_order(client, make_item):
    for name in MADE:
        make_item(name)
    listed = []
    for page in (1, 2, 3):
        body = client.get(f"/inventory/api/items?per_page=3&page={page}").get_json()
        listed += [item["name"] for item in body["items"]]
    assert listed == SORTED


@pytest.mark.parametrize(("direction", "expected"), [("", SORTED[:3]), ("&dir=desc", SORTED[::-1][:3])])
def test_the_admin_table_sorts_names_in_reading_order(app, admin, make_item, direction, expected):
    app.config["ADMIN_PAGE_SIZE"] = 3
    for name in MADE:
        make_item(name)
    html = htmx(admin, "GET", f"/inventory/admin/?sort=name{direction}").get_data(as_text=True)
    assert re.findall(r'<span class="item-name">([^<]+)</span>', html) == expected


def test_a_name_changed_in_the_admin_row_or_the_api_moves_the_item_to_its_new_place(
    client, admin, admin_token, make_item
):
    for name in ("Banana", "Cebola", "Damasco"):
        make_item(name)
    renamed_in_row, renamed_by_api = make_item("Zimbro"), make_item("Xarope")
    edit(admin, renamed_in_row, name="Ábacaxi")
    renamed = {"name": "Éclair"}
    patched = client.patch(f"/inventory/api/items/{renamed_by_api}", json=renamed, headers=bearer(admin_token))
    assert patched.status_code == 200
    listed = names_in(client.get("/inventory/").get_data(as_text=True))
    assert listed == ["Ábacaxi", "Banana", "Cebola", "Damasco", "Éclair"]


def test_items_seeded_in_bulk_and_the_demo_items_sort_like_the_rest(app, client):
    app.config["SHOP_DEMO_DATA"] = True
    runner = app.test_cli_runner()
    assert "seeded 12 items" in runner.invoke(args=["demo-data"]).output
    assert "inserted 30 items" in runner.invoke(args=["seed-bulk", "30", "--seed", "5"]).output
    with app.app_context():
        stored = db.session.execute(select(Item.name, Item.name_key)).all()
    assert len(stored) == 42 and all(key == name_key(name) for name, key in stored)


def test_a_cursor_of_a_bookmarked_page_continues_after_its_item_in_todays_order(app, client, make_item):
    """A "More items" address names the last item shown by its name and id; made before names sorted
    by their key, it continues after that item all the same."""
    ids = {name: make_item(name) for name in MADE}
    cursor = search.Cursor("Água de coco", ids["Água de coco"]).encode()
    html = client.get(f"/inventory/?after={cursor}").get_data(as_text=True)
    assert names_in(html) == SORTED[3:]


def browse_plans(app, *filters: tuple[bool, str | None]) -> list[str]:
    """SQLite's plan of each browsing page's query (a page after a cursor), one line per step."""
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    plans = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            for available, category in filters:
                search.catalog_page("", available, search.Cursor("Água", 3), 4, category)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        for statement, parameters in statements:
            if "ORDER BY" in statement:
                rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plans.append(" / ".join(row[3] for row in rows))
    return plans


def test_every_browsing_page_walks_its_index_in_key_order_without_sorting(app, make_item):
    for n in range(30):
        make_item(f"Água {n:02d}", quantity=n % 3)
    plans = browse_plans(app, (False, None), (True, None), (False, "Mercado"))
    assert len(plans) == 3, plans
    indexes = ["ix_inventory_live_name", "ix_inventory_in_stock_name", "ix_inventory_live_category"]
    assert all(index in plan for index, plan in zip(indexes, plans, strict=True)), plans
    assert not any("TEMP B-TREE" in plan or "SCAN inventory " in plan + " " for plan in plans), plans


def test_the_migration_fills_the_key_of_items_already_there_and_goes_down_again(app, client):
    directory = str(Path(app.root_path) / "migrations")
    with app.app_context():
        downgrade(directory=directory, revision=BEFORE_KEYS_REVISION)
        for name in MADE:
            db.session.execute(
                text(
                    "INSERT INTO inventory (name, description, price_cents, quantity, created_at, updated_at) "
                    "VALUES (:name, '', 100, 1, '2026-12-01', '2026-12-01')"
                ),
                {"name": name},
            )
        db.session.commit()
        upgrade(directory=directory)
        db.session.remove()
    assert names_in(client.get("/inventory/").get_data(as_text=True)) == SORTED
    with app.app_context():
        downgrade(directory=directory, revision=BEFORE_KEYS_REVISION)
        columns = {row[1] for row in db.session.execute(text("PRAGMA table_info(inventory)")).all()}
        indexed = dict(db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")).all())
        found = db.session.execute(text("SELECT count(*) FROM inventory_fts WHERE inventory_fts MATCH 'agua'")).scalar()
        db.session.commit()
        assert "name_key" not in columns and "name_key" not in indexed["ix_inventory_live_name"]
        assert found == 1  # the full-text index and its triggers are still there
        upgrade(directory=directory)
        db.session.remove()
    assert names_in(client.get("/inventory/").get_data(as_text=True)) == SORTED


def test_a_later_name_key_changes_nothing_the_key_migration_does(app, client, monkeypatch):
    """The migration that added the keys filled them with the app's name_key of the day, imported: a
    later change of that function would have made an old migration fill other keys than it did, and
    than the code of its time compares with. It keeps its own copy."""
    monkeypatch.setattr(models, "name_key", str.upper)
    directory = str(Path(app.root_path) / "migrations")
    with app.app_context():
        downgrade(directory=directory, revision=BEFORE_KEYS_REVISION)
        for name in MADE:
            db.session.execute(
                text(
                    "INSERT INTO inventory (name, description, price_cents, quantity, created_at, updated_at) "
                    "VALUES (:name, '', 100, 1, '2026-12-01', '2026-12-01')"
                ),
                {"name": name},
            )
        db.session.commit()
        upgrade(directory=directory)
        keys = dict(db.session.execute(text("SELECT name, name_key FROM inventory")).all())
        db.session.remove()
    assert keys["açúcar"] == keys["Acucar"] == "acucar" and keys["Água de coco"] == "agua de coco"
    monkeypatch.undo()
    assert names_in(client.get("/inventory/").get_data(as_text=True)) == SORTED


def test_todays_name_key_is_the_one_the_newest_migration_filled_the_keys_with():
    """A change of name_key needs a migration that fills every key again (with a copy of its own), or
    items saved before it sort by the old key among items saved after."""
    filled_with = newest_migration("def name_key(").name_key
    every_character = [chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000]
    samples = [*MADE, *every_character, "Straße ﬁsh Œuvre Łódź ǅemal", "ẞ" * 200, "Água" * 100]
    assert [name_key(sample) for sample in samples] == [filled_with(sample) for sample in samples]

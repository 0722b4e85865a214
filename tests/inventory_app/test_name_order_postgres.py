"""The name order on PostgreSQL, the database the shop runs on scaled out: the same order as on
SQLite (test_name_order.py), whatever the database's own collation (C.UTF-8 as shopctl makes it,
which put "Zebra" before "apple" and "Água" after "Zebra"), its pages walking the indexes without
sorting, the migration filling the key of items already there, and a search that ignores accents
as SQLite's does (to_tsvector('simple', ...) did not: "acucar" found no "Açúcar"). Runs a PostgreSQL server of its
own (shopctl's, on a free loopback port), in-process like the other inventory tests."""

import glob
import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from inventory_app import create_app, items, search
from inventory_app.extensions import db
from inventory_app.models import Item
from shopctl import postgres
from stacktools.stack import free_port
from tests.helpers import SECRETS
from tests.inventory_app.test_catalog import names_in
from tests.inventory_app.test_name_order import (
    BEFORE_KEYS_REVISION,
    JOINED,
    JOINED_SEARCHES,
    MADE,
    SEARCHES,
    SORTED,
    SPELLED,
    catalog_pages,
)
from tests.inventory_app.test_search_folding import LATIN, LATIN_SEARCHES, SPELLED_OUT, SPELLED_OUT_SEARCHES

pytestmark = pytest.mark.skipif(
    not (glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb")),
    reason="PostgreSQL is not installed (apt-get install postgresql)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    found = postgres.Server(tmp_path_factory.mktemp("var"), free_port())
    found.start()
    yield found
    found.remove()


@pytest.fixture
def pg_app(server):
    """inventory_app on an empty database of that server (migrated by each test as far as it needs)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": server.urls()["INVENTORY_DATABASE_URL"], **SECRETS})
    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def migrate(app, revision: str = "head") -> None:
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"), revision=revision)
        db.session.remove()


def add_items(app, names, quantity: int = 5) -> None:
    """Rows as the schema before the key takes them."""
    with app.app_context():
        for name in names:
            db.session.execute(
                text(
                    "INSERT INTO inventory (name, description, price_cents, quantity, created_at, updated_at) "
                    "VALUES (:name, '', 100, :quantity, now(), now())"
                ),
                {"name": name, "quantity": quantity},
            )
        db.session.commit()


def test_items_there_before_the_migration_page_in_reading_order_on_postgresql(pg_app):
    migrate(pg_app, BEFORE_KEYS_REVISION)
    add_items(pg_app, MADE)
    migrate(pg_app)
    pg_app.config["CATALOG_PAGE_SIZE"] = 3
    client = pg_app.test_client()
    assert [name for page in catalog_pages(client, "/inventory/") for name in page] == SORTED
    listed = [item["name"] for item in client.get("/inventory/api/items?per_page=100").get_json()["items"]]
    assert listed == SORTED


def create_items(app) -> None:
    """MADE, added as the admin table and the API add items (apple sold out), all in one category."""
    with app.app_context():
        for name in MADE:
            values = {"name": name, "price_cents": 100, "quantity": 0 if name == "apple" else 5, "category": "Mercado"}
            items.create_item(values, actor="test")


def test_items_added_after_it_page_in_the_same_order_through_every_index(pg_app):
    migrate(pg_app)
    create_items(pg_app)
    pg_app.config["CATALOG_PAGE_SIZE"] = 2
    client = pg_app.test_client()
    for path, expected in (
        ("/inventory/", SORTED),
        ("/inventory/?available=1", [name for name in SORTED if name != "apple"]),
        ("/inventory/?category=Mercado", SORTED),
    ):
        assert [name for page in catalog_pages(client, path) for name in page] == expected, path


@pytest.mark.parametrize(
    ("available", "category", "index"),
    [
        (False, None, "ix_inventory_live_name"),
        (True, None, "ix_inventory_in_stock_name"),
        (False, "Mercado", "ix_inventory_live_category"),
    ],
)
def test_a_browsing_page_walks_its_index_in_key_order_with_no_sort(pg_app, available, category, index):
    """With sequential scans ruled out (a small table would rather be read whole), the page must be
    an index scan in the index's own order: a Sort node would mean the key's collation and the
    index's differ, and every page would sort all the rows."""
    migrate(pg_app)
    create_items(pg_app)
    with pg_app.app_context():
        db.session.execute(text("ANALYZE inventory"))
        statement = search._browse_statement(available, category is not None, True, 5)
        parameters = {"after_key": "agua", "after_id": 3, **({"category": category} if category else {})}
        compiled = statement.compile(db.engine)
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.connection().exec_driver_sql("EXPLAIN " + str(compiled), {**compiled.params, **parameters})
        lines = [row[0] for row in plan]
        db.session.rollback()
    assert any(f"Index Scan using {index}" in line for line in lines), lines
    assert not any("Sort" in line for line in lines), lines


@pytest.mark.parametrize(("q", "found"), SEARCHES)
def test_a_search_ignores_case_and_accents_on_postgresql(pg_app, q, found):
    migrate(pg_app)
    with pg_app.app_context():
        for name in SPELLED:
            items.create_item({"name": name, "price_cents": 100, "quantity": 5}, actor="test")
    html = pg_app.test_client().get("/inventory/", query_string={"q": q}).get_data(as_text=True)
    assert names_in(html) == found


def test_a_search_on_postgresql_is_answered_by_the_full_text_index(pg_app):
    """The words go to the GIN index (the query's expression is the index's, word for word), not
    through every row's text."""
    migrate(pg_app)
    with pg_app.app_context():
        db.session.execute(
            text(
                "INSERT INTO inventory (name, name_key, description, price_cents, quantity, created_at, updated_at) "
                "SELECT 'Lamp ' || n, 'lamp ' || n, '', 100, 1, now(), now() FROM generate_series(1, 2000) AS n"
            )
        )
        db.session.execute(text("ANALYZE inventory"))
        query = search.live_items(select(Item.id), "acucar")
        compiled = query.compile(db.engine)
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a small table would rather be read whole
        plan = [row[0] for row in db.session.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)]
        db.session.rollback()
    assert any("Bitmap Index Scan on ix_inventory_search" in line for line in plan), plan


@pytest.mark.parametrize("q", ["agua", "água", "a\u0301gua"])
def test_a_name_typed_with_combining_accents_is_found_without_them_on_postgresql(pg_app, q):
    """An admin's "Água" pasted as "A" and a combining accent (as macOS and some keyboards send it)
    is found as the one typed as "Á" is: PostgreSQL's translate() knows composed letters only, and
    its parser cut the word at the accent ("A", "gua")."""
    migrate(pg_app)
    with pg_app.app_context():
        typed = {"name": "A\u0301gua de co\u0302co", "price": "1.00", "quantity": "5"}
        items.create_item(items.check_fields(typed, typed=True), actor="test")
    html = pg_app.test_client().get("/inventory/", query_string={"q": q}).get_data(as_text=True)
    assert names_in(html) == ["Água de côco"]  # stored composed


#: the revision whose index ignored the accents of Latin-1 letters only
LATIN_1_REVISION = "d5b8e1f4a927"


@pytest.mark.parametrize(("q", "found"), LATIN_SEARCHES)
def test_a_search_ignores_the_accents_of_every_latin_letter_as_on_sqlite(pg_app, q, found):
    """PostgreSQL's index ignored the accents of Latin-1 letters only: "gdanska" found "Gdańska" on
    SQLite and nothing here. Items there before the migration are found too (the index is made again)."""
    migrate(pg_app, LATIN_1_REVISION)
    with pg_app.app_context():
        for name in LATIN[:3]:
            items.create_item({"name": name, "price_cents": 100, "quantity": 5}, actor="test")
    migrate(pg_app)
    with pg_app.app_context():
        for name in LATIN[3:]:
            items.create_item({"name": name, "price_cents": 100, "quantity": 5}, actor="test")
    html = pg_app.test_client().get("/inventory/", query_string={"q": q}).get_data(as_text=True)
    assert names_in(html) == found


@pytest.mark.parametrize(("q", "found"), SPELLED_OUT_SEARCHES)
def test_a_word_searched_with_a_letter_unicode_spells_out_also_finds_it_spelled_out_on_postgresql(pg_app, q, found):
    migrate(pg_app)
    with pg_app.app_context():
        for name in SPELLED_OUT:
            items.create_item({"name": name, "price_cents": 100, "quantity": 5}, actor="test")
    html = pg_app.test_client().get("/inventory/", query_string={"q": q}).get_data(as_text=True)
    assert names_in(html) == found


@pytest.mark.parametrize(("q", "found"), JOINED_SEARCHES)
def test_a_search_with_numbers_and_dots_finds_what_sqlite_finds_on_postgresql(pg_app, q, found):
    """PostgreSQL's parser read "2.0", "3.5mm" or "shop.example.com" as tokens of their own, which the
    search's words ("2" and "0") start none of: "2.0" found no "USB-C 2.0"."""
    migrate(pg_app)
    with pg_app.app_context():
        for name in JOINED:
            items.create_item({"name": name, "price_cents": 100, "quantity": 5}, actor="test")
    html = pg_app.test_client().get("/inventory/", query_string={"q": q}).get_data(as_text=True)
    assert names_in(html) == found

"""inventory_app's commands: demo data, bulk seeding, and a catalog of 100,000 items."""

import re

from sqlalchemy import func, select

from inventory_app.extensions import db
from inventory_app.models import Item, StockMovement


def count(app, model=Item):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_demo_data_seeds_a_believable_shelf_once_and_only_when_asked(app, client):
    runner = app.test_cli_runner()
    app.config["SHOP_DEMO_DATA"] = False
    assert "nothing seeded" in runner.invoke(args=["demo-data"]).output
    assert count(app) == 0
    app.config["SHOP_DEMO_DATA"] = True
    assert "seeded 12 items" in runner.invoke(args=["demo-data"]).output
    assert "the catalog has items" in runner.invoke(args=["demo-data"]).output
    assert count(app) == 12
    html = client.get("/inventory/").get_data(as_text=True)
    assert "Out of stock" in html and re.search(r"Only \d left", html) and "$0.10" in html


def test_seed_bulk_inserts_items_with_their_initial_stock_recorded(app):
    result = app.test_cli_runner().invoke(args=["seed-bulk", "1200", "--seed", "7"])
    assert "inserted 1200 items" in result.output
    assert count(app) == 1200
    with app.app_context():
        on_hand = db.session.scalar(select(func.sum(Item.quantity)))
        recorded = db.session.scalar(select(func.sum(StockMovement.delta)))
    assert on_hand == recorded > 0


def test_a_catalog_of_100000_items_searches_filters_and_pages(app, client):
    """Seeds 100,000 items (a few seconds): search finds exactly the matching items, paging continues."""
    assert "inserted 100000 items" in app.test_cli_runner().invoke(args=["seed-bulk", "100000", "--seed", "3"]).output
    with app.app_context():
        lamps = db.session.scalars(
            select(Item.name).where(Item.name.like("% Oak Lamp %")).order_by(Item.name, Item.id)
        ).all()
        newest_lamps = db.session.scalars(
            select(Item.name).where(Item.name.like("% Oak Lamp %")).order_by(Item.id.desc())
        ).all()
        oak_lamps_in_stock = db.session.scalar(
            select(func.count()).where(Item.name.like("% Oak Lamp %"), Item.quantity > 0)
        )
    assert len(lamps) > 100

    api = client.get("/inventory/api/items?q=oak+lamp&per_page=100").get_json()
    assert api["total"] == len(lamps)
    assert [i["name"] for i in api["items"]] == lamps[:100]
    assert client.get("/inventory/api/items?q=oak+lamp&available=1").get_json()["total"] == oak_lamps_in_stock

    seen, path = [], "/inventory/?q=oak+lam"
    for _ in range(3):
        html = client.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
        seen += re.findall(r'class="item-name">([^<]+)<', html)
        path = re.search(r'hx-get="(/inventory/\?[^"]*after=[^"]+)"', html).group(1).replace("&amp;", "&")
    assert seen == newest_lamps[: len(seen)] and len(seen) == 3 * app.config["CATALOG_PAGE_SIZE"]

    exact = client.get("/inventory/api/items?q=012345").get_json()
    assert exact["total"] >= 1 and all("012345" in i["name"] for i in exact["items"])

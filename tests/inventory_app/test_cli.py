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


def test_demo_items_come_in_categories_with_pictures_drawn_at_seed_time(app, client):
    app.config["SHOP_DEMO_DATA"] = True
    assert "with pictures" in app.test_cli_runner().invoke(args=["demo-data"]).output
    items = client.get("/inventory/api/items?per_page=20").get_json()["items"]
    assert all(item["picture"] and item["picture"]["alt"] == item["name"] for item in items)
    assert {item["category"] for item in items} == {"Accessories", "Home", "Kitchen", "Outdoors", "Stationery"}
    assert client.get(items[0]["picture"]["url"]).status_code == 200
    page = client.get("/inventory/?category=Kitchen").get_data(as_text=True)
    assert page.count("<picture") == sum(item["category"] == "Kitchen" for item in items)


def test_picture_set_gives_items_a_checked_picture_and_refuses_what_an_upload_would(app, client, make_item, tmp_path):
    from tests import picture_samples

    first, second = make_item("One"), make_item("Two")
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    good.write_bytes(picture_samples.picture("PNG"))
    bad.write_bytes(picture_samples.HTML_AS_PNG)
    runner = app.test_cli_runner()
    assert "2 item(s)" in runner.invoke(args=["picture", "set", str(good), str(first), str(second)]).output
    assert client.get(f"/inventory/api/items/{second}").get_json()["picture"] is not None
    refused = runner.invoke(args=["picture", "set", str(bad), str(first)])
    assert refused.exit_code != 0 and "web page" in refused.output

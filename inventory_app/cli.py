"""inventory_app commands: `demo-data`, `seed-bulk N`, `picture set FILE ID...`, `holds sweep`."""

import random

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import insert, select, text

from inventory_app import pictures, stock
from inventory_app.extensions import db
from inventory_app.models import Item, utcnow
from shared_ui.db import write_transaction

# (name, description, price in cents, quantity, category): a small shop's shelf, some low, one sold out.
DEMO_ITEMS = [
    (
        "Enamel Camping Mug",
        "A 350 ml speckled enamel mug that survives campfires and dishwashers.",
        1450,
        42,
        "Outdoors",
    ),
    ("Merino Wool Socks", "Cushioned hiking socks, 80% merino. Sizes 39-46.", 1899, 3, "Outdoors"),
    ("Cast Iron Skillet 26 cm", "Pre-seasoned, oven safe, will outlive you.", 3900, 12, "Kitchen"),
    ("Beeswax Food Wraps", "Set of three reusable wraps in small, medium and large.", 1600, 0, "Kitchen"),
    ("Linen Tea Towel", "Stonewashed linen, 50 x 70 cm, in sage green.", 1200, 25, "Kitchen"),
    ("Pocket Notebook", "A6 dotted notebook, 96 pages of 100 g paper.", 650, 60, "Stationery"),
    ("Brass Bottle Opener", "Solid brass, engraved, fits on a key ring.", 10, 150, "Accessories"),
    ("Ceramic Pour-Over Dripper", "Hand-glazed single-cup coffee dripper, size 02 filters.", 2450, 2, "Kitchen"),
    ("Wool Throw Blanket", "Lambswool throw, 130 x 180 cm, herringbone weave.", 8900, 7, "Home"),
    ("Bamboo Cutting Board", "Large two-tone board with a juice groove.", 2999, 18, "Kitchen"),
    ("Glass Water Bottle", "750 ml borosilicate bottle with a silicone sleeve.", 2200, 5, "Outdoors"),
    ("Canvas Tote Bag", "Heavy 16 oz canvas tote with an inside pocket.", 1500, 33, "Accessories"),
]
# Each demo item's picture (inventory_app/demo_pictures.py): shape, background, colour, accent.
DEMO_PICTURES = {
    "Enamel Camping Mug": ("mug", "#dfeef7", "#1f5f8b", "#8fb8d3"),
    "Merino Wool Socks": ("sock", "#f3ece2", "#8c3b2e", "#d9b38c"),
    "Cast Iron Skillet 26 cm": ("pan", "#eae6df", "#2f2f2f", "#6b6b6b"),
    "Beeswax Food Wraps": ("wraps", "#fff6d6", "#e0a526", "#5d9c59"),
    "Linen Tea Towel": ("towel", "#eef3ec", "#8aa58a", "#f4f1ea"),
    "Pocket Notebook": ("book", "#f1eee8", "#26415e", "#e8e2d6"),
    "Brass Bottle Opener": ("opener", "#f2efe9", "#b08a2e", "#4b3a12"),
    "Ceramic Pour-Over Dripper": ("dripper", "#f6efe8", "#c9744f", "#7a4a33"),
    "Wool Throw Blanket": ("blanket", "#ece9f3", "#6d5a8f", "#b9abd1"),
    "Bamboo Cutting Board": ("board", "#f4f0e4", "#c8a165", "#8a6a3a"),
    "Glass Water Bottle": ("bottle", "#e7f4f1", "#7cc4b5", "#2e6b5e"),
    "Canvas Tote Bag": ("bag", "#efece6", "#d8cdb7", "#5b4b33"),
}

ADJECTIVES = "Sturdy Compact Classic Vintage Rugged Deluxe Minimal Handmade Foldable Premium Cozy Bright".split()
MATERIALS = "Oak Walnut Steel Copper Linen Leather Ceramic Bamboo Wool Glass Cotton Brass Slate Cedar".split()
NOUNS = (
    "Lamp Chair Mug Kettle Basket Notebook Blanket Clock Shelf Planter Tray Bowl Vase Stool Backpack "
    "Wallet Candle Mirror Rug Pillow Teapot Knife Bench Desk Apron"
).split()
SEED_BATCH = 5_000


def register_commands(app) -> None:
    @app.cli.command("demo-data")
    def demo_data():
        """Seed a dozen demo items, in a few categories with pictures, when SHOP_DEMO_DATA is set and
        the catalog is empty."""
        if not current_app.config["SHOP_DEMO_DATA"]:
            click.echo("demo-data: SHOP_DEMO_DATA not set; nothing seeded")
            return
        with write_transaction(db):
            if db.session.scalar(select(Item.id).limit(1)) is not None:
                click.echo("demo-data: the catalog has items; nothing seeded")
                return
            seeded = []
            for name, description, price_cents, quantity, category in DEMO_ITEMS:
                item = Item(
                    name=name, description=description, price_cents=price_cents, quantity=quantity, category=category
                )
                db.session.add(item)
                db.session.flush()
                seeded.append(item)
                if quantity:
                    stock.record(item.id, quantity, quantity, stock.SEEDED, actor="cli")
        from inventory_app import demo_pictures  # Pillow: imported by this command only

        # Drawn and encoded outside the write transaction (the slow part), stored in one more.
        drawn = {item.id: pictures.prepare(demo_pictures.draw(*DEMO_PICTURES[item.name])) for item in seeded}
        with write_transaction(db):
            for item in db.session.scalars(select(Item).where(Item.id.in_(drawn))):
                pictures.attach(item, drawn[item.id], None)
        click.echo(f"demo-data: seeded {len(DEMO_ITEMS)} items with pictures")

    @app.cli.command("seed-bulk")
    @click.argument("count", type=click.IntRange(1, 10_000_000))
    @click.option("--seed", type=int, default=None, help="Random seed, for the same items every time.")
    def seed_bulk(count: int, seed: int | None):
        """Insert COUNT synthetic items fast (for the 100,000-item tests and benchmarks)."""
        rng = random.Random(seed)
        done = 0
        while done < count:
            batch = min(SEED_BATCH, count - done)
            rows = [_synthetic_item(rng, done + n + 1) for n in range(batch)]
            with write_transaction(db):  # short transactions: a running shop keeps serving
                first_id = (db.session.scalar(text("SELECT max(id) FROM inventory")) or 0) + 1
                db.session.execute(insert(Item), rows)
                db.session.execute(
                    text(
                        "INSERT INTO stock_movements (item_id, delta, quantity_after, reason, actor, at) "
                        "SELECT id, quantity, quantity, :reason, 'cli', :at FROM inventory "
                        "WHERE id >= :first AND quantity > 0"
                    ),
                    {"reason": stock.SEEDED, "at": utcnow(), "first": first_id},
                )
            done += batch
        click.echo(f"seed-bulk: inserted {count} items")

    picture = AppGroup("picture", help="Item pictures.")
    app.cli.add_command(picture)

    @picture.command("set")
    @click.argument("file", type=click.File("rb"))
    @click.argument("item_ids", nargs=-1, type=int, required=True)
    @click.option("--alt", default=None, help="Alternative text (default: each item's name).")
    def set_picture(file, item_ids: tuple[int, ...], alt: str | None):
        """Give the items ITEM_IDS the picture in FILE, checked and re-encoded as an upload is."""
        try:
            prepared = pictures.prepare(file.read(pictures.UPLOAD_MAX_BYTES + 1))
            alt = pictures.clean_alt(alt)
        except pictures.PictureError as error:
            raise click.ClickException(error.message) from None
        with write_transaction(db):
            found = db.session.scalars(select(Item).where(Item.id.in_(item_ids), Item.archived_at.is_(None))).all()
            for item in found:
                pictures.attach(item, prepared, alt)
        click.echo(f"picture set: {len(found)} item(s) show {prepared.hash[:12]}")

    holds = AppGroup("holds", help="The holds that orders place on stock.")
    app.cli.add_command(holds)

    @holds.command("sweep")
    def sweep():
        """Release held reservations past their deadline (the jobs process does this every 5 s)."""
        released = stock.sweep_expired(limit=current_app.config["SWEEP_BATCH"])
        click.echo(f"holds sweep: released {released} expired hold(s)")


def _synthetic_item(rng: random.Random, number: int) -> dict:
    adjective, material, noun = rng.choice(ADJECTIVES), rng.choice(MATERIALS), rng.choice(NOUNS)
    now = utcnow()
    return {
        "name": f"{adjective} {material} {noun} {number:06d}",
        "description": f"A {adjective.lower()} {noun.lower()} made of {material.lower()}. Item number {number}.",
        "price_cents": rng.randrange(50, 50_000),
        "quantity": rng.choice((0, 1, 2, 3, 5, 8, 12, 20, 50, 100)),
        "created_at": now,
        "updated_at": now,
    }

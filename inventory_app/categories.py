"""Categories: the list the catalog links and the admin row offers, and one spelling per category.

A category is the text on its items, as an admin wrote it. "kitchen" typed for one item and
"Kitchen" for another would be two categories (two links in the catalog, each listing half the
items), so a category typed with another item's spelling but for case takes that spelling.
"""

from sqlalchemy import select, text

from inventory_app.extensions import db
from inventory_app.models import CATEGORY_MAX, Item, name_key

CATEGORIES_MAX = 50
#: how many categories a new spelling is compared with (each costs one index probe)
SPELLINGS_MAX = 1000


def shown() -> list[str]:
    """The categories the catalog links and the admin row offers, in a reader's order: without case
    and accents, as item names sort ("Água" among the A's; `listed` is in code point order, after "Z")."""
    return sorted(listed(), key=lambda category: (name_key(category), category))


def listed(limit: int = CATEGORIES_MAX) -> list[str]:
    """The categories of live items in order, at most `limit` of them.

    A loose index scan: each step asks the (category, name, id) index for the first category after
    the last one found, so this costs one index probe per category, never a walk over every item.
    The statement is made once and runs on the session's connection (every catalog page asks).
    """
    return list(db.session.connection().execute(_CATEGORY_STEPS, {"limit": limit}).scalars())


_CATEGORY_STEPS = text(
    "WITH RECURSIVE found(category, n) AS ("
    " SELECT (SELECT min(category) FROM inventory WHERE archived_at IS NULL AND category IS NOT NULL), 1"
    " UNION ALL"
    " SELECT (SELECT min(category) FROM inventory WHERE archived_at IS NULL AND category > found.category), n + 1"
    " FROM found WHERE found.category IS NOT NULL AND n < :limit"
    ") SELECT category FROM found WHERE category IS NOT NULL"
)


def asked_for(value: str | None) -> str | None:
    """The category a catalog address or an API call asks for (`?category=`): its spaces as one, and
    in the spelling its items use whatever the case asked ("kitchen" lists "Kitchen"); None for none."""
    category = " ".join((value or "").split())[:CATEGORY_MAX] or None
    if category is None:
        return None
    if in_use(category):  # as its items spell it: one index probe, the list is not read
        return category
    wanted = category.casefold()
    return next((spelling for spelling in listed(SPELLINGS_MAX) if spelling.casefold() == wanted), category)


def known_spelling(category: str | None, item_id: int | None = None) -> str | None:
    """`category` as another live item already spells it, ignoring case ("kitchen" joins "Kitchen");
    else as given. The item being saved (`item_id`) does not count: its own spelling may change."""
    if category is None:
        return None
    wanted = category.casefold()
    for known in listed(SPELLINGS_MAX):
        if known.casefold() == wanted and in_use(known, item_id):
            return known
    return category


def in_use(category: str, item_id: int | None = None) -> bool:
    """Whether a live item (other than `item_id`) has this category: one probe of the category index."""
    query = select(Item.id).where(Item.archived_at.is_(None), Item.category == category)
    if item_id is not None:
        query = query.where(Item.id != item_id)
    return db.session.scalar(query.limit(1)) is not None

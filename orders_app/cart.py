"""The cart (DESIGN saga step 0): what a customer means to buy, before anything is held.

A logged-in customer's cart is in orders' database (`cart_lines`); a visitor's is in the shared
session (`session["cart"]`, {item id: [quantity, price seen]}) and joins the account's cart on the
first request to the cart's pages after logging in or registering (users_app keeps the key across
the login): in a browser that is the page it lands on, whose navigation pulls `/orders/cart/count`.
Other orders pages (my orders, an order) and the API leave it waiting in the session until then.
Nothing is held at inventory while an item sits in a cart: the cart shows today's price and stock
of each line, and checkout places one order of all lines (placing.place_order, all or none) and
answers with its Checkout Session in the same click. The cart is emptied only once the order is held.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, session
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from orders_app import states, store
from orders_app.checkout import start_checkout
from orders_app.clients.inventory import InventoryUnavailable, ItemNotFound, current_inventory
from orders_app.errors import ACCOUNT_DELETED, OrderError, short_lines, too_small, unavailable
from orders_app.extensions import db
from orders_app.models import CartCheckout, CartLine, Order, utcnow
from orders_app.placing import parse_quantity, place_order
from shared_ui.db import write_transaction
from shared_ui.numbers import whole_number

SESSION_KEY = "cart"
#: a checkout still placing its order after this long is taken to have died (its worker, say)
CLAIM_SECONDS = 60
#: how long a second checkout of the same cart waits for the first's order, asking this often
CLAIM_WAIT_SECONDS, CLAIM_POLL_SECONDS = 15, 0.1


def most_per_line() -> int:
    """Units of one item a cart may ask for: what one order line may have (inventory's stock decides
    at checkout)."""
    return current_app.config["ORDERS_MAX_QUANTITY"]


def most_lines() -> int:
    """Items a cart may hold: the lines one order may have."""
    return current_app.config["ORDERS_MAX_LINES"]


@dataclass(frozen=True)
class CartLineView:
    """One line as the cart shows it: today's name, price and stock beside what was asked."""

    inventory_id: int
    name: str
    unit_price_cents: int
    quantity: int
    available: int
    sold: bool
    price_seen_cents: int

    @property
    def line_total_cents(self) -> int:
        """What the line adds to the cart's total: nothing once its item is no longer sold."""
        return self.unit_price_cents * self.quantity if self.sold else 0

    @property
    def price_changed(self) -> bool:
        return self.sold and self.price_seen_cents != self.unit_price_cents

    @property
    def short(self) -> bool:
        return not self.sold or self.quantity > self.available


@dataclass(frozen=True)
class CartView:
    lines: list[CartLineView]
    currency: str
    #: the most lines one order may have (a cart joined at login may have more)
    most_lines: int

    @property
    def too_many_lines(self) -> bool:
        return len(self.lines) > self.most_lines

    @property
    def too_many_lines_message(self) -> str:
        return _(
            "An order has at most %(most)d lines and your cart has %(lines)d: remove some before checking out.",
            most=self.most_lines,
            lines=len(self.lines),
        )

    @property
    def fingerprint(self) -> str:
        """What the customer is shown: each line's item, quantity and price today. The checkout form
        sends it back, so a cart that changed meanwhile (a price, another tab) is shown again first."""
        return ",".join(f"{line.inventory_id}:{line.quantity}:{line.unit_price_cents}" for line in self.lines)

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def total_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)

    @property
    def missing_cents(self) -> int:
        """How much more the cart needs before it can be paid (Stripe's minimum charge)."""
        return states.missing_for_minimum(self.total_cents, self.currency)

    @property
    def over_maximum(self) -> bool:
        """Whether the cart is more than Stripe charges at once (its checkout is refused)."""
        return states.over_maximum(self.total_cents)

    @property
    def maximum_cents(self) -> int:
        return states.MAXIMUM_CHARGE

    @property
    def can_check_out(self) -> bool:
        return (
            bool(self.lines)
            and not self.missing_cents
            and not self.over_maximum
            and not self.too_many_lines
            and not any(line.short for line in self.lines)
        )


# ----- where a cart is kept --------------------------------------------------------------------


def _visitor_lines() -> dict[int, list[int]]:
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return {}
    lines = {}
    for key, value in raw.items():
        item_id = whole_number(str(key))
        if item_id and isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
            lines[item_id] = value
    return lines


def stored_lines(user) -> dict[int, list[int]]:
    """{item id: [quantity, price seen]} of the user's cart (a visitor's from the session)."""
    if not user.is_authenticated:
        return _visitor_lines()
    rows = db.session.scalars(select(CartLine).where(CartLine.user_id == user.id).order_by(CartLine.added_at))
    return {row.inventory_id: [row.quantity, row.price_cents_seen] for row in rows}


def units_in(user) -> int:
    """How many units the cart holds (the navigation's count)."""
    return sum(quantity for quantity, _ in stored_lines(user).values())


def _save(user, item_id: int, quantity: int, price_seen: int) -> None:
    if not user.is_authenticated:
        lines = _visitor_lines()
        if quantity:
            lines[item_id] = [quantity, lines.get(item_id, [0, price_seen])[1]]
        else:
            lines.pop(item_id, None)
        session[SESSION_KEY] = {str(key): value for key, value in lines.items()}
        return
    with write_transaction(db):
        if store.erased_lately(user.id):  # its login still passes here for a few seconds
            raise OrderError(ACCOUNT_DELETED, status=401, code="unauthorized")
        line = db.session.get(CartLine, (user.id, item_id))
        if not quantity:
            if line is not None:
                db.session.delete(line)
        elif line is None:
            line = CartLine(user_id=user.id, inventory_id=item_id, quantity=quantity, price_cents_seen=price_seen)
            db.session.add(line)
        else:
            line.quantity = quantity


def join_visitor_cart(user) -> None:
    """The cart filled before logging in joins the account's; an item in both keeps the larger quantity.

    Every request to the cart's pages that still carries the visitor's cart runs this (views/cart.py;
    several at once right after login, before the first answer's cookie drops the cart), so it gives
    the same cart however often it runs: adding the quantities would count the visitor's once per request.
    """
    visitor = _visitor_lines() if SESSION_KEY in session else {}
    session.pop(SESSION_KEY, None)
    if not visitor or not user.is_authenticated:
        return
    try:
        _join(user, visitor)
    except IntegrityError:
        _join(user, visitor)  # a twin request added the same new line at the same moment (PostgreSQL)


def _join(user, visitor: dict[int, list[int]]) -> None:
    with write_transaction(db):
        if store.erased_lately(user.id):
            return
        for item_id, (quantity, price_seen) in visitor.items():
            quantity = min(quantity, most_per_line())
            line = db.session.get(CartLine, (user.id, item_id), populate_existing=True)
            if line is None:
                db.session.add(
                    CartLine(user_id=user.id, inventory_id=item_id, quantity=quantity, price_cents_seen=price_seen)
                )
            elif quantity > line.quantity:
                line.quantity = quantity


# ----- what a customer does --------------------------------------------------------------------


def _item_on_sale(item_id) -> tuple[int, int]:
    """(id, price) of an item that is sold today; OrderError otherwise."""
    parsed = whole_number(str(item_id or ""))
    if not parsed:
        raise OrderError(_("There is no such item."), status=404, code="not_found", field="inventory_id")
    try:
        item = current_inventory().item(parsed)
    except ItemNotFound:
        raise OrderError(_("There is no such item."), status=404, code="not_found", field="inventory_id") from None
    except InventoryUnavailable:
        raise unavailable() from None
    if item.archived:
        raise OrderError(_("This item is no longer sold."), status=410, code="item_archived", field="inventory_id")
    return item.id, item.price_cents


def add(user, item_id, quantity=1) -> int:
    """Put `quantity` more of an item in the cart; the line's quantity now."""
    return _add(user, item_id, quantity)[0]


def add_and_check(user, item_id, quantity=1) -> tuple[int, int]:
    """add, and how much more the cart needs before it can be paid (Stripe's minimum charge), said where
    the item was added. A line that reaches the minimum alone (today's price, as add read it) makes a cart
    that does, so only a cheap line costs a read of the whole cart."""
    now, price = _add(user, item_id, quantity)
    if not states.missing_for_minimum(now * price, current_app.config["SHOP_CURRENCY"]):
        return now, 0
    return now, missing_for_checkout(user)


def _add(user, item_id, quantity) -> tuple[int, int]:
    """add: the line's quantity now, and the item's price today."""
    quantity = parse_quantity(quantity, allow_zero=False)
    item_id, price = _item_on_sale(item_id)
    lines = stored_lines(user)
    if item_id not in lines and len(lines) >= most_lines():
        message = _(
            "Your cart holds %(most)d items, the most one order may have: check out or remove one first.",
            most=most_lines(),
        )
        raise OrderError(message, status=409, code="cart_full")
    before = lines.get(item_id, [0, price])[0]
    now = min(before + quantity, most_per_line())
    _save(user, item_id, now, price)
    return now, price


def set_quantity(user, item_id, quantity) -> None:
    """The line's new quantity (0 removes it)."""
    quantity = parse_quantity(quantity, allow_zero=True)
    parsed = whole_number(str(item_id or ""))
    lines = stored_lines(user)
    if not parsed or parsed not in lines:
        raise OrderError(_("This item is not in your cart."), status=404, code="not_found")
    _save(user, parsed, quantity, lines[parsed][1])


def remove(user, item_id) -> None:
    set_quantity(user, item_id, 0)


def put_line(user, item_id: int, quantity) -> None:
    """The API's absolute form: the item's line holds `quantity` (0 removes it), added when new."""
    if item_id in stored_lines(user):
        set_quantity(user, item_id, quantity)
    elif parse_quantity(quantity, allow_zero=True):
        add(user, item_id, quantity)


def discard(user, item_id: int) -> None:
    """Remove the item's line if the cart has one (idempotent, as the API's DELETE is)."""
    if item_id in stored_lines(user):
        remove(user, item_id)


def view(user) -> CartView:
    """The cart with today's price and stock of each line (an item no longer sold says so)."""
    stored = stored_lines(user)
    try:
        items = current_inventory().items_by_id(stored) if stored else {}
    except InventoryUnavailable:
        raise unavailable(_("the inventory service is not answering; try again in a moment")) from None
    lines = []
    for item_id, (quantity, price_seen) in stored.items():
        item = items.get(item_id)
        if item is None:  # erased from inventory
            name = _("Item #%(id)d", id=item_id)
            lines.append(CartLineView(item_id, name, price_seen, quantity, 0, False, price_seen))
            continue
        sold = not item.archived
        lines.append(
            CartLineView(item.id, item.name, item.price_cents, quantity, max(item.quantity, 0), sold, price_seen)
        )
    return CartView(lines, current_app.config["SHOP_CURRENCY"], most_lines())


def checked_out_waiting(user) -> Order | None:
    """The order the cart's last checkout placed, while it still waits for payment: an emptied cart
    says where its lines went (a customer back from Stripe's page found only "Your cart is empty")."""
    if not user.is_authenticated:
        return None
    claim = db.session.get(CartCheckout, user.id)
    order = db.session.get(Order, claim.order_id) if claim is not None and claim.order_id else None
    return order if order is not None and order.user_id == user.id and order.can_pay() else None


def missing_for_checkout(user) -> int:
    """How much more the cart needs before it can be paid (Stripe's minimum charge), at today's prices;
    0 when inventory does not answer (the cart page says it then)."""
    try:
        return view(user).missing_cents
    except OrderError:
        return 0


def check_out(user, shown: str | None = None) -> tuple[Order, str | None]:
    """Place one order of every line and open its Checkout Session.

    All or none: a short line (409, `short` names each) or anything else refused leaves the cart as
    it was. Once the order is held its lines leave the cart; the URL is None when Stripe could not be
    reached then (the order page offers Pay again). `shown`: the cart's fingerprint as the page
    showed it; when the cart is another now (a price changed), nothing is placed (409).
    """
    cart = view(user)
    if not cart.lines:
        order = _placed_just_now(user, shown)  # by a twin of this checkout, which emptied the cart
        if order is None:
            raise OrderError(_("Your cart is empty."), status=409, code="cart_empty")
        return order, _payment_url(order, user)
    if shown is not None and shown != cart.fingerprint:
        message = _("Your cart changed since this page showed it (a price, or a quantity): check it, then check out.")
        raise OrderError(message, status=409, code="cart_changed")
    if cart.too_many_lines:
        raise OrderError(cart.too_many_lines_message, status=409, code="too_many_lines")
    gone = [line for line in cart.lines if not line.sold]
    if gone:
        names = ", ".join(line.name for line in gone)
        raise OrderError(
            _("Remove what is no longer sold first: %(names)s.", names=names), status=410, code="item_archived"
        )
    if cart.missing_cents:
        raise too_small(cart.total_cents, cart.currency)
    short = [(line.inventory_id, line.name, line.available) for line in cart.lines if line.short]
    if short:  # named even alone: the cart's message stands above all its lines (placing re-checks)
        raise short_lines(short)
    fingerprint = _digest(cart.fingerprint)
    order = _claim(user, fingerprint)  # the order a twin checkout of this cart placed, or None
    if order is None:
        try:
            # At the prices this cart was read (and shown) with: one changed since is not charged unseen.
            shown_prices = {line.inventory_id: line.unit_price_cents for line in cart.lines}
            order = place_order(user, [(line.inventory_id, line.quantity) for line in cart.lines], shown_prices)
        except BaseException:
            with write_transaction(db):  # the claim goes, unless another cart's checkout took it over
                db.session.execute(
                    delete(CartCheckout).where(
                        CartCheckout.user_id == user.id,
                        CartCheckout.fingerprint == fingerprint,
                        CartCheckout.order_id.is_(None),
                    )
                )
            raise
        with write_transaction(db):
            # The lines this order took; one put in the cart meanwhile (another tab) stays for the next.
            checked_out = [line.inventory_id for line in cart.lines]
            db.session.execute(
                delete(CartLine).where(CartLine.user_id == user.id, CartLine.inventory_id.in_(checked_out))
            )
            claim = db.session.get(CartCheckout, user.id, with_for_update=True, populate_existing=True)
            if claim is not None and claim.fingerprint == fingerprint and claim.order_id is None:
                claim.order_id = order.id  # else another cart's checkout took the claim over meanwhile
    return order, _payment_url(order, user)


def _payment_url(order: Order, user) -> str | None:
    try:
        return start_checkout(order, store.actor_name(user))
    except OrderError:
        return None


# ----- one order for two checkouts of one cart at once (two tabs, a click sent twice) -----------


def _digest(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()


def _claim(user, fingerprint: str) -> Order | None:
    """Take the cart's checkout (None), or the order of a twin checkout of the same cart: one that
    placed it since this request read the cart, waited for while it is placing.

    A cart checked out before and filled again since (lines added after that checkout began) is a
    new cart. A checkout under way past CLAIM_SECONDS is taken to have died and is taken over.
    """
    deadline = time.monotonic() + CLAIM_WAIT_SECONDS
    while True:
        try:
            with write_transaction(db):
                claim = db.session.get(CartCheckout, user.id, with_for_update=True, populate_existing=True)
                now = utcnow()
                twin = claim is not None and claim.fingerprint == fingerprint and not _refilled(user, claim)
                if twin and claim.order_id is not None:
                    return db.session.get(Order, claim.order_id)
                if not twin or claim.started_at < now - timedelta(seconds=CLAIM_SECONDS):
                    if claim is None:
                        db.session.add(CartCheckout(user_id=user.id, fingerprint=fingerprint, started_at=now))
                    else:
                        claim.fingerprint, claim.order_id, claim.started_at = fingerprint, None, now
                    return None
        except IntegrityError:
            continue  # a twin wrote the first claim at the same moment (PostgreSQL): read it
        if time.monotonic() > deadline:
            message = _("This cart is being checked out in another window: see your orders in a moment.")
            raise OrderError(message, status=409, code="checkout_in_progress")
        pause(CLAIM_POLL_SECONDS)


def pause(seconds: float) -> None:
    """The wait between two looks at a twin checkout's claim (a test holds it to see one waiting)."""
    time.sleep(seconds)


def _refilled(user, claim: CartCheckout) -> bool:
    """Lines put in the cart after `claim`'s checkout began: a new cart, not that one."""
    newer = select(CartLine.user_id).where(CartLine.user_id == user.id, CartLine.added_at >= claim.started_at)
    return db.session.scalar(newer.limit(1)) is not None


def _placed_just_now(user, shown: str | None) -> Order | None:
    """The order a twin checkout placed of the cart the page showed, in the last CLAIM_SECONDS."""
    if shown is None:
        return None
    claim = db.session.get(CartCheckout, user.id, populate_existing=True)
    recent = utcnow() - timedelta(seconds=CLAIM_SECONDS)
    if claim is None or claim.order_id is None or claim.fingerprint != _digest(shown) or claim.started_at < recent:
        return None
    return db.session.get(Order, claim.order_id)

"""Stripe's `expand[]`: replace an id with the object it names (and a session's `line_items`)."""

from __future__ import annotations

import copy
from typing import Any

from . import objects, storage
from .errors import param_error
from .ledger import Context

EXPANDABLE = {"payment_intent", "latest_charge", "charge", "line_items"}


def expand_paths(value: Any) -> list[str]:
    """The `expand` parameter as a list of dotted paths."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise param_error("Invalid array", "expand")
    return value


def expand(ctx: Context, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A copy of `obj` with every path in `paths` expanded."""
    if not paths:
        return obj
    result = copy.deepcopy(obj)
    for path in paths:
        _expand_path(ctx, result, path.split("."), path)
    return result


def _expand_path(ctx: Context, obj: dict[str, Any], parts: list[str], full_path: str) -> None:
    field, rest = parts[0], parts[1:]
    if field not in EXPANDABLE or (field != "line_items" and field not in obj):
        raise param_error(f"This property cannot be expanded ({field}).", "expand")
    if field == "line_items":
        if obj.get("object") != "checkout.session":
            raise param_error(f"This property cannot be expanded ({field}).", "expand")
        record = storage.load(ctx.conn, "checkout.session", obj["id"])
        items = record.private.get("line_items", []) if record else []
        # A sublist, as at Stripe: the first 10, `has_more` when there are more (read the rest from
        # /line_items).
        obj["line_items"] = objects.list_page(items, f"/v1/checkout/sessions/{obj['id']}/line_items")
        return
    value = obj[field]
    if isinstance(value, str):
        kind = storage.kind_of(ctx.conn, value)
        record = storage.load(ctx.conn, kind, value) if kind else None
        if record is None:
            raise param_error(f"This property cannot be expanded ({full_path}).", "expand")
        value = obj[field] = record.body
    if rest and isinstance(value, dict):
        _expand_path(ctx, value, rest, full_path)

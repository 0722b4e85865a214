"""Decode Stripe's form encoding (`line_items[0][price_data][unit_amount]=500`) and read typed values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import param_error

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn flat form pairs into nested dicts; dicts keyed 0..n become lists, `x[]` appends."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            raise param_error(f"Invalid parameter name: {raw_key}", raw_key)
        path = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if part == "":
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise param_error(f"Invalid parameter: {raw_key} mixes a value and a hash", raw_key)
                node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def check_known(params: dict[str, Any], known: Iterable[str], prefix: str = "") -> None:
    """Refuse parameters Stripe would not know, as Stripe does."""
    allowed = set(known)
    for key in params:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise param_error(f"Received unknown parameter: {name}", name, "parameter_unknown")


def text(params: dict[str, Any], name: str, *, required: bool = False, path: str | None = None) -> str | None:
    """A string parameter; an empty string means unset, as in Stripe's form encoding."""
    value = params.get(name)
    label = path or name
    if value in (None, ""):
        if required:
            raise param_error(f"Missing required param: {label}.", label, "parameter_missing")
        return None
    if not isinstance(value, str):
        raise param_error(f"Invalid string: {label}", label)
    return value


def integer(
    params: dict[str, Any], name: str, *, required: bool = False, minimum: int | None = None,
    path: str | None = None,
) -> int | None:
    """An integer parameter (Stripe refuses "12.5" and "abc")."""
    label = path or name
    value = text(params, name, required=required, path=label)
    if value is None:
        return None
    if not re.fullmatch(r"-?\d+", value):
        raise param_error(f"Invalid integer: {value}", label, "parameter_invalid_integer")
    number = int(value)
    if minimum is not None and number < minimum:
        raise param_error(f"This value must be greater than or equal to {minimum}.", label)
    return number


def page_limit(params: dict[str, Any]) -> int:
    """A list request's `limit`: 1 to 100, 10 when absent (as at Stripe)."""
    limit = integer(params, "limit", minimum=1)
    if limit is not None and limit > 100:
        raise param_error("This value must be less than or equal to 100.", "limit")
    return limit or 10


def mapping(params: dict[str, Any], name: str, *, path: str | None = None) -> dict[str, Any]:
    """A hash parameter such as `metadata`; absent or empty means `{}`."""
    value = params.get(name)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise param_error(f"Invalid object: {path or name}", path or name)
    return value


def array(params: dict[str, Any], name: str, *, path: str | None = None) -> list[Any]:
    """An array parameter such as `line_items` or `expand`."""
    value = params.get(name)
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise param_error(f"Invalid array: {path or name}", path or name)
    return value


def metadata(params: dict[str, Any], name: str = "metadata", path: str | None = None) -> dict[str, str]:
    """Stripe metadata: string values; an empty value removes the key."""
    values = mapping(params, name, path=path)
    result: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(value, str):
            raise param_error("Metadata values must be strings.", f"{path or name}[{key}]")
        if value != "":
            result[key] = value
    if len(result) > 50:
        raise param_error("Metadata can have at most 50 keys.", path or name)
    return result

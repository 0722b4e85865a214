"""Whole numbers from the outside (URLs, query strings, form fields), bounded before any database sees them.

`str.isdigit()` is True for "²" and "٣", which `int()` then refuses or reads; a number longer than a
database column holds makes SQLite raise OverflowError and PostgreSQL a DataError. Both were 500s.
"""

import re

from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

#: ids are 32-bit integers in every database the shop runs on
ID_MAX = 2**31 - 1
#: the last page a list may be asked for (its offset must fit a database integer)
MAX_PAGE = 1_000_000
_DIGITS = re.compile(r"[0-9]+")


def whole_number(text, maximum: int = ID_MAX) -> int | None:
    """`text` as an int when it is ASCII digits from 0 to `maximum`, else None."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text := text.strip()):
        return None
    if len(text.lstrip("0")) > len(str(maximum)):  # never int() thousands of digits
        return None
    value = int(text)
    return value if value <= maximum else None


def page_number(args) -> int:
    """`?page=` of an HTML list: 1 when absent or not a number; a 400 past MAX_PAGE."""
    raw = args.get("page", "").strip()
    if not _DIGITS.fullmatch(raw):
        return 1
    value = whole_number(raw, maximum=MAX_PAGE)
    if value is None:
        raise BadRequest()
    return max(value, 1)


#: what a route gets for an id too large for any column: no row has id 0 (ids start at 1)
NO_SUCH_ID = 0


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in routes: an id too large for its column reaches the view as NO_SUCH_ID.

    So the view answers as for any id it does not have (its own 404 and error code, after the same
    login check), and the database never sees the number. Werkzeug's own `max` would make the rule
    not match, and then a PATCH to such an id answered 405 (the same path's GET rule matched).
    """

    def to_python(self, value: str) -> int:
        if len(value) > len(str(ID_MAX)) or int(value) > ID_MAX:
            return NO_SUCH_ID
        return super().to_python(value)

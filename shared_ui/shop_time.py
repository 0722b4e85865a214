"""The shop's time zone: how every time shown to a person is written, and how an admin's dates are read.

Every database keeps naive UTC and the JSON APIs say RFC 3339 UTC; a page or an e-mail says a time
in `SHOP_TIME_ZONE` (an IANA name, UTC unless set), in the reader's language, and names the zone:
"12/7/26, 7:00 PM -03", "07/12/2026 19:00 BRT", "12/7/26, 10:00 PM UTC". `when` is the one way to
write such a time; `local_midnight` reads a day an admin typed (the order monitor's From and To).
"""

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format, get_timezone_name
from flask import current_app

from shared_ui.config import DEFAULT_TIME_ZONE
from shared_ui.i18n import current_locale

#: where the app keeps its ZoneInfo (read on every time a page shows)
EXTENSION = "shop_time_zone"
#: a zone's name as people read it: letters ("UTC", "BRT", "EST"), not an offset ("-0300")
_LETTERS = re.compile(r"[A-Za-z]{2,6}")
#: a zone's label by (zone, offset, tzdata's abbreviation, locale): a few entries in a shop's life
_LABELS: dict[tuple, str] = {}
#: date and time widths for each width of `when`: "long" is what e-mails say (with seconds)
_WIDTHS = {"short": ("short", "short"), "long": ("long", "medium")}


def init_shop_time(app) -> None:
    """Keep the app's zone (start_problems has checked SHOP_TIME_ZONE) and give templates `when` and `day`."""
    name = app.config.setdefault("SHOP_TIME_ZONE", DEFAULT_TIME_ZONE)
    app.extensions[EXTENSION] = ZoneInfo(name)
    # Flask-Babel's own filters (datetimeformat, dateformat) say the same zone's times, even when a
    # test changed SHOP_TIME_ZONE after the config was made.
    app.config["BABEL_DEFAULT_TIMEZONE"] = name
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["day"] = day


def shop_zone() -> ZoneInfo:
    """The shop's time zone (UTC outside an app)."""
    try:
        return current_app.extensions[EXTENSION]
    except (RuntimeError, KeyError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def local(moment: datetime) -> datetime:
    """A stored time (naive UTC, or aware) in the shop's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(shop_zone())


def when(moment: datetime | None, width: str = "short", locale: str | None = None) -> str:
    """A stored time as people read it, with its zone: "11/29/26, 3:12 AM -03", "29/11/2026 03:12 BRT".

    `width` "long" is an e-mail's: "November 29, 2026, 3:12:00 AM -03". None is "".
    """
    if moment is None:
        return ""
    locale = locale or current_locale()
    there = local(moment)
    date_width, time_width = _WIDTHS[width]
    written = get_datetime_format(width, locale=locale).format(
        format_time(there, time_width, tzinfo=there.tzinfo, locale=locale),
        format_date(there, date_width, locale=locale),
    )
    return f"{written} {zone_label(there, locale)}"


def day(moment: datetime | None, width: str = "medium", locale: str | None = None) -> str:
    """The day a stored time falls on in the shop's zone: "Dec 7, 2026" (no zone: a day is the shop's)."""
    if moment is None:
        return ""
    return format_date(local(moment), width, locale=locale or current_locale())


def zone_label(there: datetime, locale: str) -> str:
    """The zone's short name at that moment: the language's own when it has letters ("BRT" in
    Portuguese, "EST"), else tzdata's ("UTC", "CET", "-03"): never a bare offset like "-0300"."""
    key = (str(there.tzinfo), there.utcoffset(), there.tzname(), locale)
    label = _LABELS.get(key)
    if label is None:  # babel reads its zone data at every call: a page shows dozens of times
        named = get_timezone_name(there, "short", locale=locale)
        label = _LABELS[key] = named if _LETTERS.fullmatch(named) else there.tzname() or "UTC"
    return label


def local_midnight(day_: date) -> datetime:
    """The first moment of a day in the shop's zone, as naive UTC (what the columns hold).

    A day whose midnight does not exist (a clock that jumped from 23:59 to 01:00) starts at the jump.
    """
    start = datetime.combine(day_, time.min, tzinfo=shop_zone())
    return start.astimezone(UTC).replace(tzinfo=None)

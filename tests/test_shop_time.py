"""SHOP_TIME_ZONE: every time a person reads is said in the shop's zone, named; a day an admin types
is read there; an unknown zone stops the shop before it starts."""

from datetime import datetime

import pytest
from flask import Flask

from shared_ui.config import start_problems
from shared_ui.shop_time import init_shop_time, local_midnight, when
from shopctl.__main__ import refuse_unsafe

#: 22:00:31 UTC on a December evening: 19:00 in São Paulo, 17:00 in New York
EVENING = datetime(2026, 12, 7, 22, 0, 31)


def said(zone: str, moment: datetime, width: str = "short", locale: str = "en") -> str:
    app = Flask(__name__)
    app.config["SHOP_TIME_ZONE"] = zone
    init_shop_time(app)
    with app.app_context():
        return when(moment, width, locale).replace("\u202f", " ")  # CLDR's narrow space before AM/PM


def test_a_utc_shop_says_times_as_it_always_did():
    assert said("UTC", EVENING) == "12/7/26, 10:00 PM UTC"
    assert said("UTC", EVENING, locale="pt_BR") == "07/12/2026 22:00 UTC"
    assert said("UTC", EVENING, "long") == "December 7, 2026, 10:00:31 PM UTC"
    assert said("UTC", EVENING, "long", "pt_BR") == "7 de dezembro de 2026 22:00:31 UTC"


def test_a_shop_in_sao_paulo_says_its_own_time_and_names_the_zone():
    assert said("America/Sao_Paulo", EVENING) == "12/7/26, 7:00 PM -03"
    assert said("America/Sao_Paulo", EVENING, locale="pt_BR") == "07/12/2026 19:00 BRT"
    assert said("America/Sao_Paulo", EVENING, "long", "pt_BR") == "7 de dezembro de 2026 19:00:31 BRT"


def test_the_day_changes_with_the_zone():
    """01:30 UTC on the 8th is still the evening of the 7th in São Paulo."""
    assert said("America/Sao_Paulo", datetime(2026, 12, 8, 1, 30), locale="pt_BR") == "07/12/2026 22:30 BRT"


def test_summer_time_is_said_with_its_own_offset():
    # Brazil kept summer time until 2019: on 10 November 2018 São Paulo was at -02.
    assert said("America/Sao_Paulo", datetime(2018, 11, 10, 15, 0), locale="pt_BR") == "10/11/2018 13:00 BRST"
    assert said("America/Sao_Paulo", datetime(2018, 11, 10, 15, 0)) == "11/10/18, 1:00 PM -02"
    assert said("America/New_York", datetime(2026, 7, 1, 16, 0)) == "7/1/26, 12:00 PM EDT"
    assert said("America/New_York", EVENING) == "12/7/26, 5:00 PM EST"


def test_a_day_typed_by_an_admin_starts_at_the_shops_midnight():
    app = Flask(__name__)
    app.config["SHOP_TIME_ZONE"] = "America/Sao_Paulo"
    init_shop_time(app)
    with app.app_context():
        assert local_midnight(datetime(2026, 12, 7).date()) == datetime(2026, 12, 7, 3, 0)
        # 4 November 2018: clocks went from 23:59:59 (-03) to 01:00 (-02); the day starts at the jump.
        assert local_midnight(datetime(2018, 11, 4).date()) == datetime(2018, 11, 4, 3, 0)
        assert local_midnight(datetime(2018, 11, 5).date()) == datetime(2018, 11, 5, 2, 0)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "BRT", "../etc/passwd", "America/Sao Paulo"])
def test_an_unknown_zone_is_refused_with_what_to_give(zone):
    for shop_env in ("development", "production"):
        [problem, *_] = start_problems({"SHOP_ENV": shop_env, "SHOP_TIME_ZONE": zone})
        assert f"SHOP_TIME_ZONE={zone!r} is not a time zone" in problem and "America/Sao_Paulo" in problem
    with pytest.raises(SystemExit, match="SHOP_TIME_ZONE="):
        refuse_unsafe({"SHOP_ENV": "development", "SHOP_TIME_ZONE": zone})


def test_known_zones_start():
    assert start_problems({"SHOP_ENV": "development", "SHOP_TIME_ZONE": "America/Sao_Paulo"}) == []
    assert start_problems({"SHOP_ENV": "development"}) == []

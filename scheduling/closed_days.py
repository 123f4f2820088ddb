"""Days a practice is usually closed: Saturdays, Sundays and Dutch public holidays, so that the dates of a
series can be checked before it is booked.

The holidays come from the `holidays` package (its rules for the Netherlands: Koningsdag on 26 April when
the 27th is a Sunday, Bevrijdingsdag only in lustrum years, 2025, 2030, ..., as most collective agreements
give the day off), named in the language of the page.
"""

from datetime import date
from functools import lru_cache

import holidays
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# The package's language codes for ours; a language it does not name falls back to English.
_HOLIDAY_LANGUAGES = {"nl": "nl", "en": "en_US"}


@lru_cache(maxsize=32)
def _holidays(year: int, language: str) -> dict[date, str]:
    return dict(holidays.country_holidays("NL", years=year, language=language).items())


def closed_day(day: date) -> str:
    """Why a practice is usually closed on `day` ("Saturday", "Koningsdag"), or "" on a working day."""
    language = _HOLIDAY_LANGUAGES.get((get_language() or "en").split("-")[0], "en_US")
    holiday = _holidays(day.year, language).get(day)
    if holiday:
        return holiday
    if day.weekday() == 5:
        return _("Saturday")
    if day.weekday() == 6:
        return _("Sunday")
    return ""

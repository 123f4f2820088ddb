"""The schema's own complaints (pydantic's error types) in the user's language: what is wrong with a field
before the services see it. An error type not listed keeps pydantic's English message."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_DATETIME = _("Give a date and time in ISO 8601 with its offset, e.g. 2027-03-02T10:00:00+01:00.")
_DATE = _("Give a date as YYYY-MM-DD.")
_NUMBER = _("Give a whole number.")

MESSAGES: dict[str, Promise] = {
    "missing": _("This field is required."),
    "timezone_aware": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_type": _DATETIME,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "date_type": _DATE,
    "int_parsing": _NUMBER,
    "int_type": _NUMBER,
    "int_from_float": _NUMBER,
    "greater_than_equal": _("Give a number of at least %(ge)s."),
    "less_than_equal": _("Give a number of at most %(le)s."),
    "string_type": _("Give a text."),
    "string_too_long": _("Give at most %(max_length)s characters."),
    "too_long": _("Give at most %(max_length)s items."),
    "list_type": _("Give a list."),
    "bool_parsing": _("Give true or false."),
    "bool_type": _("Give true or false."),
    "literal_error": _("Choose one of: %(expected)s."),
    "enum": _("Choose one of: %(expected)s."),
    "uuid_parsing": _("Give the UUID that the API named it by."),
    "uuid_type": _("Give the UUID that the API named it by."),
    "model_attributes_type": _("Give an object with the fields the schema names."),
    "dict_type": _("Give an object with the fields the schema names."),
    "moment_out_of_range": _("Give a time between the years 1900 and 9000, with an offset of at most 14 hours."),
    "unstorable_text": _("This text holds characters that cannot be stored (NUL, or broken Unicode)."),
}


def schema_message(problem: dict) -> str:
    """One of pydantic's errors ({"type", "msg", "ctx"}) as the user reads it."""
    message = MESSAGES.get(str(problem.get("type", "")))
    if message is None:
        return str(problem.get("msg", ""))
    context = dict(problem.get("ctx") or {})
    if isinstance(context.get("expected"), str):
        # pydantic lists choices in English ("'a', 'b' or 'c'"); a plain list reads in any language.
        context["expected"] = context["expected"].replace(" or ", ", ")
    try:
        return str(message) % context
    except (KeyError, TypeError, ValueError):
        return str(problem.get("msg", ""))

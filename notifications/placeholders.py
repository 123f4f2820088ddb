"""The admin's invitation text with named placeholders such as {client_name}.

Substitution is plain text replacement, never the template engine, so an admin cannot run template code
and a client's name cannot inject anything: the result is escaped wherever it is shown.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS = {
    "client_name": _("the participant's name"),
    "agent_name": _("the agent's name"),
    "date": _("the date of the consult"),
    "time": _("the start time"),
    "link": _("the participant's personal link"),
}

_PATTERN = re.compile(r"\{([a-z_]*)\}")


def placeholder_help() -> str:
    return ", ".join(f"{{{name}}} ({meaning})" for name, meaning in PLACEHOLDERS.items())


def validate_placeholders(text: str) -> None:
    unknown = sorted({name for name in _PATTERN.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("Unknown placeholder(s): %(unknown)s. You can use: %(known)s."),
            params={"unknown": ", ".join(f"{{{n}}}" for n in unknown), "known": placeholder_help()},
            code="unknown_placeholder",
        )


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    return _PATTERN.sub(lambda match: values.get(match.group(1), match.group(0)), text)

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_one_line(value: str) -> None:
    """Texts that end up in an email header (the sender name, the organisation's name) are one line: a line
    break there would start a header of its own, so the mail could not be sent at all."""
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValidationError(
            _("Use one line, without line breaks, tabs or other control characters."), code="control_characters"
        )

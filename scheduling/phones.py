import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Numbers typed without a country code are read as Dutch (06 12345678).
DEFAULT_REGION = "NL"
_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(value: str) -> str:
    """Return a mobile number in E.164 (+31612345678), or raise ValidationError saying what is wrong."""
    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a mobile number, e.g. 06 12345678 or +31 6 12345678."), code="invalid_phone")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid phone number."), code="invalid_phone")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValidationError(_("This is not a mobile number; an SMS needs one, e.g. 06 12345678."), code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number as people read it: 06 12345678 for Dutch numbers, international otherwise."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

"""What each participant receives as the booking's message, told on the booking form next to their language.

The rule itself is the models' (Organisation.is_default_message, Appointment.message_for): the pre-filled
default left as it is reaches each participant in their own language; a message the assistant typed reaches
everyone as typed. The booking form's script applies the same rule as she types (static/js/booking-form.js),
with the texts of `preview_texts`.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, Organisation

# How much of a default message the note quotes; the rest is the same text she sees in the message field.
QUOTED_CHARACTERS = 90

RECEIVES_DEFAULT: dict[str, Promise] = {
    Language.DUTCH: _("Receives the organisation's Dutch default message:"),
    Language.ENGLISH: _("Receives the organisation's English default message:"),
}
RECEIVES_NOTHING: dict[str, Promise] = {
    Language.DUTCH: _(
        "Receives no message: the organisation has no Dutch default message. A message you type goes to everyone."
    ),
    Language.ENGLISH: _(
        "Receives no message: the organisation has no English default message. A message you type goes to everyone."
    ),
}
RECEIVES_TYPED = _("Receives your message as you typed it.")


def quoted(text: str) -> str:
    """The text on one line, cut after a whole word when it is long."""
    flat = " ".join(text.split())
    if len(flat) <= QUOTED_CHARACTERS:
        return flat
    return flat[: QUOTED_CHARACTERS - 1].rsplit(" ", 1)[0] + "…"


def receives(*, organisation: Organisation, message: str, language: str) -> str:
    """The note under a participant's row: which message they will receive."""
    if language not in Language.values:
        return ""
    if not organisation.is_default_message(message):
        return str(RECEIVES_TYPED)
    default = organisation.default_message_for(language)
    if not default.strip():
        return str(RECEIVES_NOTHING[language])
    return f"{RECEIVES_DEFAULT[language]} “{quoted(default)}”"


def preview_texts(organisation: Organisation) -> dict:
    """What the form's script needs to write the same notes as the assistant types: the defaults and the
    sentences, in the page's language."""
    return {
        "defaults": organisation.default_messages,
        "default": {code: str(text) for code, text in RECEIVES_DEFAULT.items()},
        "nothing": {code: str(text) for code, text in RECEIVES_NOTHING.items()},
        "typed": str(RECEIVES_TYPED),
        "quoted": QUOTED_CHARACTERS,
    }

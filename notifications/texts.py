"""SMS texts: short, in the participant's language, in GSM-7 so that one message is one segment of 160
characters; a single character outside it (a curly quote, the "ë" of "Zoë") would make the whole message
UCS-2, 70 characters a segment."""

import math
import unicodedata

from django.utils import translation

from .content import Content
from .wording import sms_bodies

# GSM 03.38 basic set, and the extension set whose characters take two septets.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")

# Typography that would silently switch a whole SMS to UCS-2 (70 characters instead of 160).
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)

SINGLE_SEGMENT = 160


def _without_accent(char: str) -> str:
    """The character as GSM-7 can carry it: itself, or its letter without the accent (ë → e, ç → c)."""
    if char in GSM7_BASIC or char in GSM7_EXTENDED:
        return char
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if bare and is_gsm7(bare) else char


def plain(text: str) -> str:
    """The text in GSM-7 where it can be: plain quotes and dashes, letters without an accent GSM-7 lacks.
    What has no such form (an emoji, Greek lower case) stays, and the message is UCS-2."""
    return "".join(_without_accent(char) for char in text.translate(_PLAIN))


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text)


def segments(text: str) -> int:
    """How many SMS segments the text costs (GSM-7: 160, then 153 each; UCS-2: 70, then 67 each)."""
    if is_gsm7(text):
        septets = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def render_sms(content: Content) -> str:
    """The organisation's name, then the text: the fullest text among those that cost the fewest segments."""
    values = {
        "agent": content.agent_name,
        "date": content.date_short,
        "time": content.time,
        "link": content.sms_link,
        "count": len(content.sessions),
    }
    with translation.override(content.language):
        bodies = [body % values for body in sms_bodies(content.purpose)]
    # The sender's name on every SMS: a link from an unknown number is what clients learn to distrust.
    signed = [plain(f"{content.organisation.display_sender}: {body}") for body in bodies]
    fewest = min(segments(text) for text in signed)
    return next(text for text in signed if segments(text) == fewest)

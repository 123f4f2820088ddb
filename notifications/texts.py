"""SMS texts: short, in the participant's language, in GSM-7 where possible so one message is one segment."""

import math

from django.utils import translation

from .content import Content
from .wording import sms_body

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


def plain(text: str) -> str:
    return text.translate(_PLAIN)


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
    values = {
        "agent": content.agent_name,
        "date": content.date_short,
        "time": content.time,
        "link": content.link,
        "count": len(content.sessions),
    }
    with translation.override(content.language):
        body = sms_body(content.purpose) % values
    body = plain(body)
    # The sender's name helps the client trust the link; it goes only when it costs no extra segment.
    signed = plain(f"{content.organisation.display_sender}: {body}")
    return signed if segments(signed) <= segments(body) else body

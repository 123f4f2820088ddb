"""A message greets once and closes once, and both come from the email's template: texts written to go
inside it (the booking's message, the organisation's invitation text) lose a greeting or closing of their
own. They were often written as whole letters ("Beste cliënt, ... Met vriendelijke groet, De Linde"), and
stacked into the email they greeted the client twice and signed off in the middle.

The phrases are a table in both languages, since either text may be in either language.
"""

import re

# Words that open a greeting line: "Beste Wim de Groot,", "Dear client,", "Hallo!".
GREETINGS = (
    "beste",
    "geachte",
    "lieve",
    "hallo",
    "hoi",
    "goedemorgen",
    "goedemiddag",
    "goedenavond",
    "goedendag",
    "dear",
    "hello",
    "hi",
    "good morning",
    "good afternoon",
    "good evening",
)

# Lines that close a letter; a signature of a few short lines may follow them.
CLOSINGS = (
    "met vriendelijke groet(en)?",
    "vriendelijke groet(en)?",
    "met hartelijke groet(en)?",
    "hartelijke groet(en)?",
    "groet(en|jes)?",
    "mvg",
    "(with )?(kind|best|warm) regards",
    "regards",
    "(yours )?sincerely",
    "best wishes",
    "kind wishes",
)

# The greeting: its word, at most a name after it (abbreviations such as "mevr." or "dr." included), then a
# comma, "!" or ":" or the end of the line. A sentence on the same line after the comma stays ("Beste Wim,
# hierbij ..." keeps "Hierbij ..."); one ending in a full stop is no greeting ("Beste zorg begint bij u.").
_GREETING = re.compile(
    r"\A\s*(?:" + "|".join(GREETINGS) + r")\b(?:[^,.!?:\n]|\.(?=[ \t]*[^\s]))"
    r"{0,60}(?:[,!:][ \t]*|[ \t]*(?=\n|\Z))\n*",
    re.IGNORECASE,
)
_CLOSING = re.compile(r"(?:" + "|".join(CLOSINGS) + r")\s*[,.!]?", re.IGNORECASE)
# A signature under the closing: a name, a practice, a phone number.
_SIGNATURE_LINES = 3
_SIGNATURE_LENGTH = 80


def _without_greeting(text: str) -> str:
    rest = _GREETING.sub("", text, count=1)
    return rest[:1].upper() + rest[1:] if rest != text else text


def _without_closing(text: str) -> str:
    lines = text.split("\n")
    for index in range(len(lines) - 1, max(-1, len(lines) - 2 - _SIGNATURE_LINES), -1):
        if _CLOSING.fullmatch(lines[index].strip()):
            signature = [line for line in lines[index + 1 :] if line.strip()]
            if all(len(line) <= _SIGNATURE_LENGTH for line in signature):
                return "\n".join(lines[:index])
            break
    return text


def inner_text(text: str) -> str:
    """The text as a paragraph inside a message: without a greeting at its start or a closing (and the
    signature under it) at its end. A text that is nothing else becomes empty."""
    text = text.replace("\r\n", "\n").strip()
    return _without_closing(_without_greeting(text)).strip()

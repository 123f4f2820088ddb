"""What `make run` prints for each message it would send: one line (to whom, which channel, what, and the
client's link, which is what a developer trying the product needs), or the whole message when
CONSOLE_MESSAGES is "full". The full MIME of an invitation (HTML, text, calendar invite, base64) was some
3,300 lines before anything useful on the first run."""

import re
import sys
from typing import TextIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as FullConsoleBackend

_LINK = re.compile(r"https?://\S+/(?:join|j)/[\w-]+/?")


def summary(*, channel: str, to: str, what: str, text: str, extra: str = "") -> str:
    """One line: "email to jan@example.org · Uitnodiging: Intake · link http://…/join/…/"."""
    parts = [f"{channel} to {to}", " ".join(what.split())]
    if extra:
        parts.append(extra)
    link = _LINK.search(text)
    if link:
        parts.append(f"link {link.group(0)}")
    return " · ".join(parts)


def full() -> bool:
    return getattr(settings, "CONSOLE_MESSAGES", "summary") == "full"


def _text(message: EmailMessage) -> str:
    bodies = [str(message.body or "")]
    bodies += [str(content) for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/plain"]
    return "\n".join(bodies)


class ConsoleEmailBackend(FullConsoleBackend):
    """The default email backend without EMAIL_URL: a line per email (CONSOLE_MESSAGES=full: all of it)."""

    def write_message(self, message: EmailMessage) -> None:
        if full():
            super().write_message(message)
            return
        alternatives = getattr(message, "alternatives", [])
        invite = any(str(mimetype).startswith("text/calendar") for _content, mimetype in alternatives)
        extra = "calendar invite" if invite else ""
        for to in message.recipients():
            line = summary(channel="email", to=to, what=str(message.subject), text=_text(message), extra=extra)
            self.stream.write(line + "\n")


def write_sms(stream: TextIO | None, *, to: str, body: str) -> None:
    stream = stream or sys.stdout
    if full():
        stream.write(f"--- SMS to {to} ({len(body)} characters)\n{body}\n---\n")
    else:
        stream.write(summary(channel="SMS", to=to, what=f"{len(body)} characters", text=body) + "\n")
    stream.flush()

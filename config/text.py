"""Text helpers that every app may use (they know nothing of consults, people or messages)."""

import unicodedata


def one_line(text: str) -> str:
    """Names, subjects and short messages are one line: line breaks and tabs become spaces and other control
    characters (NUL, which PostgreSQL refuses, among them) go, so a name can never start a new line in an
    email, a calendar invite or an SMS."""
    printable = "".join(char if unicodedata.category(char) != "Cc" else " " for char in text)
    return " ".join(printable.split())

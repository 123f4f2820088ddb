"""Every string has a Dutch translation, the compiled catalogue in the repository matches the source, and no
text that reaches a person bypasses the catalogue."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def test_dutch_catalogue_exists():
    assert LOCALE / "nl" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(LOCALE)))
def test_catalogue_is_complete_and_compiled(po_path):
    po = polib.pofile(str(po_path))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    # The .mo is committed so a fresh machine needs no gettext; it must say what the .po says.
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo if e.msgid}
    source = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in po.translated_entries()}
    assert compiled == source


# --- user-facing text outside the catalogue ---------------------------------------------------------------

ROOT = LOCALE.parent
APPS = ["accounts", "scheduling", "waitingroom", "videoproviders", "notifications", "audit", "privacy", "config"]
# Where a string literal reaches a person: errors shown on pages and forms, messages, labels in forms and the
# admin. Such a literal must go through gettext, or a Dutch page shows English.
SHOWN_BY_CALL = {"PermissionDenied", "ValidationError"}
SHOWN_AS_KEYWORD = {"label", "help_text", "verbose_name", "verbose_name_plural", "description", "empty_label"}
SHOWN_AS_ATTRIBUTE = {"label", "short_description", "verbose_name", "empty_value_display"}
MESSAGES = {"success", "error", "info", "warning", "add_message"}
# Literals that never reach a person, and why.
NOT_SHOWN = {
    # The call's signalling answers the page's script in JSON (call_views._relay); nobody reads them.
    ("waitingroom/calls.py", "ValidationError"),
    # The in-memory video service exists only in the test settings.
    ("videoproviders/locmem.py", "label"),
}


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and any(c.isalpha() for c in node.value)


def _untranslated(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in SHOWN_BY_CALL and node.args and _is_text(node.args[0]):
                yield node.lineno, name
            on_messages = isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "messages"
            if on_messages and name in MESSAGES and any(_is_text(arg) for arg in node.args[1:]):
                yield node.lineno, f"messages.{name}"
            for keyword in node.keywords:
                if keyword.arg in SHOWN_AS_KEYWORD and _is_text(keyword.value):
                    yield node.lineno, keyword.arg
        elif isinstance(node, ast.Assign) and _is_text(node.value):
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
            yield from ((node.lineno, name) for name in names if name in SHOWN_AS_ATTRIBUTE)


def test_no_python_string_reaches_a_person_without_the_catalogue():
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            if "migrations" in path.parts:
                continue
            found += [
                f"{relative}:{line} {what}" for line, what in _untranslated(path) if (relative, what) not in NOT_SHOWN
            ]
    assert found == []


# Words in templates that are the same in every language: the product's name, the languages by their own
# names, the class names some pages pass to the base template. The error page is bilingual by design: it must
# not depend on anything that might have failed, the catalogue included.
SAME_IN_EVERY_LANGUAGE = {"Videoconsult", "English", "Nederlands", "EN", "NL", "auth", "page--call"}
BILINGUAL = {"templates/500.html"}


def _template_text(source: str) -> Iterator[str]:
    """Words a person reads that the template writes itself, outside {% translate %} and friends."""
    source = re.sub(r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", " ", source, flags=re.S)
    source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    for attribute in re.finditer(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"', source):
        value = re.sub(r"{%.*?%}|{{.*?}}", "", attribute.group(1))
        if re.search(r"[A-Za-z]{2,}", value):
            yield value
    source = re.sub(r"{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    yield from re.findall(r"\S*[A-Za-z]{2,}\S*", source)


def test_no_template_writes_text_outside_the_catalogue():
    found = {}
    for path in sorted((ROOT / "templates").rglob("*")):
        relative = str(path.relative_to(ROOT))
        if path.suffix not in {".html", ".txt"} or relative in BILINGUAL:
            continue
        words = [word for word in _template_text(path.read_text()) if word not in SAME_IN_EVERY_LANGUAGE]
        if words:
            found[relative] = words
    assert found == {}

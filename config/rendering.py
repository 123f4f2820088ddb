"""Faster rendering of form widgets and form fields.

Django renders every widget through templates (input.html including attrs.html, a select including one
template per option). On the booking form that was about 30 widget renders and hundreds of template nodes
per request, most of the page's time. The renderer below produces the same HTML for Django's plain widget
templates in Python and leaves every other template (the admin's widgets, a template of our own) to the
template engine, so a widget with its own template still renders as written.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

_WIDGETS = "django/forms/widgets/"


def text(value: Any) -> str:
    """A value as `{{ value }}` renders it: localised, escaped unless already safe."""
    return conditional_escape(localize(template_localtime(value)))


def _attrs(attrs: Mapping[str, Any]) -> str:
    # attrs.html: a False value leaves the attribute out, True writes it without a value.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {text(name)}" if value is True else f' {text(name)}="{conditional_escape(value)}"')
    return "".join(parts)


def _input(widget: Mapping[str, Any]) -> str:
    value = f' value="{conditional_escape(widget["value"])}"' if widget["value"] is not None else ""
    return f'<input type="{text(widget["type"])}" name="{text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _input_option(widget: Mapping[str, Any]) -> str:
    if not widget.get("wrap_label"):
        return _input(widget)
    element_id = widget["attrs"].get("id")
    label_for = f' for="{text(element_id)}"' if element_id else ""
    return f"<label{label_for}>{_input(widget)} {text(widget['label'])}</label>"


def _select_option(widget: Mapping[str, Any]) -> str:
    value = conditional_escape(widget["value"])
    return f'<option value="{value}"{_attrs(widget["attrs"])}>{text(widget["label"])}</option>'


def _select(widget: Mapping[str, Any]) -> str:
    parts = [f'<select name="{text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{text(group_name)}">')
        for option in group_choices:
            parts.append("\n  " + _render_option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: Mapping[str, Any]) -> str:
    value = text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


_INPUTS = ("checkbox", "color", "date", "datetime", "email", "file", "hidden", "input", "number", "password")
_INPUTS += ("search", "tel", "text", "time", "url")
_FAST: dict[str, Callable[[Mapping[str, Any]], str]] = {f"{_WIDGETS}{name}.html": _input for name in _INPUTS}
_FAST.update(
    {
        f"{_WIDGETS}input_option.html": _input_option,
        f"{_WIDGETS}radio_option.html": _input_option,
        f"{_WIDGETS}checkbox_option.html": _input_option,
        f"{_WIDGETS}select_option.html": _select_option,
        f"{_WIDGETS}select.html": _select,
        f"{_WIDGETS}textarea.html": _textarea,
    }
)


def _render_option(option: Mapping[str, Any]) -> str:
    fast = _FAST.get(option["template_name"])
    if fast is None:
        return get_default_renderer().render(option["template_name"], {"widget": option})
    return fast(option)


class FastWidgetRenderer(DjangoTemplates):
    """FORM_RENDERER: Django's plain widget templates in Python, everything else through the templates."""

    def render(self, template_name: str, context: Mapping[str, Any], request=None) -> SafeString | str:
        fast = _FAST.get(template_name)
        if fast is not None and "widget" in context:
            return mark_safe(fast(context["widget"]))  # noqa: S308 - every value above is escaped
        return super().render(template_name, context, request=request)

"""`{% field form.name %}`: a form field with its label, help text and errors, the way every form of ours
shows one. A built-in tag (TEMPLATES' builtins), written in Python because a template included for each
field made the booking form's rendering several times slower."""

from django import template
from django.forms import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def field(bound: BoundField, css_class: str = "") -> SafeString:
    classes = "field"
    if bound.errors:
        classes += " field--error"
    if css_class:
        classes += f" {css_class}"
    help_text = ""
    if bound.help_text:
        help_text = format_html('<p class="field__help" id="{}_helptext">{}</p>', bound.auto_id, bound.help_text)
    errors = format_html_join("", '<p class="field__error" role="alert">{}</p>', ((error,) for error in bound.errors))
    return format_html(
        '<div class="{}">\n  <label for="{}">{}</label>\n  {}\n  {}\n  {}\n</div>',
        classes,
        bound.id_for_label,
        bound.label,
        bound,
        help_text,
        errors,
    )

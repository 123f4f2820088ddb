"""`{% field form.name %}`: a form field with its label, help text and errors, the way every form of ours
shows one; `{% error_summary form ... %}`: the list of a failed submit's mistakes at the top of the form,
each linking to its field. Built-in tags (TEMPLATES' builtins), written in Python because a template
included for each field made the booking form's rendering several times slower."""

from collections.abc import Iterator

from django import template
from django.forms import BaseForm, BaseFormSet, BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


def error_id(bound: BoundField) -> str:
    """The id Django's own `aria-describedby` points the field's input at when it has errors."""
    return f"{bound.auto_id}_error"


@register.simple_tag
def field_errors(bound: BoundField) -> SafeString:
    """A field's errors under the id its input is described by; nothing when it has none."""
    if not bound.errors:
        return SafeString("")
    errors = format_html_join("", '<p class="field__error">{}</p>', ((error,) for error in bound.errors))
    return format_html('<div class="field__errors" id="{}">{}</div>', error_id(bound), errors)


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
    return format_html(
        '<div class="{}">\n  <label for="{}">{}</label>\n  {}\n  {}\n  {}\n</div>',
        classes,
        bound.id_for_label,
        bound.label,
        bound,
        help_text,
        field_errors(bound),
    )


@register.simple_tag
def hidden_fields(form: BaseForm) -> SafeString:
    """A form of hidden inputs only (a formset's management form) without the template Django renders it
    through: its errors are the formset's, which the page shows where it shows those."""
    return SafeString("".join(str(bound) for bound in form.hidden_fields()))


@register.simple_tag
def chips(bound: BoundField) -> SafeString:
    """A multiple-choice field's boxes as chips (the weekdays of a series): each box with its label."""
    return format_html_join(
        "", '<label class="chip">{} <span>{}</span></label>', ((box.tag(), box.choice_label) for box in bound)
    )


def _target(bound: BoundField) -> str:
    """The element a summary link goes to: the input, or the first option of a set of radios or boxes."""
    if bound.id_for_label:
        return bound.id_for_label
    options = bound.subwidgets
    return options[0].id_for_label if options else bound.auto_id or ""


def _mistakes(form: BaseForm | BaseFormSet, row_label: str = "") -> Iterator[tuple[str, str]]:
    """(link target or "", text) for each error of a form or of each form of a formset, in page order."""
    if isinstance(form, BaseFormSet):
        for error in form.non_form_errors():
            yield form.prefix, error
        for number, row in enumerate(form.forms, start=1):
            # "Participant 2", as the rows are headed on the page.
            row_label = getattr(form, "row_label", None) or _("Row")
            yield from _mistakes(row, row_label=_("%(row)s %(number)d") % {"row": row_label, "number": number})
        return
    for error in form.non_field_errors():
        yield "", f"{row_label}: {error}" if row_label else error
    for bound in form:
        label = f"{row_label}, {bound.label}" if row_label else bound.label
        for error in bound.errors:
            yield _target(bound), f"{label}: {error}"


@register.simple_tag
def error_summary(*forms: BaseForm | BaseFormSet | None) -> SafeString:
    """After a failed submit, what went wrong, at the top of the form: each mistake links to its field, and
    static/js/app.js moves the focus here so a keyboard or screen-reader user starts at the list."""
    # An unbound form (every GET) has no mistakes: skip walking its fields.
    mistakes = [mistake for form in forms if form is not None and form.is_bound for mistake in _mistakes(form)]
    if not mistakes:
        return SafeString("")
    items = format_html_join(
        "",
        "<li>{}</li>",
        ((format_html('<a href="#{}">{}</a>', target, text) if target else text,) for target, text in mistakes),
    )
    return format_html(
        '<div class="error-summary" tabindex="-1" data-error-summary aria-labelledby="error-summary-title">'
        '<div role="alert"><h2 class="error-summary__title" id="error-summary-title">{}</h2><ul>{}</ul></div></div>',
        _("Please correct the following"),
        items,
    )

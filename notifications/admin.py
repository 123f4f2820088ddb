from csp.constants import SELF
from django.contrib import admin
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.admin import OrganisationAdmin, OrganisationOwnedAdmin
from accounts.admin_scope import OrganisationScopedAdmin, ReadOnlyAdmin, is_platform_admin
from accounts.admin_site import admin_site
from accounts.models import Language, Organisation, Role, User

from . import feeds
from .models import CalendarFeed, EmailComplaint, Notification, ReminderRule, SmsOptOut
from .placeholders import placeholder_help, validate_placeholders
from .preview import invitation_email_html

_INVITATION_TEXTS = {"invitation_text_nl", "invitation_text_en"}


def _describe_placeholders() -> str:
    return _("Placeholders for the invitation texts: %(placeholders)s.") % {"placeholders": placeholder_help()}


# Lazy, so the description is in the language of each request rather than of the import.
_placeholder_description = lazy(_describe_placeholders, str)


# The organisation's invitation texts are this app's: it explains and checks their placeholders.
admin_site.unregister(Organisation)


@admin.register(Organisation, site=admin_site)
class InvitationTextsOrganisationAdmin(OrganisationAdmin):
    fieldsets = [
        (name, {**options, "description": _placeholder_description(), "fields": [*options["fields"], "preview"]})
        if _INVITATION_TEXTS & {*options["fields"]}
        else (name, options)
        for name, options in OrganisationAdmin.fieldsets
    ]
    readonly_fields = [*OrganisationAdmin.readonly_fields, "preview"]

    @admin.display(description=_("invitation as the client receives it"))
    def preview(self, obj: Organisation) -> str:
        if obj.pk is None:
            return "-"
        frames = [
            format_html(
                '<figure style="flex:1 1 320px;margin:0"><figcaption><strong>{}</strong></figcaption>'
                '<iframe src="{}" title="{}" sandbox="" '
                'style="width:100%;height:560px;border:1px solid var(--hairline-color);background:#fff"></iframe>'
                "</figure>",
                label,
                reverse("admin:accounts_organisation_invitation_preview", args=[obj.pk, code]),
                _("Invitation email (%(language)s)") % {"language": label},
            )
            for code, label in Language.choices
        ]
        note = _("Saved texts, for a sample client tomorrow at 10:00. Save to see a change.")
        previews = mark_safe("".join(frames))  # noqa: S308 - each frame went through format_html
        return format_html(
            '<p style="margin:0 0 0.5rem">{}</p><div style="display:flex;flex-wrap:wrap;gap:1rem">{}</div>',
            note,
            previews,
        )

    def get_urls(self):
        preview = self.admin_site.admin_view(self.invitation_preview)
        return [
            path(
                "<path:object_id>/invitation/<str:language>/", preview, name="accounts_organisation_invitation_preview"
            ),
            *super().get_urls(),
        ]

    def invitation_preview(self, request: HttpRequest, object_id: str, language: str) -> HttpResponse:
        """The invitation email's HTML, for the preview's frame on the organisation's page."""
        organisation = self.get_object(request, object_id)
        if (
            organisation is None
            or language not in Language.values
            or not self.has_view_permission(request, organisation)
        ):
            raise Http404
        response = HttpResponse(invitation_email_html(organisation=organisation, language=language))
        # Framed by the organisation's admin page only.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response._csp_replace = {"frame-ancestors": [SELF]}  # type: ignore[attr-defined]
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        response._csp_update = {"frame-src": [SELF]}  # the preview's frames
        return response

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in _INVITATION_TEXTS:
            field.validators.append(validate_placeholders)
        return field


@admin.register(ReminderRule, site=admin_site)
class ReminderRuleAdmin(OrganisationOwnedAdmin):
    list_display = ["__str__", "agent"]
    list_filter = ["channel", "unit"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = ["agent", "amount", "unit", "channel"]
        return ["organisation", *fields] if is_platform_admin(request) else fields

    def get_list_display(self, request: HttpRequest):
        return [*self.list_display, "organisation"] if is_platform_admin(request) else self.list_display

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "agent":
            agents = User.objects.filter(memberships__role=Role.AGENT, is_active=True).distinct()
            if not is_platform_admin(request):
                agents = agents.filter(organisation_id=request.user.organisation_id)
            kwargs["queryset"] = agents
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Notification, site=admin_site)
class NotificationAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """The outbox, read-only: messages are written by the booking services and sent by the worker."""

    org_admin_read_only = True
    list_display = ["appointment", "purpose", "channel", "to", "status", "reason", "send_after", "sent_at"]
    list_filter = ["status", "purpose", "channel", "reason"]
    search_fields = ["to", "appointment__subject"]
    date_hierarchy = "send_after"
    list_select_related = ["appointment"]


@admin.register(SmsOptOut, site=admin_site)
class SmsOptOutAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """Numbers that replied STOP. Only the person can undo it, by replying START."""

    list_display = ["phone", "created_at"]
    search_fields = ["phone"]


@admin.register(CalendarFeed, site=admin_site)
class CalendarFeedAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """Who has a calendar subscription URL. The admin can revoke one (a lost phone, someone who leaves) but
    not make one: the URL is a secret that only its user should ever see."""

    organisation_path = "user__organisation"
    list_display = ["user", "created_at"]
    search_fields = ["user__full_name", "user__email"]
    list_select_related = ["user"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the calendar subscription URL"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        for feed in queryset.select_related("user"):
            feeds.revoke_feed(user=feed.user, actor=request.user)


@admin.register(EmailComplaint, site=admin_site)
class EmailComplaintAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """Addresses whose owner marked an email as spam. A participant gets email again at a changed address."""

    list_display = ["email", "created_at"]
    search_fields = ["email"]

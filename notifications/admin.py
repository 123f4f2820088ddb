from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.admin import OrganisationAdmin, OrganisationOwnedAdmin
from accounts.admin_scope import OrganisationScopedAdmin, ReadOnlyAdmin, is_platform_admin
from accounts.admin_site import admin_site
from accounts.models import Organisation, Role, User

from .models import Notification, ReminderRule, SmsOptOut
from .placeholders import placeholder_help, validate_placeholders

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
        (name, {**options, "description": _placeholder_description()})
        if _INVITATION_TEXTS & {*options["fields"]}
        else (name, options)
        for name, options in OrganisationAdmin.fieldsets
    ]

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

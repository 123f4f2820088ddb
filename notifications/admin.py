from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import OrganisationOwnedAdmin
from accounts.admin_scope import OrganisationScopedAdmin, ReadOnlyAdmin, is_platform_admin
from accounts.admin_site import admin_site
from accounts.models import Role, User

from .models import Notification, ReminderRule, SmsOptOut


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

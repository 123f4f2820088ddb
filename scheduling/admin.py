from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_scope import OrganisationScopedAdmin, ReadOnlyAdmin
from accounts.admin_site import admin_site

from .models import Appointment, Participant


class ParticipantInline(admin.TabularInline):
    model = Participant
    fields = ["name", "channel", "email", "phone", "language", "removed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Appointment, site=admin_site)
class AppointmentAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """Read-only: booking, changing and cancelling go through the services, which notify everyone."""

    org_admin_read_only = True
    list_display = ["subject", "start", "end", "agent", "team", "status"]
    list_filter = ["status", "team"]
    search_fields = ["subject", "agent__full_name", "participants__name"]
    date_hierarchy = "start"
    list_select_related = ["agent", "team"]
    inlines = [ParticipantInline]
    fields = [
        "subject",
        "message",
        "uses_default_message",
        "start",
        "end",
        "team",
        "agent",
        "booked_by",
        "status",
        "cancelled_at",
        "cancelled_by",
        "sequence",
        "calendar_uid",
        "public_id",
        "created_at",
        "updated_at",
    ]

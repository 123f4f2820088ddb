import csv

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import OrganisationScopedAdmin, ReadOnlyAdmin
from accounts.admin_site import AdminEvent, admin_site

from .models import AuditEvent
from .services import Action, record_admin


def _record(*, request: HttpRequest, event: AdminEvent, obj, message: str = "") -> None:
    record_admin(request=request, action=Action(event.value), obj=obj, message=message)


# What admins do on every page of the admin (settings changed, two-factor reset, login unlocked) is audited.
admin_site.observe(_record)


@admin.register(AuditEvent, site=admin_site)
class AuditEventAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """The audit log for organisation admins: filter, search, and download what the filters show as CSV."""

    # Compact columns so the log reads at 1280 px beside the admin's menu and the filters: a short date, the
    # person's name over their address, the summary given the room; the network address is on the event's
    # own page and in the CSV.
    list_display = ["when", "who", "action", "summary", "changes_display"]
    list_display_links = ["when"]
    # Only people who appear in this organisation's log, not every user of the platform.
    list_filter = ["action", "occurred_at", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["actor_name", "summary", "object_id", "ip_address"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor"]
    change_list_template = "admin/audit/auditevent/change_list.html"
    actions = None

    @admin.display(description=_("changed"))
    def changes_display(self, obj: AuditEvent) -> str:
        return obj.changes_display

    @admin.display(description=_("when"), ordering="occurred_at")
    def when(self, obj: AuditEvent) -> str:
        return date_format(timezone.localtime(obj.occurred_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("who"), ordering="actor_name")
    def who(self, obj: AuditEvent) -> str:
        name, _sep, address = obj.actor_name.partition(" <")
        if not address:
            return name
        return format_html('{}<br><span class="audit-address">{}</span>', name, address.rstrip(">"))

    def get_list_filter(self, request: HttpRequest):
        return ["organisation", *self.list_filter] if request.user.is_superuser else self.list_filter

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_csv), name="audit_auditevent_export"),
            *super().get_urls(),
        ]

    def export_csv(self, request: HttpRequest) -> HttpResponse:
        """The events the list shows with its current filters and search, as CSV."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        changelist = self.get_changelist_instance(request)
        events = changelist.get_queryset(request).select_related("actor")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [_("when"), _("who"), _("action"), _("what"), _("changed"), _("address"), _("kind of object"), _("object")]
        )
        for event in events.iterator():
            writer.writerow(
                [
                    timezone.localtime(event.occurred_at).isoformat(timespec="seconds"),
                    _spreadsheet_safe(event.actor_name),
                    event.get_action_display(),
                    _spreadsheet_safe(event.summary),
                    _spreadsheet_safe(event.changes_display),
                    event.ip_address or "",
                    event.object_type,
                    event.object_id,
                ]
            )
        return response


def _spreadsheet_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula in Excel; a subject typed by someone must not become one.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

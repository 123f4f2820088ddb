"""Scoping of admin pages: organisation admins reach only their own organisation's rows."""

import json

from django import forms
from django.db import models
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .admin_site import AdminEvent


def is_platform_admin(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


def is_org_admin(request: HttpRequest) -> bool:
    return request.user.is_active and getattr(request.user, "is_organisation_admin", False)


class LineEndingsTextField(forms.CharField):
    """A textarea's text with the line endings it is stored with. Browsers send CRLF; a text saved elsewhere
    (the demo data, a migration) has LF, so an untouched invitation text counted as "changed" in the log."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value

    def has_changed(self, initial, data) -> bool:
        initial = initial.replace("\r\n", "\n") if isinstance(initial, str) else initial
        return super().has_changed(initial, data)


class AuditedAdmin:
    """Mixin for ModelAdmins: every addition, change and deletion is told to the site's observers (the audit
    log records them), with the same change message the admin keeps in its own history."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.TextField) and not db_field.choices:
            kwargs.setdefault("form_class", LineEndingsTextField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def log_addition(self, request: HttpRequest, obj: Model, message):
        self.admin_site.tell(request=request, event=AdminEvent.ADDED, obj=obj, message=_message(message))
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message):
        self.admin_site.tell(request=request, event=AdminEvent.CHANGED, obj=obj, message=_message(message))
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset):
        for obj in queryset:
            self.admin_site.tell(request=request, event=AdminEvent.DELETED, obj=obj)
        return super().log_deletions(request, queryset)


def _message(message) -> str:
    return message if isinstance(message, str) else json.dumps(message)


class OrganisationScopedAdmin(AuditedAdmin):
    """Mixin for ModelAdmins: `organisation_path` names the lookup from the model to its organisation."""

    organisation_path: str = "organisation"
    # Organisation admins may view these models but not change them (e.g. appointments).
    org_admin_read_only: bool = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if is_platform_admin(request):
            return qs
        return qs.filter(**{self.organisation_path: request.user.organisation_id})

    def _org_allowed(self, request: HttpRequest, obj: Model | None) -> bool:
        return is_platform_admin(request) or is_org_admin(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._org_allowed(request, None)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._org_allowed(request, obj)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return is_platform_admin(request) or (is_org_admin(request) and not self.org_admin_read_only)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_platform_admin(request) or (is_org_admin(request) and not self.org_admin_read_only)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_platform_admin(request) or (is_org_admin(request) and not self.org_admin_read_only)


class ReadOnlyAdmin:
    """Mixin for records that only the services write (appointments, the outbox): admins look, never edit."""

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

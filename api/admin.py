"""API keys in the admin: an organisation admin makes a key (shown once, in a message) and revokes it; a
key is never edited or deleted, so the log of what it did keeps its name."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import OrganisationScopedAdmin, is_platform_admin
from accounts.admin_site import admin_site
from accounts.models import User

from . import keys
from .models import ApiKey


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "user", "scope"]


@admin.register(ApiKey, site=admin_site)
class ApiKeyAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "key_start", "user", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "prefix", "user__full_name", "user__email"]
    list_select_related = ["user"]
    actions = ["revoke"]

    @admin.display(description=_("key"), ordering="prefix")
    def key_start(self, obj: ApiKey) -> str:
        return f"vc_{obj.prefix}_…"

    def get_fields(self, request: HttpRequest, obj: Model | None = None):
        if obj is None:
            return ["name", "user", "scope"]
        return ["name", "key_start", "user", "scope", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None):
        # A key is made once and then only revoked: another user or scope would be another key.
        return [] if obj is None else self.get_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "user":
            users = User.objects.filter(is_active=True, organisation__isnull=False)
            if not is_platform_admin(request):
                users = users.filter(organisation_id=request.user.organisation_id)
            kwargs["queryset"] = users.order_by("full_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A key's page only shows it; revoking is the list's action.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            return  # no change page saves (has_change_permission); nothing of a key changes after it is made
        # The form offers only active users of an organisation, which is what create_key asks.
        made = keys.create_key(name=obj.name, user=obj.user, scope=obj.scope, created_by=request.user)
        obj.pk = made.api_key.pk
        obj.__dict__.update({k: v for k, v in made.api_key.__dict__.items() if not k.startswith("_")})
        messages.warning(
            request,
            gettext("The new API key is %(key)s. Copy it now: it is not shown again, and it cannot be recovered.")
            % {"key": made.key},
        )

    def log_addition(self, request: HttpRequest, obj: Model, message):
        # The key's service recorded its making in the audit log already; only the admin's own history here.
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message):
        return admin.ModelAdmin.log_change(self, request, obj, message)

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        revoked = sum(keys.revoke_key(api_key=key, revoked_by=request.user) for key in queryset.select_related("user"))
        messages.success(
            request, ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", revoked) % {"count": revoked}
        )

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.admin import OrganisationOwnedAdmin, UserAdmin
from accounts.admin_scope import OrganisationScopedAdmin, ReadOnlyAdmin, is_platform_admin
from accounts.admin_site import admin_site
from accounts.models import Role, User

from . import services
from .inlines import AgentVideoAccountInline
from .models import RoomEvent, ServiceAccount, VideoRoom, mask
from .registry import provider_choices, providers

_SECRETS = ["secret", "webhook_secret"]


def _https_by_default(db_field: models.Field, **kwargs) -> forms.Field | None:
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class ServiceAccountForm(forms.ModelForm):
    """Secrets are never sent back to the browser: an empty field keeps the stored value."""

    class Meta:
        model = ServiceAccount
        fields = ["organisation", "provider", "server_url", "account_id", "secret", "webhook_secret"]
        widgets = {name: forms.PasswordInput(render_value=False) for name in _SECRETS}
        formfield_callback = _https_by_default

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "provider" in self.fields:
            # A personal room has nothing to configure per organisation.
            self.fields["provider"].choices = [("", "---------")] + [
                (alias, label) for alias, label in provider_choices() if providers[alias].takes_service_account
            ]
        for name in _SECRETS:
            if name not in self.fields:
                continue
            current = getattr(self.instance, name, "")
            if current:
                self.fields[name].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                    "masked": mask(current)
                }

    def _keep(self, name: str) -> str:
        return self.cleaned_data.get(name) or getattr(self.instance, name, "") or ""

    def clean_secret(self) -> str:
        return self._keep("secret")

    def clean_webhook_secret(self) -> str:
        return self._keep("webhook_secret")


def _organisation_agents(organisation_id: int):
    return User.objects.filter(organisation_id=organisation_id, memberships__role=Role.AGENT).distinct()


@admin.register(ServiceAccount, site=admin_site)
class ServiceAccountAdmin(OrganisationOwnedAdmin):
    form = ServiceAccountForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["provider", "masked_secret", "updated_at"]
    readonly_fields = ["webhook_url"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = ["provider", "server_url", "account_id", "secret", "webhook_secret", "webhook_url"]
        return ["organisation", *fields] if is_platform_admin(request) else fields

    def get_list_display(self, request: HttpRequest):
        return [*self.list_display, "organisation"] if is_platform_admin(request) else self.list_display

    @admin.display(description=_("API key or app secret"))
    def masked_secret(self, obj: ServiceAccount) -> str:
        return mask(obj.secret) or "-"

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj: ServiceAccount | None) -> str:
        if obj is None or obj.pk is None or obj.provider != "whereby":
            return _("Whereby only; shown once the account is saved.")
        return settings.SITE_URL + reverse("videoproviders:whereby-webhook", kwargs={"account_id": obj.public_id})

    def save_model(self, request: HttpRequest, obj: ServiceAccount, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.accounts_changed(agents=_organisation_agents(obj.organisation_id))

    def delete_model(self, request: HttpRequest, obj: ServiceAccount) -> None:
        organisation_id = obj.organisation_id
        super().delete_model(request, obj)
        services.accounts_changed(agents=_organisation_agents(organisation_id))


class RoomEventInline(ReadOnlyAdmin, admin.TabularInline):
    model = RoomEvent
    fields = ["occurred_at", "type", "role", "display_name", "received_at"]
    extra = 0


@admin.register(VideoRoom, site=admin_site)
class VideoRoomAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """Rooms are written by the services only. The host URL is never shown: it makes its opener the host."""

    organisation_path = "appointment__organisation"
    org_admin_read_only = True
    list_display = ["appointment", "provider", "status", "expires_at", "attempts", "last_error"]
    list_filter = ["status", "provider"]
    list_select_related = ["appointment"]
    fields = [
        "appointment",
        "provider",
        "status",
        "provider_room_id",
        "participant_url",
        "expires_at",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "ready_at",
        "retired_at",
        "deleted_at",
    ]
    inlines = [RoomEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields


# An agent's own video account is edited on their user page; this app owns it, so it adds the inline.
admin_site.unregister(User)


@admin.register(User, site=admin_site)
class UserWithVideoAccountAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, AgentVideoAccountInline]

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # A changed video account gives the agent's upcoming consults rooms made with it.
        if change:
            services.accounts_changed(agents=[form.instance])

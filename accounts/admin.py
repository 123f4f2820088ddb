from axes.utils import reset as axes_reset
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from . import mfa
from .admin_scope import OrganisationScopedAdmin, is_org_admin, is_platform_admin
from .admin_site import AdminEvent, admin_site
from .colours import brand_colours, is_colour
from .models import Membership, Organisation, Team, User


@admin.register(Organisation, site=admin_site)
class OrganisationAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    organisation_path = "pk"
    list_display = ["name", "time_zone", "default_language"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "time_zone", "default_language"]}),
        (_("Branding"), {"fields": ["logo", "primary_colour", "colour_preview", "sender_name"]}),
        (
            _("Invitations"),
            {"fields": ["default_message_nl", "default_message_en", "invitation_text_nl", "invitation_text_en"]},
        ),
        (_("Contact details shown to clients"), {"fields": ["contact_email", "contact_phone"]}),
        (_("Clients' own changes"), {"fields": ["clients_may_change", "client_change_cutoff_hours"]}),
        (_("Security and privacy"), {"fields": ["require_mfa", "retention_days", "feed_shows_client_names"]}),
    ]

    readonly_fields = ["colour_preview"]

    @admin.display(description=_("preview"))
    def colour_preview(self, obj: Organisation) -> str:
        # The colour as typed: after a refused save the form's instance holds it, so the preview shows why.
        if not is_colour(obj.primary_colour or ""):
            return "-"
        return render_to_string("admin/accounts/colour_preview.html", {"colours": brand_colours(obj.primary_colour)})

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        # New organisations are set up by the platform; an organisation admin edits their own.
        return is_platform_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request)


class OrganisationOwnedAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    """For models with an `organisation` field that an organisation admin never chooses."""

    def get_exclude(self, request: HttpRequest, obj=None):
        return [] if is_platform_admin(request) else ["organisation"]

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if is_platform_admin(request):
            return form
        organisation_id = request.user.organisation_id

        class OwnOrganisationForm(form):
            # Set before validation, so the model's clean() can check rules within the organisation.
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                self.instance.organisation_id = organisation_id

        return OwnOrganisationForm

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if not is_platform_admin(request):
            obj.organisation_id = request.user.organisation_id
        super().save_model(request, obj, form, change)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    fields = ["role", "team"]
    verbose_name_plural = _("Roles: assistant or agent in a team, or organisation admin (leave team empty)")

    def _allowed(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request) or is_org_admin(request)

    has_view_permission = has_add_permission = has_change_permission = has_delete_permission = _allowed

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "team" and not is_platform_admin(request):
            kwargs["queryset"] = Team.objects.filter(organisation_id=request.user.organisation_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Team, site=admin_site)
class TeamAdmin(OrganisationOwnedAdmin):
    list_display = ["name", "organisation"]
    search_fields = ["name"]

    def get_list_display(self, request: HttpRequest):
        return self.list_display if is_platform_admin(request) else ["name"]


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "language"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User, site=admin_site)
class UserAdmin(OrganisationScopedAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    inlines = [MembershipInline]
    list_display = ["full_name", "email", "organisation", "is_active"]
    list_filter = ["is_active", "memberships__role"]
    search_fields = ["full_name", "email"]
    ordering = ["full_name"]
    readonly_fields = ["last_login", "date_joined", "two_factor"]
    actions = ["reset_two_factor", "unlock_login"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if obj is None:
            fields = ["email", "full_name", "language", "password1", "password2"]
            if is_platform_admin(request):
                fields.append("organisation")
            return [(None, {"classes": ["wide"], "fields": fields})]
        main = ["email", "password", "full_name", "language", "is_active"]
        sets = [
            (None, {"fields": main}),
            (_("Security"), {"fields": ["require_mfa", "two_factor"]}),
            (_("History"), {"fields": ["last_login", "date_joined"]}),
        ]
        if is_platform_admin(request):
            sets.insert(1, (_("Platform"), {"fields": ["organisation", "is_staff", "is_superuser"]}))
        return sets

    @admin.display(description=_("two-factor authentication"))
    def two_factor(self, obj: User) -> str:
        if not obj.pk:
            return "-"
        return _("On (authenticator app)") if mfa.has_mfa(obj) else _("Off")

    @admin.action(description=_("Reset two-factor authentication (lost phone)"))
    def reset_two_factor(self, request: HttpRequest, queryset) -> None:
        users = list(queryset)
        for user in users:
            mfa.remove_mfa(user=user)
            self.admin_site.tell(request=request, event=AdminEvent.MFA_RESET, obj=user)
        self.message_user(
            request,
            _(
                "Two-factor authentication reset for %(names)s. "
                "Where it is required, they set it up again at their next login."
            )
            % {"names": ", ".join(u.full_name for u in users)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unlock login after too many failed attempts"))
    def unlock_login(self, request: HttpRequest, queryset) -> None:
        users = list(queryset)
        for user in users:
            axes_reset(username=user.email)
            self.admin_site.tell(request=request, event=AdminEvent.LOGIN_UNLOCKED, obj=user)
        self.message_user(
            request,
            _("%(names)s can log in again.") % {"names": ", ".join(u.full_name for u in users)},
            messages.SUCCESS,
        )

    def get_list_filter(self, request: HttpRequest):
        return ["organisation", *self.list_filter] if is_platform_admin(request) else self.list_filter

    def save_model(self, request: HttpRequest, obj: User, form: forms.Form, change: bool) -> None:
        if not is_platform_admin(request):
            obj.organisation_id = request.user.organisation_id
        super().save_model(request, obj, form, change)

"""The agent's video account, edited on the user's admin page (this app's admin adds this inline to the user page)."""

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import is_org_admin, is_platform_admin

from .models import AgentVideoAccount


class AgentVideoAccountInline(admin.StackedInline):
    model = AgentVideoAccount
    fk_name = "agent"
    extra = 0
    max_num = 1
    fields = ["provider", "room_url"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    verbose_name = _("video account")
    verbose_name_plural = _("Video account (empty: the site's default video service)")

    def _allowed(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request) or is_org_admin(request)

    has_view_permission = has_add_permission = has_change_permission = has_delete_permission = _allowed

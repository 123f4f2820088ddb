from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class VideoconsultAdminSite(admin.AdminSite):
    """Open to platform staff and to organisation admins, who see only their own organisation."""

    site_header = _("Videoconsult administration")
    site_title = _("Videoconsult admin")
    index_title = _("Organisation settings")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or getattr(user, "is_organisation_admin", False))


admin_site = VideoconsultAdminSite(name="admin")

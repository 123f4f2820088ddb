from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class VideoconsultAdminSite(admin.AdminSite):
    """Open to platform staff and to organisation admins, who see only their own organisation."""

    site_header = _("Videoconsult administration")
    site_title = _("Videoconsult admin")
    index_title = _("Organisation settings")
    index_template = "admin/videoconsult_index.html"

    def get_urls(self):
        from django.urls import path

        from privacy.views import erase_person

        return [path("privacy/erase/", self.admin_view(erase_person), name="privacy-erase"), *super().get_urls()]

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or getattr(user, "is_organisation_admin", False))

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # One way in: the site's login, with its second step and lockout. The admin's own login form would
        # sign in with the password alone.
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


admin_site = VideoconsultAdminSite(name="admin")

"""The admin site, and the two doors other apps use to extend it without accounts importing them: pages
they add (privacy's erasure page) and observers told of what an admin did (audit records it)."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AdminEvent(StrEnum):
    """What an admin did, as told to the site's observers. The values are audit's action names."""

    ADDED = "setting_added"
    CHANGED = "setting_changed"
    DELETED = "setting_deleted"
    MFA_RESET = "mfa_reset"
    LOGIN_UNLOCKED = "login_unlocked"
    WEBHOOK_SECRET_ROLLED = "webhook_secret_rolled"  # noqa: S105 - an action's name, not a secret
    WEBHOOK_RESENT = "webhook_resent"


# Called as observer(request=..., event=..., obj=..., message=...).
AdminObserver = Callable[..., None]


@dataclass(frozen=True)
class AdminPage:
    """A page of the admin that is not a model's, listed on the index for organisation admins."""

    route: str
    view: Callable[[HttpRequest], HttpResponse]
    name: str
    title: str | Promise
    section: str | Promise


class VideoconsultAdminSite(admin.AdminSite):
    """Open to platform staff and to organisation admins, who see only their own organisation."""

    site_header = _("Videoconsult administration")
    site_title = _("Videoconsult admin")
    index_title = _("Organisation settings")
    index_template = "admin/videoconsult_index.html"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._pages: list[AdminPage] = []
        self._observers: list[AdminObserver] = []

    def add_page(self, page: AdminPage) -> None:
        """Registered from the owning app's admin module, before the URLs are first built."""
        self._pages.append(page)

    def observe(self, observer: AdminObserver) -> None:
        self._observers.append(observer)

    def tell(self, *, request: HttpRequest, event: AdminEvent, obj: Model, message: str = "") -> None:
        for observer in self._observers:
            observer(request=request, event=event, obj=obj, message=message)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        pages: list[URLResolver | URLPattern] = [
            path(page.route, self.admin_view(page.view), name=page.name) for page in self._pages
        ]
        return [*pages, *super().get_urls()]

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        return super().index(request, {"extra_pages": self._pages, **(extra_context or {})})

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or getattr(user, "is_organisation_admin", False))

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # One way in: the site's login, with its second step and lockout. The admin's own login form would
        # sign in with the password alone.
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


admin_site = VideoconsultAdminSite(name="admin")

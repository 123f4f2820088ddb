from django.conf import settings
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from django.views.static import serve

from accounts.admin_site import admin_site

urlpatterns = [
    path("", include("scheduling.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("waitingroom.urls")),
    path("", include("videoproviders.urls")),
    path("admin/", admin_site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Browsers ask for it on pages that name no icon (the admin's).
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True), name="favicon"),
]

if settings.SERVE_MEDIA:
    # Media holds only public branding (logos); a deployment behind a web server may serve it there.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

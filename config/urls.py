from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from accounts.admin_site import admin_site
from accounts.branding import logo
from api.site import api
from config.health import HealthView
from config.metrics import metrics


def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request: at import the static manifest may not exist yet (workers, a fresh checkout).
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("", include("scheduling.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("waitingroom.urls")),
    path("", include("videoproviders.urls")),
    path("", include("reports.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin_site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Browsers ask for it on pages that name no icon (the admin's).
    path("favicon.ico", favicon, name="favicon"),
    path("health/", HealthView.as_view(), name="health"),
    path("metrics/", metrics, name="metrics"),
    # Logos from the default storage, whichever it is; /media/ as before, so links in mails sent earlier work.
    path("media/logos/<str:name>", logo, name="logo"),
]

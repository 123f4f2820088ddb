"""The site with one more page, which fails as a real fault would: deep in a request about a client, with the
client's name, address, number, a message text and the join link all within reach. It is a join link's page,
so that its URL holds a token as the clients' pages do. The error tests serve it
in-process (ROOT_URLCONF) and in real servers (DJANGO_SETTINGS_MODULE=tests.failing_settings)."""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as site
from scheduling.models import Participant

logger = logging.getLogger("waitingroom.views")


@csrf_exempt
def fail(request: HttpRequest, token: str) -> HttpResponse:
    participant = Participant.objects.get(token=token)
    # A query with the name as its parameter, and a log line with it: both would be in an error report's
    # breadcrumbs if nothing removed them.
    Participant.objects.filter(name=participant.name).exists()
    logger.warning("Message %r for %s could not be shown", request.POST.get("text"), participant.name)
    link = f"{settings.SITE_URL}/join/{participant.token}/"
    raise RuntimeError(f"Could not tell {participant.email} ({participant.phone}) about {link}")


urlpatterns = [*site, path("join/<str:token>/failing/", fail, name="failing")]

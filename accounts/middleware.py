from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class OrganisationTimezoneMiddleware:
    """Shows every time in the signed-in user's organisation's time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        organisation = getattr(user, "organisation", None) if user and user.is_authenticated else None
        if organisation is not None:
            timezone.activate(organisation.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

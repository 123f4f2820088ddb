"""The page's "still here": how the idle clock (accounts.middleware) hears of what the person does without
loading a page, such as typing in a long form or pressing *Stay signed in*."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from .middleware import draft_owner, idle_seconds_left, note_activity


@require_http_methods(["GET", "POST"])
def activity(request: HttpRequest) -> HttpResponse:
    """POST: the person did something; the clock starts again. GET, sent as background: how long is left,
    without counting, so that every open tab ends with the one the person is using rather than by its own
    count. Both answer whose session it is, so a tab notices when someone else has signed in meanwhile."""
    if not request.user.is_authenticated:
        # A script asks; a redirect to the login page would answer it with HTML.
        return JsonResponse({"signed_out": True}, status=401)
    if request.method == "POST":
        # Not once a minute like the middleware: "Stay signed in" must give the whole time again.
        note_activity(request.session)
    return JsonResponse({"seconds_left": idle_seconds_left(request.session), "owner": draft_owner(request.user)})

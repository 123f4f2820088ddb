"""The API's errors as JSON ({"detail", "code", "errors", "conflicts"}), in the language asked for: the
services' ValidationError is 422 with its messages per field, a consult changed in between 409, a
PermissionDenied 403, what the key's user may not see 404, a missing or revoked key 401, too many requests
429 with Retry-After."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from scheduling.rules import ConflictError, StaleAppointmentError

from .auth import RateLimited
from .wording import schema_message


def error_body(detail: str, code: str, errors: dict | None = None, conflicts: list | None = None) -> dict:
    return {"detail": detail, "code": code, "errors": errors or {}, "conflicts": conflicts or []}


def install(api: NinjaAPI) -> None:
    """Register the handlers on the API."""

    def respond(request: HttpRequest, body: dict, status: int) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
        if isinstance(error, StaleAppointmentError):
            detail = _("Someone else changed this consult since you read it; read it again and send the change anew.")
            return respond(request, error_body(detail, "stale"), 409)
        if isinstance(error, ConflictError):
            conflicts = [
                {"start": c.start, "end": c.end, "id": c.public_id, "subject": c.subject} for c in error.conflicts
            ]
            body = error_body(error.messages[0], "conflict", {"start": error.messages}, conflicts)
            return respond(request, body, 422)
        if hasattr(error, "error_dict"):
            errors = {field: [str(m) for e in found for m in e.messages] for field, found in error.error_dict.items()}
            return respond(request, error_body(_("The request has errors."), "invalid", errors), 422)
        code = getattr(error, "code", None) or "invalid"
        return respond(request, error_body(" ".join(error.messages), code), 422)

    def schema_error(request: HttpRequest, error: SchemaError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for problem in error.errors:
            # ("body", "payload", "participants", 0, "name"): the place in what was sent, without the wrapper.
            place = [str(part) for part in problem.get("loc", ()) if part not in ("body", "payload", "query", "path")]
            errors.setdefault(".".join(place) or "request", []).append(schema_message(problem))
        return respond(request, error_body(_("The request has errors."), "invalid", errors), 422)

    def denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
        detail = str(error) or _("The key's user may not do this.")
        return respond(request, error_body(detail, "forbidden"), 403)

    def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
        return respond(request, error_body(_("Not found, or not visible to the key's user."), "not_found"), 404)

    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        if isinstance(error, AuthenticationError):
            detail = _("Send a valid API key: Authorization: Bearer <key>.")
            response = respond(request, error_body(detail, "unauthorized"), 401)
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        return respond(request, error_body(str(error), "error"), error.status_code)

    def rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
        detail = _("Too many requests with this key; try again in %(seconds)d seconds.") % {
            "seconds": error.retry_after
        }
        response = respond(request, error_body(detail, "rate_limited"), 429)
        response["Retry-After"] = str(error.retry_after)
        return response

    api.add_exception_handler(ValidationError, invalid)
    api.add_exception_handler(SchemaError, schema_error)
    api.add_exception_handler(PermissionDenied, denied)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(RateLimited, rate_limited)

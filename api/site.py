"""The API's one NinjaAPI: version 1 under /api/v1/, its OpenAPI schema at /api/v1/openapi.json and the
schema's page at /api/v1/docs (Swagger UI from django-ninja's own static files, as our CSP allows no CDN)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from . import errors
from .auth import ApiKeyAuth
from .consults import router


class VideoconsultAPI(NinjaAPI):
    def create_response(self, request: HttpRequest, data: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().create_response(request, data, *args, **kwargs)
        # Answers carry clients' names, addresses and join links: for the key's holder only, kept nowhere.
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Authorization"])
        return response


api = VideoconsultAPI(
    title="Videoconsult API",
    version="1",
    description=(
        "Book, change and cancel video consults and series, read their participants and join links and the "
        "waiting state. Authenticate with an organisation API key: `Authorization: Bearer <key>`. Errors are "
        "JSON with `detail`, `code` and `errors` per field, in the language of Accept-Language."
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api",
    docs=Swagger(),
    docs_url="/docs",
)
errors.install(api)
api.add_router("/", router)

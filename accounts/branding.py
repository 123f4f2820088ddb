"""The organisation's logo: stored under a name made from its content, in the default storage (a folder on
one server, or a bucket every node shares), and served by the app with headers that let browsers and proxies
keep it for a year. A new logo has new content, so a new name and a new URL: nothing cached goes stale."""

import hashlib
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from django.core.files import File
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models.fields.files import ImageFieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase, HttpResponseNotModified
from django.urls import reverse
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe

LOGO_FOLDER = "logos"
# What a logo may be, and the type it is served as (with nosniff, so browsers believe it).
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
CACHE_CONTROL = "public, max-age=31536000, immutable"


class ContentNamedFile(ImageFieldFile):
    """A logo named by the hash of its bytes. Its `url` is the app's own view, not the storage's: a bucket may
    be private or unreachable from browsers, and the page's Content-Security-Policy allows images from this
    site only."""

    def save(self, name: str, content: File, save: bool = True) -> None:
        digest = hashlib.sha256()
        for chunk in content.chunks():
            digest.update(chunk)
        # 128 bits: two different logos never share a name; S3 overwrites a key that exists, a folder does not.
        super().save(f"{digest.hexdigest()[:32]}{PurePosixPath(name).suffix.lower()}", content, save)

    @property
    def url(self) -> str:
        if not self.name:
            raise ValueError(f"The '{self.field.name}' attribute has no file associated with it.")
        return reverse("logo", kwargs={"name": PurePosixPath(self.name).name})


class LogoField(models.ImageField):
    attr_class = ContentNamedFile
    default_validators = [FileExtensionValidator(allowed_extensions=list(CONTENT_TYPES))]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("upload_to", f"{LOGO_FOLDER}/")
        super().__init__(*args, **kwargs)


@require_safe
def logo(request: HttpRequest, name: str) -> HttpResponseBase:
    """A logo by its file name, for anyone: logos are public branding and the name is a content hash, not an
    id. Served from whatever storage holds it, so every node answers for a logo any node saved."""
    stem, _, extension = name.rpartition(".")
    content_type = CONTENT_TYPES.get(extension.lower())
    if not stem or content_type is None:
        raise Http404
    # The name never changes for other content, so it is the entity tag (logos saved before names were
    # hashes have names Django's storage never reuses either).
    etag = f'"{stem}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return HttpResponseNotModified(headers=headers)
    from .models import Organisation

    storage = Organisation._meta.get_field("logo").storage
    try:
        file = storage.open(f"{LOGO_FOLDER}/{name}")
    except FileNotFoundError:
        raise Http404
    return FileResponse(file, content_type=content_type, headers=headers)


class LogoCachingMiddleware:
    """First in MIDDLEWARE, so it sees the response last: a logo's answer is the same for everyone, but the
    session and locale middleware add `Vary: Cookie, Accept-Language` to every response, and shared caches
    then keep one copy per visitor, or none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.get("Cache-Control") == CACHE_CONTROL:
            del response["Vary"]
        return response

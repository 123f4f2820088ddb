from django.http import HttpRequest


def organisation(request: HttpRequest) -> dict:
    """The branding of the signed-in user's organisation, for the page chrome."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"organisation": None}
    return {"organisation": user.organisation}

from django.http import HttpRequest


def organisation(request: HttpRequest) -> dict:
    """The branding of the signed-in user's organisation, for the page chrome."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"organisation": None, "signed_in": False, "hears_arrivals": False}
    # Between password and second step the user is not in yet: no menu of pages they cannot open.
    from .mfa import MFA_SESSION_KEY

    signed_in = not request.session.get(MFA_SESSION_KEY)
    # Agents hear their clients arrive on every page (templates/base.html, static/js/arrivals.js).
    return {
        "organisation": user.organisation,
        "signed_in": signed_in,
        "hears_arrivals": signed_in and user.roles.is_agent,
    }

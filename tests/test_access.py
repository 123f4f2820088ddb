"""Who gets in where: every URL pattern of the project, requested by every role. A URL that is not in the
table below fails this test, so a new view cannot be added without deciding who may use it.

Roles: anonymous; the consult's team's assistant; the consult's agent; the admin of another organisation;
the consult's organisation's admin. Outcomes: ok (200), redirect (elsewhere than the login), login (sent
to log in), denied (403 or 404: not told whether it exists), refused (400/403 for unsigned webhooks),
unavailable (503: live streams need ASGI), signed out (401: a page's script asks and gets no login page;
the API, whose requests carry an API key and never a session, answers every role so).
What another organisation's admin gets back never contains the consult's subject or its client's name.
The API's outcomes with a key acting as each role are in API_ACCESS below.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification
from tests.factories import TeamFactory, admin_of
from videoproviders.models import ServiceAccount

ROLES = ["anonymous", "assistant", "agent", "other_admin", "admin"]
SUBJECT = "Zeldzaam-onderwerp-7431"
CLIENT = "Cliënt Vertrouwelijk"

OK, R, L, D, X, U, S = "ok", "redirect", "login", "denied", "refused", "unavailable", "signed out"

# Views written async (django-health-check's): requested from a thread of their own.
ASYNC_VIEWS = {"health"}

# url name: (method, {role: outcome}) with the roles in the order of ROLES.
ACCESS = {
    "scheduling:dashboard": ("get", [L, OK, OK, OK, OK]),
    "scheduling:agenda": ("get", [L, OK, OK, OK, OK]),
    "scheduling:day-list": ("get", [L, OK, OK, OK, OK]),
    "scheduling:appointment-create": ("get", [L, OK, D, OK, OK]),
    "scheduling:series-preview": ("post", [L, OK, D, OK, OK]),
    "scheduling:appointment-detail": ("get", [L, OK, OK, D, OK]),
    "scheduling:appointment-edit": ("get", [L, OK, D, D, OK]),
    "scheduling:appointment-cancel": ("get", [L, OK, D, D, OK]),
    "accounts:login": ("get", [OK, R, R, R, R]),
    "accounts:mfa-verify": ("get", [L, R, R, R, R]),
    "accounts:mfa-setup": ("get", [L, OK, OK, OK, OK]),
    "accounts:security": ("get", [L, OK, OK, OK, OK]),
    "accounts:mfa-backup-codes": ("post", [L, R, R, R, R]),
    "accounts:mfa-disable": ("post", [L, "bad", "bad", "bad", "bad"]),
    "accounts:logout": ("post", [R, R, R, R, R]),
    "accounts:activity": ("post", [S, OK, OK, OK, OK]),
    "accounts:password-change": ("get", [L, OK, OK, OK, OK]),
    "accounts:password-change-done": ("get", [L, OK, OK, OK, OK]),
    "accounts:password-reset": ("get", [OK, OK, OK, OK, OK]),
    "accounts:password-reset-done": ("get", [OK, OK, OK, OK, OK]),
    "accounts:password-reset-confirm": ("get", [OK, OK, OK, OK, OK]),
    "accounts:password-reset-complete": ("get", [OK, OK, OK, OK, OK]),
    "notifications:failed-list": ("get", [L, OK, OK, OK, OK]),
    # Everyone of an organisation sees the figures they may see (an agent their own).
    "reports:statistics": ("get", [L, OK, OK, OK, OK]),
    "reports:statistics-csv": ("get", [L, OK, OK, OK, OK]),
    "notifications:resend": ("post", [L, R, D, D, R]),
    "notifications:calendar-subscription": ("get", [L, OK, OK, OK, OK]),
    # Opened by its own secret only: a client's join token (the token here) is no feed's.
    "notifications:calendar-feed": ("get", [D, D, D, D, D]),
    "notifications:twilio-status": ("post", [X, X, X, X, X]),
    "notifications:twilio-inbound": ("post", [X, X, X, X, X]),
    # No email service in the suite's settings, so no address takes reports (test_email_service.py signs some).
    "notifications:email-tracking": ("post", [X, X, X, X, X]),
    "waitingroom:join": ("get", [OK, OK, OK, OK, OK]),
    # The SMS's short link leads on to the join page.
    "waitingroom:short-join": ("get", [R, R, R, R, R]),
    # The client's own page, by the link's token (tests/waitingroom/test_self_service.py has the POSTs). This
    # consult starts within the organisation's cut-off, so its confirmation to cancel leads back to the page.
    "waitingroom:self-service": ("get", [OK, OK, OK, OK, OK]),
    "waitingroom:self-service-cancel": ("get", [R, R, R, R, R]),
    "waitingroom:presence": ("post", [OK, OK, OK, OK, OK]),
    "waitingroom:leave": ("post", [OK, OK, OK, OK, OK]),
    "waitingroom:client-events": ("get", [U, U, U, U, U]),
    # Streams answer only under ASGI (the test client is WSGI); there an anonymous request gets 403, which
    # tests/waitingroom/test_live_events.py checks.
    "waitingroom:agent-events": ("get", [U, U, U, U, U]),
    "waitingroom:waiting-room": ("get", [L, OK, OK, OK, OK]),
    "waitingroom:waiting-room-state": ("get", [L, OK, OK, OK, OK]),
    # Every signed-in page of an agent asks it; others get an empty answer (tests/waitingroom/test_arrivals.py).
    "waitingroom:arrivals": ("get", [L, OK, OK, OK, OK]),
    "waitingroom:start": ("post", [L, D, R, D, D]),
    "waitingroom:end": ("post", [L, R, R, D, R]),
    "waitingroom:message": ("post", [L, R, R, D, R]),
    # Built-in video calls: the agent's side only for the consult's agent (here not running: sent back to the
    # consult; a signal without a page in the call is malformed); the client's side by the link's token, and
    # only once let in.
    "waitingroom:call": ("get", [L, D, R, D, D]),
    "waitingroom:agent-call-events": ("get", [U, U, U, U, U]),
    "waitingroom:agent-call-state": ("get", [L, D, OK, D, D]),
    "waitingroom:agent-call-signal": ("post", [L, D, "bad", D, D]),
    "waitingroom:call-admit": ("post", [L, D, D, D, D]),
    "waitingroom:call-remove": ("post", [L, D, D, D, D]),
    "waitingroom:client-call-events": ("get", [U, U, U, U, U]),
    "waitingroom:client-call-state": ("get", [D, D, D, D, D]),
    "waitingroom:client-call-signal": ("post", ["bad", "bad", "bad", "bad", "bad"]),
    "videoproviders:whereby-webhook": ("post", [X, X, X, X, X]),
    "set_language": ("post", [R, R, R, R, R]),
    "javascript-catalog": ("get", [OK, OK, OK, OK, OK]),
    "favicon": ("get", [R, R, R, R, R]),
    # The same report for everyone and no login (load balancers ask it); 500 here: beat has not run in this
    # test's world (tests/test_health.py has the healthy answer).
    "health": ("get", ["500", "500", "500", "500", "500"]),
    # The address decides, not the login: the test client asks from the loopback, which may scrape; other
    # addresses and the token are in tests/test_metrics.py.
    "metrics": ("get", [OK, OK, OK, OK, OK]),
    # Logos are public branding, named by their content; this one does not exist.
    "logo": ("get", [D, D, D, D, D]),
    # The admin: its index, and the erasure page and audit export added to it (models are walked below).
    "admin:index": ("get", [L, L, L, OK, OK]),
    "admin:privacy-erase": ("get", [L, L, L, OK, OK]),
    "admin:audit_auditevent_export": ("get", [L, L, L, OK, OK]),
    # The API: a signed-in session is no API key. Its schema and the schema's page are public, and its root
    # (nothing there) is not found. With keys: API_ACCESS.
    "api:api-root": ("get", [D, D, D, D, D]),
    "api:openapi-json": ("get", [OK, OK, OK, OK, OK]),
    "api:openapi-view": ("get", [OK, OK, OK, OK, OK]),
    "api:consult-list": ("get", [S, S, S, S, S]),
    "api:consult-book": ("post", [S, S, S, S, S]),
    "api:consult-detail": ("get", [S, S, S, S, S]),
    "api:consult-change": ("put", [S, S, S, S, S]),
    "api:consult-cancel": ("post", [S, S, S, S, S]),
    "api:consult-waiting": ("get", [S, S, S, S, S]),
    "api:series-book": ("post", [S, S, S, S, S]),
    "api:team-list": ("get", [S, S, S, S, S]),
}

# The API with a key (scope write) that acts as each role; anonymous sends none. The same rules as the pages:
# an agent sees their consult but may not change it (403: the service refuses), another organisation's admin
# does not find it. Changing it sends it back unchanged, as read. Outcome "created": 201.
CREATED = "created"
API_ACCESS = {
    "api:consult-list": ("get", [S, OK, OK, OK, OK]),
    "api:team-list": ("get", [S, OK, OK, OK, OK]),
    "api:consult-detail": ("get", [S, OK, OK, D, OK]),
    "api:consult-waiting": ("get", [S, OK, OK, D, OK]),
    "api:consult-change": ("put", [S, OK, "403", D, OK]),
    "api:consult-book": ("post", [S, CREATED, "403", "bad input", CREATED]),
}


PUBLIC_BY_TOKEN = {
    "waitingroom:join",
    "waitingroom:short-join",
    "waitingroom:self-service",
    "waitingroom:self-service-cancel",
    "waitingroom:presence",
    "waitingroom:leave",
    "waitingroom:client-events",
    "waitingroom:client-call-events",
    "waitingroom:client-call-state",
    "waitingroom:client-call-signal",
}


def _names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            # The admin's unnamed patterns (its old object URLs) fall under "admin:" with the rest of it.
            yield f"{namespace}{pattern.name or '(unnamed)'}"


def _site_names() -> set[str]:
    names = set(_names(get_resolver().url_patterns))
    # Admin model pages are walked model by model in the tests below.
    return {n for n in names if not n.startswith("admin:") or n in ACCESS}


def test_every_url_pattern_has_a_rule():
    missing = sorted(_site_names() - set(ACCESS))
    assert missing == [], f"add these URL names to ACCESS in {__file__}: {missing}"


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """A consult starting in an hour in one organisation, with everything the URLs need; a second
    organisation with its own admin and team."""
    from scheduling.services import ParticipantInput, book_appointment
    from tests.factories import agent_of, assistant_of

    team = TeamFactory()
    assistant = assistant_of(team, full_name="Anna Assistant")
    agent = agent_of(team, full_name="Dr. Alex Agent")
    admin = admin_of(team.organisation, full_name="Ada Admin")
    other = TeamFactory()
    start = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(
            booked_by=assistant,
            team=team,
            agent=agent,
            start=start,
            end=start + timedelta(minutes=30),
            subject=SUBJECT,
            message="Welkom",
            participants=[ParticipantInput(name=CLIENT, channel="email", language="nl", email="vc@example.org")],
        )
    participant = appointment.participants.get()
    failed = Notification.objects.filter(appointment=appointment, participant=participant).first()
    Notification.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, reason="mailbox_refused")
    # An API key of the organisation, for its admin pages (made through the service, as the admin does).
    from api.keys import create_key

    create_key(name="Praktijksysteem", user=assistant, scope="read", created_by=admin)
    account = ServiceAccount.objects.create(
        organisation=team.organisation, provider="whereby", secret="k" * 30, webhook_secret="w" * 30
    )
    users = {
        "anonymous": None,
        "assistant": assistant,
        "agent": agent,
        "other_admin": admin_of(other.organisation, full_name="Otto Other"),
        "admin": admin,
    }
    kwargs = {
        "public_id": appointment.public_id,
        "token": participant.token,
        "account_id": account.public_id,
    }
    return {"users": users, "kwargs": kwargs, "notification": failed, "appointment": appointment}


def _url(name: str, world) -> str:
    if name == "logo":
        return reverse(name, kwargs={"name": "nothing-here.png"})
    if name == "notifications:resend":
        return reverse(name, args=[world["notification"].public_id])
    if name == "notifications:email-tracking":
        return reverse(name, kwargs={"service": "postmark"})
    if name == "accounts:password-reset-confirm":
        return reverse(name, kwargs={"uidb64": "MQ", "token": "set-password"})
    try:
        return reverse(name)
    except NoReverseMatch:
        # The URL takes an argument: the consult's public id, the client's token or the video account's id.
        for key in ("public_id", "token", "account_id"):
            try:
                return reverse(name, kwargs={key: world["kwargs"][key]})
            except NoReverseMatch:
                continue
    raise AssertionError(f"no arguments found for {name}")


def _outcome(response) -> str:
    code = response.status_code
    if code in (200, 204):
        return OK
    if code in (301, 302, 303):
        login = response["Location"].startswith((reverse("accounts:login"), reverse("admin:login")))
        return L if login else R
    if (
        code in (403, 404, 405)
        and response.request["REQUEST_METHOD"] == "POST"
        and "hooks/" in response.request["PATH_INFO"]
    ):
        return X
    if code == 400 and "hooks/" in response.request["PATH_INFO"]:
        return X
    if code == 400:
        return "bad"
    if code == 401:
        return S
    if code in (403, 404):
        return D
    if code == 503:
        return U
    return str(code)


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_who_gets_in(client, world, name):
    method, expected = ACCESS[name]
    url = _url(name, world)
    outcomes = {}
    for role in ROLES:
        client.logout()
        user = world["users"][role]
        if user is not None:
            client.force_login(user)
        data = {"text": "Running late", "language": "en", "next": "/"} if method == "post" else None
        if name in ASYNC_VIEWS:
            # An async view cannot run in the test thread while the browser tests' event loop lives there.
            with ThreadPoolExecutor(max_workers=1) as pool:
                response = pool.submit(getattr(client, method), url, data).result()
        else:
            response = getattr(client, method)(url, data)
        outcomes[role] = _outcome(response)
        # A join link is a key: whoever holds it sees the consult; every other page must not show it.
        if (
            role == "other_admin"
            and name not in PUBLIC_BY_TOKEN
            and response.get("Content-Type", "").startswith("text/")
        ):
            body = b"".join(response) if response.streaming else response.content
            assert SUBJECT.encode() not in body and CLIENT.encode() not in body, (
                f"{name} shows another organisation's consult"
            )
    assert outcomes == dict(zip(ROLES, expected, strict=True))


def _registered_models():
    from accounts.admin_site import admin_site

    return sorted(admin_site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize(("model", "model_admin"), _registered_models(), ids=lambda v: getattr(v, "__name__", ""))
def test_admin_pages_of_every_model(client, world, model, model_admin):
    """Lists and the change page of an object of the consult's organisation: only admins reach the admin;
    another organisation's admin sees neither the object nor its data."""
    organisation = world["appointment"].organisation
    path = getattr(model_admin, "organisation_path", "organisation")
    own = model._default_manager.filter(**{path: organisation.pk}).first()
    info = model._meta.app_label, model._meta.model_name
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    change = reverse("admin:{}_{}_change".format(*info), args=[own.pk]) if own is not None else None
    expected = {
        "anonymous": (L, L),
        "assistant": (L, L),
        "agent": (L, L),
        "other_admin": (OK, R),  # the admin answers an object it does not show with a redirect to its index
        "admin": (OK, OK),
    }
    for role in ROLES:
        client.logout()
        if world["users"][role] is not None:
            client.force_login(world["users"][role])
        listed = client.get(changelist)
        outcomes = [_outcome(listed)]
        if role == "other_admin":
            assert SUBJECT.encode() not in listed.content and CLIENT.encode() not in listed.content
        if change is not None:
            outcomes.append(_outcome(client.get(change)))
        assert tuple(outcomes) == expected[role][: len(outcomes)], (role, outcomes)


def _api_body(name: str, appointment) -> dict | None:
    appointment.refresh_from_db()
    body = {
        "team": appointment.team.name,
        "agent": appointment.agent.email,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "subject": appointment.subject,
        "message": appointment.message,
        "participants": [
            {"name": p.name, "channel": p.channel, "email": p.email, "language": p.language}
            for p in appointment.participants.active()
        ],
        # Booking at the same time again: the agent's overlap is not what this table is about.
        "allow_conflicts": True,
    }
    if name == "api:consult-change":
        return body | {"sequence": appointment.sequence}
    return body if name == "api:consult-book" else None


def _api_outcome(response) -> str:
    return {200: OK, 201: CREATED, 401: S, 404: D, 422: "bad input"}.get(
        response.status_code, str(response.status_code)
    )


@pytest.mark.parametrize("name", sorted(API_ACCESS))
def test_who_gets_in_with_an_api_key(client, world, name):
    import json

    from api.keys import create_key

    method, expected = API_ACCESS[name]
    url = _url(name, world)
    outcomes = {}
    for role in ROLES:
        user = world["users"][role]
        headers = {}
        if user is not None:
            key = create_key(name=f"Key of {role}", user=user, scope="write", created_by=user).key
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        body = _api_body(name, world["appointment"])
        if body is None:
            response = getattr(client, method)(url, **headers)
        else:
            response = getattr(client, method)(url, json.dumps(body), content_type="application/json", **headers)
        outcomes[role] = _api_outcome(response)
        if role == "other_admin":
            assert SUBJECT.encode() not in response.content and CLIENT.encode() not in response.content, name
    assert outcomes == dict(zip(ROLES, expected, strict=True))

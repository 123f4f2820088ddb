"""Hardening: a Content-Security-Policy without inline script, no inline script in any template, sessions
that end after inactivity, and logs that never carry a secret."""

import logging
import re
from pathlib import Path

import pytest
from django.urls import reverse

from config.logging import RedactSecrets, redact

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url_name", ["scheduling:dashboard", "scheduling:appointment-create"])
def test_pages_carry_a_policy_that_allows_no_inline_script(assistant_client, url_name):
    response = assistant_client.get(reverse(url_name))
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    # The one inline <style> (the organisation's colour) carries this response's nonce.
    nonce = re.search(r"'nonce-([^']+)'", " ".join(policy["style-src"])).group(1)
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_the_clients_join_page_has_the_policy_too(client, book):
    appointment = book()
    response = client.get(appointment.participants.get().join_url.replace("http://127.0.0.1:8000", ""))
    assert _policy(response)["script-src"] == ["'self'"]


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(TEMPLATES)}: an on...= handler")
    assert offenders == []


def test_a_session_ends_after_inactivity(assistant_client, settings):
    assert assistant_client.get(reverse("scheduling:dashboard")).status_code == 200
    session = assistant_client.session
    session["seen_at"] -= settings.SESSION_IDLE_MINUTES * 60 + 1
    session.save()
    response = assistant_client.get(reverse("scheduling:appointment-create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    page = assistant_client.get(response["Location"])
    assert "logged out after a while without activity" in page.content.decode()
    assert assistant_client.get(reverse("scheduling:dashboard")).status_code == 302


def test_activity_keeps_the_session(assistant_client, settings):
    assistant_client.get(reverse("scheduling:dashboard"))
    session = assistant_client.session
    session["seen_at"] -= settings.SESSION_IDLE_MINUTES * 60 - 120
    session.save()
    assert assistant_client.get(reverse("scheduling:dashboard")).status_code == 200
    assert assistant_client.get(reverse("scheduling:dashboard")).status_code == 200


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("Not Found: /join/Fr3Qxz2zQ5uGG1xl2BAfqgBaiVRo_CknWpj1Eg4v4o8/", "/join/[token]/", "Fr3Qxz2z"),
        ('"GET /j/dU2dLzIWvQwYMV67i7jXUg HTTP/1.1" 302', "/j/[token] HTTP", "dU2dLzIW"),
        (
            '"GET /calendar/pS0V1ayC3-ohGd3jXj1Q2vNvBq3B4hIf0aTp4AqV8aM.ics HTTP/1.1" 200',
            "/calendar/[token].ics",
            "pS0V1ay",
        ),
        ("GET https://x.whereby.com/consult-1?roomKey=abc123def&lang=nl", "roomKey=[secret]&lang=nl", "abc123def"),
        ("Authorization: Bearer sk_live_abcdef123456", "Bearer [secret]", "sk_live"),
        ("https://meet.jit.si/consult-1?jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "jwt=", "c2lnbmF0"),
        ('{"api_key": "whereby-secret-key"}', '"api_key": "[secret]"', "whereby-secret-key"),
        ('"GET /join/Fr3Qxz2zQ5uGG1xl2BAfqg%2DBaiVRo HTTP/1.1" 404', "/join/[token] HTTP", "BaiVRo"),
        ("key vc_1a2b3c4d_Zr0mXq9lJ3kP8sT1uV4wY7aB", "vc_1a2b3c4d_[secret]", "Zr0mXq9l"),
        ("secret whsec_N3vErTeLl-aNyOne_x9", "whsec_[secret]", "N3vErTeLl"),
    ],
)
def test_logs_never_carry_secrets(text, kept, gone):
    assert kept in redact(text) and gone not in redact(text)
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "%s", (text,), None)
    RedactSecrets().filter(record)
    assert gone not in record.getMessage()


def test_the_console_log_handler_redacts():
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecrets) for f in h.filters)]
    assert handlers, "the root logger's console handler has no RedactSecrets filter"


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/admin/accounts/user/", {"q": "a\x00b"}),
        ("get", "/", {"team": "\x00"}),
        ("post", "/accounts/login/", {"username": "x\x00@example.org", "password": "x"}),
    ],
)
def test_a_nul_byte_in_a_parameter_is_a_bad_request_not_a_server_error(client, organisation, method, url, data):
    from tests.factories import admin_of

    client.force_login(admin_of(organisation))
    response = getattr(client, method)(url, data)
    assert response.status_code == 400


def test_the_favicon_browsers_ask_for_leads_to_our_icon(client, db):
    location = client.get("/favicon.ico")["Location"]
    icon = client.get(location)
    try:
        assert location.endswith(".svg") and icon.status_code == 200
    finally:
        icon.close()

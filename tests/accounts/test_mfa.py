"""Two-factor authentication end to end through the login: enrolment with a QR code, codes from the app
(computed here as an authenticator app does), backup codes, the organisation's requirement, an admin's reset."""

import re
import time
from base64 import b32decode
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from tests.factories import admin_of

LOGIN = reverse("accounts:login")
DASHBOARD = reverse("scheduling:dashboard")


def app_code(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset in steps of 30 s)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():06d}"


def log_in(client, user, password):
    return client.post(LOGIN, {"username": user.email, "password": password})


@pytest.fixture
def enrolled(assistant):
    """The assistant with a confirmed app and backup codes."""
    enrolment = mfa.start_enrolment(user=assistant)
    _device, codes = mfa.confirm_enrolment(user=assistant, token=app_code(enrolment.device))
    device = TOTPDevice.objects.get(user=assistant)
    # Let the next code count: the app's codes are single use per 30-second step.
    device.last_t -= 1
    device.save()
    return device, codes


def test_without_mfa_the_login_asks_no_code(client, assistant, password):
    response = log_in(client, assistant, password)
    assert response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_an_organisation_that_requires_mfa_has_the_next_login_set_up_an_app(client, assistant, password, organisation):
    organisation.require_mfa = True
    organisation.save()
    response = log_in(client, assistant, password)
    assert response["Location"].startswith(reverse("accounts:mfa-setup"))
    # Nothing else opens before the app is set up: not the overview, not a consult, not the admin.
    for url in (DASHBOARD, reverse("scheduling:appointment-create"), "/admin/"):
        assert client.get(url)["Location"].startswith(reverse("accounts:mfa-setup"))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "<svg" in html and "Your organisation asks everyone" in html
    # The key shown for typing by hand is the one in the QR code's otpauth URI.
    device = TOTPDevice.objects.get(user=assistant, confirmed=False)
    shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    assert b32decode(shown) == device.bin_key
    assert device.config_url.startswith(f"otpauth://totp/{organisation.name.replace(' ', '%20')}%3A")

    wrong = client.post(reverse("accounts:mfa-setup"), {"code": "000000", "next": DASHBOARD})
    assert "That code is not correct." in wrong.content.decode()
    done = client.post(reverse("accounts:mfa-setup"), {"code": app_code(device), "next": DASHBOARD})
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(DASHBOARD).status_code == 200
    assert mfa.has_mfa(assistant)


def test_a_user_with_an_app_gives_its_code_after_the_password(client, assistant, password, enrolled):
    device, _codes = enrolled
    response = log_in(client, assistant, password)
    assert response["Location"].startswith(reverse("accounts:mfa-verify"))
    assert client.get(DASHBOARD)["Location"].startswith(reverse("accounts:mfa-verify"))
    wrong = client.post(reverse("accounts:mfa-verify"), {"code": "123456"})
    assert "That code is not correct." in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_timestamp = None  # no need to wait out the throttle in a test
    device.save()
    response = client.post(reverse("accounts:mfa-verify"), {"code": app_code(device), "next": DASHBOARD})
    assert response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_wrong_codes_slow_down_guessing(client, assistant, password, enrolled):
    device, _codes = enrolled
    log_in(client, assistant, password)
    client.post(reverse("accounts:mfa-verify"), {"code": "111111"})
    # Right away, even the right code waits: the throttle doubles with every wrong one.
    response = client.post(reverse("accounts:mfa-verify"), {"code": app_code(device)})
    assert "Too many wrong codes." in response.content.decode()
    assert client.get(DASHBOARD).status_code == 302


def test_a_backup_code_works_once(client, assistant, password, enrolled):
    _device, codes = enrolled
    log_in(client, assistant, password)
    response = client.post(reverse("accounts:mfa-verify"), {"code": codes[0].upper(), "next": DASHBOARD}, follow=True)
    assert "You used a backup code; 9 are left." in response.content.decode()
    client.post(reverse("accounts:logout"))
    log_in(client, assistant, password)
    response = client.post(reverse("accounts:mfa-verify"), {"code": codes[0]})
    assert "That code is not correct." in response.content.decode()
    assert StaticToken.objects.filter(device__user=assistant).count() == 9


def test_a_user_switches_mfa_on_and_off_themself(assistant_client, assistant):
    page = assistant_client.get(reverse("accounts:security")).content.decode()
    assert "You log in with your password only." in page
    assistant_client.get(reverse("accounts:mfa-setup"))
    device = TOTPDevice.objects.get(user=assistant)
    assistant_client.post(reverse("accounts:mfa-setup"), {"code": app_code(device)})
    assert "backup codes left" in assistant_client.get(reverse("accounts:security")).content.decode()
    device.refresh_from_db()
    response = assistant_client.post(reverse("accounts:mfa-disable"), {"code": app_code(device, offset=1)})
    assert response.status_code == 302
    assert not mfa.has_mfa(assistant)


def test_mfa_cannot_be_switched_off_where_it_is_required(assistant_client, assistant, enrolled):
    assistant.require_mfa = True
    assistant.save()
    device, _codes = enrolled
    response = assistant_client.post(reverse("accounts:mfa-disable"), {"code": app_code(device)}, follow=True)
    assert "requires two-factor authentication" in response.content.decode()
    assert mfa.has_mfa(assistant)


def test_new_backup_codes_replace_the_old(assistant_client, assistant, enrolled):
    _device, old = enrolled
    response = assistant_client.post(reverse("accounts:mfa-backup-codes"))
    new = re.findall(r"<li><code>([a-z0-9]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=assistant).values_list("token", flat=True)) == set(new)


def test_an_admin_resets_a_lost_phone_and_requires_mfa_for_one_user(
    client, assistant, organisation, enrolled, password
):
    admin = admin_of(organisation)
    client.force_login(admin)
    url = reverse("admin:accounts_user_changelist")
    response = client.post(url, {"action": "reset_two_factor", "_selected_action": [assistant.pk]}, follow=True)
    assert "Two-factor authentication reset for Anna Assistant" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=assistant).exists()
    assert not StaticToken.objects.filter(device__user=assistant).exists()
    assistant.require_mfa = True
    assistant.save()
    client.post(reverse("accounts:logout"))
    setup = log_in(client, assistant, password)["Location"]
    assert setup.startswith(reverse("accounts:mfa-setup"))
    # Asked of this user alone: the page does not say the whole organisation asks it.
    html = client.get(setup).content.decode()
    assert "Your organisation's admin asks you to log in with a code" in html
    assert "asks everyone" not in html


def test_the_admin_of_another_organisation_cannot_reset(client, assistant, enrolled):
    from tests.factories import OrganisationFactory

    stranger = admin_of(OrganisationFactory())
    client.force_login(stranger)
    url = reverse("admin:accounts_user_changelist")
    client.post(url, {"action": "reset_two_factor", "_selected_action": [assistant.pk]})
    assert mfa.has_mfa(assistant)


def test_a_pending_login_may_still_log_out_and_clients_links_stay_open(client, assistant, password, enrolled):
    log_in(client, assistant, password)
    assert client.get(reverse("waitingroom:join", args=["no-such-token"])).status_code == 404
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(DASHBOARD)["Location"].startswith(LOGIN)


def test_next_is_kept_through_the_second_step_and_must_stay_on_the_site(client, assistant, password, enrolled):
    device, _codes = enrolled
    target = reverse("scheduling:appointment-create")
    response = client.post(
        f"{LOGIN}?next={target}", {"username": assistant.email, "password": password, "next": target}
    )
    assert response["Location"] == f"{reverse('accounts:mfa-verify')}?{urlencode({'next': target})}"
    response = client.post(reverse("accounts:mfa-verify"), {"code": app_code(device), "next": "https://evil.example/"})
    assert response["Location"] == DASHBOARD


def test_the_admin_has_no_login_of_its_own_that_would_skip_the_code(client, organisation, password):
    admin = admin_of(organisation)
    enrolment = mfa.start_enrolment(user=admin)
    mfa.confirm_enrolment(user=admin, token=app_code(enrolment.device))
    response = client.post(reverse("admin:login"), {"username": admin.email, "password": password})
    assert response["Location"].startswith(LOGIN)
    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith(LOGIN)
    response = client.post(LOGIN, {"username": admin.email, "password": password, "next": "/admin/"})
    assert response["Location"].startswith(reverse("accounts:mfa-verify"))
    assert client.get("/admin/")["Location"].startswith(reverse("accounts:mfa-verify"))


def test_between_password_and_code_the_menu_of_pages_is_not_shown(client, assistant, password, enrolled):
    log_in(client, assistant, password)
    page = client.get(reverse("accounts:mfa-verify")).content.decode()
    assert 'class="mainnav"' not in page and 'class="usermenu"' not in page

import re

from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory


def test_login_with_email_and_password_lands_on_dashboard(client, assistant, password):
    response = client.post(
        reverse("accounts:login"), {"username": assistant.email.upper(), "password": password}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("scheduling:dashboard")
    assert response.context["user"] == assistant


def test_wrong_password_is_refused_with_a_clear_message(client, assistant):
    response = client.post(reverse("accounts:login"), {"username": assistant.email, "password": "wrong"})
    assert response.status_code == 200
    assert "The email address or password is not correct." in response.content.decode()
    assert response.context["form"]["username"].value() == assistant.email


def test_logout_needs_post_and_ends_session(assistant_client):
    response = assistant_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert assistant_client.get(reverse("scheduling:dashboard")).status_code == 302


def test_password_change(assistant_client, assistant, password):
    response = assistant_client.post(
        reverse("accounts:password-change"),
        {"old_password": password, "new_password1": "a-new-long-secret", "new_password2": "a-new-long-secret"},
    )
    assert response.status_code == 302
    assistant.refresh_from_db()
    assert assistant.check_password("a-new-long-secret")


def test_forgotten_password_by_email(client, db):
    user = UserFactory(email="sara@example.com")
    client.post(reverse("accounts:password-reset"), {"email": "sara@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "brand-new-secret-1", "new_password2": "brand-new-secret-1"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-secret-1")


def test_forgotten_password_for_unknown_address_sends_nothing_and_reveals_nothing(client, db):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_language_switch_changes_page_language(assistant_client):
    assistant_client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    assert "Overzicht" in assistant_client.get(reverse("scheduling:dashboard")).content.decode()
    assistant_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Overview" in assistant_client.get(reverse("scheduling:dashboard")).content.decode()


def test_after_login_the_pages_speak_the_users_language(client, assistant, password):
    assistant.language = "en"
    assistant.save()
    response = client.post(
        reverse("accounts:login"),
        {"username": assistant.email, "password": password},
        headers={"accept-language": "nl"},
        follow=True,
    )
    assert "Overview" in response.content.decode()
    assistant.language = "nl"
    assistant.save()
    client.post(reverse("accounts:logout"))
    response = client.post(reverse("accounts:login"), {"username": assistant.email, "password": password}, follow=True)
    assert "Overzicht" in response.content.decode()

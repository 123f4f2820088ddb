"""The video services are named in the admin's language: the agent's video account and the service accounts."""

from django.urls import reverse
from django.utils import translation


def test_the_video_service_choices_read_dutch_in_the_dutch_admin(org_admin, agent, settings):
    org_admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    with translation.override("en"):
        user_page = org_admin.get(reverse("admin:accounts_user_change", args=[agent.pk])).content.decode()
        add_account = org_admin.get(reverse("admin:videoproviders_serviceaccount_add")).content.decode()
    assert "Ingebouwde videoruimte (in de browser, nergens voor aanmelden)" in user_page
    assert "Built-in video room" not in user_page
    assert "Whereby (een ruimte per consult, via de API)" in add_account
    assert "a room per consult, via the API" not in add_account

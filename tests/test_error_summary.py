"""After a failed submit: a summary at the top that links to each field with a mistake, and each field's
errors under the id its input is described by (WCAG 3.3.1, 1.3.1)."""

import re

from django.urls import reverse
from django.utils import translation

URL = reverse("scheduling:appointment-create")


def summary_links(page: str) -> list[tuple[str, str]]:
    summary = page[page.index("data-error-summary") : page.index("</ul>", page.index("data-error-summary"))]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def described_by(page: str, element_id: str) -> list[str]:
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{element_id}"[^>]*>', page).group(0)
    return re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()


def test_the_summary_links_every_mistake_to_its_field_and_each_error_has_its_id(assistant_client, form_data):
    data = form_data(
        participants=[{"name": "Jan Peters", "email": "jan@example.org"}, {"name": "Els", "email": "not-an-email"}],
        subject="",
        agent="",
    )
    page = assistant_client.post(URL, data).content.decode()
    assert summary_links(page) == [
        ("id_agent", "Agent: This field is required."),
        ("id_subject", "Subject: This field is required."),
        ("id_participants-1-email", "Participant 2, Email address: Enter a valid email address."),
    ]
    # Each link's target exists, is described by its error, and the error carries that id.
    for target, _text in summary_links(page):
        assert f'id="{target}"' in page
        assert f"{target}_error" in described_by(page, target)
        assert re.search(rf'<div class="field__errors" id="{target}_error">', page)
    assert 'aria-invalid="true"' in re.search(r'<select name="agent"[^>]*>', page).group(0)


def test_no_summary_before_a_submit_nor_after_a_good_one(assistant_client, form_data):
    assert "data-error-summary" not in assistant_client.get(URL).content.decode()
    assert assistant_client.post(URL, form_data()).status_code == 302


def test_a_form_wide_mistake_is_listed_without_a_link(client, assistant, password):
    page = client.post(reverse("accounts:login"), {"username": assistant.email, "password": "wrong"}).content.decode()
    summary = page[page.index("data-error-summary") : page.index("</ul>", page.index("data-error-summary"))]
    assert "<li>" in summary and "<a " not in summary


def test_the_summary_is_in_dutch_for_a_dutch_user(assistant_client, form_data, settings):
    assistant_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    with translation.override("en"):
        page = assistant_client.post(URL, form_data(subject="")).content.decode()
    assert "Verbeter het volgende" in page
    assert "Onderwerp: Dit veld is verplicht." in page

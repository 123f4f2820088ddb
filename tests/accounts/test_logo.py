"""The organisation's logo: served by the app from the default storage, under a URL named by its content, with
headers that let browsers keep it for a year; pages and emails follow a new logo to its new URL."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse

from scheduling.models import Participant
from tests.factories import give_logo, image


def body(response) -> bytes:
    content = b"".join(response.streaming_content)
    response.close()
    return content


def test_a_logo_is_served_with_a_year_of_caching_its_type_nosniff_and_an_etag(client, organisation):
    url = give_logo(organisation, image("red"))

    response = client.get(url)

    assert response.status_code == 200
    assert body(response) == image("red")
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"].strip('"') in url
    assert "Set-Cookie" not in response
    # The same answer for everyone: a shared cache keeps one copy, not one per cookie or language.
    assert "Vary" not in response


def test_asking_again_with_the_etag_gets_304_with_the_same_cache_headers(client, organisation):
    url = give_logo(organisation, image("red"))
    first = client.get(url)
    first.close()
    etag = first["ETag"]

    response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_signed_in_user_fetching_the_logo_gets_no_session_cookie_with_it(assistant_client, organisation):
    """A publicly cacheable answer with someone's session cookie would hand that session to the next visitor
    of a shared cache."""
    url = give_logo(organisation, image("red"))
    response = assistant_client.get(url)
    response.close()
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "Vary" not in response


def test_a_changed_logo_gets_a_new_url_and_the_old_one_keeps_serving_its_own_bytes(client, organisation):
    """Browsers keep the old URL for a year; mails sent earlier still point at it."""
    old = give_logo(organisation, image("red"))
    new = give_logo(organisation, image("blue"))

    assert new != old
    assert body(client.get(new)) == image("blue")
    assert body(client.get(old)) == image("red")


def test_the_same_file_uploaded_under_another_name_keeps_a_url_of_its_content(organisation):
    first = give_logo(organisation, image("red"), name="Logo Praktijk.PNG")
    assert first.endswith(".png") and "Praktijk" not in first


def test_the_join_page_and_the_app_pages_show_the_logo_at_its_current_url(client, assistant_client, organisation, book):
    appointment = book()
    join = reverse("waitingroom:join", kwargs={"token": Participant.objects.get(appointment=appointment).token})
    old = give_logo(organisation, image("red"))
    assert old in client.get(join).content.decode()
    assert old in assistant_client.get(reverse("scheduling:dashboard")).content.decode()

    new = give_logo(organisation, image("blue"))

    for page in (client.get(join), assistant_client.get(reverse("scheduling:dashboard"))):
        html = page.content.decode()
        assert new in html and old not in html


@pytest.mark.parametrize(
    "name",
    ["0123456789abcdef0123456789abcdef.png", "0123456789abcdef0123456789abcdef.svg", "png", ".png", "secret_key"],
)
def test_anything_but_a_stored_logo_is_not_found(client, db, name):
    assert client.get(reverse("logo", kwargs={"name": name})).status_code == 404


def test_a_logo_in_a_format_that_is_not_served_is_refused_on_upload(organisation):
    organisation.logo = ContentFile(image("red", format="BMP"), name="logo.bmp")
    with pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert "logo" in refused.value.message_dict

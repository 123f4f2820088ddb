"""The brand colour keeps its text readable: the contrast computation, the admin's refusal and preview, and
the colours the pages are given."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.colours import NEAR_BLACK, WHITE, brand_colours, contrast_ratio, light_backgrounds, relative_luminance
from tests.factories import admin_of


@pytest.fixture
def org_admin_client(client, organisation):
    client.force_login(admin_of(organisation))
    return client


def test_contrast_follows_wcag_relative_luminance():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)  # order does not matter
    # Figures from the issue: white on gold, the consult page's green badges before the fix.
    assert contrast_ratio("#ffffff", "#ffd700") == pytest.approx(1.4, abs=0.01)
    assert contrast_ratio("#12805c", "#e5f6ee") == pytest.approx(4.39, abs=0.01)


@pytest.mark.parametrize(
    ("brand", "text"),
    [("#1f6f78", WHITE), ("#000000", WHITE), ("#ffd700", NEAR_BLACK), ("#FFFFFF", NEAR_BLACK), ("#ff0000", NEAR_BLACK)],
)
def test_button_text_is_white_or_near_black_whichever_keeps_4_5_to_1(brand, text):
    colours = brand_colours(brand)
    assert colours.on_brand == text
    assert colours.readable and colours.button_contrast >= 4.5


@pytest.mark.parametrize("brand", ["#1f6f78", "#ffd700", "#ffffff", "#ff0000", "#00ff00", "#3366ff", "#000000"])
def test_the_brand_as_text_reads_on_every_light_background(brand):
    colours = brand_colours(brand)
    assert all(contrast_ratio(colours.text, background) >= 4.5 for background in light_backgrounds(brand))


def test_a_dark_enough_brand_is_used_as_text_unchanged_and_a_light_one_is_darkened():
    assert brand_colours("#1f6f78").text == "#1f6f78"
    gold = brand_colours("#ffd700")
    assert gold.text != "#ffd700" and relative_luminance(gold.text) < relative_luminance("#ffd700")


def test_a_mid_grey_reads_with_neither_text_colour():
    colours = brand_colours("#777777")
    assert not colours.readable
    assert colours.white_contrast < 4.5 and colours.dark_contrast < 4.5


def change(org_admin_client, organisation, colour):
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    data = {
        "name": organisation.name,
        "time_zone": organisation.time_zone,
        "default_language": organisation.default_language,
        "primary_colour": colour,
        "retention_days": organisation.retention_days,
        "clients_may_change": "on",
        "client_change_cutoff_hours": 24,
    }
    return org_admin_client.post(url, data)


def test_the_admin_refuses_a_colour_no_text_can_be_read_on_and_keeps_the_old_one(org_admin_client, organisation):
    response = change(org_admin_client, organisation, "#777777")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Text cannot be read on this colour: white text reaches 4.48:1 and dark text 4.22:1" in page
    assert "No text can be read on this colour" in page  # the preview shows the refused colour
    organisation.refresh_from_db()
    assert organisation.primary_colour == "#1f6f78"


def test_the_admin_takes_a_light_colour_with_dark_text_and_previews_it(org_admin_client, organisation):
    assert change(org_admin_client, organisation, "#ffd700").status_code == 302
    organisation.refresh_from_db()
    assert organisation.primary_colour == "#ffd700"
    page = org_admin_client.get(reverse("admin:accounts_organisation_change", args=[organisation.pk])).content.decode()
    assert f"background: #ffd700; color: {NEAR_BLACK};" in page
    assert "Button text contrast 13.5:1." in page
    assert "Links and outlines use a darker shade" in page


def test_pages_get_the_text_colours_with_the_brand(client, organisation, assistant, book):
    organisation.primary_colour = "#ffd700"
    organisation.save()
    participant = book().participants.get()
    colours = brand_colours("#ffd700")
    expected = f"--brand: #ffd700; --on-brand: {NEAR_BLACK}; --brand-text: {colours.text};"
    assert expected in client.get(f"/join/{participant.token}/").content.decode()
    client.force_login(assistant)
    assert expected in client.get(reverse("scheduling:dashboard")).content.decode()


@pytest.mark.parametrize("brand", ["#ffd700", "#1f6f78"])
def test_the_invitation_email_keeps_its_text_readable_on_and_beside_the_brand(organisation, book, brand):
    # The client reads the email before any page: a light brand had white on gold (1.4:1) on its join button.
    organisation.primary_colour = brand
    organisation.save()
    book()
    (message,) = [m for m in mail.outbox if m.to == ["chris@example.org"]]  # the client's (factories)
    html = next(content for content, kind in message.alternatives if kind == "text/html")
    (button_text,) = re.findall(rf"background:{brand};color:(#[0-9a-fA-F]{{6}});", html)
    assert contrast_ratio(button_text, brand) >= 4.5
    # The sender's name above and the links in the text, on the email's white and light grey.
    styles = [style for style in re.findall(r'<(?:p|a)\b[^>]*style="([^"]*)"', html) if "background" not in style]
    text_colours = {colour for style in styles for colour in re.findall(r"(?<![-\w])color:(#[0-9a-fA-F]{6})", style)}
    text_colours -= {"#1d2733"}  # the body text
    assert text_colours, html
    assert brand_colours(brand).text in text_colours
    for colour in text_colours:
        for background in ("#ffffff", "#f3f5f7"):
            assert contrast_ratio(colour, background) >= 4.5, (colour, background)

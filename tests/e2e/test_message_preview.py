"""The booking form says under each participant which message they receive, and follows the language
select and the message as the assistant types."""

from scheduling.message_preview import receives
from tests.e2e.conftest import check_accessibility, log_in, watch_policy

NOTE = "#id_participants-{}-language >> xpath=ancestor::fieldset[1]//*[@data-receives]"


def test_the_note_under_each_participant_follows_language_and_message(page, assistant, organisation, password):
    organisation.default_message_nl = "Fijn dat u kunt komen."
    organisation.default_message_en = "We look forward to seeing you."
    organisation.save()
    refused = watch_policy(page)
    log_in(page, assistant.email, password)
    page.click("text=+ New consult")
    check_accessibility(page)
    first = page.locator(NOTE.format(0))
    assert first.inner_text() == "Receives the organisation's Dutch default message: “Fijn dat u kunt komen.”"

    page.select_option("#id_participants-0-language", "en")
    assert first.inner_text() == "Receives the organisation's English default message: “We look forward to seeing you.”"

    # A row added with the button gets its note at once, for its own language.
    page.click("[data-add-participant]")
    second = page.locator(NOTE.format(1))
    assert second.inner_text().startswith("Receives the organisation's Dutch default message:")

    page.fill("#id_message", "Please bring your referral letter.")
    assert first.inner_text() == second.inner_text() == "Receives your message as you typed it."

    # Back to the default, as pre-filled (trailing spaces do not count): each their own language again.
    page.fill("#id_message", "Fijn dat u kunt komen.  ")
    assert first.inner_text().startswith("Receives the organisation's English default message:")
    assert refused == []


def test_the_script_quotes_a_long_default_as_the_server_does(page, assistant, organisation, password):
    organisation.default_message_nl = (
        "Fijn dat u kunt komen. Zoek een rustige plek en houd uw verzekeringspas bij de hand; u hoeft niets te "
        "installeren."
    )
    organisation.save()
    log_in(page, assistant.email, password)
    page.click("text=+ New consult")
    check_accessibility(page)
    note = page.locator(NOTE.format(0))
    expected = receives(organisation=organisation, message=organisation.default_message_nl, language="nl")
    assert expected.endswith("de hand; u…”")  # cut after a whole word
    page.select_option("#id_participants-0-language", "en")
    page.select_option("#id_participants-0-language", "nl")  # written again by the script
    assert note.inner_text() == expected

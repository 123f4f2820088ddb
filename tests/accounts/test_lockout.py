"""Guessing passwords: ten wrong ones lock the account, and the address, with a clear page; an admin
unlocks; a right password before the limit starts the count again, for that account from that address only."""

from django.urls import reverse

from tests.factories import UserFactory, admin_of

LOGIN = reverse("accounts:login")


def attempt(client, email, password, address="192.0.2.10"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def test_ten_wrong_passwords_lock_the_account_with_a_clear_message(client, assistant, password):
    for _ in range(9):
        assert attempt(client, assistant.email, "wrong").status_code == 200
    response = attempt(client, assistant.email, "wrong")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # Locked: even the right password, from another address, and in other letter case.
    response = attempt(client, assistant.email.upper(), password, address="198.51.100.7")
    assert response.status_code == 429
    assert "Try again in 30 minutes" in response.content.decode()


def test_one_address_guessing_many_accounts_is_locked_too(client, db):
    users = [UserFactory() for _ in range(10)]
    for user in users:
        attempt(client, user.email, "wrong")
    other = UserFactory()
    other.set_password("a-good-password-1")
    other.save()
    assert attempt(client, other.email, "a-good-password-1").status_code == 429
    # The same account from elsewhere is not affected.
    assert attempt(client, other.email, "a-good-password-1", address="203.0.113.5").status_code == 302


def test_a_right_password_before_the_limit_starts_the_count_again(client, assistant, password):
    for _ in range(9):
        attempt(client, assistant.email, "wrong")
    assert attempt(client, assistant.email, password).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(9):
        attempt(client, assistant.email, "wrong")
    assert attempt(client, assistant.email, password).status_code == 302


def test_a_login_to_ones_own_account_does_not_clear_the_guesses_at_another(client, assistant, agent, password):
    """The bypass found by the hardening round: 8 guesses at the victim, 1 correct login to one's own account
    from the same address, again and again. The victim's account is locked after the tenth guess, and so is
    the address."""
    address = "192.0.2.66"
    results = []
    for _round in range(3):
        for _ in range(8):
            results.append(attempt(client, agent.email, "guess", address=address).status_code)
        own = attempt(client, assistant.email, password, address=address)
        client.post(reverse("accounts:logout"))
        results.append(own.status_code)
    guesses = [code for i, code in enumerate(results) if i % 9 != 8]
    assert guesses[:9] == [200] * 9
    assert set(guesses[9:]) == {429}
    # The account is locked wherever the right password comes from.
    assert attempt(client, agent.email, password, address="203.0.113.9").status_code == 429
    # The address is locked for every account.
    assert attempt(client, assistant.email, password, address=address).status_code == 429


def test_a_login_from_one_address_keeps_the_accounts_failures_from_another(client, assistant, password):
    for _ in range(5):
        attempt(client, assistant.email, "guess", address="198.51.100.20")
    assert attempt(client, assistant.email, password, address="192.0.2.30").status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        assert attempt(client, assistant.email, "guess", address="198.51.100.21").status_code == 200
    assert attempt(client, assistant.email, "guess", address="198.51.100.21").status_code == 429


def test_an_admin_unlocks_the_account(client, assistant, password, organisation):
    for _ in range(10):
        attempt(client, assistant.email, "wrong", address="192.0.2.1")
    assert attempt(client, assistant.email, password, address="192.0.2.2").status_code == 429
    admin = client.__class__()
    admin.force_login(admin_of(organisation))
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_login", "_selected_action": [assistant.pk]},
        follow=True,
    )
    assert "Anna Assistant can log in again." in response.content.decode()
    assert attempt(client, assistant.email, password, address="192.0.2.2").status_code == 302


def test_lockout_page_is_dutch_for_dutch_browsers(client, assistant):
    for _ in range(10):
        response = client.post(
            LOGIN, {"username": assistant.email, "password": "x"}, REMOTE_ADDR="192.0.2.9", HTTP_ACCEPT_LANGUAGE="nl"
        )
    assert response.status_code == 429
    assert "Te veel mislukte" in response.content.decode()

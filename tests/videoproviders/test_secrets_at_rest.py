"""Video service secrets are stored encrypted with ENCRYPTION_KEYS (not SECRET_KEY): a rotatable key set,
a migration for rows stored before, and an admin that never shows them."""

import importlib
import stat
from io import StringIO
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from config import encryption
from config.encryption import DecryptionError, decrypt, encrypt
from videoproviders.models import ServiceAccount

API_KEY = "wb-live-key-0123456789-abcdef"
WEBHOOK_SECRET = "whsec-0123456789-abcdef"
MIGRATION = ("videoproviders", "0002_encrypt_secrets")


def _key() -> str:
    return Fernet.generate_key().decode()


def _stored(account: ServiceAccount) -> dict[str, str]:
    """The columns as the database holds them, past the field that decrypts them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, webhook_secret FROM videoproviders_serviceaccount WHERE id = %s", [account.pk])
        secret, webhook_secret = cursor.fetchone()
    return {"secret": secret, "webhook_secret": webhook_secret}


def _store_plain(account: ServiceAccount) -> None:
    """A row as it was before encryption."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE videoproviders_serviceaccount SET secret = %s, webhook_secret = %s WHERE id = %s",
            [API_KEY, WEBHOOK_SECRET, account.pk],
        )


@pytest.fixture
def key(settings) -> str:
    settings.ENCRYPTION_KEYS = [_key()]
    return settings.ENCRYPTION_KEYS[0]


@pytest.fixture
def account(organisation) -> ServiceAccount:
    return ServiceAccount.objects.create(
        organisation=organisation, provider="whereby", secret=API_KEY, webhook_secret=WEBHOOK_SECRET
    )


def test_secrets_are_stored_encrypted_with_the_first_key_and_read_back_plain(key, account):
    stored = _stored(account)
    assert API_KEY not in stored["secret"] and WEBHOOK_SECRET not in stored["webhook_secret"]
    assert Fernet(key).decrypt(stored["secret"].encode()).decode() == API_KEY
    assert Fernet(key).decrypt(stored["webhook_secret"].encode()).decode() == WEBHOOK_SECRET
    fresh = ServiceAccount.objects.get(pk=account.pk)
    assert (fresh.secret, fresh.webhook_secret) == (API_KEY, WEBHOOK_SECRET)


def test_an_empty_secret_stays_empty(key, organisation):
    account = ServiceAccount.objects.create(organisation=organisation, provider="jitsi")
    assert _stored(account) == {"secret": "", "webhook_secret": ""}
    assert ServiceAccount.objects.filter(pk=account.pk, secret="").exists()


def test_a_new_secret_key_leaves_stored_secrets_readable(key, account, settings):
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert ServiceAccount.objects.get(pk=account.pk).secret == API_KEY


def test_without_encryption_keys_a_key_is_made_once_in_var_dir_for_its_owner_only(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ENCRYPTION_KEYS = []
    token = encrypt(API_KEY)
    path = tmp_path / "encryption_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Fernet(path.read_text()).decrypt(token.encode()).decode() == API_KEY

    made = path.read_text()
    encryption.reset()  # as a process starting anew: the same key, read from the file
    assert decrypt(token) == API_KEY
    assert path.read_text() == made


def test_an_invalid_key_is_named_by_its_place_in_encryption_keys_never_shown(settings):
    settings.ENCRYPTION_KEYS = [_key(), "not-a-real-key"]
    with pytest.raises(ImproperlyConfigured) as caught:
        encrypt(API_KEY)
    assert "ENCRYPTION_KEYS: key 2 is not a Fernet key" in str(caught.value)
    assert "not-a-real-key" not in str(caught.value)


def test_a_secret_no_key_can_decrypt_gives_an_error_naming_encryption_keys(key, account, settings):
    settings.ENCRYPTION_KEYS = [_key()]
    with pytest.raises(DecryptionError, match="ENCRYPTION_KEYS") as caught:
        ServiceAccount.objects.get(pk=account.pk)
    assert API_KEY not in str(caught.value)


def _rotate() -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    return out.getvalue()


def test_rotation_moves_every_secret_to_the_first_key_so_the_old_one_can_be_dropped(settings, organisation):
    old, new = _key(), _key()
    settings.ENCRYPTION_KEYS = [old]
    account = ServiceAccount.objects.create(
        organisation=organisation, provider="whereby", secret=API_KEY, webhook_secret=WEBHOOK_SECRET
    )
    ServiceAccount.objects.create(organisation=organisation, provider="jitsi", account_id="app", secret="jitsi-secret")
    before = _stored(account)

    settings.ENCRYPTION_KEYS = [new, old]
    assert "Re-encrypted 3 value(s)" in _rotate()
    after = _stored(account)
    assert after["secret"] != before["secret"]
    assert Fernet(new).decrypt(after["secret"].encode()).decode() == API_KEY
    # Run again, nothing is left under the old key: the sign that it may go.
    assert "Re-encrypted 0 value(s)" in _rotate()

    settings.ENCRYPTION_KEYS = [new]
    fresh = ServiceAccount.objects.get(pk=account.pk)
    assert (fresh.secret, fresh.webhook_secret) == (API_KEY, WEBHOOK_SECRET)
    assert ServiceAccount.objects.get(provider="jitsi").secret == "jitsi-secret"


def test_rotation_writes_nothing_when_a_secret_cannot_be_decrypted(settings, organisation):
    lost, old, new = _key(), _key(), _key()
    settings.ENCRYPTION_KEYS = [lost]
    unreadable = ServiceAccount.objects.create(organisation=organisation, provider="jitsi", secret="jitsi-secret")
    settings.ENCRYPTION_KEYS = [old]
    readable = ServiceAccount.objects.create(organisation=organisation, provider="whereby", secret=API_KEY)
    before = [_stored(unreadable), _stored(readable)]

    settings.ENCRYPTION_KEYS = [new, old]
    with pytest.raises(DecryptionError, match="ENCRYPTION_KEYS"):
        _rotate()
    assert [_stored(unreadable), _stored(readable)] == before


def _run_migration_function(name: str) -> None:
    """Call one of the migration's RunPython functions with the models as they are at that migration."""
    module = importlib.import_module(f"{MIGRATION[0]}.migrations.{MIGRATION[1]}")
    historical = MigrationLoader(connection).project_state(MIGRATION).apps
    # The functions use only the editor's connection; a real schema editor cannot open inside the test's
    # transaction on SQLite.
    getattr(module, name)(historical, SimpleNamespace(connection=connection))


def test_the_migration_encrypts_secrets_stored_in_plain_text_and_decrypts_them_going_back(key, account):
    _store_plain(account)

    _run_migration_function("encrypt_plain_secrets")
    encrypted = _stored(account)
    assert API_KEY not in encrypted["secret"] and WEBHOOK_SECRET not in encrypted["webhook_secret"]
    fresh = ServiceAccount.objects.get(pk=account.pk)
    assert (fresh.secret, fresh.webhook_secret) == (API_KEY, WEBHOOK_SECRET)
    # A second run leaves encrypted values as they are instead of encrypting them twice.
    _run_migration_function("encrypt_plain_secrets")
    assert _stored(account) == encrypted

    _run_migration_function("decrypt_secrets")
    assert _stored(account) == {"secret": API_KEY, "webhook_secret": WEBHOOK_SECRET}


def test_the_admin_shows_neither_the_secret_nor_its_encrypted_form(org_admin, organisation):
    response = org_admin.post(
        reverse("admin:videoproviders_serviceaccount_add"),
        {"provider": "whereby", "server_url": "", "account_id": "", "secret": API_KEY, "webhook_secret": ""},
    )
    assert response.status_code == 302
    account = ServiceAccount.objects.get(organisation=organisation)
    stored = _stored(account)["secret"]
    assert stored != API_KEY

    pages = [
        org_admin.get(reverse("admin:videoproviders_serviceaccount_change", args=[account.pk])).content.decode(),
        org_admin.get(reverse("admin:videoproviders_serviceaccount_changelist")).content.decode(),
    ]
    for page in pages:
        assert API_KEY not in page and stored not in page
        assert "••••cdef" in page


def test_checking_the_keys_reads_every_secret_and_fails_naming_how_many_no_key_decrypts(settings, organisation):
    old = _key()
    settings.ENCRYPTION_KEYS = [old]
    ServiceAccount.objects.create(
        organisation=organisation, provider="whereby", secret=API_KEY, webhook_secret=WEBHOOK_SECRET
    )
    out = StringIO()
    call_command("check_encryption_keys", stdout=out)
    assert out.getvalue().strip() == "All 2 stored secret(s) decrypt with ENCRYPTION_KEYS."

    settings.ENCRYPTION_KEYS = [_key()]
    with pytest.raises(CommandError, match=r"2 of 2 stored secret\(s\) cannot be decrypted with ENCRYPTION_KEYS"):
        call_command("check_encryption_keys", stdout=StringIO())
    settings.ENCRYPTION_KEYS = [_key(), old]
    call_command("check_encryption_keys", stdout=StringIO())

"""Secrets at rest (video service API keys, webhook and app secrets), encrypted with Fernet.

Fernet is cryptography's authenticated encryption (AES-128-CBC with HMAC-SHA256). Under MultiFernet the
first key of ENCRYPTION_KEYS encrypts and every key decrypts, so a rotation is: put a new key first,
run `manage.py rotate_encryption_keys`, then drop the old key. The keys are not SECRET_KEY: that one signs
sessions and links and is changed for its own reasons, which must never make stored secrets unreadable.

Without ENCRYPTION_KEYS (a local run, the tests) a key is generated once into VAR_DIR/encryption_key.
"""

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

GENERATE_COMMAND = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class DecryptionError(ImproperlyConfigured):
    """A stored value that no configured key decrypts: the key it was written with is missing."""


def fernets_from(keys: list[str], *, source: str = "ENCRYPTION_KEYS") -> list[Fernet]:
    """Fernet instances for the keys, or ImproperlyConfigured naming the setting and position, never the key."""
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (TypeError, ValueError):
            raise ImproperlyConfigured(
                f"{source}: key {number} is not a Fernet key (32 url-safe base64-encoded bytes). "
                f"Generate one with: {GENERATE_COMMAND}"
            ) from None
    return fernets


def local_key_path() -> Path:
    return Path(settings.VAR_DIR) / "encryption_key"


def _local_key(path: Path) -> str:
    """A key kept in VAR_DIR, as settings' _local_secret_key keeps SECRET_KEY. Written under a temporary name
    (mkstemp makes it 0600) and linked into place, so a web process and a worker starting together cannot
    each write a key of their own and leave the other's secrets unreadable."""
    if not path.exists():
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".encryption_key.")
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(Fernet.generate_key().decode())
            # Another process was first: its key is the one.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


class _Keys:
    """The configured keys, built once per process and again when the settings change (tests)."""

    def __init__(self) -> None:
        self._built: tuple[Fernet, MultiFernet] | None = None

    def get(self) -> tuple[Fernet, MultiFernet]:
        if self._built is None:
            if settings.ENCRYPTION_KEYS:
                fernets = fernets_from(settings.ENCRYPTION_KEYS)
            else:
                path = local_key_path()
                fernets = fernets_from([_local_key(path)], source=str(path))
            self._built = (fernets[0], MultiFernet(fernets))
        return self._built

    def reset(self) -> None:
        self._built = None


_keys = _Keys()
reset = _keys.reset

_UNREADABLE = (
    "A stored secret cannot be decrypted with any key in ENCRYPTION_KEYS (or, when that is not set, "
    "VAR_DIR/encryption_key): the key it was encrypted with is missing, or the value was never encrypted."
)


def encrypt(value: str) -> str:
    return _keys.get()[1].encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _keys.get()[1].decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(_UNREADABLE) from None


def rotate(token: str) -> str | None:
    """The token encrypted with the first key, or None when it already is."""
    first, all_keys = _keys.get()
    try:
        first.decrypt(token.encode())
        return None
    except InvalidToken:
        pass
    try:
        return all_keys.rotate(token.encode()).decode("ascii")
    except InvalidToken:
        raise DecryptionError(_UNREADABLE) from None


class EncryptedTextField(models.TextField):
    """Text stored encrypted; reading gives the plain text back, an empty value stays empty.

    Each write encrypts with a fresh IV, so the column cannot be searched or compared: filter on empty or
    not only. max_length, as for any TextField, only limits the form field.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def from_db_value(self, value: str | None, expression: object, connection: BaseDatabaseWrapper) -> str | None:
        return decrypt(value) if value else value


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted column of every installed model, each once."""
    for model in apps.get_models():
        # A proxy shares its table with its concrete model, which is visited on its own.
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def rewrite_column(
    model: type[models.Model], field_name: str, change: Callable[[str], str | None], *, using: str = DEFAULT_DB_ALIAS
) -> int:
    """Rewrite the stored (encrypted or plain) values of one column with raw SQL, since the ORM would
    encrypt or decrypt them through the field. `change` gives the new stored value, or None to keep it.

    A row is written only if it still holds what was read: a secret saved meanwhile is never replaced with an
    older one. Returns how many rows were rewritten.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    field = model._meta.get_field(field_name)
    # Relations seen from the other side and generic keys have no column of their own.
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{model._meta.label}.{field_name} has no column to rewrite")
    column = quote(field.column)
    rewritten = 0
    # The names are quoted identifiers from the model, the values parameters: nothing here comes from a user.
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        for key, stored in cursor.fetchall():
            new = change(stored)
            if new is None or new == stored:
                continue
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                [new, key, stored],
            )
            rewritten += cursor.rowcount
    return rewritten

"""Check that ENCRYPTION_KEYS decrypts every stored secret: the last step of a restore drill, and a check
after changing the keys. It reads and writes nothing else; exit status 1 when any value cannot be decrypted.

It covers every EncryptedTextField of every installed model, as rotate_encryption_keys does.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from config.encryption import DecryptionError, decrypt, encrypted_fields, rewrite_column


class Command(BaseCommand):
    help = "Check that ENCRYPTION_KEYS decrypts every stored secret (writes nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to check.")

    def handle(self, *args, **options) -> None:
        readable: list[str] = []
        unreadable: list[str] = []

        def check(stored: str) -> None:
            try:
                decrypt(stored)
                readable.append(stored)
            except DecryptionError:
                unreadable.append(stored)
            # None: rewrite_column keeps the value; this only reads.

        for model, field in encrypted_fields():
            rewrite_column(model, field.name, check, using=options["database"])
        total = len(readable) + len(unreadable)
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} of {total} stored secret(s) cannot be decrypted with ENCRYPTION_KEYS: set the "
                "key(s) they were encrypted with (the first key encrypts, every key decrypts)."
            )
        self.stdout.write(f"All {total} stored secret(s) decrypt with ENCRYPTION_KEYS.")

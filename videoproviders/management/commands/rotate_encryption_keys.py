"""Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS, so older keys can be dropped.

Rotation: put the new key first (ENCRYPTION_KEYS=new,old) on every process, restart, run this command, then
remove the old key. Running it again rewrites nothing and says so: the sign that the old key may go.

It covers every EncryptedTextField of every installed model. It lives in this app because a command needs
one and this app owns the only encrypted fields so far; nothing in it is specific to video.
"""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, transaction

from config.encryption import encrypted_fields, rewrite_column, rotate


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value with the first key of ENCRYPTION_KEYS."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to rewrite.")

    def handle(self, *args, **options) -> None:
        using = options["database"]
        rewritten = 0
        # All or nothing: a value no key can decrypt stops the command before anything is written.
        with transaction.atomic(using=using):
            for model, field in encrypted_fields():
                rewritten += rewrite_column(model, field.name, rotate, using=using)
        self.stdout.write(f"Re-encrypted {rewritten} value(s) with the first key of ENCRYPTION_KEYS.")

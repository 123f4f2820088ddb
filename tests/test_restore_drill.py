"""The restore drill of the README ("Keep data safe"), performed: the database dumped with pg_dump -Fc and
restored into a new database with pg_restore, the uploaded files copied back, and the app started on the
copy with the same ENCRYPTION_KEYS reads the video service's secret and the logo; with other keys the check
fails. PostgreSQL only (CI's second pass); skipped, saying so, on SQLite."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from tests.factories import give_logo, image
from tests.processes import database_url
from videoproviders.models import ServiceAccount

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "wb-live-key-restore-drill-0123456789"


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def postgres() -> dict[str, str]:
    if connection.vendor != "postgresql":
        pytest.skip("the restore drill runs on PostgreSQL (DATABASE_URL=postgres://...)")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump and pg_restore are not installed (apt-get install postgresql-client)")
    db = connection.settings_dict
    return {
        **os.environ,
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"],
        "PGPASSWORD": db["PASSWORD"] or "",
    }


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_new_database_reads_its_secrets_and_logo_with_the_same_keys(
    postgres, organisation, settings, tmp_path
):
    key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [key]
    ServiceAccount.objects.create(organisation=organisation, provider="whereby", secret=API_KEY)
    give_logo(organisation, image("red"))

    # Back up: the database, the uploaded files (the keys are kept apart, in the operator's password safe).
    dump = tmp_path / "videoconsult.dump"
    backup = run("pg_dump", "-Fc", "--no-owner", "-d", connection.settings_dict["NAME"], "-f", str(dump), env=postgres)
    assert backup.returncode == 0, backup.stderr
    shutil.copytree(settings.MEDIA_ROOT / "logos", tmp_path / "media-backup" / "logos")

    restored = f"restore_drill_{uuid.uuid4().hex[:8]}"
    assert run("createdb", restored, env=postgres).returncode == 0
    try:
        restore = run("pg_restore", "--no-owner", "-d", restored, str(dump), env=postgres)
        assert restore.returncode == 0, restore.stderr
        shutil.copytree(tmp_path / "media-backup", tmp_path / "media")
        node = {
            **postgres,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": f"{database_url().rsplit('/', 1)[0]}/{restored}",
            "ENCRYPTION_KEYS": key,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "VAR_DIR": str(tmp_path / "var"),
        }
        node.pop("REDIS_URL", None)

        checked = run(sys.executable, "manage.py", "check_encryption_keys", env=node)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.strip() == "All 1 stored secret(s) decrypt with ENCRYPTION_KEYS."
        code = (
            "from videoproviders.models import ServiceAccount; from accounts.models import Organisation;"
            f"o = Organisation.objects.get(pk={organisation.pk}); print(ServiceAccount.objects.get().secret);"
            "print(o.logo.storage.open(o.logo.name).read() == " + repr(image("red")) + ")"
        )
        read = run(sys.executable, "manage.py", "shell", "--no-imports", "-c", code, env=node)
        assert read.stdout.split() == [API_KEY, "True"], read.stderr

        # Keys other than the ones the secrets were written with: the check says so, and exits 1.
        wrong = run(
            sys.executable,
            "manage.py",
            "check_encryption_keys",
            env={**node, "ENCRYPTION_KEYS": Fernet.generate_key().decode()},
        )
        assert wrong.returncode == 1
        assert "1 of 1 stored secret(s) cannot be decrypted with ENCRYPTION_KEYS" in wrong.stderr
    finally:
        connection.close()
        run("dropdb", "--if-exists", restored, env=postgres)

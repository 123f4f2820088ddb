"""Settings come from the environment: the defaults run here, production variables pass the deploy check."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    leaks = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in leaks}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production(tmp_path) -> dict[str, str]:
    return {
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 60 + "production-secret-key-with-enough-entropy",
        "ALLOWED_HOSTS": "consult.example.nl",
        "SITE_URL": "https://consult.example.nl",
        "DATABASE_URL": "postgres://app:secret@db.example.nl:5432/videoconsult",
        "REDIS_URL": "redis://cache.example.nl:6379/0",
        "DEBUG": "false",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "EMAIL_URL": "smtp+tls://consult:secret@smtp.example.nl:587",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "twilio-auth-token",
        "TWILIO_FROM_NUMBER": "+3197010000000",
    }


def test_production_variables_pass_check_deploy(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_secrets_would_be_encrypted_with_a_key_of_this_machine_only(tmp_path):
    env = _production(tmp_path)
    del env["ENCRYPTION_KEYS"]
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "videoproviders.W001" in result.stderr and "ENCRYPTION_KEYS is not set" in result.stderr


def test_check_deploy_warns_when_email_and_sms_would_only_be_printed(tmp_path):
    env = _production(tmp_path)
    for name in ("EMAIL_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"):
        del env[name]
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "notifications.W001" in result.stderr and "Email is only printed" in result.stderr
    assert "notifications.W002" in result.stderr and "SMS are only printed" in result.stderr
    # A local run's plain `check` stays quiet: printing is what it is for.
    assert _manage("check", env={"VAR_DIR": str(tmp_path)}).returncode == 0


def test_an_invalid_encryption_key_stops_the_start_naming_the_variable_but_not_the_key(tmp_path):
    result = _manage("check", env={"VAR_DIR": str(tmp_path), "ENCRYPTION_KEYS": "not-a-real-key"})
    assert result.returncode != 0
    assert "ENCRYPTION_KEYS: key 1 is not a Fernet key" in result.stderr
    assert "not-a-real-key" not in result.stdout + result.stderr


def test_defaults_use_sqlite_filesystem_broker_and_console_email(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND, s.DEBUG, "
        "s.SESSION_COOKIE_SECURE, s.SMS_BACKEND['BACKEND'])"
    )
    result = _manage("shell", "--no-imports", "-c", code, env={"VAR_DIR": str(tmp_path)})
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://localhost//",
        "notifications.console.ConsoleEmailBackend",
        "False",
        "False",
        "notifications.sms.console.ConsoleBackend",
    ], result.stderr
    assert (tmp_path / "broker" / "queue").is_dir()


def test_celery_app_discovers_tasks_and_uses_redis_when_set(tmp_path):
    code = "from config.celery import app; print(app.conf.broker_url)"
    result = _manage(
        "shell", "--no-imports", "-c", code, env={"VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/3"}
    )
    assert result.stdout.strip() == "redis://127.0.0.1:6379/3", result.stderr


def test_a_node_of_a_real_site_refuses_to_start_without_secret_key(tmp_path):
    # A made-up key per node would log everyone out whenever a request reached another node.
    env = _production(tmp_path)
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "secret_key").exists()
    # A local run (make run: 127.0.0.1) keeps one in VAR_DIR, the same after a restart.
    local = {"VAR_DIR": str(tmp_path)}
    assert _manage("check", env=local).returncode == 0
    assert (tmp_path / "secret_key").read_text().strip()


def test_media_storage_is_chosen_by_the_environment_and_a_wrong_choice_stops_the_start(tmp_path):
    env = {**_production(tmp_path), "MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "praktijk-logos"}
    env["AWS_S3_ENDPOINT_URL"] = "https://s3.example.nl"
    assert _manage("check", "--deploy", "--fail-level", "WARNING", env=env).returncode == 0
    code = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name)"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.split() == ["S3Storage", "praktijk-logos"], result.stderr

    del env["AWS_STORAGE_BUCKET_NAME"]
    assert "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in _manage("check", env=env).stderr
    env["MEDIA_STORAGE"] = "ftp"
    assert "MEDIA_STORAGE must be one of filesystem, s3, not 'ftp'" in _manage("check", env=env).stderr


def test_an_email_service_passes_check_deploy_with_its_own_variables_and_a_webhook_secret(tmp_path):
    env = _production(tmp_path)
    del env["EMAIL_URL"]
    env |= {
        "EMAIL_SERVICE": "mailgun",
        "MAILGUN_API_KEY": "key-1",
        "MAILGUN_SENDER_DOMAIN": "mg.example.nl",
        "MAILGUN_WEBHOOK_SIGNING_KEY": "signing-key",
        "EMAIL_WEBHOOK_SECRET": "reports:secret",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND, sorted(s.ANYMAIL))"
    # The last line: Django's shell may first say what it imported.
    shown = _manage("shell", "-c", code, env=env).stdout.strip().splitlines()[-1].split(maxsplit=1)
    assert shown[0] == "anymail.backends.mailgun.EmailBackend"
    assert "'MAILGUN_API_KEY', 'MAILGUN_SENDER_DOMAIN', 'MAILGUN_WEBHOOK_SIGNING_KEY', 'WEBHOOK_SECRET'" in shown[1]


def test_an_email_service_without_a_webhook_secret_or_one_we_do_not_know_stops_the_start(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "EMAIL_SERVICE": "postmark", "POSTMARK_SERVER_TOKEN": "token"}
    result = _manage("check", env=env)
    assert result.returncode != 0 and "EMAIL_SERVICE needs EMAIL_WEBHOOK_SECRET" in result.stderr
    result = _manage("check", env={**env, "EMAIL_SERVICE": "pigeon", "EMAIL_WEBHOOK_SECRET": "a:b"})
    assert result.returncode != 0 and "EMAIL_SERVICE must be one of postmark, mailgun" in result.stderr

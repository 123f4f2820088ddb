"""Making, revoking and recognising API keys (audited). A key is `vc_<prefix>_<secret>`: the prefix tells
keys apart in lists and logs, the 32 random bytes of the secret make it unguessable, and the database keeps
only the SHA-256 of the whole key (a slow hash adds nothing against a random 256-bit secret)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import Action
from audit.services import Actor, record

from .models import ApiKey, KeyScope

# last_used_at is written at most this often per key, so reads do not each cost a write.
LAST_USED_PRECISION = timedelta(minutes=1)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    api_key: ApiKey
    # The full key, shown once to the admin who made it; nowhere stored.
    key: str


def create_key(*, name: str, user: User, scope: str, created_by: Actor) -> NewKey:
    """A new key of the user's organisation that acts as `user`."""
    if user.organisation_id is None or not user.is_active:
        raise ValidationError({"user": _("Choose an active user of an organisation.")})
    if scope not in KeyScope.values:
        raise ValidationError({"scope": _("Choose read or read and write.")})
    prefix = secrets.token_hex(4)
    key = f"vc_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            organisation_id=user.organisation_id,
            name=name.strip(),
            user=user,
            scope=scope,
            prefix=prefix,
            secret_hash=key_hash(key),
            created_by=created_by if isinstance(created_by, User) else None,
        )
        _record(action=Action.API_KEY_CREATED, actor=created_by, api_key=api_key)
    return NewKey(api_key=api_key, key=key)


def revoke_key(*, api_key: ApiKey, revoked_by: Actor) -> bool:
    """The key stops working at once; False when it already had."""
    with transaction.atomic():
        revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if revoked:
            api_key.refresh_from_db()
            _record(action=Action.API_KEY_REVOKED, actor=revoked_by, api_key=api_key)
    return bool(revoked)


def _record(*, action: str, actor: Actor, api_key: ApiKey) -> None:
    user = api_key.user
    record(
        action=action,
        actor=actor,
        summary=f"{api_key} · {api_key.scope} · {user.full_name} <{user.email}>",
        organisation_id=api_key.organisation_id,
        obj=api_key,
    )


def channel_of(api_key: ApiKey) -> str:
    """How the audit log names what was done with this key."""
    return f"API key {api_key}"


def key_for(*, key: str) -> ApiKey | None:
    """The working key, with its user and organisation; None for an unknown or revoked key, and for a key
    whose user was deactivated or left its organisation."""
    if not key.startswith("vc_") or len(key) > 100:
        return None
    api_key = (
        ApiKey.objects.active()
        .select_related("user", "organisation")
        .filter(secret_hash=key_hash(key), user__is_active=True, user__organisation_id=F("organisation_id"))
        .first()
    )
    if api_key is not None:
        _note_use(api_key)
    return api_key


def _note_use(api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now

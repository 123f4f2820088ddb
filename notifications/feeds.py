"""Calendar subscriptions: the secret URL per user, made, replaced and revoked here (audited), and found
again from the URL's token.

The token is shown once, when it is made; the database keeps its hash only. Making a new one replaces the
row, so the old URL answers 404 from then on."""

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from accounts.models import Membership, Organisation, User
from audit.models import Action
from audit.services import Actor, record

from .models import CalendarFeed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    """https://SITE/calendar/<token>.ics: what calendars that take an address (Google, Outlook.com) need."""
    return settings.SITE_URL + reverse("notifications:calendar-feed", kwargs={"token": token})


def webcal_url(token: str) -> str:
    """The same address as webcal://, which opens the subscription dialog of a desktop calendar."""
    return "webcal://" + feed_url(token).split("://", 1)[1]


def create_feed(*, user: User, actor: Actor) -> str:
    """A new subscription URL for the user, replacing (and so revoking) any earlier one; returns its token."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        replaced = CalendarFeed.objects.filter(user=user).delete()[0] > 0
        feed = CalendarFeed.objects.create(user=user, token_hash=token_hash(token))
        if replaced:
            _record(action=Action.FEED_REVOKED, actor=actor, feed=feed)
        _record(action=Action.FEED_CREATED, actor=actor, feed=feed)
    return token


def revoke_feed(*, user: User, actor: Actor) -> bool:
    """Stops the user's subscription URL working; False when there was none."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            return False
        _record(action=Action.FEED_REVOKED, actor=actor, feed=feed)
        feed.delete()
    return True


def _record(*, action: str, actor: Actor, feed: CalendarFeed) -> None:
    user = feed.user
    record(
        action=action,
        actor=actor,
        summary=f"{user.full_name} <{user.email}>",
        organisation_id=user.organisation_id,
        obj=user,
    )


@dataclass(frozen=True)
class FeedOwner:
    user: User
    organisation: Organisation


def feed_owner(*, token: str) -> FeedOwner | None:
    """The user whose feed the token opens, in one query; None for an unknown or revoked token and for a
    user who may no longer read it (deactivated, or no longer in an organisation or any of its teams)."""
    feed = (
        CalendarFeed.objects.select_related("user__organisation")
        .annotate(member=Exists(Membership.objects.filter(user=OuterRef("user_id"))))
        .filter(token_hash=token_hash(token), user__is_active=True, user__organisation__isnull=False, member=True)
        .first()
    )
    if feed is None or feed.user.organisation is None:
        return None
    return FeedOwner(user=feed.user, organisation=feed.user.organisation)


def has_feed(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()

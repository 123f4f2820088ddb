"""Organisation API keys: a named key that acts as one user of the organisation, read-only or read and
write. Only a hash of the key is stored; the key itself is shown once, when it is made."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class KeyScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> "ApiKeyQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the key is for, e.g. the practice system."))
    # The API applies this user's permissions: what they may see and book on the pages, the key may too.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("acts as"),
        help_text=_("The key may see and do what this user may see and do."),
    )
    scope = models.CharField(_("scope"), max_length=8, choices=KeyScope.choices, default=KeyScope.READ)
    # The key's visible start (vc_<prefix>_...), to tell keys apart in lists and logs; not a secret.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} (vc_{self.prefix}_…)"

    @property
    def can_write(self) -> bool:
        return self.scope == KeyScope.WRITE and self.revoked_at is None

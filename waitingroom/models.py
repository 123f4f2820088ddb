from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Presence(models.Model):
    """A participant's visits to their join page: from these come wait times and no-shows.

    The participant is waiting while their page sends heartbeats: `last_seen_at` is recent and they
    have not left since they last arrived.
    """

    participant = models.OneToOneField(
        "scheduling.Participant", on_delete=models.CASCADE, related_name="presence", verbose_name=_("participant")
    )
    first_opened_at = models.DateTimeField(_("link first opened"))
    arrived_at = models.DateTimeField(_("arrived in the waiting room"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    admitted_at = models.DateTimeField(_("admitted"), null=True, blank=True)
    # The agent took them out of a built-in video call; their page may no longer join it.
    removed_at = models.DateTimeField(_("removed from the call"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    # The page (its own random id) that said goodbye: a check-in that page sent just before, arriving after
    # the goodbye, must not make the client waiting again.
    left_page = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presences")

    def __str__(self) -> str:
        return f"{self.participant} {self.arrived_at or self.first_opened_at:%H:%M}"


class WaitingMessage(models.Model):
    """A short text from the agent (or an assistant) to the clients waiting for a consult."""

    MAX_LENGTH = 280

    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.CASCADE,
        related_name="waiting_messages",
        verbose_name=_("appointment"),
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sender")
    )
    text = models.CharField(_("message"), max_length=MAX_LENGTH)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message to the waiting room")
        verbose_name_plural = _("messages to the waiting room")
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class CallAttendance(models.Model):
    """One page's time in a built-in video call, from joining to leaving: who was in the call when (wait
    times, no-shows, how long a consult lasted). A reload is a new page and a new row; nothing of the call
    itself (media, signalling) is stored."""

    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.CASCADE,
        related_name="call_attendance",
        verbose_name=_("appointment"),
    )
    # None: the consult's agent.
    participant = models.ForeignKey(
        "scheduling.Participant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="call_attendance",
        verbose_name=_("participant"),
    )
    # The page's own random id: tells a reloaded page from the one it replaces.
    session = models.CharField(max_length=40)
    joined_at = models.DateTimeField(_("joined"))
    last_seen_at = models.DateTimeField(_("last seen"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)

    class Meta:
        verbose_name = _("call attendance")
        verbose_name_plural = _("call attendance")
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "session"], name="call_attendance_one_row_per_page")
        ]
        indexes = [models.Index(fields=["appointment", "left_at"], name="call_attendance_open")]

    def __str__(self) -> str:
        return f"{self.participant or _('agent')} {self.joined_at:%H:%M}"

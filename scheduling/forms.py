"""The booking form ("Afspraak"): parses what the assistant typed; the rules live in services."""

import hashlib
from datetime import date, datetime, time

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, Organisation, Team, User

from .models import Appointment, Channel
from .phones import display_phone, normalise_mobile
from .recurrence import MAX_OCCURRENCES, MIN_OCCURRENCES, Frequency, Pattern
from .rules import ParticipantInput

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H.%M"]


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name


class AppointmentForm(forms.Form):
    date = forms.DateField(
        label=_("Date"),
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start_time = forms.TimeField(
        label=_("Start time"),
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_time = forms.TimeField(
        label=_("End time"),
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), empty_label=_("Choose a team"))
    agent = AgentChoiceField(label=_("Agent"), queryset=User.objects.none(), empty_label=_("Choose an agent"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("Message"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Opens the invitation. Left as pre-filled, each participant receives the organisation's default "
            "message in their own language; a message you type goes to everyone as typed."
        ),
    )
    # Shown only once the agent turns out to be busy at that time.
    confirm_conflicts = forms.BooleanField(label=_("Book anyway, despite the overlap"), required=False)
    # The sequence the editor saw (rendered by the template); a save based on an older one is refused.
    sequence = forms.IntegerField(required=False)
    # For a session of a series: which of its sessions the change applies to (choices set by the view).
    scope = forms.ChoiceField(label=_("Apply the change to"), required=False, widget=forms.RadioSelect)

    def __init__(
        self,
        *args,
        organisation: Organisation,
        teams: list[Team],
        agents_by_team: dict[int, list[User]],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        team_ids = [team.pk for team in teams]
        agent_ids = {agent.pk for agents in agents_by_team.values() for agent in agents}
        self.fields["team"].queryset = Team.objects.filter(pk__in=team_ids)
        # The options from the teams already read (the queryset still validates what is posted): rendering
        # the select would otherwise read them again.
        self.fields["team"].choices = [("", self.fields["team"].empty_label), *((t.pk, t.name) for t in teams)]
        self.fields["agent"].queryset = User.objects.filter(pk__in=agent_ids)
        # Rendered from memory: the template groups agents per team without another query.
        self.team_agents = [(team, agents_by_team.get(team.pk, [])) for team in teams]

    def clean(self) -> dict:
        data = super().clean()
        day, start_time, end_time = data.get("date"), data.get("start_time"), data.get("end_time")
        if day and start_time and end_time:
            data["start"] = self._aware(day, start_time)
            data["end"] = self._aware(day, end_time)
        return data

    def _aware(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment).replace(tzinfo=self.organisation.tzinfo)

    @classmethod
    def initial_for(cls, appointment: Appointment) -> dict:
        # Shown in the active (organisation's) time zone, like every other time on the page.
        start, end = timezone.localtime(appointment.start), timezone.localtime(appointment.end)
        return {
            "date": start.date(),
            "start_time": start.time(),
            "end_time": end.time(),
            "team": appointment.team_id,
            "agent": appointment.agent_id,
            "subject": appointment.subject,
            "message": _shown_message(appointment),
            "sequence": appointment.sequence,
        }


def _shown_message(appointment: Appointment) -> str:
    """The message as the form shows it: a default left as it was is the organisation's default as it is
    now, so that saving the form unchanged keeps it the default in each participant's language."""
    if appointment.uses_default_message:
        organisation = appointment.organisation
        return organisation.default_message_for(organisation.default_language) or appointment.message
    return appointment.message


WEEKDAY_CHOICES = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]


class Ends(models.TextChoices):
    COUNT = "count", _("After a number of sessions")
    UNTIL = "until", _("On a date")


class DateListField(forms.Field):
    """Dates ticked in a list (ISO, one value each), such as the sessions of a series to leave out."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: object) -> list[date]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return [date.fromisoformat(str(item)) for item in values]
        except ValueError:
            raise ValidationError(_("Choose dates from the list."), code="invalid_date") from None


class RecurrenceForm(forms.Form):
    """The "Recurring appointment" part of the booking form; ignored unless `repeat` is ticked."""

    repeat = forms.BooleanField(label=_("Recurring appointment"), required=False)
    frequency = forms.ChoiceField(label=_("Repeats"), choices=Frequency.choices, initial=Frequency.WEEKLY)
    interval = forms.IntegerField(
        label=_("Every"),
        min_value=1,
        max_value=99,
        initial=1,
        help_text=_("1 is every day, week, month or year; 2 every other one."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a weekly series; none ticked means the weekday of the first consult."),
    )
    ends = forms.ChoiceField(label=_("Ends"), choices=Ends.choices, initial=Ends.COUNT, widget=forms.RadioSelect)
    count = forms.IntegerField(
        label=_("Number of sessions"),
        min_value=MIN_OCCURRENCES,
        max_value=MAX_OCCURRENCES,
        initial=10,
        required=False,
        help_text=_(
            "Dates you skip in the list of dates still count, as in calendars: "
            "10 sessions with 2 dates skipped gives 8 consults."
        ),
    )
    until = forms.DateField(
        label=_("Last date"),
        input_formats=DATE_INPUT_FORMATS,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Chosen in the list of dates (templates/scheduling/_series_preview.html), not with the pattern.
    skip_closed = forms.BooleanField(label=_("Skip weekend and holiday dates"), required=False)
    skip = DateListField(label=_("Skip"), required=False)
    # Which dates the assistant was shown; a series is booked only once its current dates have been seen.
    preview_of = forms.CharField(required=False, widget=forms.HiddenInput)

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and not self.cleaned_data.get("repeat"):
            # Nothing of a pattern matters for a single consult: do not hold the booking up on it.
            self._errors = ErrorDict()

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("repeat"):
            return data
        if data.get("ends") == Ends.COUNT and data.get("count") is None and "count" not in self.errors:
            self.add_error("count", _("How many sessions? Give a number from 2 to 200."))
        if data.get("ends") == Ends.UNTIL and data.get("until") is None and "until" not in self.errors:
            self.add_error("until", _("Give the date of the last session."))
        return data

    @property
    def repeats(self) -> bool:
        return bool(self.is_bound and self.is_valid() and self.cleaned_data.get("repeat"))

    def pattern(self) -> Pattern:
        data = self.cleaned_data
        by_count = data["ends"] == Ends.COUNT
        return Pattern(
            frequency=data["frequency"],
            interval=data["interval"],
            weekdays=tuple(sorted(data["weekdays"])) if data["frequency"] == Frequency.WEEKLY else (),
            count=data["count"] if by_count else None,
            until=None if by_count else data["until"],
            skip=tuple(sorted(set(data["skip"]))),
        )

    @staticmethod
    def fingerprint(*, pattern: Pattern, start: datetime, end: datetime, agent_id: int) -> str:
        """Names the dates a preview showed: the same pattern, times and agent give the same value."""
        text = f"{pattern!r}|{start.isoformat()}|{end.isoformat()}|{agent_id}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class ParticipantForm(forms.Form):
    participant_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=200)
    channel = forms.ChoiceField(label=_("Send by"), choices=Channel.choices, initial=Channel.EMAIL)
    email = forms.EmailField(label=_("Email address"), required=False)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "placeholder": "06 12345678"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    def __init__(self, *args, default_language: str = Language.DUTCH, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = default_language

    def clean(self) -> dict:
        data = super().clean()
        channel = data.get("channel")
        if channel == Channel.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("An invitation by email needs an email address."))
        if channel == Channel.SMS:
            raw = data.get("phone", "")
            if not raw:
                self.add_error("phone", _("An invitation by SMS needs a mobile number."))
            else:
                try:
                    data["phone"] = normalise_mobile(raw)
                except ValidationError as error:
                    self.add_error("phone", error)
        return data

    def to_input(self) -> ParticipantInput:
        data = self.cleaned_data
        return ParticipantInput(
            name=data["name"],
            channel=data["channel"],
            language=data["language"],
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            participant_id=data.get("participant_id"),
        )


class BaseParticipantFormSet(forms.BaseFormSet):
    # How the error summary names a row ("Participant 2"), as the rows are headed on the page.
    row_label = _("Participant")
    default_error_messages = {
        "too_many_forms": _("A consult has at most %(num)d participants."),
        "too_few_forms": _("Add at least one participant."),
    }

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.rows():
            raise ValidationError(_("Add at least one participant."), code="no_participants")

    def rows(self) -> list[ParticipantForm]:
        # Blank extra rows validate to an empty dict; rows with data (typed or pre-filled) count.
        return [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]

    def to_inputs(self) -> list[ParticipantInput]:
        return [form.to_input() for form in self.rows()]


ParticipantFormSet = forms.formset_factory(
    ParticipantForm,
    formset=BaseParticipantFormSet,
    extra=0,
    min_num=1,
    max_num=settings.APPOINTMENT_MAX_PARTICIPANTS,
    validate_max=True,
    can_delete=True,
)


def participant_initial(appointment: Appointment) -> list[dict]:
    return [
        {
            "participant_id": p.pk,
            "name": p.name,
            "channel": p.channel,
            "email": p.email,
            "phone": display_phone(p.phone),
            "language": p.language,
        }
        for p in appointment.active_participants
    ]

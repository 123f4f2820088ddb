"""Booking, editing and cancelling consults. The views parse forms and call the services; nothing more."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.selectors import agents_by_team, bookable_teams
from notifications.selectors import messages_for_appointment
from videoproviders.selectors import agent_video_problem, live_room, room_events

from .. import changes, message_preview, rules, series, services
from ..forms import AppointmentForm, ParticipantFormSet, RecurrenceForm, participant_initial
from ..models import Appointment
from ..recurrence import Pattern, pattern_errors, resolve_skips
from ..selectors import (
    Conflict,
    can_manage,
    get_manageable_appointment,
    get_visible_appointment,
    open_time_requests,
    series_sessions,
)
from ..values import Scope

# Service errors name the domain field; the form shows them next to its own field.
_FORM_FIELD = {"start": "start_time", "end": "end_time", "team": "team", "agent": "agent"}
# Errors about the repeat pattern; "recurrence" is about the series as a whole (a missing reminder rule).
_RECURRENCE_FIELD = {"frequency": "frequency", "interval": "interval", "weekdays": "weekdays", "count": "count"}
_RECURRENCE_FIELD |= {"until": "until", "recurrence": None}


class BookingForms:
    """The appointment form and its participant rows, built for one user and bound to one request."""

    def __init__(self, request: HttpRequest, appointment: Appointment | None = None) -> None:
        user: User = request.user
        self.user = user
        self.organisation = user.organisation
        self.appointment = appointment
        teams = list(bookable_teams(user=user))
        if not teams:
            raise PermissionDenied(_("You are not an assistant of any team, so you cannot book consults."))
        agents = agents_by_team(teams=teams)
        data = request.POST if request.method == "POST" else None
        initial = self._initial(teams)
        self.form = AppointmentForm(
            data, initial=initial, organisation=self.organisation, teams=teams, agents_by_team=agents
        )
        self.scopes = scope_choices(appointment) if appointment is not None and appointment.series_id else []
        self.form.fields["scope"].choices = self.scopes
        self.form.fields["scope"].initial = Scope.THIS
        form_kwargs = {"default_language": self.organisation.default_language}
        self.participants = ParticipantFormSet(
            data,
            prefix="participants",
            initial=participant_initial(appointment) if appointment else None,
            form_kwargs=form_kwargs,
        )
        # Only a new booking can repeat; an occurrence is changed on its own or with the rest of its series.
        self.recurrence = RecurrenceForm(data, prefix="repeat") if appointment is None else None
        self.conflicts: list[Conflict] = []
        self.adding_row = False
        if data is not None and "add_participant" in data:
            self._add_row(data, form_kwargs)

    def _initial(self, teams: list) -> dict:
        if self.appointment is not None:
            return AppointmentForm.initial_for(self.appointment)
        organisation = self.organisation
        initial = {
            "message": organisation.default_message_for(organisation.default_language),
            "date": timezone.localdate(),
        }
        if len(teams) == 1:
            initial["team"] = teams[0].pk
        return initial

    def _add_row(self, data, form_kwargs: dict) -> None:
        # Without JavaScript, "Add participant" posts the form back with one more row.
        data = data.copy()
        key = "participants-TOTAL_FORMS"
        data[key] = str(int(data.get(key, 1)) + 1)
        self.participants = ParticipantFormSet(data, prefix="participants", form_kwargs=form_kwargs)
        self.adding_row = True

    def is_valid(self) -> bool:
        form_ok = self.form.is_valid()
        participants_ok = self.participants.is_valid()
        recurrence_ok = self.recurrence is None or self.recurrence.is_valid()
        if form_ok and not participants_ok:
            # The service would not be reached; check time, team and agent now so that every mistake
            # shows in one round instead of one after the other.
            data = self.form.cleaned_data
            errors = rules.schedule_errors(
                user=self.user,
                team=data["team"],
                agent=data["agent"],
                start=data["start"],
                end=data["end"],
                appointment=self.appointment,
            )
            if errors:
                self.apply_error(ValidationError(errors))
        return form_ok and participants_ok and recurrence_ok and not self.adding_row

    def apply_error(self, error: ValidationError) -> None:
        if isinstance(error, rules.ConflictError):
            self.conflicts = error.conflicts
            self.form.add_error("confirm_conflicts", error.messages[0])
            return
        if not hasattr(error, "error_dict"):
            self.form.add_error(None, error)
            return
        for field, field_errors in error.error_dict.items():
            if self.recurrence is not None and field in _RECURRENCE_FIELD:
                self.recurrence.add_error(_RECURRENCE_FIELD[field], field_errors)
            elif field == "participants":
                self.participants._non_form_errors.extend(e.message for e in field_errors)
            else:
                self.form.add_error(_FORM_FIELD.get(field), field_errors)

    def service_kwargs(self) -> dict:
        data = self.form.cleaned_data
        return {
            "team": data["team"],
            "agent": data["agent"],
            "start": data["start"],
            "end": data["end"],
            "subject": data["subject"],
            "message": data["message"],
            "participants": self.participants.to_inputs(),
            "allow_conflicts": data.get("confirm_conflicts", False),
        }

    def context(self, **extra) -> dict:
        # The sequence travels with the form so that a save based on an outdated view is caught.
        sequence = self.form.data.get("sequence") if self.form.is_bound else self.form.initial.get("sequence")
        message = self.form["message"].value() or ""
        for row in self.participants.forms:
            row.receives = message_preview.receives(
                organisation=self.organisation, message=message, language=row["language"].value()
            )
        return {
            "message_preview": message_preview.preview_texts(self.organisation),
            "sequence_value": sequence,
            "form": self.form,
            "participants": self.participants,
            "conflicts": self.conflicts,
            "appointment": self.appointment,
            "recurrence": self.recurrence,
            **extra,
        }


def scope_choices(appointment: Appointment) -> list[tuple[str, str]]:
    """This session only, and the wider scopes where they reach other sessions, with how many they reach."""
    choices = [(Scope.THIS, Scope.THIS.label)]
    following = len(series.series_targets(appointment=appointment, scope=Scope.FOLLOWING))
    ahead = len(series.series_targets(appointment=appointment, scope=Scope.ALL))
    if following > 1:
        choices.append(
            (Scope.FOLLOWING, _("This consult and the following ones (%(count)d in all)") % {"count": following})
        )
    if ahead > following:
        choices.append((Scope.ALL, _("All consults of the series still ahead (%(count)d)") % {"count": ahead}))
    return choices


def _pattern(forms: BookingForms) -> Pattern:
    """The pattern with the dates left out that it really gives (ValidationError for a pattern in error)."""
    data = forms.form.cleaned_data
    pattern = forms.recurrence.pattern()
    tz = data["team"].organisation.tzinfo
    if pattern_errors(pattern, first_start=data["start"], tz=tz):
        return pattern  # series_starts names what is wrong
    skip_closed = forms.recurrence.cleaned_data["skip_closed"]
    return resolve_skips(pattern, first_start=data["start"], tz=tz, skip_closed=skip_closed)


def _series_preview(forms: BookingForms) -> series.SeriesPreview:
    """The dates the series would get; ValidationError for what forbids it."""
    data = forms.form.cleaned_data
    return series.preview_series(
        user=forms.user,
        team=data["team"],
        agent=data["agent"],
        start=data["start"],
        end=data["end"],
        pattern=_pattern(forms),
    )


def _fingerprint(forms: BookingForms) -> str:
    # The dates left out are part of the pattern: another choice needs the dates shown again.
    data = forms.form.cleaned_data
    return RecurrenceForm.fingerprint(
        pattern=_pattern(forms), start=data["start"], end=data["end"], agent_id=data["agent"].pk
    )


def _show_dates(request: HttpRequest, forms: BookingForms) -> HttpResponse:
    try:
        preview = _series_preview(forms)
    except ValidationError as error:
        forms.apply_error(error)
        return render(request, "scheduling/appointment_form.html", forms.context())
    context = forms.context(preview=preview, fingerprint=_fingerprint(forms))
    return render(request, "scheduling/appointment_form.html", context)


def _book_series(request: HttpRequest, forms: BookingForms) -> HttpResponse:
    """A series is booked only after its dates were shown: the first save (or "Show dates") shows them."""
    if "preview" in request.POST or forms.recurrence.cleaned_data["preview_of"] != _fingerprint(forms):
        return _show_dates(request, forms)
    try:
        booked = series.book_series(booked_by=request.user, pattern=_pattern(forms), **forms.service_kwargs())
    except ValidationError as error:
        forms.apply_error(error)
        return _show_dates(request, forms)
    occurrences = list(booked.occurrences.order_by("start").values_list("public_id", flat=True))
    messages.success(
        request,
        _("The series of %(count)d consults has been booked; one invitation with all dates is on its way to each.")
        % {"count": len(occurrences)},
    )
    return redirect("scheduling:appointment-detail", public_id=occurrences[0])


@login_required
@require_POST
def series_preview(request: HttpRequest) -> HttpResponse:
    """The booking form's list of dates, refreshed as the assistant changes the pattern (a fragment)."""
    forms = BookingForms(request)
    forms.form.is_valid()
    data = forms.form.cleaned_data
    ready = all(data.get(name) for name in ("start", "end", "team", "agent"))
    preview = fingerprint = None
    if ready and forms.recurrence.is_valid() and forms.recurrence.cleaned_data.get("repeat"):
        try:
            preview, fingerprint = _series_preview(forms), _fingerprint(forms)
        except ValidationError as error:
            forms.apply_error(error)
        except PermissionDenied:
            ready = False
    context = {
        "preview": preview,
        "fingerprint": fingerprint,
        "recurrence": forms.recurrence,
        "ready": ready,
        "confirm_conflicts": forms.form["confirm_conflicts"].value(),
        "skip_closed": forms.recurrence["skip_closed"].value(),
    }
    return render(request, "scheduling/_series_preview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def appointment_create(request: HttpRequest) -> HttpResponse:
    forms = BookingForms(request)
    if request.method == "POST" and forms.is_valid():
        if forms.recurrence.repeats:
            return _book_series(request, forms)
        try:
            appointment = services.book_appointment(booked_by=request.user, **forms.service_kwargs())
        except ValidationError as error:
            forms.apply_error(error)
        else:
            messages.success(request, _("The consult has been booked; the invitations are on their way."))
            return redirect("scheduling:appointment-detail", public_id=appointment.public_id)
    return render(request, "scheduling/appointment_form.html", forms.context())


@login_required
@require_http_methods(["GET", "POST"])
def appointment_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = get_manageable_appointment(user=request.user, public_id=public_id)
    if appointment.is_cancelled:
        messages.error(request, _("This consult has been cancelled and can no longer be changed."))
        return redirect("scheduling:appointment-detail", public_id=appointment.public_id)
    forms = BookingForms(request, appointment=appointment)
    if request.method == "POST" and forms.is_valid():
        scope = forms.form.cleaned_data.get("scope") or Scope.THIS
        try:
            changed = changes.change_consult(
                appointment=appointment,
                changed_by=request.user,
                expected_sequence=forms.form.cleaned_data["sequence"] or 0,
                scope=scope,
                **forms.service_kwargs(),
            )
        except rules.StaleAppointmentError as error:
            # Keep what this person typed, show what the other person saved, and let a second save
            # overwrite it knowingly.
            forms.form.add_error(None, error)
            latest = get_manageable_appointment(user=request.user, public_id=public_id)
            return render(
                request,
                "scheduling/appointment_form.html",
                forms.context(latest=latest, sequence_value=latest.sequence),
            )
        except ValidationError as error:
            forms.apply_error(error)
        else:
            if scope == Scope.THIS:
                messages.success(request, _("The consult has been changed; the agent and participants are told."))
            else:
                messages.success(
                    request,
                    _("%(count)d consults of the series have been changed; everyone gets one message about it.")
                    % {"count": len(changed)},
                )
            return redirect("scheduling:appointment-detail", public_id=appointment.public_id)
    return render(request, "scheduling/appointment_form.html", forms.context())


@login_required
def appointment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = get_visible_appointment(user=request.user, public_id=public_id)
    is_agent = appointment.agent_id == request.user.pk
    return render(
        request,
        "scheduling/appointment_detail.html",
        {
            "appointment": appointment,
            "can_manage": can_manage(user=request.user, appointment=appointment),
            "now": timezone.now(),
            # A room planned beyond this is made later by the sweep (series), not in a few seconds.
            "later": timezone.now() + timedelta(minutes=10),
            "deliveries": messages_for_appointment(appointment=appointment),
            "room": live_room(appointment_id=appointment.pk),
            "room_events": room_events(appointment_id=appointment.pk),
            "video_problem": agent_video_problem(user=request.user) if is_agent else None,
            "sessions": series_sessions(user=request.user, appointment=appointment),
            "time_requests": open_time_requests(appointment=appointment),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def appointment_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = get_manageable_appointment(user=request.user, public_id=public_id)
    scopes = scope_choices(appointment) if appointment.series_id and not appointment.is_cancelled else []
    if request.method == "POST":
        scope = request.POST.get("scope", Scope.THIS)
        if scope not in dict(scopes):
            scope = Scope.THIS
        try:
            cancelled = changes.cancel_consult(appointment=appointment, cancelled_by=request.user, scope=scope)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            if len(cancelled) == 1:
                messages.success(
                    request, _("The consult has been cancelled; its links no longer work and everyone is told.")
                )
            else:
                messages.success(
                    request,
                    _("%(count)d consults of the series have been cancelled; everyone gets one message about it.")
                    % {"count": len(cancelled)},
                )
        return redirect("scheduling:appointment-detail", public_id=appointment.public_id)
    return render(request, "scheduling/appointment_cancel.html", {"appointment": appointment, "scopes": scopes})

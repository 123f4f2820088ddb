"""The team and agent filter shared by the overview, the day agenda and the waiting room."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role, User
from accounts.selectors import visible_teams


class OverviewFilter(forms.Form):
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, required=False, empty_value=None)
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: Mapping[str, Any] | None, *, user: User) -> None:
        super().__init__(data)
        # Someone who only works as an agent sees nobody's consults but their own: team and agent filters
        # would offer choices that change nothing, so the pages leave them out.
        self.shown = user.roles.is_admin or user.roles.is_assistant
        self.teams = list(visible_teams(user=user)) if self.shown else []
        agents = (
            Membership.objects.filter(role=Role.AGENT, team__in=[t.pk for t in self.teams], user__is_active=True)
            .values_list("user_id", "user__full_name")
            .distinct()
            .order_by("user__full_name")
            if self.shown
            else []
        )
        team_field, agent_field = self.fields["team"], self.fields["agent"]
        assert isinstance(team_field, forms.ChoiceField) and isinstance(agent_field, forms.ChoiceField)
        team_field.choices = [("", _("All teams"))] + [(t.pk, t.name) for t in self.teams]
        agent_field.choices = [("", _("All agents")), *list(agents)]

    def value(self, name: str) -> Any:
        # Each unreadable value falls back on its own ("all", or today) rather than to an error page;
        # Django keeps the cleaned values of the fields that did validate.
        self.is_valid()
        return self.cleaned_data.get(name)

    @property
    def query(self) -> str:
        """The valid team and agent choice as a query string, for links that keep the filter."""
        return urlencode({name: self.value(name) for name in ("team", "agent") if self.value(name)})

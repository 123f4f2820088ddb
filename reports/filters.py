"""The statistics page's choices: the period and its date, and the shared team and agent filter."""

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from scheduling.filters import OverviewFilter

from .periods import Kind, Period


class StatisticsFilter(OverviewFilter):
    period = forms.ChoiceField(label=_("Period"), choices=Kind.choices, required=False)

    def __init__(self, data: Mapping[str, Any] | None, *, user: User) -> None:
        # A week unless another period is asked for, in the select too.
        super().__init__(
            {"period": Kind.WEEK, **(data.dict() if isinstance(data, QueryDict) else data or {})}, user=user
        )

    @property
    def chosen_period(self) -> Period:
        day: date = self.value("date") or timezone.localdate()
        return Period.containing(day, self.value("period") or Kind.WEEK)

    def query_for(self, period: Period | None = None, **extra: str) -> str:
        """The query string of this page for another period (or this one), keeping team and agent."""
        period = period or self.chosen_period
        values = {"period": period.kind, "date": period.first_day.isoformat()}
        values |= {name: self.value(name) for name in ("team", "agent") if self.value(name)}
        return urlencode(values | extra)

"""The one day that the day agenda and the day list show: the filter's date, or today."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from ..filters import OverviewFilter


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class ShownDay:
    date: date

    @classmethod
    def of(cls, filters: OverviewFilter) -> "ShownDay":
        return cls(filters.value("date") or timezone.localdate())

    @property
    def start(self) -> datetime:
        return local_midnight(self.date)

    @property
    def end(self) -> datetime:
        return local_midnight(self.date + timedelta(days=1))

    def navigation(self) -> dict[str, Any]:
        """What templates/scheduling/_daynav.html needs, beside the filters."""
        return {
            "day": self.date,
            "is_today": self.date == timezone.localdate(),
            "previous_day": self.date - timedelta(days=1),
            "next_day": self.date + timedelta(days=1),
        }

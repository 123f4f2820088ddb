"""The stretch of time the statistics page shows: one day, one week (Monday to Sunday) or one month."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date
    # The day after the last one: periods are half-open, as the queries read them.
    end_day: date

    @classmethod
    def containing(cls, day: date, kind: str) -> "Period":
        if kind == Kind.MONTH:
            first = day.replace(day=1)
            return cls(kind, first, _first_of_next_month(first))
        if kind == Kind.WEEK:
            first = day - timedelta(days=day.weekday())
            return cls(kind, first, first + timedelta(days=7))
        return cls(Kind.DAY, day, day + timedelta(days=1))

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def previous(self) -> "Period":
        return Period.containing(self.first_day - timedelta(days=1), self.kind)

    @property
    def next(self) -> "Period":
        return Period.containing(self.end_day, self.kind)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """Local midnights, so a day across a daylight-saving change is 23 or 25 hours, as the clock says."""
        return datetime.combine(self.first_day, time.min, tzinfo=tz), datetime.combine(
            self.end_day, time.min, tzinfo=tz
        )

"""Durations summed up as the page shows them (count, median and 90th percentile, in seconds), and measured
by the database."""

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FloatField, Func
from django.db.models.sql.compiler import SQLCompiler


@dataclass
class Durations:
    seconds: list[float] = field(default_factory=list)
    # The values in order, made once for the median and the percentile that the table, the charts and the CSV
    # each ask for (sorting a month's thousands of durations again and again was most of the page's time).
    _ordered: list[float] | None = field(default=None, init=False, repr=False, compare=False)

    def add(self, value: float) -> None:
        self.seconds.append(value)
        self._ordered = None

    def extend(self, other: "Durations") -> None:
        self.seconds.extend(other.seconds)
        self._ordered = None

    @property
    def ordered(self) -> list[float]:
        if self._ordered is None:
            self._ordered = sorted(self.seconds)
        return self._ordered

    @property
    def count(self) -> int:
        return len(self.seconds)

    @property
    def median(self) -> float | None:
        """The middle value; for an even count the mean of the two middle ones."""
        ordered, count = self.ordered, len(self.seconds)
        if not count:
            return None
        middle = count // 2
        return ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    @property
    def p90(self) -> float | None:
        """Nearest rank: the smallest value that at least 90% of the values do not exceed (an observed value,
        never one interpolated between two)."""
        if not self.seconds:
            return None
        return self.ordered[math.ceil(0.9 * len(self.seconds)) - 1]


class SecondsBetween(Func):
    """`later - earlier` in seconds, worked out by the database: reading the two timestamps instead would
    cost a datetime conversion each per row, most of the page's time at 100,000 consults."""

    arity = 2
    arg_joiner = " - "
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    output_field = FloatField()

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        # Julian days to seconds: a double carries them to a few microseconds, more than a minute needs.
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

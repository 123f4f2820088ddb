"""Durations summed up as the page shows them (count, median and 90th percentile, in seconds), and measured
by the database."""

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FloatField, Func
from django.db.models.sql.compiler import SQLCompiler


@dataclass
class Durations:
    seconds: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.seconds.append(value)

    def extend(self, other: "Durations") -> None:
        self.seconds.extend(other.seconds)

    @property
    def count(self) -> int:
        return len(self.seconds)

    @property
    def median(self) -> float | None:
        # The middle value; for an even count the mean of the two middle ones.
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def p90(self) -> float | None:
        """Nearest rank: the smallest value that at least 90% of the values do not exceed (an observed value,
        never one interpolated between two)."""
        if not self.seconds:
            return None
        ordered = sorted(self.seconds)
        return ordered[math.ceil(0.9 * len(ordered)) - 1]


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

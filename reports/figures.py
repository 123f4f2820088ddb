"""Durations summed up as the page shows them: count, median and 90th percentile, in seconds."""

import math
import statistics
from dataclasses import dataclass, field


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

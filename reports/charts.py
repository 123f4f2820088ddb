"""Bar charts drawn on the server as SVG: no script, no library to keep up to date, and the numbers a test
reads are the ones the page shows. Each bar is an SVG of its own inside an HTML row, so that names and
values are text that wraps at any width (a whole chart in one SVG would shrink its text on a phone)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# The SVG's own width: bars are drawn in these units and stretched to the row's width.
WIDTH = 100


@dataclass(frozen=True)
class Series:
    name: str
    # A class of static/css/app.css that gives the colour (each at least 3:1 against white, as WCAG asks of
    # graphics).
    css_class: str


@dataclass(frozen=True)
class Bar:
    label: str
    values: Sequence[float | None]
    # What the row says in words, e.g. "12 held, 2 no-shows".
    text: str
    # A tick on the bar, e.g. the 90th percentile behind a median.
    marker: float | None = None


def bar_svg(values: Sequence[float | None], series: Sequence[Series], scale: float, marker: float | None) -> SafeString:
    """One row's bar: the values stacked from the left, as parts of `scale`."""
    rects, x = [], 0.0
    for value, one in zip(values, series, strict=True):
        width = max(0.0, value or 0.0) / scale * WIDTH if scale else 0.0
        if width > 0:
            rects.append((one.css_class, f"{x:.2f}", f"{width:.2f}"))
            x += width
    parts = format_html_join("", '<rect class="{}" x="{}" y="1" width="{}" height="8"></rect>', rects)
    tick = (
        format_html(
            '<rect class="chart__marker" x="{}" y="0" width="0.8" height="10"></rect>',
            f"{max(0.0, marker) / scale * WIDTH - 0.4:.2f}",
        )
        if marker is not None and scale
        else ""
    )
    return format_html(
        '<svg class="chart__svg" viewBox="0 0 {} 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        '<rect class="chart__track" x="0" y="1" width="{}" height="8"></rect>{}{}</svg>',
        WIDTH,
        WIDTH,
        parts,
        tick,
    )


@dataclass(frozen=True)
class Chart:
    title: str
    series: Sequence[Series]
    bars: Sequence[Bar]
    # A chart whose bars are not comparable parts (a median with its 90th percentile) names the tick here.
    marker_name: str = ""

    @property
    def scale(self) -> float:
        """The longest bar (or tick) fills the row."""
        return max(
            [sum(max(0.0, v or 0.0) for v in bar.values) for bar in self.bars]
            + [max(0.0, bar.marker) for bar in self.bars if bar.marker is not None]
            + [0.0]
        )

    def rows(self) -> list[tuple[Bar, SafeString]]:
        scale = self.scale
        return [(bar, bar_svg(bar.values, self.series, scale, bar.marker)) for bar in self.bars]

    def html(self) -> SafeString:
        """The rows as list items: drawn here rather than in the template, which took most of a month's
        page with 50 agents (five charts of 50 rows)."""
        return format_html_join(
            "",
            '<li class="chart__row"><span class="chart__label">{}</span>{}<span class="chart__value">{}</span></li>',
            ((bar.label, svg, bar.text) for bar, svg in self.rows()),
        )


Format = Callable[[float | None], str]

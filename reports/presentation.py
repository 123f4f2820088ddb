"""The report in the words and charts the page and the CSV file show."""

from collections.abc import Sequence

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .charts import Bar, Chart, Series
from .figures import Durations
from .selectors import Row


def minutes(seconds: float | None) -> str:
    """Seconds as minutes with one decimal in the reader's language ("4,5" in Dutch); empty when unknown."""
    return "" if seconds is None else number_format(seconds / 60, 1)


def label(row: Row, with_team: bool) -> str:
    return f"{row.agent_name} · {row.team_name}" if with_team else row.agent_name


def _duration_chart(title: str, rows: Sequence[Row], name: str, with_team: bool) -> Chart:
    bars = []
    for row in rows:
        durations: Durations = getattr(row, name)
        if durations.count:
            text = _("median %(median)s min, 90th percentile %(p90)s min (%(count)s)") % {
                "median": minutes(durations.median),
                "p90": minutes(durations.p90),
                "count": durations.count,
            }
        else:
            text = _("none")
        bars.append(Bar(label(row, with_team), [durations.median], text, marker=durations.p90))
    return Chart(title, [Series(_("Median"), "chart__bar--main")], bars, marker_name=_("90th percentile"))


def charts(rows: Sequence[Row], with_team: bool) -> list[Chart]:
    series = [
        Series(_("Held"), "chart__bar--main"),
        Series(_("No-shows"), "chart__bar--alert"),
        Series(_("Cancelled late"), "chart__bar--muted"),
    ]
    consults = Chart(
        _("Consults"),
        series,
        [
            Bar(
                label(row, with_team),
                [row.held, row.no_shows, row.cancelled_late],
                _("%(held)s held, %(no_shows)s no-shows, %(late)s cancelled late")
                % {"held": row.held, "no_shows": row.no_shows, "late": row.cancelled_late},
            )
            for row in rows
        ],
    )
    failed = Chart(
        _("Messages failed"),
        [Series(_("Email"), "chart__bar--main"), Series(_("SMS"), "chart__bar--alert")],
        [
            Bar(
                label(row, with_team),
                [row.failed["email"], row.failed["sms"]],
                ngettext("%(email)s email", "%(email)s emails", row.failed["email"]) % {"email": row.failed["email"]}
                + ", "
                + ngettext("%(sms)s SMS", "%(sms)s SMS", row.failed["sms"]) % {"sms": row.failed["sms"]},
            )
            for row in rows
        ],
    )
    return [
        consults,
        _duration_chart(_("Waiting time before being let in"), rows, "waiting", with_team),
        _duration_chart(_("Start against the planned time"), rows, "start_delay", with_team),
        _duration_chart(_("Call duration"), rows, "call_duration", with_team),
        failed,
    ]


def columns() -> list[str]:
    """The table's and the CSV file's column headings after team and agent."""
    return [
        _("Booked"),
        _("Held"),
        _("No-shows"),
        _("Cancelled late"),
        _("Waiting, median (min)"),
        _("Waiting, 90th percentile (min)"),
        _("Start delay, median (min)"),
        _("Start delay, 90th percentile (min)"),
        _("Call duration, median (min)"),
        _("Call duration, 90th percentile (min)"),
        _("Failed emails"),
        _("Failed SMS"),
    ]


def cells(row: Row) -> list[str]:
    """A row's values in the order of columns()."""
    return [
        str(row.booked),
        str(row.held),
        str(row.no_shows),
        str(row.cancelled_late),
        minutes(row.waiting.median),
        minutes(row.waiting.p90),
        minutes(row.start_delay.median),
        minutes(row.start_delay.p90),
        minutes(row.call_duration.median),
        minutes(row.call_duration.p90),
        str(row.failed["email"]),
        str(row.failed["sms"]),
    ]


def table_row(name: str, values: Sequence[str]) -> SafeString:
    """One row of the table, with a dash for a time that cannot be told (no consult to measure)."""
    return format_html(
        '<tr><th scope="row">{}</th>{}</tr>',
        name,
        format_html_join("", "<td>{}</td>", ((value or "\N{EN DASH}",) for value in values)),
    )

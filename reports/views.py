"""The statistics page and its CSV download: the same figures, for what the user may see."""

import csv
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import Action
from audit.services import record

from .filters import StatisticsFilter
from .periods import Kind, Period
from .presentation import cells, charts, columns, label, table_row
from .selectors import LATE_CANCELLATION, Report, consult_report


def _report(request: HttpRequest) -> tuple[User, StatisticsFilter, Period, Report]:
    user = request.user
    assert isinstance(user, User)  # login_required
    if user.organisation_id is None:
        # Platform staff belong to no organisation and so see no one's consults.
        raise PermissionDenied
    filters = StatisticsFilter(request.GET, user=user)
    period = filters.chosen_period
    start, end = period.bounds(timezone.get_current_timezone())
    report = consult_report(
        user=user,
        start=start,
        end=end,
        now=timezone.now(),
        team_id=filters.value("team"),
        agent_id=filters.value("agent"),
    )
    return user, filters, period, report


def _with_team(report: Report) -> bool:
    # Names alone are enough when all rows are of one team.
    return len({row.team_id for row in report.rows}) > 1


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    _user, filters, period, report = _report(request)
    with_team = _with_team(report)
    context = {
        "filters": filters,
        "period": period,
        "previous_query": filters.query_for(period.previous),
        "next_query": filters.query_for(period.next),
        "csv_query": filters.query_for(),
        "charts": charts(report.rows, with_team),
        "columns": columns(),
        "has_rows": bool(report.rows),
        "body": format_html_join("", "{}", ((table_row(label(row, with_team), cells(row)),) for row in report.rows)),
        "footer": table_row(_("All"), cells(report.total)),
        "late_hours": int(LATE_CANCELLATION.total_seconds() // 3600),
        "own_only": not filters.shown,
    }
    return render(request, "reports/statistics.html", context)


@login_required
def statistics_csv(request: HttpRequest) -> HttpResponse:
    user, _filters, period, report = _report(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"statistics-{period.kind}-{period.first_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # A byte order mark makes Excel read UTF-8 (names with accents); semicolons are what Excel expects where a
    # comma is the decimal sign, as in Dutch.
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("From"), _("To"), _("Team"), _("Agent"), *columns()])
    first, last = _date(period.first_day), _date(period.last_day)
    for row in report.rows:
        writer.writerow([first, last, row.team_name, row.agent_name, *cells(row)])
    writer.writerow([first, last, _("All"), _("All"), *cells(report.total)])
    # Agents' names and their figures leave the application: the admin wants to know who took them, and when.
    record(
        action=Action.STATISTICS_EXPORTED,
        actor=user,
        summary=_("Statistics downloaded: %(kind)s from %(first)s (%(rows)s rows)")
        % {"kind": Kind(period.kind).label, "first": first, "rows": len(report.rows)},
        organisation_id=user.organisation_id,
    )
    return response


def _date(day: date) -> str:
    return formats.date_format(day, "Y-m-d")

"""The statistics page: figures against ones worked out by hand, who sees what, the CSV file, query count."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEvent
from reports.figures import Durations
from reports.periods import Period
from reports.selectors import consult_report
from tests.factories import AppointmentFactory, admin_of

from .scene import ANN, MINUTE, build

URL = reverse("reports:statistics")
CSV_URL = reverse("reports:statistics-csv")


@pytest.fixture
def scene(organisation):
    return build(organisation)


def week_of(scene) -> dict:
    return {"period": "week", "date": scene.monday.isoformat()}


def table(response) -> dict[str, list[str]]:
    """The table's rows as the page shows them: name -> cells, with the total under "All"."""
    page = response.content.decode()
    rows = {}
    for name, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', page):
        # A time that cannot be told shows as a dash.
        rows[html.unescape(name)] = [
            html.unescape(c).replace("\N{EN DASH}", "") for c in re.findall(r"<td>(.*?)</td>", cells)
        ]
    return rows


def report_for(user, scene, **filters):
    start, end = Period.containing(scene.monday, "week").bounds(scene.organisation.tzinfo)
    return consult_report(user=user, start=start, end=end, now=timezone.now(), **filters)


def test_figures_of_an_agent_are_the_ones_worked_out_by_hand(scene):
    report = report_for(admin_of(scene.organisation), scene)
    ann = next(row for row in report.rows if row.agent_id == scene.ann.pk)
    for name in ("booked", "held", "no_shows", "cancelled_late"):
        assert getattr(ann, name) == ANN[name], name
    for name in ("waiting", "start_delay", "call_duration"):
        assert sorted(getattr(ann, name).seconds) == sorted(m * MINUTE for m in ANN[name]), name
    assert ann.failed == ANN["failed"]
    assert (ann.waiting.median, ann.waiting.p90) == (4 * MINUTE, 8 * MINUTE)
    assert (ann.start_delay.median, ann.start_delay.p90) == (3 * MINUTE, 10 * MINUTE)


def test_totals_take_medians_over_all_consults_not_over_the_rows(scene):
    total = report_for(admin_of(scene.organisation), scene).total
    assert (total.booked, total.held, total.no_shows, total.cancelled_late) == (9, 5, 1, 1)
    assert (total.waiting.median, total.waiting.p90) == (5 * MINUTE, 10 * MINUTE)
    assert (total.start_delay.median, total.start_delay.p90) == (3 * MINUTE, 30 * MINUTE)
    assert (total.call_duration.median, total.call_duration.p90) == (20 * MINUTE, 30 * MINUTE)


def test_ninetieth_percentile_is_the_nearest_rank():
    durations = Durations([float(n) for n in range(1, 11)])
    assert (durations.median, durations.p90) == (5.5, 9.0)
    assert Durations([float(n) for n in range(1, 12)]).p90 == 10.0
    assert (Durations().median, Durations().p90) == (None, None)


def test_admin_sees_every_agent_with_the_team_and_the_numbers_in_the_table(client, scene):
    client.force_login(admin_of(scene.organisation))
    response = client.get(URL, week_of(scene))
    rows = table(response)
    assert list(rows) == ["Ann Agent · Adults", "Bob Agent · Adults", "Cas Agent · Youth", "All"]
    # Booked, held, no-shows, cancelled late; waiting, start delay and call duration (median, p90); failed.
    assert rows["Ann Agent · Adults"] == ["7", "3", "1", "1", "4.0", "8.0", "3.0", "10.0", "20.0", "30.0", "1", "1"]
    assert rows["Bob Agent · Adults"] == ["1", "1", "0", "0", "", "", "0.0", "0.0", "10.0", "10.0", "0", "0"]
    assert rows["All"] == ["9", "5", "1", "1", "5.0", "10.0", "3.0", "30.0", "20.0", "30.0", "1", "1"]
    content = response.content.decode()
    assert "<td>4.0</td>" in content and "<td>\N{EN DASH}</td>" in content
    assert "3 held, 1 no-shows, 1 cancelled late" in content
    assert "median 4.0 min, 90th percentile 8.0 min (4)" in content


def test_charts_draw_each_bar_in_proportion_to_the_longest(client, scene):
    client.force_login(admin_of(scene.organisation))
    charts = client.get(URL, week_of(scene)).context["charts"]
    consults = {bar.label: bar.values for bar in charts[0].bars}
    assert consults["Ann Agent · Adults"] == [3, 1, 1]
    assert charts[0].scale == 5
    ann_bar = str(charts[0].rows()[0][1])
    # Held 3 of 5 fills 60 of the 100 units, then the no-show and the late cancellation 20 each.
    assert 'x="0.00" y="1" width="60.00"' in ann_bar and 'x="60.00" y="1" width="20.00"' in ann_bar
    assert 'x="80.00" y="1" width="20.00"' in ann_bar
    waiting = charts[1]
    assert waiting.scale == 10 * MINUTE  # Cas's median (and 90th percentile) of 10 minutes is the longest.
    assert 'class="chart__marker" x="79.60"' in str(waiting.rows()[0][1])  # Ann's 90th percentile, 8 of 10


def test_assistant_sees_her_teams_agents_only(client, scene):
    client.force_login(scene.assistant)
    rows = table(client.get(URL, week_of(scene)))
    assert list(rows) == ["Ann Agent", "Bob Agent", "All"]
    # Choosing the other team's agent in the address shows nothing of theirs: the choice is not offered.
    rows = table(client.get(URL, {**week_of(scene), "agent": scene.cas.pk}))
    assert "Cas Agent" not in " ".join(rows)


def test_agent_sees_only_their_own_figures_and_no_filter(client, scene):
    client.force_login(scene.bob)
    response = client.get(URL, {**week_of(scene), "agent": scene.ann.pk, "team": scene.first_team.pk})
    assert list(table(response)) == ["Bob Agent", "All"]
    content = response.content.decode()
    assert 'name="agent"' not in content and "Your own consults." in content


def test_filters_narrow_the_figures_to_a_team_or_an_agent(client, scene):
    client.force_login(admin_of(scene.organisation))
    assert list(table(client.get(URL, {**week_of(scene), "team": scene.second_team.pk}))) == ["Cas Agent", "All"]
    assert list(table(client.get(URL, {**week_of(scene), "agent": scene.bob.pk}))) == ["Bob Agent", "All"]


def test_day_and_month_periods_and_their_neighbours(client, scene):
    client.force_login(admin_of(scene.organisation))
    monday = client.get(URL, {"period": "day", "date": scene.monday.isoformat()})
    # Monday: Ann's 09:00, 10:00, 11:00 and the late-cancelled 12:00.
    assert table(monday)["All"][:4] == ["4", "2", "1", "1"]
    tuesday = (scene.monday + timedelta(days=1)).isoformat()
    assert f"period=day&amp;date={tuesday}" in monday.content.decode()
    month = Period.containing(scene.monday, "month")
    response = client.get(URL, {"period": "month", "date": scene.monday.isoformat()})
    assert response.context["period"] == month
    assert f"date={month.next.first_day.isoformat()}" in response.context["next_query"]


def test_periods_are_whole_weeks_and_months():
    from datetime import date

    week = Period.containing(date(2026, 12, 31), "week")
    assert (week.first_day, week.last_day) == (date(2026, 12, 28), date(2027, 1, 3))
    month = Period.containing(date(2026, 12, 15), "month")
    assert (month.first_day, month.next.first_day, month.previous.first_day) == (
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2026, 11, 1),
    )


def test_page_without_consults_says_so_and_defaults_to_this_week(client, scene):
    client.force_login(scene.cas)
    response = client.get(URL)
    assert response.context["period"] == Period.containing(timezone.localdate(), "week")
    assert "No consults were planned in this period." in response.content.decode()


def test_csv_has_the_tables_rows_with_a_bom_semicolons_and_a_dutch_decimal_comma(client, scene):
    user = admin_of(scene.organisation, language="nl")
    client.force_login(user)
    response = client.get(CSV_URL, week_of(scene), HTTP_ACCEPT_LANGUAGE="nl")
    body = response.content.decode("utf-8")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][:4] == ["Van", "Tot", "Team", "Behandelaar"]
    ann = next(row for row in rows if row[3] == "Ann Agent")
    first, last = scene.monday.isoformat(), (scene.monday + timedelta(days=6)).isoformat()
    assert ann == [
        first,
        last,
        "Adults",
        "Ann Agent",
        "7",
        "3",
        "1",
        "1",
        "4,0",
        "8,0",
        "3,0",
        "10,0",
        "20,0",
        "30,0",
        "1",
        "1",
    ]
    assert rows[-1][2:6] == ["Alle", "Alle", "9", "5"]
    assert len(rows) == 5


def test_csv_download_is_audited_and_limited_like_the_page(client, scene):
    client.force_login(scene.assistant)
    body = client.get(CSV_URL, week_of(scene)).content.decode("utf-8")
    assert "Cas Agent" not in body and "Ann Agent" in body
    event = AuditEvent.objects.get(action=Action.STATISTICS_EXPORTED)
    assert event.actor == scene.assistant and event.organisation_id == scene.organisation.pk


def test_signed_out_visitors_are_sent_to_log_in(client):
    assert client.get(URL).status_code == 302
    assert client.get(CSV_URL).status_code == 302


def test_statistics_are_in_the_main_navigation(client, scene):
    client.force_login(scene.bob)
    assert f'href="{URL}"' in client.get(reverse("scheduling:dashboard")).content.decode()


def test_queries_do_not_grow_with_the_number_of_consults(client, scene, django_assert_num_queries):
    admin = admin_of(scene.organisation)
    client.force_login(admin)
    client.get(URL, week_of(scene))  # session and caches warmed
    start = timezone.make_aware(timezone.datetime.combine(scene.monday, timezone.datetime.min.time()))

    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, week_of(scene)).status_code == 200
        return len(captured)

    before = queries()
    for n in range(30):
        AppointmentFactory(
            team=scene.first_team,
            agent=scene.ann,
            booked_by=admin,
            start=start + timedelta(hours=n),
            started_at=start + timedelta(hours=n, minutes=1),
            ended_at=start + timedelta(hours=n, minutes=9),
        )
    assert queries() == before
    # Four for the figures: counts, started consults, admissions, failed messages (the roles read before).
    assert admin.roles.is_admin
    with django_assert_num_queries(4):
        report_for(admin, scene)

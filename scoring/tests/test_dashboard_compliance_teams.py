"""The dashboard's follow-up compliance for more reps than a page should list (a manager
of several teams, the whole company): a row per team, each figure opening exactly the
visits it counts, and only the reps with the lowest share on time; the total still of
every rep, and the Excel export's sheet still every rep."""

import datetime
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from keyaccounts.tests.paging_helpers import pages, rows_of
from scoring.dashboard import figures as dashboard
from scoring.tests.test_dashboard_pages import book, late_visits  # noqa: F401
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

URL = reverse("scoring:dashboard")
COMPLIANCE = reverse("scoring:compliance_visits")


@pytest.fixture
def west_late(personas):
    """A late follow-up of Charlie's (West), never logged."""
    VisitFactory(
        account=personas.charlies_account,
        owner=personas.charlie,
        occurred_at=timezone.now() - datetime.timedelta(days=20),
        followed_up_on=None,
    )


def table(html: str, name: str) -> str:
    start = html.index(f'data-table="{name}"')
    return html[start : html.index("</table>", start)]


def links(html: str) -> list[tuple[str, str]]:
    return [
        (text.strip(), unescape(href))
        for href, text in re.findall(r'<a (?:class="small" )?href="([^"]*)">([^<]*)</a>', html)
        if COMPLIANCE in href
    ]


def compliance(client, rows: int, monkeypatch):
    monkeypatch.setattr(dashboard, "COMPLIANCE_REP_ROWS", rows)
    response = client.get(URL)
    assert response.status_code == 200
    return response


def test_few_reps_are_each_listed_by_name_without_teams(personas, login, book, monkeypatch):  # noqa: F811
    late_visits(personas)
    response = compliance(login(personas.admin), 20, monkeypatch)
    html = response.content.decode()
    assert 'data-table="compliance-teams"' not in html
    listed = re.findall(r'<tr data-rep="([^"]+)">', table(html, "compliance"))
    reps = response.context["compliance"]["rows"]
    assert listed == [row["rep"].username for row in reps]  # every rep, by name


def test_many_reps_show_a_row_per_team_that_adds_up_its_reps(
    personas,
    login,
    book,  # noqa: F811
    west_late,
    monkeypatch,
):
    late_visits(personas)
    client = login(personas.admin)
    every = compliance(client, 20, monkeypatch).context["compliance"]["rows"]
    # Four reps in two teams, three a page: a row per team.
    response = compliance(client, 3, monkeypatch)
    html = response.content.decode()

    teams = table(html, "compliance-teams")
    shown_teams = re.findall(r'<tr data-team="(\d+)">', teams)
    assert shown_teams == [str(personas.east.pk), str(personas.west.pk)]  # by name
    for total in response.context["compliance"]["teams"]:
        mine = [row for row in every if row["rep"].sales_team_id == total["team"].pk]
        assert total["reps"] == len(mine)
        for key in ("settled", "on_time", "late"):
            assert total[key] == sum(row[key] for row in mine), (total["team"], key)

    # Each team's figure opens exactly the visits it counts, all of its reps'.
    found = links(teams)
    assert found
    team_of = {row["rep"].pk: row["rep"].sales_team_id for row in every}
    for figure, href in found:
        query = dict(parse_qsl(urlsplit(href).query))
        listed = rows_of(pages(client, href))
        assert str(len(listed)) == figure.split()[0], (figure, href)
        assert {team_of[visit.owner_id] for visit in listed} <= {int(query["team"])}

    # A team's name: the dashboard narrowed to it, which lists its three reps by name.
    east = re.search(r'<a href="([^"]+)">East</a>', teams).group(1)
    narrowed = client.get(unescape(east))
    assert narrowed.status_code == 200
    names = re.findall(r'<tr data-rep="([^"]+)">', table(narrowed.content.decode(), "compliance"))
    assert names == ["alice", "bob", "carol"]


def test_many_reps_list_only_the_lowest_share_on_time_first(
    personas,
    login,
    book,  # noqa: F811
    west_late,
    monkeypatch,
):
    late_visits(personas)
    client = login(personas.admin)
    every = compliance(client, 20, monkeypatch).context["compliance"]
    response = compliance(client, 2, monkeypatch)
    html = response.content.decode()

    with_settled = [row for row in every["rows"] if row["settled"]]
    assert len(with_settled) > 2
    lowest = sorted(row["share"] for row in with_settled)[:2]
    listed = re.findall(r'<tr data-rep="([^"]+)">', table(html, "compliance"))
    share = {row["rep"].username: row["share"] for row in with_settled}
    assert len(listed) == 2
    assert [share[name] for name in listed] == lowest
    # The total is still every rep's, and says how many.
    kept = response.context["compliance"]
    assert (kept["settled"], kept["on_time"]) == (every["settled"], every["on_time"])
    assert f"All {len(every['rows'])} reps" in table(html, "compliance")
    assert "lowest share on time" in html

"""My open follow-ups and my planned visits as files (`follow-ups`, `planned-visits`):
each list page links its export with the group it shows, and the file holds the page's
rows in its order; a group no page offers exports them all on the web (as the page shows
them all) and is refused by the command, naming the groups there are."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AccountFactory, ContactFactory, TeamMemberFactory
from keyaccounts.tests.export_links import export_link, exported_records
from keyaccounts.tests.paging_helpers import pages, rows_of
from visits.tests.factories import PlannedVisitFactory, VisitFactory
from visits.tests.test_planned_list import at, days

pytestmark = pytest.mark.django_db

FOLLOW_UPS = reverse("visits:follow_ups")
PLANNED = reverse("visits:planned")


@pytest.fixture
def worklists(personas):
    """Alice's follow-ups (overdue, due tomorrow, later; one done; one of Bob's) and
    planned visits (unrecorded, today, next week; one Bob logged that she goes to; one of
    Bob's alone), at an account with an external ID."""
    today = timezone.localdate()
    account = AccountFactory(owner=personas.alice, name="Acme Robotics", external_id="ERP-7")
    TeamMemberFactory(account=account, user=personas.bob)  # Bob sees it: his visits there
    zhang = ContactFactory(account=account, name="Zhang Wei")

    def recorded(due, **fields):
        visit = VisitFactory(account=account, occurred_at=at(today - days(9)), **fields)
        visit.follow_up_due = due
        visit.save(update_fields=["follow_up_due"])
        visit.contacts.set([zhang])
        return visit

    overdue = recorded(today - days(2))
    tomorrow = recorded(today + days(1))
    later = recorded(today + days(20))
    recorded(today - days(3), followed_up_on=today)  # done: not open
    recorded(today - days(4), owner=personas.bob)  # Bob's
    plan = lambda when, **f: PlannedVisitFactory(account=account, planned_at=when, **f)  # noqa: E731
    unrecorded = plan(at(today - days(3)))
    planned_today = plan(at(today, 15), purpose="Demo the line")
    along = plan(at(today + days(3)), owner=personas.bob)
    along.attendees.set([personas.alice])
    plan(at(today + days(4)), owner=personas.bob)  # Bob's alone
    return {
        "follow_ups": [overdue, tomorrow, later],
        "planned": [unrecorded, planned_today, along],
        "today": today,
    }


def test_the_follow_ups_page_exports_its_rows_in_its_order_with_its_group(
    personas, login, worklists
):
    client = login(personas.alice)
    visits = worklists["follow_ups"]
    today = worklists["today"]
    groups = [({}, visits), ({"due": "overdue"}, visits[:1]), ({"due": "later"}, visits[2:])]
    for params, expected in groups:
        html = client.get(FOLLOW_UPS, params).content.decode()
        link = export_link(html, "follow-ups")
        assert link == "/export/follow-ups/?format=csv" + (
            f"&due={params['due']}" if params else ""
        )
        assert export_link(html, "follow-ups", "xlsx")
        rows = exported_records(client, link)
        assert rows_of(pages(client, FOLLOW_UPS, params)) == expected
        assert [row["Follow-up due"] for row in rows] == [
            visit.follow_up_due.isoformat() for visit in expected
        ]
    # What the page shows first: the account (its key, its name), the due date, the
    # visit's day, whom we met.
    first = exported_records(client, "/export/follow-ups/?format=csv")[0]
    assert list(first)[:5] == [
        "Account", "Account name", "Follow-up due", "Took place", "Customer contacts met",
    ]  # fmt: skip
    assert list(first.values())[:3] == ["ERP-7", "Acme Robotics", (today - days(2)).isoformat()]
    assert first["Customer contacts met"] == "Zhang Wei"


def test_the_planned_visits_page_exports_its_rows_in_its_order_with_its_group(
    personas, login, worklists
):
    client = login(personas.alice)
    visits = worklists["planned"]
    groups = [({}, visits), ({"when": "today"}, visits[1:2]), ({"when": "week"}, visits[2:])]
    for params, expected in groups:
        html = client.get(PLANNED, params).content.decode()
        link = export_link(html, "planned-visits")
        assert link == "/export/planned-visits/?format=csv" + (
            f"&when={params['when']}" if params else ""
        )
        rows = exported_records(client, link)
        assert rows_of(pages(client, PLANNED, params)) == expected
        # A visit Bob logged that Alice goes to is hers to see here too.
        assert [row["Logged by"] for row in rows] == [visit.owner.username for visit in expected]
        assert len(rows) == len(expected)
    rows = exported_records(client, "/export/planned-visits/?format=csv&when=today")
    assert list(rows[0])[:4] == ["Planned for", "Status", "Method", "Account"]
    assert rows[0]["Purpose"] == "Demo the line" and rows[0]["Account name"] == "Acme Robotics"


def test_nobody_exports_anothers_worklist(personas, login, worklists):
    """Bob's file holds his own: the follow-up and visits he logged, not Alice's."""
    client = login(personas.bob)
    follow_ups = exported_records(client, "/export/follow-ups/?format=csv")
    assert [row["Logged by"] for row in follow_ups] == ["bob"]
    planned = exported_records(client, "/export/planned-visits/?format=csv")
    assert [row["Logged by"] for row in planned] == ["bob", "bob"]


def test_an_unknown_group_exports_what_the_page_shows_and_the_command_refuses_it(
    personas, login, worklists, tmp_path
):
    client = login(personas.alice)
    response = client.get(FOLLOW_UPS, {"due": "someday"})
    html = response.content.decode()
    assert "There is no group of follow-ups called “someday”: here are all of them." in html
    # The page lists all, and its link names no group: the file holds all too.
    assert export_link(html, "follow-ups") == "/export/follow-ups/?format=csv"
    rows = exported_records(client, "/export/follow-ups/?format=csv&due=someday")
    assert len(rows) == 3
    html = client.get(PLANNED, {"when": "soon"}).content.decode()
    assert "There is no group of planned visits called “soon”" in html
    assert export_link(html, "planned-visits") == "/export/planned-visits/?format=csv"

    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "export_records", "follow-ups", "--as", "alice", "--filter", "due=someday",
            "--output", str(tmp_path / "never.csv"), stdout=out,
        )  # fmt: skip
    assert "due='someday'" in str(refused.value)
    assert "overdue" in str(refused.value)  # the groups there are
    target = tmp_path / "today.csv"
    call_command(
        "export_records", "planned-visits", "--as", "alice", "--filter", "when=today",
        "--format", "csv", "--output", str(target), stdout=out,
    )  # fmt: skip
    assert "Demo the line" in target.read_text(encoding="utf-8-sig")


def test_an_empty_worklist_offers_no_export(personas, login):
    client = login(personas.carol)
    assert "/export/follow-ups/" not in client.get(FOLLOW_UPS).content.decode()
    assert "/export/planned-visits/" not in client.get(PLANNED).content.decode()

"""An account's parts in the changes feed (issue 11, "What changed, who changed it"): a
change of its team or its competitors makes a new version of the account whose feed
entry names the part in `changed_fields` ("team", "competitors"), with who made it and
from where, as a deal's parts do; a write that changes no part makes no version."""

import pytest
from django.urls import reverse

from accounts.models import AccountCompetitor, AccountTeamMember, AccountTeamRole
from accounts.services import (
    competitor_remove,
    competitor_save,
    team_member_remove,
    team_member_set,
)
from keyaccounts.history.context import history_context
from keyaccounts.history.timeline import record_timeline

from .api_records import RECORD_TYPES
from .feed_client import Replica, sync

pytestmark = pytest.mark.django_db

ACCOUNTS = RECORD_TYPES[0]


def cursor_of(client) -> str:
    return sync(client, ACCOUNTS, Replica()).cursor


def feed(client, cursor: str | None) -> dict:
    query = {} if cursor is None else {"since": cursor}
    page = client.get(f"{ACCOUNTS.path}changes/", query).json()
    return {row["id"]: row for row in page["results"]}


def detail(row) -> tuple:
    return sorted(row["changed_fields"]), row["changed_by"], row["origin"]


def test_a_team_member_added_names_the_team(personas, api):
    account = personas.account
    reader = api(personas.bob)
    cursor = cursor_of(reader)

    with history_context(origin="web", user=personas.alice):
        team_member_set(
            account=account, by=personas.alice, user=personas.carol, role=AccountTeamRole.SALES_REP
        )

    row = feed(reader, cursor)[account.pk]
    assert detail(row) == (["team"], personas.alice.pk, "web")
    assert row["version"] == 2
    # The newcomer's feed brings the account into view at that version.
    assert feed(api(personas.carol), None)[account.pk]["version"] == 2


def test_a_role_changed_and_a_member_removed_name_the_team(personas, api):
    account = personas.account
    reader = api(personas.alice)
    member = AccountTeamMember.objects.get(account=account, user=personas.bob)

    cursor = cursor_of(reader)
    with history_context(origin="web", user=personas.manager):
        team_member_set(
            account=account,
            by=personas.manager,
            user=personas.bob,
            role=AccountTeamRole.PROJECT_MANAGER,
        )
    assert detail(feed(reader, cursor)[account.pk]) == (["team"], personas.manager.pk, "web")

    cursor = cursor_of(reader)
    with history_context(origin="web", user=personas.alice):
        team_member_remove(member=member, by=personas.alice)
    assert detail(feed(reader, cursor)[account.pk]) == (["team"], personas.alice.pk, "web")


def test_the_same_role_again_is_no_change_and_no_entry(personas, api):
    account = personas.account
    reader = api(personas.alice)
    cursor = cursor_of(reader)

    team_member_set(account=account, by=personas.alice, user=personas.bob, role="presales")

    account.refresh_from_db()
    assert account.version == 1
    assert feed(reader, cursor) == {}


def test_competitors_added_changed_and_removed_name_the_competitors(personas, api):
    account = personas.account
    reader = api(personas.bob)

    cursor = cursor_of(reader)
    with history_context(origin="web", user=personas.alice):
        rival = competitor_save(
            competitor=AccountCompetitor(account=account, name="Rival Co", strengths="price"),
            by=personas.alice,
        )
    assert detail(feed(reader, cursor)[account.pk]) == (["competitors"], personas.alice.pk, "web")

    cursor = cursor_of(reader)
    rival.strengths = "price, service"
    with history_context(origin="web", user=personas.alice):
        competitor_save(competitor=rival, by=personas.alice)
    assert detail(feed(reader, cursor)[account.pk]) == (["competitors"], personas.alice.pk, "web")

    cursor = cursor_of(reader)
    unchanged = AccountCompetitor.objects.get(pk=rival.pk)
    competitor_save(competitor=unchanged, by=personas.alice)
    assert feed(reader, cursor) == {}  # the values it has: no version, no entry

    with history_context(origin="web", user=personas.manager):
        competitor_remove(competitor=unchanged, by=personas.manager)
    assert detail(feed(reader, cursor)[account.pk]) == (["competitors"], personas.manager.pk, "web")


def test_a_team_member_added_on_the_account_page_names_the_team(personas, api, login):
    account = personas.account
    reader = api(personas.bob)
    cursor = cursor_of(reader)

    response = login(personas.alice).post(
        reverse("accounts:team_add", args=[account.pk]),
        {"user": personas.carol.pk, "role": AccountTeamRole.SALES_REP},
    )

    assert response.status_code == 302, response.content
    assert AccountTeamMember.objects.filter(account=account, user=personas.carol).exists()
    assert detail(feed(reader, cursor)[account.pk]) == (["team"], personas.alice.pk, "web")


def test_a_plain_field_change_still_names_only_that_field(personas, api):
    account = personas.account
    reader = api(personas.bob)
    with history_context(origin="web", user=personas.alice):
        team_member_set(
            account=account, by=personas.alice, user=personas.carol, role=AccountTeamRole.SALES_REP
        )
    cursor = cursor_of(reader)

    response = api(personas.alice).patch(
        f"/api/v1/accounts/{account.pk}/", {"region": "华南"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert detail(feed(reader, cursor)[account.pk]) == (["region"], personas.alice.pk, "api")


def test_the_timeline_shows_the_member_not_an_empty_account_entry(personas):
    account = personas.account
    with history_context(origin="web", user=personas.alice):
        team_member_set(
            account=account, by=personas.alice, user=personas.carol, role=AccountTeamRole.SALES_REP
        )

    timeline = record_timeline(account)
    assert (timeline[0].object_type, timeline[0].verb) == ("accounts.accountteammember", "added")
    # The account's new version changed none of its fields: no entry of its own.
    own = [entry.action for entry in timeline if entry.object_type == "accounts.account"]
    assert own == ["created"]


def test_a_team_imported_from_a_file_names_the_team_once_per_account(personas, api):
    """The team import writes set-based, not through `team_member_set`: it makes the
    same new version of each account, named "team", by the importer from "import"; a
    file that changes nothing makes none."""
    from keyaccounts.tests.imports_files import csv_file
    from keyaccounts.tests.test_imports import run

    account = personas.account
    reader = api(personas.bob)
    cursor = cursor_of(reader)
    version = account.version
    rows = [
        ["Account", "User", "Role"],
        [account.name, "carol", "Presales consultant"],
        [account.name, "bob", "Project manager"],
    ]
    assert run("team", csv_file(rows), personas.alice).ok
    account.refresh_from_db()
    assert account.version == version + 1  # two members, one new version
    row = feed(reader, cursor)[account.pk]
    assert detail(row) == (["team"], personas.alice.pk, "import")
    cursor = cursor_of(reader)
    assert run("team", csv_file(rows), personas.alice).ok  # all unchanged
    account.refresh_from_db()
    assert account.version == version + 1
    assert account.pk not in feed(reader, cursor)

"""`GET /api/v1/<type>/{id}/history/`: the record's timeline, paged, for who may see it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import AccountTeamRole
from accounts.tests.factories import CompetitorFactory, ContactFactory
from keyaccounts.history.context import history_context
from keyaccounts.tests.history_helpers import as_if_an_hour_ago
from opportunities.tests.factories import OpportunityFactory
from visits.tests.factories import DevelopmentRecordFactory, VisitFactory

pytestmark = pytest.mark.django_db

# What every history entry holds, in the answers and in the schema alike.
ENTRY_KEYS = {"at", "user", "user_name", "origin", "action", "object", "changes", "merged"}


def history_of(client, path: str, **params):
    response = client.get(f"{path}history/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_an_api_change_is_listed_first_with_actor_origin_and_values(personas, api):
    contact = ContactFactory(account=personas.account, name="Wang Jun", title="CIO")
    client = api(personas.alice)
    client.patch(f"/api/v1/contacts/{contact.pk}/", {"attitude": "supporter"}, format="json")

    page = history_of(client, f"/api/v1/contacts/{contact.pk}/")

    assert page["count"] == 2  # created, changed
    latest = page["results"][0]
    assert set(latest) == ENTRY_KEYS
    assert latest["merged"] == []
    assert latest["user"] == personas.alice.pk
    assert latest["user_name"] == str(personas.alice)
    assert (latest["origin"], latest["action"]) == ("api", "changed")
    assert latest["object"] == {
        "type": "accounts.contact",
        "id": contact.pk,
        "label": "Wang Jun (CIO)",
    }
    assert latest["changes"] == [
        {
            "field": "attitude",
            "label": "attitude to us",
            "old": "neutral",
            "new": "supporter",
            "old_display": "Neutral",
            "new_display": "Supporter",
        }
    ]
    created = page["results"][1]
    assert (created["action"], created["user"], created["origin"]) == ("created", None, "system")
    assert created["user_name"] == "system"


def test_the_account_history_names_its_team_members_and_their_changes(personas, api):
    account = personas.account
    with history_context(origin="web", user=personas.alice):
        account_services.team_member_set(
            account=account, by=personas.alice, user=personas.carol, role=AccountTeamRole.PRESALES
        )

    latest = history_of(api(personas.bob), f"/api/v1/accounts/{account.pk}/")["results"][0]

    assert (latest["user"], latest["origin"], latest["action"]) == (
        personas.alice.pk,
        "web",
        "created",
    )
    assert latest["object"]["type"] == "accounts.accountteammember"
    assert latest["object"]["label"] == "Account team member: Carol Chen"
    assert latest["changes"] == [
        {
            "field": "role",
            "label": "role",
            "old": None,
            "new": "presales",
            "old_display": "—",
            "new_display": "Presales consultant",
        }
    ]


def test_labels_and_displayed_values_follow_accept_language(personas, api):
    contact = ContactFactory(account=personas.account, attitude="neutral")
    client = api(personas.alice)
    client.patch(f"/api/v1/contacts/{contact.pk}/", {"attitude": "champion"}, format="json")

    response = client.get(f"/api/v1/contacts/{contact.pk}/history/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    (change,) = response.json()["results"][0]["changes"]
    # As keyaccounts/locale/zh_Hans has them; the raw values stay as stored.
    assert (change["label"], change["old_display"], change["new_display"]) == (
        "对我方态度",
        "中立",
        "坚定支持",
    )
    assert (change["old"], change["new"]) == ("neutral", "champion")


def test_the_history_is_paged_like_every_list(personas, api):
    account = personas.account
    for n in range(5):
        CompetitorFactory(account=account, name=f"Rival {n}")
    client = api(personas.alice)

    first = history_of(client, f"/api/v1/accounts/{account.pk}/", page_size=3)
    last = history_of(client, f"/api/v1/accounts/{account.pk}/", page_size=3, page=3)

    # 5 competitors added, bob added to the team, the account created.
    assert first["count"] == 7 and first["next"] and first["previous"] is None
    assert [e["object"]["label"] for e in first["results"]] == [
        "Competitor at the account: Rival 4",
        "Competitor at the account: Rival 3",
        "Competitor at the account: Rival 2",
    ]
    assert [e["object"]["type"] for e in last["results"]] == ["accounts.account"]
    bad = client.get(f"/api/v1/accounts/{account.pk}/history/", {"page_size": "0"})
    assert bad.status_code == 400
    # Paged by number only: a cursor is refused, not answered with page 1.
    cursor = client.get(f"/api/v1/accounts/{account.pk}/history/", {"after": "abc"})
    assert cursor.status_code == 400
    assert list(cursor.json()["errors"]) == ["after"]


def test_another_teams_rep_gets_404_for_the_history_of_every_record_type(personas, api):
    account = personas.account
    paths = [
        f"/api/v1/accounts/{account.pk}/history/",
        f"/api/v1/contacts/{ContactFactory(account=account).pk}/history/",
        f"/api/v1/visits/{VisitFactory(account=account).pk}/history/",
        f"/api/v1/opportunities/{OpportunityFactory(account=account).pk}/history/",
        "/api/v1/development-records/{}/history/".format(
            DevelopmentRecordFactory(
                account=account,
                started_on=datetime.date(2026, 1, 5),
                prepared_on=datetime.date(2026, 1, 5),
            ).pk
        ),
    ]
    for path in paths:
        assert api(personas.alice).get(path).status_code == 200, path
        response = api(personas.charlie).get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_the_history_costs_the_same_queries_for_3_and_30_changes(
    personas, api, django_assert_max_num_queries
):
    contact = ContactFactory(account=personas.account)
    client = api(personas.alice)
    path = f"/api/v1/contacts/{contact.pk}/history/"

    def change(numbers):
        for n in numbers:
            client.patch(f"/api/v1/contacts/{contact.pk}/", {"title": f"T{n}"}, format="json")
            as_if_an_hour_ago()  # each change an entry of its own

    change(range(3))
    with CaptureQueriesContext(connection) as at_three:
        assert client.get(path).json()["count"] == 4
    queries_at_three = len(at_three)  # now: every request empties the log

    change(range(3, 30))
    with django_assert_max_num_queries(queries_at_three):
        assert client.get(path).json()["count"] == 31


def test_the_schema_documents_the_history_of_each_record_type(api):
    schema = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for kind in ("accounts", "contacts", "visits", "opportunities", "development-records"):
        answers = schema["paths"][f"/api/v1/{kind}/{{id}}/history/"]["get"]["responses"]
        assert {"200", "404"} <= set(answers), kind
        page = answers["200"]["content"]["application/json"]["schema"]["$ref"]
        assert page == "#/components/schemas/PaginatedHistoryEntryList"
        parameters = schema["paths"][f"/api/v1/{kind}/{{id}}/history/"]["get"]["parameters"]
        assert {"page", "page_size"} <= {p["name"] for p in parameters}
        assert not {"after", "before"} & {p["name"] for p in parameters}, kind
    entry = schema["components"]["schemas"]["HistoryEntry"]["properties"]
    assert set(entry) == ENTRY_KEYS
    merged = schema["components"]["schemas"]["HistoryMerged"]["properties"]
    assert set(merged) == {"id", "label"}
    change = schema["components"]["schemas"]["HistoryChange"]["properties"]
    assert set(change) == {"field", "label", "old", "new", "old_display", "new_display"}


def test_a_survivors_merge_entry_names_the_contact_merged_into_it(personas, api):
    from accounts.services import contact_merge

    keep = ContactFactory(account=personas.account, name="王伟")
    twice = ContactFactory(account=personas.account, name="Wang Wei")
    contact_merge(survivor=keep, merged=twice, by=personas.manager, values={})

    page = history_of(api(personas.alice), f"/api/v1/contacts/{keep.pk}/")

    latest = page["results"][0]
    assert latest["action"] == "merge_kept"
    assert latest["merged"] == [{"id": twice.pk, "label": f"Wang Wei ({twice.title})"}]
    assert [entry["merged"] for entry in page["results"][1:]] == [[]] * (page["count"] - 1)


def test_a_record_in_the_recycle_bin_keeps_its_history_readable(personas, api):
    from accounts.services import account_delete

    account_delete(account=personas.account, by=personas.alice)

    response = api(personas.alice).get(f"/api/v1/accounts/{personas.account.pk}/history/")
    outsider = api(personas.charlie).get(f"/api/v1/accounts/{personas.account.pk}/history/")

    assert response.status_code == 200
    assert response.json()["results"][0]["action"] == "deleted"
    assert outsider.status_code == 404

"""A deal's parts through the API (issue 11): its contacts with their role in the deal,
its team, its competitors and its ticked exit criteria are read with the deal and
replaced by PATCH/PUT of the deal, each list given replacing that part — one write,
one new version, guarded by the deal's If-Match, with history, a changes-feed entry
naming the part and a webhook event; a list equal to the stored one writes nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccountTeamRole, Attitude, BuyingRole
from accounts.services import contact_delete
from accounts.tests.factories import AccountFactory, ContactFactory, UserFactory
from keyaccounts.exceptions import VersionConflict
from keyaccounts.history.context import history_context
from keyaccounts.recyclebin.services import restore as restore_deletion
from opportunities.models import (
    CriterionCheck,
    ExitCriterion,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityTeamMember,
)
from opportunities.services import (
    opportunity_competitors_set,
    opportunity_contact_set,
    opportunity_contacts_set,
    opportunity_criteria_set,
    opportunity_team_set,
)
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

LIST = "/api/v1/opportunities/"


@pytest.fixture
def stages(db):
    return default_stages()


@pytest.fixture
def deal(personas, stages):
    """A deal at alice's account with one of everything."""
    deal = OpportunityFactory(account=personas.account, external_id="ERP-D1")
    kept = ContactFactory(account=personas.account, name="Kept", buying_role=BuyingRole.USER)
    dropped = ContactFactory(account=personas.account, name="Dropped")
    OpportunityContact.objects.create(
        opportunity=deal, contact=kept, role=BuyingRole.DECIDER, stance=Attitude.SUPPORTER
    )
    OpportunityContact.objects.create(
        opportunity=deal, contact=dropped, role=BuyingRole.USER, stance=Attitude.NEUTRAL
    )
    OpportunityTeamMember.objects.create(
        opportunity=deal, user=personas.bob, role=AccountTeamRole.PRESALES
    )
    OpportunityCompetitor.objects.create(opportunity=deal, name="SAP", threat="high")
    OpportunityCompetitor.objects.create(opportunity=deal, name="Oracle", threat="low")
    CriterionCheck.objects.create(opportunity=deal, criterion=stages["qualify"].criteria.first())
    deal.kept, deal.dropped = kept, dropped
    return deal


def url(deal) -> str:
    return f"{LIST}{deal.pk}/"


def read(client, deal) -> dict:
    response = client.get(url(deal))
    assert response.status_code == 200, response.content
    return response.json()


def as_stored(body: dict) -> dict:
    """The parts of a deal's representation, as a client sends them back."""
    return {name: body[name] for name in ("contacts", "team", "competitors", "checked_criteria")}


def feed_cursor(client) -> str:
    cursor = None
    while True:
        page = client.get(f"{LIST}changes/", {"since": cursor} if cursor else {}).json()
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return cursor


def feed_entry(client, cursor, deal) -> dict | None:
    page = client.get(f"{LIST}changes/", {"since": cursor}).json()
    return next((row for row in page["results"] if row["id"] == deal.pk), None)


def history_rows(deal) -> int:
    """Every historical row of the deal and its parts."""
    return sum(
        model.history.filter(
            **{"id" if model is Opportunity else "opportunity_id": deal.pk}
        ).count()
        for model in (
            Opportunity,
            OpportunityContact,
            OpportunityTeamMember,
            OpportunityCompetitor,
            CriterionCheck,
        )
    )


# --- reading ---------------------------------------------------------------------------


def test_a_deal_carries_its_contacts_team_competitors_and_ticks(personas, api, deal, stages):
    body = read(api(personas.alice), deal)

    assert body["contacts"] == [
        {"contact": deal.kept.pk, "role": "decider", "stance": "supporter"},
        {"contact": deal.dropped.pk, "role": "user", "stance": "neutral"},
    ]
    assert body["team"] == [{"user": personas.bob.pk, "role": "presales"}]
    assert [(c["name"], c["threat"]) for c in body["competitors"]] == [
        ("Oracle", "low"),
        ("SAP", "high"),
    ]
    assert body["checked_criteria"] == [stages["qualify"].criteria.first().pk]


def test_a_contact_in_the_recycle_bin_is_not_listed_and_keeps_its_role(personas, api, deal):
    contact_delete(contact=deal.dropped, by=personas.alice)
    client = api(personas.alice)

    body = read(client, deal)
    assert [c["contact"] for c in body["contacts"]] == [deal.kept.pk]
    response = client.patch(url(deal), {"contacts": []}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["contacts"] == []
    # Only what the client could see was replaced: the binned contact's role waits for it.
    assert list(OpportunityContact.objects.filter(opportunity=deal).values_list("contact_id")) == [
        (deal.dropped.pk,)
    ]


def test_reading_answers_the_parts_and_grade_a_write_answers(personas, api, deal):
    """The read actions (list, changes feed) read each part of all the deals as rows of
    values and only the grade of the account (opportunities.selectors.attach_deal_parts,
    attach_account_grades), one record reads its own (with_account_grade); a write reads
    them through the deal.
    All answer the same, a contact in the recycle bin left out."""
    import datetime

    from scoring.services import grade_pin

    grade_pin(
        account=deal.account,
        by=personas.manager,
        grade="B",
        reason="a B account",
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    contact_delete(contact=deal.dropped, by=personas.alice)
    client = api(personas.alice)

    written = client.patch(url(deal), {"description": "Pilot first"}, format="json").json()
    assert [c["contact"] for c in written["contacts"]] == [deal.kept.pk]
    assert written["account_grade"] == "B"
    assert read(client, deal) == written
    listed = client.get(LIST).json()["results"]
    assert [row for row in listed if row["id"] == deal.pk] == [written]
    fed = client.get(f"{LIST}changes/").json()["results"]
    entry = next(row for row in fed if row["id"] == deal.pk)
    assert {k: v for k, v in entry.items() if k in written} == written
    # A read after a write answers what was written.
    client.patch(url(deal), {"contacts": [], "competitors": []}, format="json")
    again = read(client, deal)
    assert (again["contacts"], again["competitors"]) == ([], [])


def test_a_lists_deals_take_their_accounts_grades_in_one_query(personas, stages):
    """attach_account_grades: one query for the accounts of every deal that lacks its
    own, by id (not Django's one-column rows), each account read with its grade and
    nothing else; a deal that holds its account already keeps it."""
    import datetime

    from opportunities.discount import account_grade
    from opportunities.selectors import attach_account_grades
    from scoring.services import grade_pin

    graded, ungraded = AccountFactory(owner=personas.alice), AccountFactory(owner=personas.alice)
    grade_pin(
        account=graded,
        by=personas.manager,
        grade="A",
        reason="an A account",
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    for account in (graded, graded, ungraded, ungraded):
        OpportunityFactory(account=account)
    deals = list(Opportunity.objects.order_by("pk"))
    held = Opportunity.objects.select_related("account__score").get(pk=deals[-1].pk)
    deals[-1] = held
    held_account = held.account

    with CaptureQueriesContext(connection) as captured:
        attach_account_grades(deals)
    assert len(captured) == 1
    sql = captured[0]["sql"]
    assert "unnest" in sql if connection.vendor == "postgresql" else " IN (" in sql
    columns = sql.split(" FROM ")[0]
    assert '"accounts_account"."name"' not in columns and "contributions" not in columns
    assert "ORDER BY" not in sql  # no sort of the accounts for nothing
    with CaptureQueriesContext(connection) as captured:
        grades = [account_grade(deal.account) for deal in deals]
        accounts = [deal.account.pk for deal in deals]
    assert len(captured) == 0
    assert grades == ["A", "A", None, None]
    assert accounts == [graded.pk, graded.pk, ungraded.pk, ungraded.pk]
    assert deals[0].account is deals[1].account  # one account read once, for both
    assert deals[-1].account is held_account  # held already: left as it was
    assert "name" in deals[0].account.get_deferred_fields()


def test_a_list_of_deals_costs_the_same_queries_however_many_deals(personas, api, stages):
    def deal_with_parts():
        deal = OpportunityFactory(account=AccountFactory(owner=personas.alice))
        contact = ContactFactory(account=deal.account)
        OpportunityContact.objects.create(opportunity=deal, contact=contact, role="decider")
        OpportunityTeamMember.objects.create(opportunity=deal, user=personas.bob, role="presales")
        OpportunityCompetitor.objects.create(opportunity=deal, name="SAP")
        CriterionCheck.objects.create(
            opportunity=deal, criterion=stages["qualify"].criteria.first()
        )

    client = api(personas.alice)
    counts = []
    for total in (2, 20):
        while Opportunity.objects.count() < total:
            deal_with_parts()
        these = []
        # The list, and the changes feed (which also reads each deal's latest change).
        for path, key in [(LIST, "results"), (f"{LIST}changes/", "results")]:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path, {"page_size": 25} if path == LIST else {})
            rows = response.json()[key]
            assert len(rows) == total
            assert all(len(row["contacts"]) == 1 and len(row["team"]) == 1 for row in rows)
            assert all(row["account_grade"] is None for row in rows)
            these.append(len(captured))
        counts.append(these)

    assert counts[0] == counts[1]


# --- replacing each part ---------------------------------------------------------------


def test_contacts_are_replaced_as_one_new_version_with_history(personas, api, deal):
    new = ContactFactory(account=personas.account, buying_role=BuyingRole.EVALUATOR)
    client = api(personas.alice)

    response = client.patch(
        url(deal),
        {
            "contacts": [
                {"contact": deal.kept.pk, "role": "decider", "stance": "champion"},
                {"contact": new.pk},
            ]
        },
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["version"], response["ETag"]) == (2, '"2"')
    assert body["contacts"] == [
        {"contact": deal.kept.pk, "role": "decider", "stance": "champion"},
        # Left out, the role and stance are the contact's own at the account.
        {"contact": new.pk, "role": "evaluator", "stance": "neutral"},
    ]
    stored = {
        entry.contact_id: (entry.role, entry.stance)
        for entry in OpportunityContact.objects.filter(opportunity=deal)
    }
    assert stored == {deal.kept.pk: ("decider", "champion"), new.pk: ("evaluator", "neutral")}
    history = client.get(f"{url(deal)}history/").json()["results"]
    parts = [
        e
        for e in history
        if e["object"]["type"] == "opportunities.opportunitycontact" and e["origin"] == "api"
    ]
    verbs = sorted((e["object"]["type"], e["action"]) for e in parts)
    assert verbs == [
        ("opportunities.opportunitycontact", "changed"),
        ("opportunities.opportunitycontact", "created"),
        ("opportunities.opportunitycontact", "removed"),
    ]
    assert {(e["origin"], e["user"]) for e in parts} == {("api", personas.alice.pk)}


def test_the_team_is_replaced(personas, api, deal):
    response = api(personas.alice).patch(
        url(deal),
        {"team": [{"user": personas.carol.pk, "role": "sales_rep"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["team"] == [{"user": personas.carol.pk, "role": "sales_rep"}]
    assert list(
        OpportunityTeamMember.objects.filter(opportunity=deal).values_list("user_id", "role")
    ) == [(personas.carol.pk, "sales_rep")]


def test_competitors_are_matched_by_name(personas, api, deal):
    sap = OpportunityCompetitor.objects.get(opportunity=deal, name="SAP")

    response = api(personas.alice).patch(
        url(deal),
        {
            "competitors": [
                {"name": "SAP", "threat": "medium", "strengths": "Installed base"},
                {"name": "Kingdee", "weaknesses": "No plant module"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    by_name = {c["name"]: c for c in response.json()["competitors"]}
    assert set(by_name) == {"SAP", "Kingdee"}
    assert by_name["SAP"]["id"] == sap.pk  # the same entry, changed
    assert (by_name["SAP"]["threat"], by_name["SAP"]["strengths"]) == ("medium", "Installed base")
    assert (by_name["Kingdee"]["threat"], by_name["Kingdee"]["weaknesses"]) == (
        "medium",
        "No plant module",
    )
    assert not OpportunityCompetitor.objects.filter(opportunity=deal, name="Oracle").exists()


def test_ticks_are_replaced_and_count_for_a_move_in_the_same_request(personas, api, deal, stages):
    qualify = list(stages["qualify"].criteria.values_list("pk", flat=True))

    response = api(personas.alice).patch(
        url(deal),
        {"checked_criteria": qualify, "stage": stages["needs_analysis"].pk},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["version"], body["stage"]) == (2, stages["needs_analysis"].pk)
    assert body["checked_criteria"] == sorted(qualify)
    assert list(deal.stage_changes.values_list("to_stage", flat=True)) == [
        stages["needs_analysis"].pk
    ]
    assert CriterionCheck.objects.filter(opportunity=deal, checked_by=personas.alice).count() == (
        len(qualify) - 1  # the one ticked before keeps who ticked it
    )


def test_too_few_ticks_refuse_the_move_and_write_nothing(personas, api, deal, stages):
    response = api(personas.alice).patch(
        url(deal),
        {"checked_criteria": [], "stage": stages["needs_analysis"].pk, "name": "Renamed"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "exit_criteria_missing"
    deal.refresh_from_db()
    assert (deal.version, deal.stage, deal.name) == (1, stages["qualify"], deal.name)
    assert CriterionCheck.objects.filter(opportunity=deal).count() == 1


def test_fields_and_parts_together_are_one_version_and_one_feed_entry(personas, api, deal):
    client = api(personas.alice)
    reader = api(personas.bob)
    cursor = feed_cursor(reader)
    before = history_rows(deal)

    response = client.patch(
        url(deal),
        {"name": "Data centre II", "team": [], "contacts": [{"contact": deal.kept.pk}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    deal.refresh_from_db()
    assert deal.history.filter(version=2).count() == 1
    # The deal's row, the team member removed, one contact changed, one removed.
    assert history_rows(deal) == before + 4
    entry = feed_entry(reader, cursor, deal)
    assert entry["version"] == 2
    assert sorted(entry["changed_fields"]) == ["contacts", "name", "team"]
    assert (entry["changed_by"], entry["origin"]) == (personas.alice.pk, "api")


def test_a_part_changed_on_the_deals_page_is_named_in_the_feed_too(personas, api, deal):
    reader = api(personas.bob)
    cursor = feed_cursor(reader)

    with history_context(origin="web", user=personas.alice):
        opportunity_contact_set(
            opportunity=deal,
            contact=deal.kept,
            role="evaluator",
            stance="neutral",
            by=personas.alice,
        )

    entry = feed_entry(reader, cursor, deal)
    assert (entry["changed_fields"], entry["origin"]) == (["contacts"], "web")


def test_a_put_replaces_the_parts_it_gives_and_keeps_the_others(personas, api, deal):
    client = api(personas.alice)
    body = read(client, deal)
    sent = {
        key: body[key]
        for key in ("account", "name", "amount", "expected_close_date", "owner", "stage")
    }

    response = client.put(url(deal), {**sent, "competitors": []}, format="json")

    assert response.status_code == 200, response.content
    after = response.json()
    assert after["competitors"] == []
    assert (after["contacts"], after["team"]) == (body["contacts"], body["team"])


def test_a_deal_is_created_with_its_parts_in_its_first_version(personas, api, stages):
    contact = ContactFactory(account=personas.account)

    response = api(personas.alice).post(
        LIST,
        {
            "account": personas.account.pk,
            "name": "New line",
            "amount": "100.00",
            "expected_close_date": "2030-01-31",
            "contacts": [{"contact": contact.pk, "role": "decider"}],
            "team": [{"user": personas.bob.pk, "role": "presales"}],
            "competitors": [{"name": "SAP"}],
            "checked_criteria": [stages["qualify"].criteria.first().pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1
    assert body["contacts"] == [{"contact": contact.pk, "role": "decider", "stance": "neutral"}]
    assert body["team"] == [{"user": personas.bob.pk, "role": "presales"}]
    assert [c["name"] for c in body["competitors"]] == ["SAP"]
    assert body["checked_criteria"] == [stages["qualify"].criteria.first().pk]


def test_a_change_of_parts_queues_a_webhook_event_for_the_deal(personas, api, deal, settings):
    from keyaccounts.integrations.models import WebhookDelivery
    from keyaccounts.integrations.services import webhook_create

    settings.WEBHOOK_ALLOW_PRIVATE = True
    webhook, _secret = webhook_create(
        owner=personas.admin, url="http://127.0.0.1:9/hook", record_types=["opportunity"]
    )

    api(personas.alice).patch(url(deal), {"team": []}, format="json")

    assert list(
        WebhookDelivery.objects.filter(webhook=webhook).values_list("object_id", "event")
    ) == [(deal.pk, "updated")]


# --- If-Match and no-op writes ---------------------------------------------------------


def test_a_stale_if_match_answers_412_and_changes_no_part(personas, api, deal):
    client = api(personas.alice)
    client.patch(url(deal), {"competitors": []}, format="json")  # now version 2
    before = history_rows(deal)

    response = client.patch(url(deal), {"team": [], "contacts": []}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    assert OpportunityTeamMember.objects.filter(opportunity=deal).count() == 1
    assert OpportunityContact.objects.filter(opportunity=deal).count() == 2
    assert history_rows(deal) == before


def test_sending_the_parts_back_unchanged_writes_nothing(personas, api, deal):
    client = api(personas.alice)
    reader = api(personas.bob)
    body = read(client, deal)
    cursor = feed_cursor(reader)
    before = history_rows(deal)

    response = client.patch(url(deal), as_stored(body), format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 200, response.content
    assert (response.json()["version"], response["ETag"]) == (1, '"1"')
    assert as_stored(response.json()) == as_stored(body)
    assert history_rows(deal) == before
    assert feed_entry(reader, cursor, deal) is None


def test_bulk_items_carry_parts_and_an_unchanged_one_is_unchanged(personas, api, deal):
    client = api(personas.alice)
    body = read(client, deal)
    item = {
        "external_id": "ERP-D1",
        **{k: body[k] for k in ("account", "name", "amount", "expected_close_date")},
    }

    same = client.post(f"{LIST}bulk/", [{**item, **as_stored(body)}], format="json")
    changed = client.post(f"{LIST}bulk/", [{**item, "competitors": []}], format="json")

    assert same.status_code == 200, same.content
    assert [r["status"] for r in same.json()["results"]] == ["unchanged"]
    assert [(r["status"], r["version"]) for r in changed.json()["results"]] == [("updated", 2)]
    assert read(client, deal)["competitors"] == []


# --- what is refused -------------------------------------------------------------------


def test_a_contact_one_cannot_see_and_one_that_does_not_exist_get_the_same_message(
    personas, api, deal
):
    elsewhere = ContactFactory(account=personas.charlies_account)
    client = api(personas.alice)

    answers = [
        client.patch(
            url(deal),
            {"contacts": [{"contact": deal.kept.pk}, {"contact": pk}]},
            format="json",
        )
        for pk in (elsewhere.pk, 987654)
    ]

    for response in answers:
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["contacts.1.contact"]
    messages = [r.json()["errors"]["contacts.1.contact"][0] for r in answers]
    assert messages[0] == messages[1].replace("987654", str(elsewhere.pk))
    assert "Alice's Customer Co" in messages[0]
    assert OpportunityContact.objects.filter(opportunity=deal).count() == 2
    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_a_contact_of_another_visible_account_is_refused(personas, api, deal):
    other = AccountFactory(owner=personas.alice)
    contact = ContactFactory(account=other)

    response = api(personas.alice).patch(
        url(deal), {"contacts": [{"contact": contact.pk}]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["contacts.0.contact"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contacts": "kept"}, "contacts"),
        ({"contacts": [{"contact": "x"}]}, "contacts.0.contact"),
        ({"contacts": [{"contact": 1, "role": "boss"}]}, "contacts.0.role"),
        ({"team": [{"user": 1}]}, "team.0.role"),
        ({"competitors": [{"threat": "low"}]}, "competitors.0.name"),
        ({"competitors": [{"name": "SAP", "threat": "extreme"}]}, "competitors.0.threat"),
        ({"competitors": [{"name": "SAP", "strengths": "a\x00b"}]}, "competitors.0.strengths"),
        ({"checked_criteria": [1, "two"]}, "checked_criteria.1"),
        ({"checked_criteria": [987654]}, "checked_criteria.0"),
    ],
)
def test_malformed_items_answer_400_naming_the_item(personas, api, deal, body, field):
    response = api(personas.alice).patch(url(deal), body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_a_contact_or_competitor_twice_is_refused(personas, api, deal):
    client = api(personas.alice)

    contacts = client.patch(
        url(deal),
        {"contacts": [{"contact": deal.kept.pk}, {"contact": deal.kept.pk, "role": "user"}]},
        format="json",
    )
    competitors = client.patch(
        url(deal), {"competitors": [{"name": "SAP"}, {"name": "SAP"}]}, format="json"
    )

    assert contacts.status_code == competitors.status_code == 400
    assert "twice" in contacts.json()["errors"]["contacts.1.contact"][0]
    assert "twice" in competitors.json()["errors"]["competitors.1.name"][0]
    assert Opportunity.objects.get(pk=deal.pk).version == 1
    # One company whatever its case, as whatever spaces at its ends.
    for names in (["Acme", "acme"], ["Acme ", "Acme"]):
        twice = client.patch(
            url(deal), {"competitors": [{"name": name} for name in names]}, format="json"
        )
        assert twice.status_code == 400, names
        assert "twice" in twice.json()["errors"]["competitors.1.name"][0]
    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_team_members_are_people_one_may_pick_or_already_on_the_team(personas, api, deal):
    client = api(personas.alice)

    another_team = client.patch(
        url(deal), {"team": [{"user": personas.charlie.pk, "role": "presales"}]}, format="json"
    )
    nobody = client.patch(
        url(deal), {"team": [{"user": 987654, "role": "presales"}]}, format="json"
    )

    for response in (another_team, nobody):
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["team.0.user"]
    # Someone already on the team stays valid, even after moving to another team.
    personas.bob.sales_team = personas.west
    personas.bob.save()
    kept = client.patch(
        url(deal),
        {
            "team": [
                {"user": personas.bob.pk, "role": "presales"},
                {"user": personas.carol.pk, "role": "sales_rep"},
            ]
        },
        format="json",
    )
    assert kept.status_code == 200, kept.content
    assert {m["user"] for m in kept.json()["team"]} == {personas.bob.pk, personas.carol.pk}


def test_an_inactive_person_is_not_added(personas, api, deal):
    gone = UserFactory(sales_team=personas.east, is_active=False)

    response = api(personas.alice).patch(
        url(deal), {"team": [{"user": gone.pk, "role": "presales"}]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["team.0.user"]


def test_a_closing_stages_criterion_is_refused(personas, api, deal, stages):
    signed = ExitCriterion.objects.create(stage=stages["won"], name="Contract signed")

    response = api(personas.alice).patch(
        url(deal), {"checked_criteria": [signed.pk]}, format="json"
    )

    assert response.status_code == 400
    assert "checked_criteria.0" in response.json()["errors"]


def test_a_deal_one_cannot_see_answers_404_whatever_its_parts(personas, api, deal):
    response = api(personas.charlie).patch(url(deal), {"team": []}, format="json")

    assert response.status_code == 404
    assert OpportunityTeamMember.objects.filter(opportunity=deal).count() == 1


# --- the services ----------------------------------------------------------------------


def test_each_set_service_writes_one_version_and_a_repeat_writes_none(personas, deal, stages):
    criteria = list(stages["qualify"].criteria.all())

    opportunity_criteria_set(
        opportunity=deal, criteria=criteria, by=personas.alice, expected_version=1
    )
    opportunity_team_set(opportunity=deal, team=[], by=personas.alice, expected_version=2)
    opportunity_team_set(opportunity=deal, team=[], by=personas.alice, expected_version=3)
    opportunity_competitors_set(
        opportunity=deal,
        competitors=[{"name": "SAP", "threat": "high", "strengths": "", "weaknesses": ""}],
        by=personas.alice,
    )
    opportunity_contacts_set(
        opportunity=deal,
        contacts=[{"contact": deal.kept, "role": "decider", "stance": "supporter"}],
        by=personas.alice,
    )

    deal.refresh_from_db()
    assert deal.version == 5  # ticks, team, competitors, contacts; the repeat wrote nothing
    reasons = list(
        deal.history.filter(version__gt=1)
        .order_by("version")
        .values_list("history_change_reason", flat=True)
    )
    assert reasons == [
        "parts:checked_criteria",
        "parts:team",
        "parts:competitors",
        "parts:contacts",
    ]
    assert set(
        CriterionCheck.objects.filter(opportunity=deal).values_list("criterion", flat=True)
    ) == {c.pk for c in criteria}


def test_a_set_service_refuses_a_stale_version_and_writes_nothing(personas, deal):
    with pytest.raises(VersionConflict):
        opportunity_team_set(opportunity=deal, team=[], by=personas.alice, expected_version=7)

    assert OpportunityTeamMember.objects.filter(opportunity=deal).count() == 1
    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_a_412_names_the_parts_changed_since_and_only_fields_the_api_shows(personas, api, deal):
    """A new version made for a deal's contacts changes none of its fields: the 412 names
    the part, so a client does not resend its stale contacts thinking nothing changed."""
    client = api(personas.alice)
    patched = client.patch(
        url(deal), {"contacts": [{"contact": deal.kept.pk}]}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patched.status_code == 200, patched.content
    assert client.patch(url(deal), {"probability": 55}, HTTP_IF_MATCH='"2"').status_code == 200

    stale = client.patch(url(deal), {"name": "Stale"}, HTTP_IF_MATCH='"1"')

    assert stale.status_code == 412
    # Not the fields the API does not show (the name's folded key, a merge's survivor).
    assert stale.json()["changed_fields"] == ["contacts", "probability", "probability_is_custom"]


# --- a deal moved to another account ---------------------------------------------------


def test_a_deal_moved_with_contacts_of_its_account_in_it_is_refused_naming_them(
    personas, api, deal
):
    """Left in, the old account's contacts would be shown with the deal to the new
    account's people, who may not see the account those contacts are of."""
    other = AccountFactory(owner=personas.alice, name="Other Co")

    response = api(personas.alice).patch(url(deal), {"account": other.pk}, format="json")

    assert response.status_code == 400, response.content
    message = response.json()["errors"]["account"][0]
    assert "Dropped, Kept" in message and "Other Co" in message
    stored = Opportunity.objects.get(pk=deal.pk)
    assert (stored.account_id, stored.version) == (personas.account.pk, deal.version)
    assert OpportunityContact.objects.filter(opportunity=deal).count() == 2


@pytest.mark.parametrize("given", ["theirs", "none"])
def test_a_deal_moves_with_its_contacts_at_the_new_account(personas, api, deal, given):
    other = AccountFactory(owner=personas.alice)
    theirs = ContactFactory(account=other, name="Theirs")
    contacts = [{"contact": theirs.pk}] if given == "theirs" else []

    response = api(personas.alice).patch(
        url(deal), {"account": other.pk, "contacts": contacts}, format="json"
    )

    assert response.status_code == 200, response.content
    stored = Opportunity.objects.get(pk=deal.pk)
    assert (stored.account_id, stored.version) == (other.pk, deal.version + 1)
    expected = [theirs.pk] if given == "theirs" else []
    assert [c["contact"] for c in response.json()["contacts"]] == expected
    assert (
        list(
            OpportunityContact.objects.filter(opportunity=deal).values_list("contact_id", flat=True)
        )
        == expected
    )


def test_a_moved_deal_leaves_the_role_of_a_binned_contact_behind(personas, api, deal):
    """A role of a contact in the recycle bin waits for its restore while the deal stays
    (test above); moved to another account, it goes with the move: restored, the
    contact is in no deal of another account."""
    opportunity_contacts_set(
        opportunity=deal,
        contacts=[{"contact": deal.dropped, "role": BuyingRole.USER, "stance": Attitude.NEUTRAL}],
        by=personas.alice,
    )
    deal.refresh_from_db()
    deletion = contact_delete(contact=deal.dropped, by=personas.alice)
    other = AccountFactory(owner=personas.alice)

    response = api(personas.alice).patch(url(deal), {"account": other.pk}, format="json")

    assert response.status_code == 200, response.content
    assert Opportunity.objects.get(pk=deal.pk).account_id == other.pk
    restore_deletion(deletion=deletion, by=personas.alice)
    assert not OpportunityContact.objects.filter(opportunity=deal).exists()


def test_a_deal_moved_by_a_manager_shows_the_new_accounts_people_no_contact_of_the_old(
    personas, api, client, stages
):
    """The old account's contacts are named nowhere the new account's people look: not
    on the deal's page, not in the API, not in its history (where the earlier versions
    name them: "a contact you cannot see")."""
    carols = AccountFactory(name="Carol Co", owner=personas.carol)  # alice cannot see it
    hidden = ContactFactory(account=carols, name="Hidden Zhao")
    deal = OpportunityFactory(account=carols, name="Carol Deal")
    opportunity_contact_set(
        opportunity=deal, contact=hidden, role="decider", stance="supporter", by=personas.carol
    )
    manager = api(personas.manager)

    assert manager.patch(url(deal), {"account": personas.account.pk}).status_code == 400
    response = manager.patch(url(deal), {"account": personas.account.pk, "contacts": []})
    assert response.status_code == 200, response.content

    client.force_login(personas.alice)
    for path in (deal.get_absolute_url(), deal.get_absolute_url() + "history/"):
        page = client.get(path)
        assert page.status_code == 200
        assert "Hidden Zhao" not in page.content.decode()
    assert "a contact you cannot see" in page.content.decode()
    assert read(api(personas.alice), deal)["contacts"] == []
    # The manager, who sees Carol Co, still reads the name in the history.
    client.force_login(personas.manager)
    assert "Hidden Zhao" in client.get(deal.get_absolute_url() + "history/").content.decode()

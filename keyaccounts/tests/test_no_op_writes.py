"""A write that changes nothing changes nothing (issue 8, "a system of record").

A form saved untouched, a PATCH or PUT (by id or by external id) of the values stored,
a bulk item equal to the deal, a part of a deal or an account set as it already is: the
answer is a success, and the record keeps its version (so its ETag), its change number
and its `updated_at`; no history entry is written anywhere, the changes feed has nothing
new, no account waits for a rescore and nothing is queued after the commit."""

import datetime
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.forms import CheckboxInput
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AccountTeamRole, Attitude, BuyingRole
from accounts.tests.factories import CompetitorFactory, ContactFactory, TeamMemberFactory
from keyaccounts.models import ChangeCounter
from opportunities import services as deal_services
from opportunities.models import (
    CriterionCheck,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityTeamMember,
    StageChange,
)
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.models import RescoreRequest
from scoring.plans.tests.api_records import PLAN_EDIT_PAGES
from scoring.receivables.tests.api_records import RECEIVABLE_EDIT_PAGES
from visits import services as visit_services
from visits.models import Visit
from visits.tests.factories import VisitFactory

from .api_records import RECORD_TYPES, changes_all

pytestmark = pytest.mark.django_db

each_type = pytest.mark.parametrize("kind", RECORD_TYPES, ids=str)


def history_rows() -> dict[str, int]:
    """How many rows each history table holds (records, their parts, a visit's people)."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.model_name.startswith("historical")
    }


def traces(record) -> dict:
    """Everything a write of `record` would leave behind."""
    stored = type(record).all_objects.get(pk=record.pk)
    return {
        "version": stored.version,
        "change_seq": stored.change_seq,
        "updated_at": stored.updated_at,
        "last change number": ChangeCounter.objects.values_list("value", flat=True).first(),
        "history": history_rows(),
        "stage changes": StageChange.objects.count(),
    }


@contextmanager
def nothing_changes(record, feed_client, kind, on_commit):
    """Asserts that the block leaves no trace of a write of `record`."""
    _pages, cursor = changes_all(feed_client, kind)
    RescoreRequest.objects.all().delete()  # what creating the fixtures asked for
    before = traces(record)
    with on_commit() as callbacks:
        yield
    assert traces(record) == before
    assert list(RescoreRequest.objects.values_list("account_id", flat=True)) == []
    assert callbacks == []  # no rescore nudge, no reminder scan, no webhook
    feed = feed_client.get(f"{kind.path}changes/", {"since": cursor}).json()
    assert (feed["results"], feed["deleted"]) == ([], [])


def kind_named(name: str):
    return next(kind for kind in RECORD_TYPES if kind.name == name)


# --- the API ------------------------------------------------------------------------------


@each_type
def test_a_patch_of_the_value_already_stored_changes_nothing(
    personas, api, kind, django_capture_on_commit_callbacks
):
    record = kind.make(personas)
    client = api(personas.alice)
    stored = client.get(kind.url(record)).json()[kind.field]

    with nothing_changes(record, client, kind, django_capture_on_commit_callbacks):
        response = client.patch(kind.url(record), {kind.field: stored}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 200, response.json()
    assert (response.json()["version"], response["ETag"]) == (1, '"1"')
    assert response.json()[kind.field] == stored


@each_type
def test_a_put_of_the_record_as_it_was_read_changes_nothing(
    personas, api, kind, django_capture_on_commit_callbacks
):
    record = kind.make(personas)
    client = api(personas.alice)
    client.patch(kind.url(record), kind.change)  # a real change first: version 2
    read = client.get(kind.url(record))
    assert read["ETag"] == '"2"'

    with nothing_changes(record, client, kind, django_capture_on_commit_callbacks):
        response = client.put(kind.url(record), read.json(), format="json", HTTP_IF_MATCH='"2"')

    assert response.status_code == 200, response.json()
    assert (response.json()["version"], response["ETag"]) == (2, '"2"')
    assert response.json() == read.json()


@each_type
def test_a_put_by_external_id_of_the_record_as_it_was_read_changes_nothing(
    personas, api, kind, django_capture_on_commit_callbacks
):
    record = kind.make(personas, external_id="ERP-7")
    client = api(personas.alice)
    read = client.get(kind.external_url("ERP-7"))
    assert read.status_code == 200

    with nothing_changes(record, client, kind, django_capture_on_commit_callbacks):
        response = client.put(kind.external_url("ERP-7"), read.json(), format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["version"], response["ETag"]) == (1, '"1"')


def test_a_visit_sent_back_with_the_same_people_changes_nothing(
    personas, api, django_capture_on_commit_callbacks
):
    kind = kind_named("visits")
    visit = VisitFactory(account=personas.account)
    visit.contacts.set([ContactFactory(account=personas.account)])
    visit.attendees.set([personas.alice, personas.bob])
    client = api(personas.alice)
    read = client.get(kind.url(visit)).json()
    assert len(read["contacts"]) == 1 and len(read["attendees"]) == 2

    with nothing_changes(visit, client, kind, django_capture_on_commit_callbacks):
        put = client.put(kind.url(visit), read, format="json")
        patch = client.patch(
            kind.url(visit),
            {"contacts": read["contacts"], "attendees": read["attendees"][::-1]},
            format="json",
        )

    assert (put.status_code, patch.status_code) == (200, 200)
    assert put.json()["version"] == patch.json()["version"] == read["version"]


def test_changing_only_who_was_met_is_a_new_version_with_one_history_entry(personas, api):
    kind = kind_named("visits")
    visit = VisitFactory(account=personas.account)
    wang = ContactFactory(account=personas.account, name="Wang Wei")
    client = api(personas.alice)
    _pages, cursor = changes_all(client, kind)
    entries = visit.history.count()

    response = client.patch(kind.url(visit), {"contacts": [wang.pk]}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["version"], response["ETag"]) == (2, '"2"')
    assert response.json()["contacts"] == [wang.pk]
    assert visit.history.count() == entries + 1
    latest = visit.history.latest()
    assert [row.contact_id for row in latest.contacts.all()] == [wang.pk]
    feed = client.get(f"{kind.path}changes/", {"since": cursor}).json()
    assert [(row["id"], row["version"]) for row in feed["results"]] == [(visit.pk, 2)]


# --- the deals' bulk upsert ---------------------------------------------------------------


def test_a_bulk_item_equal_to_the_deal_is_unchanged_and_writes_nothing(
    personas, api, django_capture_on_commit_callbacks
):
    kind = kind_named("opportunities")
    deal = OpportunityFactory(account=personas.account, external_id="ERP-1")
    client = api(personas.alice)
    item = client.get(kind.url(deal)).json()

    with nothing_changes(deal, client, kind, django_capture_on_commit_callbacks):
        response = client.post(f"{kind.path}bulk/", [item], format="json")

    body = response.json()
    assert response.status_code == 200, body
    assert body["results"] == [
        {
            "index": 0,
            "external_id": "ERP-1",
            "status": "unchanged",
            "id": deal.pk,
            "version": 1,
            "errors": {},
        }
    ]
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (0, 0, 1, 0)


def test_a_bulk_list_reports_each_item_as_created_updated_or_unchanged(personas, api):
    kind = kind_named("opportunities")
    same = OpportunityFactory(account=personas.account, external_id="ERP-1")
    changed = OpportunityFactory(account=personas.account, external_id="ERP-2")
    client = api(personas.alice)
    items = [
        client.get(kind.url(same)).json(),
        {**client.get(kind.url(changed)).json(), "name": "Data centre, phase 2"},
        {**kind.payload(personas), "external_id": "ERP-3"},
    ]

    body = client.post(f"{kind.path}bulk/", items, format="json").json()

    assert [(r["external_id"], r["status"], r["version"]) for r in body["results"]] == [
        ("ERP-1", "unchanged", 1),
        ("ERP-2", "updated", 2),
        ("ERP-3", "created", 1),
    ]
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (1, 1, 1, 0)
    same.refresh_from_db()
    assert same.version == 1


# --- the edit pages -----------------------------------------------------------------------


def _on_the_minute() -> datetime.datetime:
    """A time the visit form shows whole: the form has no seconds to send back."""
    return (timezone.now() - datetime.timedelta(days=1)).replace(second=0, microsecond=0)


EDIT_PAGES = {
    "accounts": (lambda r: reverse("accounts:edit", args=[r.pk]), {}),
    "contacts": (lambda r: reverse("accounts:contact_edit", args=[r.account_id, r.pk]), {}),
    "visits": (lambda r: reverse("visits:edit", args=[r.pk]), {"occurred_at": _on_the_minute}),
    "opportunities": (lambda r: reverse("opportunities:edit", args=[r.pk]), {}),
    "development-records": (lambda r: reverse("visits:record_edit", args=[r.pk]), {}),
    **PLAN_EDIT_PAGES,  # scoring.plans (issue 13)
    "complaints": (  # visits.complaints (issue 13)
        lambda r: reverse("complaints:edit", args=[r.pk]),
        {"received_at": _on_the_minute},
    ),
    **RECEIVABLE_EDIT_PAGES,  # scoring.receivables (invoices)
}


def as_sent_untouched(response) -> dict:
    """The page's form as a browser submits it when nothing was typed: every field with
    the value the page rendered (an unticked box is not sent)."""
    data = {}
    for bound in response.context["form"]:
        value, widget = bound.value(), bound.field.widget
        if isinstance(widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
            continue
        shown = widget.format_value(value)
        data[bound.html_name] = "" if shown is None else shown
    return data


def messages_on(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@each_type
def test_saving_an_edit_form_untouched_changes_nothing_and_says_so(
    personas, login, api, kind, django_capture_on_commit_callbacks
):
    edit_url, fields = EDIT_PAGES[kind.name]
    record = kind.make(personas, **{name: make() for name, make in fields.items()})
    client = login(personas.alice)
    page = client.get(edit_url(record))
    assert page.status_code == 200
    data = as_sent_untouched(page)
    assert data["version"] == "1"

    with nothing_changes(record, api(personas.alice), kind, django_capture_on_commit_callbacks):
        response = client.post(edit_url(record), data, follow=True)

    assert response.redirect_chain, response.context["form"].errors
    assert messages_on(response) == ["No changes to save: everything was as you sent it."]
    html = response.content.decode()
    assert "No changes to save" in html and "Changes saved." not in html


def test_saving_an_edit_form_with_a_change_still_says_changes_saved(personas, login):
    client = login(personas.alice)
    url = reverse("accounts:edit", args=[personas.account.pk])
    data = {**as_sent_untouched(client.get(url)), "region": "North China"}

    response = client.post(url, data, follow=True)

    assert messages_on(response) == ["Changes saved."]
    personas.account.refresh_from_db()
    assert (personas.account.region, personas.account.version) == ("North China", 2)


# --- the parts of a deal ------------------------------------------------------------------


@pytest.fixture
def deal(personas):
    return OpportunityFactory(account=personas.account, stage=default_stages()["qualify"])


def deal_kind():
    return kind_named("opportunities")


def test_ticking_a_ticked_criterion_or_unticking_an_unticked_one_changes_nothing(
    personas, api, deal, django_capture_on_commit_callbacks
):
    ticked, unticked = default_stages()["qualify"].criteria.order_by("order")[:2]
    deal_services.criterion_set(opportunity=deal, criterion=ticked, checked=True, by=personas.alice)
    client = api(personas.alice)
    url = f"{deal_kind().url(deal)}criteria/"

    with nothing_changes(deal, client, deal_kind(), django_capture_on_commit_callbacks):
        again = client.post(url, {"criterion": ticked.pk, "checked": True}, format="json")
        untick = client.post(url, {"criterion": unticked.pk, "checked": False}, format="json")

    assert (again.status_code, untick.status_code) == (200, 200)
    assert again["ETag"] == untick["ETag"] == '"2"'  # the one real tick made version 2
    assert list(CriterionCheck.objects.values_list("criterion_id", flat=True)) == [ticked.pk]


def test_setting_a_deal_contact_team_member_or_competitor_as_they_are_changes_nothing(
    personas, api, deal, django_capture_on_commit_callbacks
):
    wang = ContactFactory(account=personas.account)
    deal_services.opportunity_contact_set(
        opportunity=deal,
        contact=wang,
        role=BuyingRole.DECIDER,
        stance=Attitude.SUPPORTER,
        by=personas.alice,
    )
    deal_services.opportunity_team_member_set(
        opportunity=deal, user=personas.bob, role=AccountTeamRole.PRESALES, by=personas.alice
    )
    rival = deal_services.opportunity_competitor_save(
        competitor=OpportunityCompetitor(opportunity=deal, name="Rival Co", threat="high"),
        by=personas.alice,
    )
    deal.refresh_from_db()
    assert deal.version == 4  # three real changes of its parts

    with nothing_changes(
        deal, api(personas.alice), deal_kind(), django_capture_on_commit_callbacks
    ):
        deal_services.opportunity_contact_set(
            opportunity=deal,
            contact=wang,
            role=BuyingRole.DECIDER,
            stance=Attitude.SUPPORTER,
            by=personas.alice,
        )
        deal_services.opportunity_team_member_set(
            opportunity=deal, user=personas.bob, role=AccountTeamRole.PRESALES, by=personas.alice
        )
        same = OpportunityCompetitor.objects.get(pk=rival.pk)
        saved = deal_services.opportunity_competitor_save(competitor=same, by=personas.alice)

    assert saved.saved_changes is False
    assert OpportunityContact.objects.get().role == BuyingRole.DECIDER
    assert OpportunityTeamMember.objects.get().role == AccountTeamRole.PRESALES


def test_a_new_role_for_a_deal_contact_is_still_a_new_version(personas, deal):
    wang = ContactFactory(account=personas.account)
    for stance in (Attitude.SUPPORTER, Attitude.CHAMPION):
        deal_services.opportunity_contact_set(
            opportunity=deal, contact=wang, role=BuyingRole.DECIDER, stance=stance, by=personas.bob
        )

    deal.refresh_from_db()
    assert deal.version == 3
    assert OpportunityContact.objects.get().stance == Attitude.CHAMPION
    assert OpportunityContact.history.count() == 2  # added, then its stance changed


def test_moving_a_deal_to_the_stage_it_is_in_changes_nothing(
    personas, api, deal, django_capture_on_commit_callbacks
):
    client = api(personas.alice)
    qualify = default_stages()["qualify"]

    with nothing_changes(deal, client, deal_kind(), django_capture_on_commit_callbacks):
        deal_services.opportunity_move_stage(opportunity=deal, to_stage=qualify, by=personas.bob)
        response = client.patch(deal_kind().url(deal), {"stage": qualify.pk}, format="json")

    assert (response.status_code, response["ETag"]) == (200, '"1"')


def test_saving_a_deal_competitor_form_untouched_changes_nothing(
    personas, login, api, deal, django_capture_on_commit_callbacks
):
    rival = deal_services.opportunity_competitor_save(
        competitor=OpportunityCompetitor(opportunity=deal, name="Rival Co"), by=personas.alice
    )
    client = login(personas.alice)
    url = reverse("opportunities:competitor_edit", args=[deal.pk, rival.pk])
    data = as_sent_untouched(client.get(url))

    with nothing_changes(
        deal, api(personas.alice), deal_kind(), django_capture_on_commit_callbacks
    ):
        response = client.post(url, data, follow=True)

    assert messages_on(response) == ["No changes to save: everything was as you sent it."]


# --- the parts of an account --------------------------------------------------------------


def test_the_account_team_role_someone_has_or_a_competitor_as_it_is_changes_nothing(
    personas, login, api, django_capture_on_commit_callbacks
):
    account = personas.account
    rival = CompetitorFactory(account=account, name="Rival Co", threat="high")
    client = login(personas.alice)
    url = reverse("accounts:competitor_edit", args=[account.pk, rival.pk])
    data = as_sent_untouched(client.get(url))
    kind = kind_named("accounts")

    with nothing_changes(account, api(personas.alice), kind, django_capture_on_commit_callbacks):
        account_services.team_member_set(
            account=account, by=personas.alice, user=personas.bob, role=AccountTeamRole.PRESALES
        )
        page = client.post(url, data, follow=True)

    assert messages_on(page) == ["No changes to save: everything was as you sent it."]


def test_a_new_team_role_is_still_recorded(personas):
    TeamMemberFactory(account=personas.account, user=personas.carol, role=AccountTeamRole.PRESALES)
    member = account_services.team_member_set(
        account=personas.account,
        by=personas.alice,
        user=personas.carol,
        role=AccountTeamRole.PROJECT_MANAGER,
    )

    assert member.role == AccountTeamRole.PROJECT_MANAGER
    assert [row.role for row in member.history.order_by("history_id")] == [
        AccountTeamRole.PRESALES,
        AccountTeamRole.PROJECT_MANAGER,
    ]


# --- a visit saved as it is does not even nudge the reminder scan ---------------------------


def test_a_visit_saved_unchanged_through_the_service_asks_for_no_reminder_scan(
    personas, api, django_capture_on_commit_callbacks
):
    visit = VisitFactory(account=personas.account, occurred_at=_on_the_minute())
    kind = kind_named("visits")

    with nothing_changes(visit, api(personas.alice), kind, django_capture_on_commit_callbacks):
        saved = visit_services.visit_save(
            by=personas.alice,
            account=personas.account,
            visit=Visit.objects.get(pk=visit.pk),
            expected_version=1,
            purpose=visit.purpose,
        )

    assert (saved.saved_changes, saved.version) == (False, 1)

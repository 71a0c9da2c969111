"""Change history: every write is kept with its actor, origin and values, and the
timeline reads it back as a person would (keyaccounts.history.timeline)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services as account_services
from accounts.models import Account, AccountTeamRole, Contact
from accounts.tests.factories import CompetitorFactory, ContactFactory
from keyaccounts.history.context import history_context
from keyaccounts.history.timeline import record_timeline
from keyaccounts.recyclebin.services import restore
from keyaccounts.tests.history_helpers import as_if_an_hour_ago
from opportunities import services as deal_services
from opportunities.models import OpportunityCompetitor
from opportunities.tests.factories import OpportunityFactory, default_stages
from visits import services as visit_services
from visits.models import Visit
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db


def changes_of(entry) -> dict:
    return {c.field: (c.old, c.new, c.old_display, c.new_display) for c in entry.changes}


def contact_form(contact, **changes) -> dict:
    """The contact edit form as the page sends it, with `changes` made."""
    data = {
        "name": contact.name,
        "title": contact.title,
        "buying_role": contact.buying_role,
        "influence": contact.influence,
        "attitude": contact.attitude,
        "is_active": "on",
        "version": contact.version,
    }
    return {**data, **changes}


# --- who, from where, which values ---------------------------------------------------


def test_a_web_edit_records_alice_from_the_web_page_with_old_and_new_values(personas, login):
    contact = ContactFactory(account=personas.account, title="Manager", attitude="neutral")
    url = reverse("accounts:contact_edit", args=[personas.account.pk, contact.pk])

    response = login(personas.alice).post(
        url, contact_form(contact, title="CIO", attitude="supporter")
    )

    assert response.status_code == 302
    row = Contact.history.model.objects.filter(id=contact.pk).latest("history_id")
    assert (row.history_user, row.origin, row.history_type) == (personas.alice, "web", "~")
    latest = record_timeline(contact)[0]
    assert (latest.user, latest.origin, latest.action) == (personas.alice, "web", "changed")
    assert changes_of(latest) == {
        "title": ("Manager", "CIO", "Manager", "CIO"),
        "attitude": ("neutral", "supporter", "Neutral", "Supporter"),
    }


def test_an_api_patch_records_the_tokens_user_and_origin_api(personas, api):
    contact = ContactFactory(account=personas.account, attitude="neutral")

    response = api(personas.alice).patch(
        f"/api/v1/contacts/{contact.pk}/", {"attitude": "opponent"}, format="json"
    )

    assert response.status_code == 200
    latest = record_timeline(contact)[0]
    assert (latest.user, latest.origin) == (personas.alice, "api")
    assert changes_of(latest) == {"attitude": ("neutral", "opponent", "Neutral", "Opponent")}


def test_writes_in_an_import_context_are_recorded_as_import_by_its_user(personas):
    contact = ContactFactory(account=personas.account, phone="")

    with history_context(origin="import", user=personas.bob):
        account_services.contact_update(contact=contact, by=personas.bob, phone="138 0000 0000")

    latest = record_timeline(contact)[0]
    assert (latest.user, latest.origin, latest.origin_label) == (personas.bob, "import", "import")
    assert changes_of(latest) == {"phone": ("", "138 0000 0000", "—", "138 0000 0000")}


def test_a_write_outside_any_context_is_recorded_as_a_system_task(personas):
    account = personas.account
    as_if_an_hour_ago()

    account_services.account_update(account=account, by=personas.alice, region="North China")

    latest = record_timeline(account)[0]
    assert (latest.user, latest.user_name, latest.origin) == (None, "system", "system")
    assert changes_of(latest) == {
        "region": ("East China", "North China", "East China", "North China")
    }


def test_a_save_that_changes_nothing_adds_no_entry(personas):
    contact = ContactFactory(account=personas.account)
    rows_before = contact.history.count()
    entries_before = len(record_timeline(contact))

    with history_context(origin="web", user=personas.alice):
        Contact.objects.get(pk=contact.pk).save()
        account_services.contact_update(contact=contact, by=personas.alice, name=contact.name)

    assert contact.history.count() == rows_before
    assert len(record_timeline(contact)) == entries_before == 1


# --- the recycle bin (bulk writes) -----------------------------------------------------


def test_deleting_and_restoring_an_account_are_on_its_timeline_and_its_contacts(personas):
    account = personas.account
    contact = ContactFactory(account=account)

    with history_context(origin="web", user=personas.alice):
        account_services.account_delete(account=account, by=personas.alice)
        account_services.account_restore(
            account=Account.all_objects.get(pk=account.pk), by=personas.alice
        )

    restored, deleted = record_timeline(account)[:2]
    assert [(e.action, e.user, e.origin) for e in (restored, deleted)] == [
        ("restored", personas.alice, "web"),
        ("deleted", personas.alice, "web"),
    ]
    assert restored.changes == deleted.changes == []  # deleted_at is the action itself
    assert [e.action for e in record_timeline(contact)] == ["restored", "deleted", "created"]


# --- an account's team and a deal's parts ------------------------------------------------


def test_team_members_added_and_removed_appear_on_the_account_timeline(personas):
    account = personas.account

    with history_context(origin="web", user=personas.alice):
        member = account_services.team_member_set(
            account=account, by=personas.alice, user=personas.carol, role=AccountTeamRole.SALES_REP
        )
    with history_context(origin="web", user=personas.manager):
        account_services.team_member_remove(member=member, by=personas.manager)

    removed, added = record_timeline(account)[:2]
    label = "Account team member: Carol Chen"
    assert (removed.action, removed.verb, removed.object_label, removed.user) == (
        "removed",
        "removed",
        label,
        personas.manager,
    )
    assert (added.action, added.verb, added.object_label, added.user) == (
        "created",
        "added",
        label,
        personas.alice,
    )
    assert added.object_type == "accounts.accountteammember"
    assert changes_of(added) == {"role": (None, "sales_rep", "—", "Sales rep")}


def test_a_deals_stage_move_criteria_contacts_and_competitors_appear_on_its_timeline(personas):
    stages = default_stages()
    deal = OpportunityFactory(account=personas.account, owner=personas.alice)
    contact = ContactFactory(account=personas.account, name="Wang Jun", title="")
    criteria = list(stages["qualify"].criteria.all())

    with history_context(origin="web", user=personas.alice):
        for criterion in criteria:
            deal_services.criterion_set(
                opportunity=deal, criterion=criterion, checked=True, by=personas.alice
            )
        deal_services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["needs_analysis"], by=personas.alice
        )
        deal_services.opportunity_contact_set(
            opportunity=deal, contact=contact, role="decider", stance="supporter", by=personas.alice
        )
        deal_services.opportunity_competitor_save(
            competitor=OpportunityCompetitor(opportunity=deal, name="SAP", threat="high"),
            by=personas.alice,
        )
        deal_services.criterion_set(
            opportunity=deal, criterion=criteria[0], checked=False, by=personas.alice
        )

    entries = record_timeline(deal)
    seen = [(e.object_type, e.verb, e.object_label) for e in entries]
    ticked = [
        ("opportunities.criterioncheck", "ticked", f"Exit criterion met: {c.name}")
        for c in criteria
    ]
    assert seen[0] == ("opportunities.criterioncheck", "unticked", ticked[0][2])
    assert seen[1] == (
        "opportunities.opportunitycompetitor",
        "added",
        "Competitor in the deal: SAP",
    )
    assert seen[2] == ("opportunities.opportunitycontact", "added", "Contact in the deal: Wang Jun")
    assert set(seen[4 : 4 + len(criteria)]) == set(ticked)
    assert seen[-1][1] == "created"
    # The deal itself: one entry for the stage move (the new versions its parts gave it
    # on the way changed nothing a person sees).
    deal_entries = [e for e in entries if not e.is_part]
    assert [e.action for e in deal_entries] == ["changed", "created"]
    assert changes_of(deal_entries[0]) == {
        "stage": (stages["qualify"].pk, stages["needs_analysis"].pk, "Qualify", "Needs analysis"),
        "probability": (10, 25, "10", "25"),
    }
    competitor = entries[1]
    assert changes_of(competitor)["threat"] == (None, "high", "—", "High")
    assert changes_of(entries[2])["role"] == (None, "decider", "—", "Decider")


def test_a_visits_save_and_its_contacts_read_as_one_entry_with_their_names(personas):
    zhang = ContactFactory(account=personas.account, name="Zhang Wei", title="")
    li = ContactFactory(account=personas.account, name="Li Na", title="")
    visit = visit_services.visit_save(
        by=personas.alice,
        account=personas.account,
        status="planned",
        planned_at=timezone.now() + datetime.timedelta(days=3),
    )

    with history_context(origin="web", user=personas.alice):
        visit_services.visit_save(
            by=personas.alice,
            account=personas.account,
            visit=visit,
            status="planned",
            planned_at=visit.planned_at,
            place="Shanghai office",
            contacts=[zhang, li],
            attendees=[personas.bob],
        )

    latest, created = record_timeline(visit)
    assert (latest.action, latest.user, created.action) == ("changed", personas.alice, "created")
    assert changes_of(latest) == {
        "place": ("", "Shanghai office", "—", "Shanghai office"),
        "contacts": ([], sorted([zhang.pk, li.pk]), "—", "Li Na, Zhang Wei"),
        "attendees": ([], [personas.bob.pk], "—", str(personas.bob)),
    }


def test_a_new_visit_with_people_reads_as_one_created_entry_holding_them(personas):
    """Who was met and who went are set after the new visit's save (they need its id):
    they go into its "created" entry, not one "changed" entry per relation."""
    zhang = ContactFactory(account=personas.account, name="Zhang Wei", title="")
    with history_context(origin="web", user=personas.alice):
        visit = visit_services.visit_save(
            by=personas.alice,
            account=personas.account,
            status="planned",
            planned_at=timezone.now() + datetime.timedelta(days=3),
            contacts=[zhang],
            attendees=[personas.bob],
        )

    (created,) = record_timeline(visit)
    assert (created.action, created.user) == ("created", personas.alice)
    (entry,) = Visit.history.filter(id=visit.pk)
    assert [row.contact_id for row in entry.contacts.all()] == [zhang.pk]
    assert [row.user_id for row in entry.attendees.all()] == [personas.bob.pk]


def test_a_visit_back_from_the_bin_has_lost_none_of_its_contacts_on_the_timeline(personas):
    zhang = ContactFactory(account=personas.account, name="Zhang Wei", title="")
    visit = VisitFactory(account=personas.account, owner=personas.alice)
    visit.contacts.set([zhang])
    as_if_an_hour_ago()

    with history_context(origin="web", user=personas.alice):
        visit_services.visit_delete(visit=visit, by=personas.alice)
        visit_services.visit_restore(visit=Visit.all_objects.get(pk=visit.pk), by=personas.alice)
    as_if_an_hour_ago()
    with history_context(origin="web", user=personas.bob):
        visit_services.visit_save(
            by=personas.bob,
            account=personas.account,
            visit=Visit.objects.get(pk=visit.pk),
            status=visit.status,
            occurred_at=visit.occurred_at,
            place="Plant 2",
            contacts=[zhang],
        )

    edited, restored, deleted = record_timeline(visit)[:3]
    # The bin's bulk writes keep no many-to-many rows: the contacts were not taken away.
    assert [(e.action, e.changes) for e in (restored, deleted)] == [
        ("restored", []),
        ("deleted", []),
    ]
    assert changes_of(edited) == {"place": ("", "Plant 2", "—", "Plant 2")}


# --- the page's language -------------------------------------------------------------------


def test_choices_show_by_label_and_foreign_keys_by_name_in_chinese(personas):
    account = personas.account
    contact = ContactFactory(account=account, attitude="neutral")
    with history_context(origin="web", user=personas.manager):
        account_services.account_update(account=account, by=personas.manager, owner=personas.bob)
        account_services.contact_update(contact=contact, by=personas.manager, attitude="champion")

    with translation.override("zh-hans"):
        owner_change = record_timeline(account)[0].changes
        attitude_change = record_timeline(contact)[0].changes

    # Labels and choices as keyaccounts/locale/zh_Hans has them; names as the users'.
    assert [(c.label, c.old_display, c.new_display) for c in owner_change] == [
        ("负责人", str(personas.alice), str(personas.bob))
    ]
    assert [(c.label, c.old_display, c.new_display) for c in attitude_change] == [
        ("对我方态度", "中立", "坚定支持")
    ]


def test_the_history_names_no_account_its_reader_cannot_see(personas):
    from opportunities.services import opportunity_update
    from opportunities.tests.factories import OpportunityFactory

    deal = OpportunityFactory(account=personas.charlies_account, name="Zhou's MES")
    with history_context(origin="admin", user=personas.admin):
        opportunity_update(opportunity=deal, by=personas.admin, account=personas.account)

    (alices,) = record_timeline(deal, user=personas.alice)[0].changes
    (admins,) = record_timeline(deal, user=personas.admin)[0].changes

    assert (alices.old_display, alices.new_display) == (
        "an account you cannot see",
        "Alice's Customer Co",
    )
    assert (admins.old_display, admins.new_display) == (
        "Charlie's Customer Co",
        "Alice's Customer Co",
    )
    assert alices.old == admins.old == personas.charlies_account.pk


# --- cost ------------------------------------------------------------------------------------


def make_changes(account, personas, numbers: range) -> None:
    """A change to the account, its team or its competitors per number, an hour apart."""
    for n in numbers:
        with history_context(origin="web", user=personas.manager):
            if n % 3 == 0:
                account_services.account_update(
                    account=account, by=personas.manager, region=f"R{n}"
                )
            elif n % 3 == 1:
                CompetitorFactory(account=account, name=f"Rival {n}")
            else:
                owner = personas.bob if account.owner_id == personas.alice.pk else personas.alice
                account_services.account_update(account=account, by=personas.manager, owner=owner)
        as_if_an_hour_ago()


def queries_for_timeline(record) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        entries = record_timeline(record)
    return len(queries), len(entries)


def test_the_timeline_costs_the_same_queries_for_3_and_30_changes(personas):
    account = personas.account
    make_changes(account, personas, range(3))
    at_three, entries_at_three = queries_for_timeline(account)

    make_changes(account, personas, range(3, 30))
    at_thirty, entries_at_thirty = queries_for_timeline(account)

    # Created, bob added to the team, and one entry per change.
    assert (entries_at_three, entries_at_thirty) == (2 + 3, 2 + 30)
    assert at_thirty == at_three


def test_a_record_inserted_in_bulk_gets_its_created_entry_before_its_first_change(personas):
    """Records from the demo seed or an import (bulk inserts: no history) still read as
    old → new at their first change, with a "created" entry by nobody before it."""
    from keyaccounts.bulk import stamp_change_seqs

    created = timezone.now() - datetime.timedelta(days=30)
    [account] = Account.objects.bulk_create(
        stamp_change_seqs(
            [Account(name="Bulk Co", industry="energy", region="华东", owner=personas.alice)]
        )
    )
    Account.objects.filter(pk=account.pk).update(created_at=created)
    assert not Account.history.filter(id=account.pk).exists()

    with history_context(origin="web", user=personas.alice):
        account_services.account_update(
            account=Account.objects.get(pk=account.pk), by=personas.alice, region="华南"
        )

    changed, baseline = record_timeline(Account.objects.get(pk=account.pk))
    assert (changed.action, changed.user, changed.origin) == ("changed", personas.alice, "web")
    assert changes_of(changed)["region"][:2] == ("华东", "华南")
    assert (baseline.action, baseline.user, baseline.origin) == ("created", None, "system")
    assert baseline.when == created


def test_a_record_inserted_in_bulk_and_first_deleted_gets_its_created_entry_too(personas):
    """The demo's account whose first change is a move to the recycle bin (a bulk
    update, not a save) reads created → deleted → restored, its contact likewise."""
    from accounts.models import Contact
    from keyaccounts.bulk import stamp_change_seqs

    [account] = Account.objects.bulk_create(
        stamp_change_seqs([Account(name="Bulk Co", industry="energy", owner=personas.alice)])
    )
    [contact] = Contact.objects.bulk_create(
        stamp_change_seqs([Contact(account=account, name="Bulk Person")])
    )

    deletion = account_services.account_delete(account=account, by=personas.alice)
    restore(deletion=deletion, by=personas.alice)

    for record in (Account.objects.get(pk=account.pk), Contact.objects.get(pk=contact.pk)):
        entries = record_timeline(record)
        assert [e.action for e in entries] == ["restored", "deleted", "created"], record
        assert (entries[-1].user, entries[-1].origin) == (None, "system")
        assert [(e.user, e.origin) for e in entries[:2]] == [(personas.alice, "system")] * 2


def test_an_edit_and_its_undo_at_once_are_two_entries(personas, api):
    """Two writes are two entries however quickly they follow: the change and the
    change back are both kept (the reviewer's PATCH, PATCH-back case)."""
    account = personas.account
    client = api(personas.alice)
    url = f"/api/v1/accounts/{account.pk}/"

    assert client.patch(url, {"region": "North"}, format="json").status_code == 200
    assert client.patch(url, {"region": account.region}, format="json").status_code == 200

    undo, change = record_timeline(Account.objects.get(pk=account.pk))[:2]
    assert changes_of(change)["region"][:2] == (account.region, "North")
    assert changes_of(undo)["region"][:2] == ("North", account.region)


def test_the_first_change_of_a_part_inserted_in_bulk_reads_old_to_new(personas):
    from accounts.models import AccountCompetitor

    [competitor] = AccountCompetitor.objects.bulk_create(
        [AccountCompetitor(account=personas.account, name="SAP", threat="low")]
    )
    assert not AccountCompetitor.history.filter(id=competitor.pk).exists()

    with history_context(origin="web", user=personas.alice):
        competitor.threat = "high"
        account_services.competitor_save(competitor=competitor, by=personas.alice)

    changed, added = record_timeline(personas.account)[:2]
    assert (changed.user, changed.object_label) == (
        personas.alice,
        "Competitor at the account: SAP",
    )
    assert changes_of(changed)["threat"][2:] == ("Low", "High")
    assert (added.action, added.user) == ("created", None)

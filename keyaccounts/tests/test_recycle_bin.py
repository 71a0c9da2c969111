"""The recycle bin end to end: a deleted account is gone from everything a user sees, comes
back whole with its history, and is purged for good only after RECYCLE_BIN_DAYS."""

import datetime

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountCompetitor, AccountTeamMember, BuyingRole, Contact
from accounts.services import account_delete, account_restore, contact_delete
from accounts.tests.factories import CompetitorFactory, ContactFactory
from keyaccounts.models import Tombstone
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import DELETED, RESTORED, purge_expired
from opportunities.models import Opportunity
from opportunities.services import opportunity_delete
from opportunities.tests.factories import OpportunityFactory
from scoring.models import RescoreRequest, Source
from visits.models import Notification, NotificationKind, Visit
from visits.reminders import reminders_scan
from visits.services import visit_delete, visit_restore
from visits.tests.factories import NotificationFactory, VisitFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def an_account_with_3_contacts_2_visits_1_deal(personas):
    """personas.account (alice's) with its buying center, two recorded visits whose
    follow-ups are overdue (the reminder scan has work to do) and one open deal."""
    account = personas.account
    contacts = [
        ContactFactory(account=account, name=name, buying_role=role)
        for name, role in [
            ("Wang", BuyingRole.DECIDER),
            ("Li", BuyingRole.EVALUATOR),
            ("Zhao", BuyingRole.USER),
        ]
    ]
    # Followed up by two days ago: overdue, not yet escalated to the manager.
    nine_days_ago = timezone.now() - 9 * DAY
    visits = [VisitFactory(account=account, occurred_at=nine_days_ago) for _ in range(2)]
    deal = OpportunityFactory(account=account, name="Data centre")
    return account, contacts, visits, deal


def versions(*records) -> dict:
    return {(type(r).__name__, r.pk): r.version for r in records}


def reread(records):
    return [type(r).all_objects.get(pk=r.pk) for r in records]


def what_alice_sees(client, api_client) -> dict:
    """The account, its deal and its records as alice's pages and API show them."""
    dashboard = client.get(reverse("scoring:dashboard")).context
    return {
        "account list": "Alice&#x27;s Customer Co"
        in client.get(reverse("accounts:list")).content.decode(),
        "accounts on the dashboard": dashboard["accounts_total"],
        "open deals on the dashboard": dashboard["pipeline"]["count"],
        "deal on the board": "Data centre"
        in client.get(reverse("opportunities:board")).content.decode(),
        "API accounts": api_client.get("/api/v1/accounts/").json()["count"],
        "API contacts": api_client.get("/api/v1/contacts/").json()["count"],
        "API visits": api_client.get("/api/v1/visits/").json()["count"],
        "API opportunities": api_client.get("/api/v1/opportunities/").json()["count"],
    }


def test_an_account_deleted_and_restored_comes_back_whole_and_is_nowhere_in_between(
    personas, login, api
):
    account, contacts, visits, deal = an_account_with_3_contacts_2_visits_1_deal(personas)
    records = [account, *contacts, *visits, deal]
    before = versions(*reread(records))
    client, api_client = login(personas.alice), api(personas.alice)
    shown = what_alice_sees(client, api_client)
    assert shown == {
        "account list": True,
        "accounts on the dashboard": 1,
        "open deals on the dashboard": 1,
        "deal on the board": True,
        "API accounts": 1,
        "API contacts": 3,
        "API visits": 2,
        "API opportunities": 1,
    }

    deletion = account_delete(account=account, by=personas.alice)

    assert deletion.counts == {
        "accounts.contact": 3,
        "visits.visit": 2,
        "opportunities.opportunity": 1,
    }
    assert what_alice_sees(client, api_client) == {
        "account list": False,
        "accounts on the dashboard": 0,
        "open deals on the dashboard": 0,
        "deal on the board": False,
        "API accounts": 0,
        "API contacts": 0,
        "API visits": 0,
        "API opportunities": 0,
    }
    assert client.get(account.get_absolute_url()).status_code == 404
    assert reminders_scan(now=timezone.now()) == 0
    assert not Notification.objects.filter(account_id=account.pk).exists()
    # Nothing was removed: every row is still there, flagged.
    assert all(r.deleted_at is not None for r in reread(records))

    restored = account_restore(account=account, by=personas.alice)

    assert {(type(r).__name__, r.pk) for r in restored} == set(before)
    after = versions(*reread(records))
    assert after == {key: version + 2 for key, version in before.items()}  # deleted, restored
    assert shown == what_alice_sees(client, api_client)
    assert client.get(account.get_absolute_url()).status_code == 200
    for record in reread(records):
        assert record.deleted_at is None and record.deletion_id is None
        reasons = list(
            record.history.order_by("-history_id").values_list("history_change_reason", flat=True)
        )
        assert reasons[:2] == [RESTORED, DELETED]
    # The two overdue follow-ups are reminded again now that the visits are back.
    assert reminders_scan(now=timezone.now()) == 2
    assert set(Notification.objects.values_list("kind", "visit_id")) == {
        (NotificationKind.FOLLOW_UP_OVERDUE, v.pk) for v in visits
    }


def test_a_delete_and_a_restore_each_leave_one_deletion_with_who_and_when(personas):
    contact = ContactFactory(account=personas.account)

    deletion = contact_delete(contact=contact, by=personas.bob)

    assert (deletion.model, deletion.object_id, deletion.account_id) == (
        "accounts.contact",
        contact.pk,
        personas.account.pk,
    )
    assert deletion.deleted_by == personas.bob and deletion.in_bin
    assert Tombstone.objects.filter(model="accounts.contact", object_id=contact.pk).exists()


def test_deleting_a_contact_visit_or_deal_asks_for_a_rescore_of_its_account(personas):
    account = personas.account
    contact = ContactFactory(account=account)
    visit = VisitFactory(account=account)
    deal = OpportunityFactory(account=account)
    for delete in [
        lambda: contact_delete(contact=contact, by=personas.alice),
        lambda: visit_delete(visit=visit, by=personas.alice),
        lambda: opportunity_delete(opportunity=deal, by=personas.alice),
    ]:
        RescoreRequest.objects.all().delete()
        delete()
        assert list(RescoreRequest.objects.values_list("account_id", flat=True)) == [account.pk]


def test_restoring_a_visit_asks_for_a_rescore_of_its_account(personas):
    visit = VisitFactory(account=personas.account)
    visit_delete(visit=visit, by=personas.alice)
    RescoreRequest.objects.all().delete()

    visit_restore(visit=visit, by=personas.alice)

    assert list(RescoreRequest.objects.values_list("account_id", flat=True)) == [
        personas.account.pk
    ]


def test_score_inputs_do_not_count_what_is_in_the_recycle_bin(personas):
    from scoring.inputs import account_inputs

    account = personas.account
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    ContactFactory(account=account, buying_role=BuyingRole.USER)
    deal = OpportunityFactory(account=account, amount=300000, currency="CNY")
    sources = {Source.ROLE_COVERAGE, Source.OPEN_PIPELINE}

    def inputs():
        [(_pk, values, _days)] = account_inputs(
            Account.objects.filter(pk=account.pk), sources, timezone.localdate()
        )
        return values[Source.ROLE_COVERAGE], values[Source.OPEN_PIPELINE]

    assert inputs() == (2, 300000)  # decider and user
    contact_delete(contact=decider, by=personas.alice)
    opportunity_delete(opportunity=deal, by=personas.alice)
    assert inputs() == (1, 0)


def test_the_deal_page_leaves_out_the_role_of_a_contact_in_the_recycle_bin(personas, login):
    from opportunities.services import opportunity_contact_set

    deal = OpportunityFactory(account=personas.account)
    kept = ContactFactory(account=personas.account, name="Kept Kong")
    gone = ContactFactory(account=personas.account, name="Gone Gao")
    for contact in (kept, gone):
        opportunity_contact_set(
            opportunity=deal, contact=contact, role="decider", stance="neutral", by=personas.alice
        )
    contact_delete(contact=gone, by=personas.alice)

    html = login(personas.alice).get(deal.get_absolute_url()).content.decode()

    assert "Kept Kong" in html
    assert "Gone Gao" not in html


def test_notifications_about_a_visit_in_the_recycle_bin_are_not_shown(personas, login):
    kept = NotificationFactory(
        visit=VisitFactory(account=personas.account), recipient=personas.alice
    )
    gone = NotificationFactory(
        visit=VisitFactory(account=personas.account), recipient=personas.alice
    )
    visit_delete(visit=gone.visit, by=personas.alice)

    page = login(personas.alice).get(reverse("visits:notifications"))

    shown = [n.pk for n in page.context["page"].object_list]
    assert shown == [kept.pk]


def test_no_email_goes_out_about_a_visit_in_the_recycle_bin(personas, mailoutbox):
    from visits.reminders import notification_emails_send

    gone = NotificationFactory(
        visit=VisitFactory(account=personas.account), recipient=personas.alice
    )
    visit_delete(visit=gone.visit, by=personas.alice)

    assert notification_emails_send() == 0
    assert mailoutbox == []


# --- the purge ---------------------------------------------------------------------------


def deleted_days_ago(deletion: Deletion, days: int) -> Deletion:
    Deletion.objects.filter(pk=deletion.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=days)
    )
    deletion.refresh_from_db()
    return deletion


def test_a_purge_after_the_retention_removes_the_rows_and_their_history(personas, settings):
    settings.RECYCLE_BIN_DAYS = 90
    account, contacts, visits, deal = an_account_with_3_contacts_2_visits_1_deal(personas)
    CompetitorFactory(account=account)
    visits[0].contacts.add(contacts[0])
    deletion = deleted_days_ago(account_delete(account=account, by=personas.alice), 91)

    assert purge_expired() == 1

    assert not Account.all_objects.filter(pk=account.pk).exists()
    assert not Contact.all_objects.filter(pk__in=[c.pk for c in contacts]).exists()
    assert not Visit.all_objects.filter(pk__in=[v.pk for v in visits]).exists()
    assert not Opportunity.all_objects.filter(pk=deal.pk).exists()
    assert not Account.history.model.objects.filter(id=account.pk).exists()
    assert not Contact.history.model.objects.filter(id__in=[c.pk for c in contacts]).exists()
    assert not Visit.history.model.objects.filter(id__in=[v.pk for v in visits]).exists()
    assert not Opportunity.history.model.objects.filter(id=deal.pk).exists()
    # The history of what went with them (its team, competitors, who was met) goes too.
    assert not AccountTeamMember.history.model.objects.filter(account_id=account.pk).exists()
    assert not AccountCompetitor.history.model.objects.filter(account_id=account.pk).exists()
    met = apps.get_model("visits", "HistoricalVisit_contacts")
    assert not met.objects.filter(visit_id__in=[v.pk for v in visits]).exists()
    deletion.refresh_from_db()
    assert deletion.purged_at is not None and not deletion.in_bin
    # Sync clients learned of the deletion when it happened; the tombstones stay.
    assert Tombstone.objects.filter(model="accounts.account", object_id=account.pk).exists()


def test_a_purge_removes_an_account_with_its_plans_reviews_and_complaints(personas, settings):
    """Issue 13's records point at each other (an action at its plan, a follow-up at its
    review, a complaint at a contact) and protect what they point at: the purge deletes
    them before what they protect, so nothing is left behind in the bin."""
    from types import SimpleNamespace

    from keyaccounts.recyclebin.services import _children_first, soft_deletable_models
    from scoring.plans.models import AccountPlan, PlanAction
    from scoring.plans.tests.world import add_plan
    from visits.complaints.models import Complaint
    from visits.complaints.tests.world import add_complaint
    from visits.reviews.models import ReviewFollowUp, ReviewMeeting
    from visits.reviews.tests.world import add_review

    settings.RECYCLE_BIN_DAYS = 90
    records = SimpleNamespace(
        account=personas.account, contact=ContactFactory(account=personas.account)
    )
    add_plan(records, rep=personas.alice, team="t")
    add_review(records, rep=personas.alice, team="t")
    add_complaint(records, rep=personas.alice, team="t")
    deleted_days_ago(account_delete(account=personas.account, by=personas.alice), 91)

    assert purge_expired() == 1

    for model, pk in [
        (Account, personas.account.pk),
        (Contact, records.contact.pk),
        (AccountPlan, records.plan.pk),
        (PlanAction, records.plan_action.pk),
        (ReviewMeeting, records.review.pk),
        (ReviewFollowUp, records.review_follow_up.pk),
        (Complaint, records.complaint.pk),
    ]:
        assert not model.all_objects.filter(pk=pk).exists(), model.__name__
        assert not model.history.model.objects.filter(id=pk).exists(), model.__name__
    # The order it found: every model before the models it points to.
    order = _children_first(soft_deletable_models())
    for position, model in enumerate(order):
        for field in model._meta.concrete_fields:
            if (
                field.many_to_one
                and field.related_model in order
                and field.related_model is not model
            ):
                assert order.index(field.related_model) > position, (model, field.name)


def test_a_purge_keeps_what_is_younger_than_the_retention_and_what_was_restored(personas, settings):
    settings.RECYCLE_BIN_DAYS = 90
    young = ContactFactory(account=personas.account)
    restored = ContactFactory(account=personas.account)
    deleted_days_ago(contact_delete(contact=young, by=personas.alice), 89)
    deleted_days_ago(contact_delete(contact=restored, by=personas.alice), 120)
    from accounts.services import contact_restore

    contact_restore(contact=Contact.all_objects.get(pk=restored.pk), by=personas.alice)

    assert purge_expired() == 0

    assert Contact.all_objects.filter(pk=young.pk, deleted_at__isnull=False).exists()
    assert Contact.objects.filter(pk=restored.pk).exists()
    assert Contact.history.model.objects.filter(id=young.pk).count() == 2  # created, deleted


def test_the_command_purges_with_the_days_given(personas):
    contact = ContactFactory(account=personas.account)
    deleted_days_ago(contact_delete(contact=contact, by=personas.alice), 8)

    call_command("purge_recycle_bin", "--days", "10")
    assert Contact.all_objects.filter(pk=contact.pk).exists()
    call_command("purge_recycle_bin", "--days", "7")
    assert not Contact.all_objects.filter(pk=contact.pk).exists()


def test_the_nightly_task_purges_after_recycle_bin_days(personas, settings):
    from keyaccounts.tasks import recycle_bin_purge

    settings.RECYCLE_BIN_DAYS = 30
    old = ContactFactory(account=personas.account)
    deleted_days_ago(contact_delete(contact=old, by=personas.alice), 31)

    assert recycle_bin_purge.delay().get() == 1
    assert not Contact.all_objects.filter(pk=old.pk).exists()


def test_a_contact_in_the_recycle_bin_is_offered_in_no_form_and_found_by_no_search(personas, login):
    account = personas.account
    kept = ContactFactory(account=account, name="Kept Kong", buying_role=BuyingRole.DECIDER)
    gone = ContactFactory(account=account, name="Gone Gao", buying_role=BuyingRole.USER)
    deal = OpportunityFactory(account=account)
    contact_delete(contact=gone, by=personas.alice)
    client = login(personas.alice)

    pages = {
        "deal's contact choice": deal.get_absolute_url(),
        "reports to": reverse("accounts:contact_edit", args=[account.pk, kept.pk]),
        "whom did you meet": reverse("visits:create", args=[account.pk]),
    }
    for what, url in pages.items():
        html = client.get(url).content.decode()
        assert "Gone Gao" not in html, what
    assert "Kept Kong" in client.get(pages["whom did you meet"]).content.decode()
    found = client.get(reverse("accounts:list"), {"q": "Gone Gao"}).context["page"]
    assert list(found.object_list) == []
    found = client.get(reverse("accounts:list"), {"q": "Kept Kong"}).context["page"]
    assert [a.pk for a in found.object_list] == [account.pk]


def test_who_reported_to_a_deleted_contact_reports_to_nobody_until_it_is_restored(personas, api):
    from accounts.services import contact_restore

    boss = ContactFactory(account=personas.account, name="王总")
    report = ContactFactory(account=personas.account, name="李工", reports_to=boss)

    contact_delete(contact=boss, by=personas.alice)

    report.refresh_from_db()
    assert (report.reports_to_id, report.version) == (None, 2)
    # The report round-trips through the API as read: no link to a record in the bin.
    client = api(personas.alice)
    read = client.get(f"/api/v1/contacts/{report.pk}/").json()
    assert read["reports_to"] is None
    again = client.put(f"/api/v1/contacts/{report.pk}/", read, format="json")
    assert (again.status_code, again.json()["version"]) == (200, 2)

    contact_restore(contact=Contact.all_objects.get(pk=boss.pk), by=personas.alice)

    report.refresh_from_db()
    assert (report.reports_to_id, report.version) == (boss.pk, 3)


def test_every_record_type_that_goes_to_the_bin_has_its_restore_registered():
    from keyaccounts.integrations.registry import record_types
    from keyaccounts.recyclebin import restores

    binned = {
        kind.model._meta.label_lower
        for kind in record_types().values()
        if any(field.name == "deleted_at" for field in kind.model._meta.fields)
    }
    assert len(binned) == 11
    assert restores.registered() == binned

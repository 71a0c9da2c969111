"""Managers merge two accounts, or two contacts: the chosen values, every child moved,
both histories kept, the merged-away id leading to the survivor."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Account, AccountCompetitor, AccountTeamMember, AccountTeamRole, Contact
from accounts.services import account_delete, account_merge, contact_merge
from accounts.tests.factories import (
    AccountFactory,
    CompetitorFactory,
    ContactFactory,
    TeamMemberFactory,
)
from keyaccounts.exceptions import ApplicationError
from keyaccounts.models import Tombstone
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import restore
from opportunities.models import Opportunity, OpportunityContact
from opportunities.tests.factories import OpportunityFactory
from scoring.models import Assessment, MonthlySales, RescoreRequest
from visits.models import DevelopmentRecord, Notification, NotificationKind, Visit
from visits.tests.factories import DevelopmentRecordFactory, NotificationFactory, VisitFactory

pytestmark = pytest.mark.django_db

VALID_CODE = "91350100M000100Y43"
MAY, JUNE = datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)


@pytest.fixture
def twin(personas):
    """The same company as alice's account, entered a second time by alice."""
    return AccountFactory(
        name="Alice's Customer Co., Ltd.",
        owner=personas.alice,
        region="福建",
        credit_code=VALID_CODE,
        notes="Entered from the trade fair list.",
    )


def children(account) -> dict[str, int]:
    """What hangs off an account, counted by plain queries."""
    return {
        "contacts": Contact.objects.filter(account=account).count(),
        "visits": Visit.objects.filter(account=account).count(),
        "deals": Opportunity.objects.filter(account=account).count(),
        "records": DevelopmentRecord.objects.filter(account=account).count(),
        "team": AccountTeamMember.objects.filter(account=account).count(),
        "competitors": AccountCompetitor.objects.filter(account=account).count(),
        "sales": MonthlySales.objects.filter(account=account).count(),
        "notifications": Notification.objects.filter(account=account).count(),
        "assessment": Assessment.objects.filter(account=account).count(),
    }


def test_merge_moves_every_child(personas, twin):
    survivor = personas.account  # 0 contacts; bob on its team
    CompetitorFactory(account=survivor, name="SAP")
    MonthlySales.objects.create(account=survivor, month=MAY, sales=100, receivables=10)

    met = ContactFactory(account=twin, name="Li Na")
    ContactFactory(account=twin, name="Zhao Lei")
    VisitFactory.create_batch(2, account=twin)
    deal = OpportunityFactory(account=twin)
    DevelopmentRecordFactory(account=twin)
    TeamMemberFactory(account=twin, user=personas.bob)  # bob is on both teams: stays behind
    TeamMemberFactory(account=twin, user=personas.carol, role=AccountTeamRole.PRESALES)
    CompetitorFactory(account=twin, name="SAP")  # the survivor has it: stays behind
    CompetitorFactory(account=twin, name="Oracle")
    MonthlySales.objects.create(account=twin, month=MAY, sales=50, receivables=5)
    MonthlySales.objects.create(account=twin, month=JUNE, sales=70, receivables=0)
    Assessment.objects.create(account=twin, need_fit=4)
    notice = NotificationFactory(visit=VisitFactory(account=twin))
    deal.contact_roles.create(contact=met, role="decider")
    before = {"survivor": children(survivor), "twin": children(twin)}
    assert before["twin"] == {
        "contacts": 2,
        "visits": 3,
        "deals": 1,
        "records": 1,
        "team": 2,
        "competitors": 2,
        "sales": 2,
        "notifications": 1,
        "assessment": 1,
    }

    account_merge(survivor=survivor, merged=twin, by=personas.manager, values={})

    after = children(survivor)
    assert after == {
        "contacts": 0 + 2,
        "visits": 0 + 3,
        "deals": 0 + 1,
        "records": 0 + 1,
        "team": 1 + 1,  # carol joins; bob was there already
        "competitors": 1 + 1,  # Oracle joins; SAP was there already
        "sales": 1 + 1,  # June joins; May is added up
        "notifications": 0 + 1,
        "assessment": 0 + 1,
    }
    assert MonthlySales.objects.get(account=survivor, month=MAY).sales == Decimal("150.00")
    assert MonthlySales.objects.get(account=survivor, month=MAY).receivables == Decimal("15.00")
    assert Notification.objects.get(pk=notice.pk).account_id == survivor.pk
    assert OpportunityContact.objects.get(opportunity=deal).contact_id == met.pk


def test_moved_children_get_a_new_version_and_a_history_entry(personas, twin):
    contact = ContactFactory(account=twin)
    visit = VisitFactory(account=twin)
    visit.contacts.set([contact])

    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})

    contact.refresh_from_db()
    visit.refresh_from_db()
    assert (contact.account_id, contact.version) == (personas.account.pk, 2)
    assert (visit.account_id, visit.version) == (personas.account.pk, 2)
    moved = contact.history.order_by("history_date", "history_id").last()
    assert (moved.account_id, moved.history_user, moved.history_type) == (
        personas.account.pk,
        personas.manager,
        "~",
    )
    # The visit's entry still lists who was met: the move did not empty it.
    entry = visit.history.order_by("history_date", "history_id").last()
    assert [row.contact_id for row in entry.contacts.all()] == [contact.pk]


def test_the_survivor_takes_the_chosen_values_and_a_new_version(personas, twin):
    survivor = personas.account
    version = survivor.version

    account_merge(
        survivor=survivor,
        merged=twin,
        by=personas.manager,
        values={"region": "福建", "credit_code": VALID_CODE, "notes": survivor.notes},
    )

    survivor.refresh_from_db()
    assert (survivor.region, survivor.credit_code) == ("福建", VALID_CODE)
    assert survivor.name == "Alice's Customer Co"  # not chosen: the survivor's own
    assert survivor.version == version + 1
    latest = survivor.history.order_by("history_date", "history_id").last()
    assert latest.history_change_reason == "merged"


def test_the_merged_account_goes_to_the_bin_pointing_at_the_survivor_with_its_history(
    personas, twin
):
    entries = twin.history.count()

    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})

    gone = Account.all_objects.get(pk=twin.pk)
    assert gone.deleted_at is not None
    assert gone.merged_into_id == personas.account.pk
    assert twin.history.count() == entries + 1
    assert twin.history.order_by("history_date", "history_id").last().history_change_reason == (
        "merged"
    )
    stone = Tombstone.objects.get(model="accounts.account", object_id=twin.pk)
    assert stone.merged_into == personas.account.pk
    assert Deletion.objects.get(object_id=twin.pk, model="accounts.account").in_bin


def test_the_survivor_is_rescored(personas, twin):
    RescoreRequest.objects.all().delete()
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    assert RescoreRequest.objects.filter(account=personas.account).exists()


def test_a_value_from_neither_account_is_refused_and_nothing_changes(personas, twin):
    with pytest.raises(ApplicationError):
        account_merge(
            survivor=personas.account, merged=twin, by=personas.manager, values={"region": "X"}
        )
    assert Account.objects.filter(pk=twin.pk).exists()
    personas.account.refresh_from_db()
    assert personas.account.version == 1


def test_an_account_cannot_be_merged_with_itself(personas):
    with pytest.raises(ApplicationError) as refused:
        account_merge(
            survivor=personas.account, merged=personas.account, by=personas.manager, values={}
        )
    assert "itself" in refused.value.message
    assert Account.objects.filter(pk=personas.account.pk, version=1).exists()


def test_an_account_in_the_recycle_bin_cannot_be_merged(personas, twin):
    account_delete(account=twin, by=personas.alice)
    with pytest.raises(ApplicationError) as refused:
        account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    assert "recycle bin" in refused.value.message


def test_only_a_manager_merges(personas, twin):
    with pytest.raises(ApplicationError) as refused:
        account_merge(survivor=personas.account, merged=twin, by=personas.alice, values={})
    assert refused.value.code == "permission_denied"
    assert Account.objects.filter(pk=twin.pk).exists()


def test_a_manager_cannot_merge_an_account_they_cannot_see(personas):
    with pytest.raises(ApplicationError) as refused:
        account_merge(
            survivor=personas.account,
            merged=personas.charlies_account,
            by=personas.manager,
            values={},
        )
    assert refused.value.code == "not_found"
    assert Account.objects.filter(pk=personas.charlies_account.pk).exists()


def test_a_merged_account_is_not_restored_from_the_bin(personas, twin):
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    deletion = Deletion.objects.get(model="accounts.account", object_id=twin.pk)
    with pytest.raises(ApplicationError) as refused:
        restore(deletion=deletion, by=personas.manager)
    assert refused.value.code == "merged"


def test_a_merged_account_answers_merged_to_its_rep_too_not_permission_denied(personas, twin, api):
    """alice entered the twin; a manager merged it away: her restore is told why, as
    the manager's is (not that she may not)."""
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})

    for user in (personas.alice, personas.manager):
        response = api(user).post(f"/api/v1/accounts/{twin.pk}/restore/")
        assert response.status_code == 409, (user, response.json())
        assert response.json()["code"] == "merged"


def test_a_merge_is_not_listed_in_the_recycle_bin_nor_ever_purged(personas, twin):
    from keyaccounts.recyclebin.selectors import deletions_visible_to
    from keyaccounts.recyclebin.services import purge_expired

    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})

    assert list(deletions_visible_to(personas.manager)) == []
    later = timezone.now() + datetime.timedelta(days=3650)
    assert purge_expired(now=later) == 0
    assert Account.all_objects.get(pk=twin.pk).merged_into_id == personas.account.pk
    assert Account.history.filter(id=twin.pk).exists()


def test_the_survivors_history_says_it_was_changed_by_a_merge(personas, twin):
    from keyaccounts.history.timeline import record_timeline

    account_merge(
        survivor=personas.account, merged=twin, by=personas.manager, values={"region": "福建"}
    )

    newest = record_timeline(Account.objects.get(pk=personas.account.pk))[0]
    assert newest.action == "merge_kept"
    assert [(c.label, c.new_display) for c in newest.changes] == [("region", "福建")]


def test_the_survivors_merge_entry_names_the_account_merged_into_it(personas, twin, login):
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})

    page = login(personas.manager).get(reverse("accounts:history", args=[personas.account.pk]))

    html = page.content.decode()
    history = reverse("accounts:history", args=[twin.pk])
    assert f'Merged into it: <a href="{history}">{escape(twin.name)}</a>' in html
    # Its history page opens for the reader, and says where it went.
    assert login(personas.manager).get(history).status_code == 200


def test_each_merge_entry_names_its_own_merged_account_after_a_second_merge(personas, twin):
    """A second merge repoints the first merged account at the new survivor: the first
    survivor's entry still names it, the new survivor's names only what it took in."""
    from keyaccounts.history.timeline import record_timeline

    third = AccountFactory(name="Alice Customer", owner=personas.alice)
    account_merge(survivor=twin, merged=personas.account, by=personas.manager, values={})
    account_merge(survivor=third, merged=twin, by=personas.manager, values={})

    def merges(account):
        entries = record_timeline(Account.all_objects.get(pk=account.pk), user=personas.manager)
        return [[m.id for m in e.merged] for e in entries if e.action == "merge_kept"]

    assert merges(twin) == [[personas.account.pk]]
    assert merges(third) == [[twin.pk]]
    # No other entry names anything.
    entries = record_timeline(Account.all_objects.get(pk=third.pk), user=personas.manager)
    assert [e.merged for e in entries if e.action != "merge_kept"] == [[]] * (len(entries) - 1)


def test_a_merged_account_the_reader_cannot_see_is_not_named(personas, twin):
    """bob's account merged into alice's by the manager: alice sees the survivor, not
    what bob's account was called, nor a link to its history."""
    from keyaccounts.history.timeline import record_timeline

    bobs = AccountFactory(name="Bob's Secret Prospect", owner=personas.bob)
    account_merge(survivor=personas.account, merged=bobs, by=personas.manager, values={})

    entry = record_timeline(personas.account, user=personas.alice)[0]
    assert entry.action == "merge_kept"
    assert [(m.id, m.label, m.url) for m in entry.merged] == [
        (None, "an account you cannot see", None)
    ]


def test_a_merged_contacts_link_follows_it_to_the_account_it_moved_to(personas, twin, login):
    """Wang Wei merged into 王伟 at the twin, then the twin merged into alice's account:
    the link on 王伟's history opens Wang Wei's history where it is now."""
    keep = ContactFactory(account=twin, name="王伟", title="")
    twice = ContactFactory(account=twin, name="Wang Wei", title="")
    contact_merge(survivor=keep, merged=twice, by=personas.manager, values={})
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    client = login(personas.manager)

    page = client.get(reverse("accounts:contact_history", args=[personas.account.pk, keep.pk]))

    link = reverse("accounts:contact_history", args=[personas.account.pk, twice.pk])
    assert f'Merged into it: <a href="{link}">Wang Wei</a>' in page.content.decode()
    assert client.get(link).status_code == 200


def test_an_account_inserted_in_bulk_reads_created_as_it_was_before_its_merge(personas):
    """The demo's accounts (bulk inserts, no history) merged away: their created entry is
    as they were (their credit code), not as the merge left them."""
    from accounts.access import access_refresh_for_accounts
    from keyaccounts.bulk import stamp_change_seqs
    from keyaccounts.history.timeline import record_timeline

    [bulk] = Account.objects.bulk_create(
        stamp_change_seqs([Account(name="Bulk Co", owner=personas.alice, credit_code=VALID_CODE)])
    )
    access_refresh_for_accounts([bulk.pk], created=True)  # as the seed does after it
    account_merge(survivor=personas.account, merged=bulk, by=personas.manager, values={})

    entries = record_timeline(Account.all_objects.get(pk=bulk.pk), user=personas.manager)
    assert [e.action for e in entries] == ["merged", "created"]
    created = {c.field: c.new for c in entries[-1].changes}
    assert created["credit_code"] == VALID_CODE
    assert "merged_into" not in created


def test_the_merged_accounts_history_says_merged_not_in_the_recycle_bin(personas, twin, login):
    """It is not in the bin (a merge cannot be undone): its history says where it went."""
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    page = login(personas.manager).get(reverse("accounts:history", args=[twin.pk]))
    html = page.content.decode()
    assert "Merged into another record" in html and "In the recycle bin" not in html
    assert f'<a href="{reverse("accounts:detail", args=[twin.pk])}">open the record' in html


def test_a_second_merge_points_the_first_merged_id_at_the_new_survivor(personas, twin):
    third = AccountFactory(name="Alice Customer", owner=personas.alice)
    account_merge(survivor=twin, merged=personas.account, by=personas.manager, values={})
    account_merge(survivor=third, merged=twin, by=personas.manager, values={})
    assert Account.all_objects.get(pk=personas.account.pk).merged_into_id == third.pk


# --- the merged-away id, in pages and in the feed ---------------------------------------


def test_the_merged_away_account_page_redirects_to_the_survivor(personas, twin, login):
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    response = login(personas.alice).get(reverse("accounts:detail", args=[twin.pk]))
    assert response.status_code == 302
    assert response["Location"] == personas.account.get_absolute_url()


def test_the_pages_under_a_merged_away_account_lead_to_the_survivors(personas, twin, login):
    """A bookmarked list of its contacts, the form to add one: the same page of the
    survivor, the query kept; a page that is not there stays 404."""
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    client = login(personas.alice)

    contacts = client.get(f"/accounts/{twin.pk}/contacts/", {"role": "decider"})
    new_contact = client.get(f"/accounts/{twin.pk}/contacts/new/", follow=True)
    nothing_there = client.get(f"/accounts/{twin.pk}/no-such-page/", follow=True)

    assert contacts.status_code == 302
    assert contacts["Location"] == f"/accounts/{personas.account.pk}/contacts/?role=decider"
    assert new_contact.status_code == 200
    assert new_contact.redirect_chain == [(f"/accounts/{personas.account.pk}/contacts/new/", 302)]
    assert new_contact.context["account"] == personas.account
    assert nothing_there.status_code == 404


def test_the_merged_away_account_is_404_for_who_cannot_see_the_survivor(personas, twin, login):
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    assert login(personas.charlie).get(reverse("accounts:detail", args=[twin.pk])).status_code == (
        404
    )
    assert login(personas.charlie).get(f"/accounts/{twin.pk}/contacts/").status_code == 404


def test_the_changes_feed_names_the_survivor_of_a_merged_account(personas, twin, api):
    client = api(personas.alice)
    cursor = client.get("/api/v1/accounts/changes/").json()["next_cursor"]

    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})

    page = client.get(f"/api/v1/accounts/changes/?since={cursor}").json()
    assert page["deleted"] == [
        {
            "id": twin.pk,
            "external_id": None,
            "deleted_at": page["deleted"][0]["deleted_at"],
            "merged_into": personas.account.pk,
        }
    ]
    assert [row["id"] for row in page["results"]] == [personas.account.pk]


def test_an_ordinary_deletion_in_the_feed_has_no_survivor(personas, api):
    contact = ContactFactory(account=personas.account)
    client = api(personas.alice)
    client.delete(f"/api/v1/contacts/{contact.pk}/")
    deleted = client.get("/api/v1/contacts/changes/").json()["deleted"]
    assert [(row["id"], row["merged_into"]) for row in deleted] == [(contact.pk, None)]


# --- contacts ---------------------------------------------------------------------------


@pytest.fixture
def pair(personas):
    """Two records of one person at alice's account."""
    keep = ContactFactory(account=personas.account, name="王伟", phone="13800138000", title="")
    twice = ContactFactory(
        account=personas.account, name="Wang Wei", email="wang.wei@example.com", title="CIO"
    )
    return keep, twice


def test_contact_merge_moves_visits_deal_roles_and_reports(personas, pair):
    keep, twice = pair
    both_met = VisitFactory(account=personas.account)
    both_met.contacts.set([keep, twice])
    twice_met = VisitFactory(account=personas.account)
    twice_met.contacts.set([twice])
    shared_deal, other_deal = OpportunityFactory.create_batch(2, account=personas.account)
    shared_deal.contact_roles.create(contact=keep, role="decider")
    shared_deal.contact_roles.create(contact=twice, role="evaluator")  # stays behind
    other_deal.contact_roles.create(contact=twice, role="user")
    report = ContactFactory(account=personas.account, reports_to=twice)

    contact_merge(survivor=keep, merged=twice, by=personas.manager, values={"email": twice.email})

    assert sorted(both_met.contacts.values_list("pk", flat=True)) == [keep.pk]
    assert list(twice_met.contacts.values_list("pk", flat=True)) == [keep.pk]
    assert set(
        OpportunityContact.objects.filter(contact=keep).values_list("opportunity", "role")
    ) == {(shared_deal.pk, "decider"), (other_deal.pk, "user")}
    report.refresh_from_db()
    assert report.reports_to_id == keep.pk
    keep.refresh_from_db()
    assert (keep.email, keep.phone, keep.version) == ("wang.wei@example.com", "13800138000", 2)
    gone = Contact.all_objects.get(pk=twice.pk)
    assert (gone.deleted_at is not None, gone.merged_into_id) == (True, keep.pk)
    # The visits and the deal whose parts changed are new versions.
    assert Visit.objects.get(pk=twice_met.pk).version == 2
    assert Opportunity.objects.get(pk=other_deal.pk).version == 2


def test_contacts_of_two_accounts_are_not_merged(personas):
    other = ContactFactory(account=AccountFactory(owner=personas.alice))
    mine = ContactFactory(account=personas.account)
    with pytest.raises(ApplicationError) as refused:
        contact_merge(survivor=mine, merged=other, by=personas.manager, values={})
    assert "same account" in refused.value.message


def test_a_contact_cannot_be_merged_with_itself(personas, pair):
    keep, _twice = pair
    with pytest.raises(ApplicationError):
        contact_merge(survivor=keep, merged=keep, by=personas.manager, values={})


def test_the_merged_away_contact_page_redirects_to_the_survivor(personas, pair, login):
    keep, twice = pair
    contact_merge(survivor=keep, merged=twice, by=personas.manager, values={})
    response = login(personas.bob).get(
        reverse("accounts:contact_edit", args=[personas.account.pk, twice.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == keep.get_absolute_url()


def test_a_contact_of_a_merged_away_account_is_found_at_the_survivor(personas, twin, login):
    contact = ContactFactory(account=twin)
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    response = login(personas.alice).get(
        reverse("accounts:contact_edit", args=[twin.pk, contact.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "accounts:contact_edit", args=[personas.account.pk, contact.pk]
    )


def test_a_lapsed_contact_reminder_becomes_the_survivors(personas, twin):
    reminder = Notification.objects.create(
        kind=NotificationKind.CONTACT_LAPSED,
        object_key=f"account:{twin.pk}",
        due_date=MAY,
        recipient=personas.alice,
        account=twin,
    )
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    reminder.refresh_from_db()
    assert (reminder.account_id, reminder.object_key) == (
        personas.account.pk,
        f"account:{personas.account.pk}",
    )

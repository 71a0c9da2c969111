"""The recycle bin in the pages: each record's delete page, the bin, restoring, the admin."""

import datetime

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Contact
from accounts.services import account_delete, contact_delete
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import DELETED, RESTORED
from opportunities.models import Opportunity
from opportunities.services import opportunity_delete
from opportunities.tests.factories import OpportunityFactory
from visits.models import DevelopmentRecord, Visit
from visits.services import visit_delete
from visits.tests.factories import DevelopmentRecordFactory, VisitFactory

pytestmark = pytest.mark.django_db

BIN = "/recycle-bin/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def bin_labels(response) -> list[str]:
    return [entry["deletion"].label for entry in response.context["entries"]]


# --- the delete pages --------------------------------------------------------------------


def test_the_account_page_asks_before_and_says_what_goes_with_it(personas, login):
    account = personas.account
    for _ in range(3):
        ContactFactory(account=account)
    VisitFactory(account=account)
    VisitFactory(account=account)
    OpportunityFactory(account=account)
    client = login(personas.alice)

    detail = client.get(account.get_absolute_url()).content.decode()
    assert f'href="/accounts/{account.pk}/delete/"' in detail
    assert "Move to the recycle bin" in detail

    page = client.get(reverse("accounts:delete", args=[account.pk])).content.decode()
    assert "This account and its 3 contacts, 2 visits and 1 deal go to the recycle bin." in page
    chinese = client.get(
        reverse("accounts:delete", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "3 位联系人、2 次拜访和 1 个商机" in chinese  # no space before 和
    assert "for 90 days" in page
    assert 'type="submit" class="danger-button">Move to the recycle bin</button>' in page
    # Asking changes nothing.
    assert Account.objects.filter(pk=account.pk).exists()


def test_deleting_an_account_lands_on_the_list_with_a_link_to_the_recycle_bin(personas, login):
    account = personas.account
    ContactFactory(account=account)
    client = login(personas.alice)

    response = client.post(
        reverse("accounts:delete", args=[account.pk]), {"version": account.version}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("accounts:list")
    [message] = messages_of(response)
    assert message.startswith("“Alice&#x27;s Customer Co” moved to the recycle bin with 1 contact.")
    assert f'<a href="{BIN}">Restore it from the recycle bin</a>' in message
    deletion = Deletion.objects.get()
    assert (deletion.object_id, deletion.deleted_by) == (account.pk, personas.alice)
    assert Account.all_objects.get(pk=account.pk).deleted_at is not None


def test_a_teammate_who_may_not_delete_the_account_sees_no_button_and_is_refused(personas, login):
    account = personas.account
    client = login(personas.bob)

    assert "Move to the recycle bin" not in client.get(account.get_absolute_url()).content.decode()
    page = client.get(reverse("accounts:delete", args=[account.pk])).content.decode()
    assert "Only the owner or a manager can delete this account." in page
    assert "<button" not in page.split("<main", 1)[1]

    response = client.post(reverse("accounts:delete", args=[account.pk]), follow=True)

    assert response.redirect_chain[-1][0] == account.get_absolute_url()
    assert messages_of(response) == ["Only the owner or a manager can delete this account."]
    assert Account.objects.filter(pk=account.pk).exists()
    assert not Deletion.objects.exists()


def test_an_account_with_a_reviewed_record_says_why_it_stays(personas, login):
    account = personas.account
    DevelopmentRecordFactory(
        account=account, reviewed_by=personas.manager, reviewed_on=timezone.localdate()
    )
    client = login(personas.alice)

    page = client.get(reverse("accounts:delete", args=[account.pk])).content.decode()
    assert "This account has reviewed development records, which are kept" in page

    client.post(reverse("accounts:delete", args=[account.pk]))
    assert Account.objects.filter(pk=account.pk).exists()


def test_a_delete_of_a_record_changed_since_the_page_was_opened_is_refused(personas, login):
    account = personas.account
    opened_at = account.version
    account.notes = "Changed by someone else"
    account.save()
    client = login(personas.alice)

    response = client.post(
        reverse("accounts:delete", args=[account.pk]), {"version": opened_at}, follow=True
    )

    [message] = messages_of(response)
    assert "since you opened it, so it was not deleted" in message
    assert Account.objects.filter(pk=account.pk).exists()


def test_the_delete_pages_answer_404_to_those_who_cannot_see_the_record(personas, login):
    account = personas.account
    contact = ContactFactory(account=account)
    visit = VisitFactory(account=account)
    deal = OpportunityFactory(account=account)
    record = DevelopmentRecordFactory(account=account)
    urls = [
        reverse("accounts:delete", args=[account.pk]),
        reverse("accounts:contact_delete", args=[account.pk, contact.pk]),
        reverse("visits:delete", args=[visit.pk]),
        reverse("opportunities:delete", args=[deal.pk]),
        reverse("visits:record_delete", args=[record.pk]),
    ]
    for outsider in (personas.carol, personas.charlie, personas.other_manager):
        client = login(outsider)
        for url in urls:
            for method in (client.get, client.post):
                response = method(url)
                assert response.status_code == 404, (outsider, url)
                assert "Alice" not in response.content.decode()
    assert not Deletion.objects.exists()


@pytest.mark.parametrize(
    "kind",
    ["contact", "visit", "deal", "development record"],
)
def test_each_record_page_has_a_delete_button_that_moves_it_to_the_bin(personas, login, kind):
    account = personas.account
    if kind == "contact":
        record = ContactFactory(account=account, name="Wang Fang")
        page_url = record.get_absolute_url()
        delete_url = reverse("accounts:contact_delete", args=[account.pk, record.pk])
        lands_on = account.get_absolute_url() + "#buying-center"
    elif kind == "visit":
        record = VisitFactory(account=account)
        page_url = record.get_absolute_url()
        delete_url = reverse("visits:delete", args=[record.pk])
        lands_on = reverse("visits:account_visits", args=[account.pk])
    elif kind == "deal":
        record = OpportunityFactory(account=account, name="Data centre")
        page_url = record.get_absolute_url()
        delete_url = reverse("opportunities:delete", args=[record.pk])
        lands_on = reverse("opportunities:board")
    else:
        record = DevelopmentRecordFactory(account=account)
        page_url = record.get_absolute_url()
        delete_url = reverse("visits:record_delete", args=[record.pk])
        lands_on = reverse("visits:record_list")
    client = login(personas.alice)
    assert f'href="{delete_url}"' in client.get(page_url).content.decode()

    response = client.post(delete_url)

    assert response.status_code == 302 and response["Location"] == lands_on
    stored = type(record).all_objects.get(pk=record.pk)
    assert stored.deleted_at is not None
    assert client.get(page_url).status_code == 404
    assert Deletion.objects.get().object_id == record.pk


@pytest.mark.parametrize("kind", ["account", "contact", "visit", "deal", "development record"])
def test_the_same_delete_sent_twice_says_it_is_in_the_bin_not_404(personas, login, kind):
    """A double click, the Back button's page sent again, a retry: the second delete
    lands on the bin, where the first put the record, and so does the delete page opened
    again by Back. Anyone who may not see that entry in the bin (the bin's own rule)
    still gets 404."""
    account = personas.account
    record, url = {
        "account": lambda: (account, reverse("accounts:delete", args=[account.pk])),
        "contact": lambda: (
            c := ContactFactory(account=account, name="Wang Fang"),
            reverse("accounts:contact_delete", args=[account.pk, c.pk]),
        ),
        "visit": lambda: (
            v := VisitFactory(account=account),
            reverse("visits:delete", args=[v.pk]),
        ),
        "deal": lambda: (
            d := OpportunityFactory(account=account, name="Data centre"),
            reverse("opportunities:delete", args=[d.pk]),
        ),
        "development record": lambda: (
            r := DevelopmentRecordFactory(account=account),
            reverse("visits:record_delete", args=[r.pk]),
        ),
    }[kind]()
    name = str(record)
    client = login(personas.alice)
    assert client.post(url, {"version": record.version}).status_code == 302

    again = client.post(url, {"version": record.version}, follow=True)

    assert again.redirect_chain[-1][0] == BIN
    assert messages_of(again)[-1] == f"“{name}” is already in the recycle bin."
    assert Deletion.objects.count() == 1
    back = client.get(url, follow=True)
    assert back.redirect_chain[-1][0] == BIN
    assert messages_of(back)[-1] == f"“{name}” is already in the recycle bin."
    assert login(personas.carol).get(url).status_code == 404
    # carol (another team) may not see it in the bin: nothing about it is said to her
    outsider = login(personas.carol).post(url, {"version": record.version})
    assert outsider.status_code == 404
    assert name not in outsider.content.decode()


def test_a_planned_visit_can_still_be_cancelled_and_also_deleted(personas, login):
    from visits.tests.factories import PlannedVisitFactory

    visit = PlannedVisitFactory(account=personas.account)
    html = login(personas.alice).get(visit.get_absolute_url()).content.decode()

    assert "Cancel the visit" in html
    assert f'href="{reverse("visits:delete", args=[visit.pk])}"' in html


def test_a_reviewed_record_has_no_delete_button_and_cannot_be_deleted(personas, login):
    record = DevelopmentRecordFactory(
        account=personas.account, reviewed_by=personas.manager, reviewed_on=timezone.localdate()
    )
    client = login(personas.manager)
    delete_url = reverse("visits:record_delete", args=[record.pk])

    assert delete_url not in client.get(record.get_absolute_url()).content.decode()
    response = client.post(delete_url, follow=True)

    assert messages_of(response) == [
        "A reviewed development record is kept for good: it cannot be deleted."
    ]
    assert DevelopmentRecord.objects.filter(pk=record.pk).exists()


# --- the bin -----------------------------------------------------------------------------


def test_the_bin_is_in_the_main_navigation(personas, login):
    html = login(personas.carol).get(reverse("visits:my_week")).content.decode()
    assert f'<a href="{BIN}" >Recycle bin</a>' in html


def test_the_bin_shows_what_each_person_may_restore(personas, login):
    """Who deleted it, and the managers who can see its account; nobody else."""
    by_bob = ContactFactory(account=personas.account, name="Deleted By Bob")
    contact_delete(contact=by_bob, by=personas.bob)
    carols_account = AccountFactory(name="Carol Co", owner=personas.carol)
    account_delete(account=carols_account, by=personas.carol)
    charlies = ContactFactory(account=personas.charlies_account, name="Charlie's Contact")
    contact_delete(contact=charlies, by=personas.charlie)

    def seen_by(user):
        return set(bin_labels(login(user).get(BIN)))

    assert seen_by(personas.bob) == {"Deleted By Bob (Manager)"}
    assert seen_by(personas.alice) == set()  # the owner, but neither deleter nor manager
    assert seen_by(personas.carol) == {"Carol Co"}
    assert seen_by(personas.manager) == {"Deleted By Bob (Manager)", "Carol Co"}
    assert seen_by(personas.other_manager) == {"Charlie's Contact (Manager)"}
    assert seen_by(personas.admin) == {
        "Deleted By Bob (Manager)",
        "Carol Co",
        "Charlie's Contact (Manager)",
    }


def test_the_bin_lists_type_who_when_what_went_along_and_days_left(personas, login, settings):
    settings.RECYCLE_BIN_DAYS = 90
    account = personas.account
    ContactFactory(account=account)
    ContactFactory(account=account)
    OpportunityFactory(account=account)
    deletion = account_delete(account=account, by=personas.alice)
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    Deletion.objects.filter(pk=deletion.pk).update(deleted_at=ten_days_ago)

    response = login(personas.alice).get(BIN)
    html = response.content.decode()

    assert '<span class="badge">Account</span> Alice&#x27;s Customer Co' in html
    assert "with 2 contacts and 1 deal" in html
    assert f'<td data-label="Deleted by">{personas.alice}</td>' in html
    assert f"{timezone.localtime(ten_days_ago):%Y-%m-%d %H:%M}" in html
    purge_on = timezone.localdate(ten_days_ago) + datetime.timedelta(days=90)
    assert f'{purge_on:%Y-%m-%d} <span class="muted small">(in 80 days)</span>' in html
    assert 'aria-label="Restore Alice&#x27;s Customer Co">Restore</button>' in html


def test_the_bin_filters_by_type_who_and_when(personas, login):
    contact = ContactFactory(account=personas.account, name="Zhang")
    visit = VisitFactory(account=personas.account)
    deal = OpportunityFactory(account=personas.account, name="Pilot")
    contact_delete(contact=contact, by=personas.alice)
    visit_delete(visit=visit, by=personas.bob)
    old = opportunity_delete(opportunity=deal, by=personas.alice)
    Deletion.objects.filter(pk=old.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=30)
    )
    client = login(personas.manager)
    today = timezone.localdate()

    assert bin_labels(client.get(BIN, {"type": "accounts.contact"})) == ["Zhang (Manager)"]
    assert bin_labels(client.get(BIN, {"type": "opportunities.opportunity"})) == ["Pilot"]
    assert bin_labels(client.get(BIN, {"deleted_by": personas.bob.pk})) == [str(visit)]
    recent = client.get(BIN, {"deleted_from": (today - datetime.timedelta(days=7)).isoformat()})
    assert sorted(bin_labels(recent)) == sorted(["Zhang (Manager)", str(visit)])
    older = client.get(BIN, {"deleted_to": (today - datetime.timedelta(days=7)).isoformat()})
    assert bin_labels(older) == ["Pilot"]
    assert bin_labels(client.get(BIN, {"q": "zha"})) == ["Zhang (Manager)"]
    # Who deleted is picked by name among the people of the user's teams, never a list.
    field = client.get(BIN).context["filter"].form["deleted_by"]
    choices = set(field.field.queryset.values_list("username", flat=True))
    assert choices == {"manager", "alice", "bob", "carol"}
    assert 'name="deleted_by_name"' in str(field) and "<option" not in str(field)
    typed = client.get(BIN, {"deleted_by": "", "deleted_by_name": "bob"})
    assert bin_labels(typed) == [str(visit)]


def test_a_range_of_deletion_days_ending_before_it_starts_is_refused_on_its_end(personas, login):
    response = login(personas.manager).get(
        BIN, {"deleted_from": "2026-12-07", "deleted_to": "2026-12-01"}
    )
    assert response.status_code == 200
    assert response.context["filter"].form.errors["deleted_to"] == [
        "The last day of deletion (2026-12-01) is before the first (2026-12-07)."
    ]


def test_the_bin_costs_the_same_queries_for_2_or_20_entries(
    personas, login, django_assert_max_num_queries
):
    client = login(personas.manager)

    def fill(n):
        for _ in range(n):
            account_delete(account=AccountFactory(owner=personas.alice), by=personas.alice)

    fill(2)
    with django_assert_max_num_queries(50) as two:
        assert len(client.get(BIN).context["entries"]) == 2
    fill(18)
    with django_assert_max_num_queries(len(two.captured_queries)):
        assert len(client.get(BIN).context["entries"]) == 20


# --- restoring ---------------------------------------------------------------------------


def test_restoring_from_the_bin_brings_the_account_and_what_went_with_it_back(personas, login):
    account = personas.account
    contacts = [ContactFactory(account=account) for _ in range(3)]
    visits = [VisitFactory(account=account) for _ in range(2)]
    deal = OpportunityFactory(account=account)
    deletion = account_delete(account=account, by=personas.alice)
    client = login(personas.manager)

    response = client.post(reverse("recyclebin:restore", args=[deletion.pk]), follow=True)

    assert response.redirect_chain[-1][0] == BIN
    [message] = messages_of(response)
    assert message == (
        "Restored Alice&#x27;s Customer Co (and 6 records deleted with it). "
        f'<a href="{account.get_absolute_url()}">Open Alice&#x27;s Customer Co</a>'
    )
    assert bin_labels(response) == []
    assert Account.objects.filter(pk=account.pk).exists()
    assert Contact.objects.filter(pk__in=[c.pk for c in contacts]).count() == 3
    assert Visit.objects.filter(pk__in=[v.pk for v in visits]).count() == 2
    assert Opportunity.objects.filter(pk=deal.pk).exists()
    deletion.refresh_from_db()
    assert deletion.restored_by == personas.manager
    entries = account.history.order_by("-history_id")[:2]
    assert [(e.history_change_reason, e.history_user) for e in entries] == [
        (RESTORED, personas.manager),
        (DELETED, personas.alice),
    ]


def test_an_account_restored_beside_one_of_the_same_name_says_so_and_offers_the_merge(
    personas, login
):
    """While it was in the bin, alice entered the company again: the restore goes
    through (it was asked for) and the manager is shown the twin and the merge that keeps
    the live one and takes in the restored one."""
    deletion = account_delete(account=personas.account, by=personas.alice)
    again = AccountFactory(name="Alice's Customer Co.", owner=personas.alice)

    response = login(personas.manager).post(
        reverse("recyclebin:restore", args=[deletion.pk]), follow=True
    )

    restored, warning = messages_of(response)
    assert restored.startswith("Restored Alice&#x27;s Customer Co.")
    merge = reverse("accounts:merge_confirm", args=[again.pk, personas.account.pk])
    assert warning == (
        "Alice&#x27;s Customer Co looks like a record that is already here: "
        f'<a href="{again.get_absolute_url()}">Alice&#x27;s Customer Co.</a> '
        f'(<a href="{merge}">compare and merge</a>). If they are the same, merge them.'
    )
    assert Account.objects.filter(pk__in=[personas.account.pk, again.pk]).count() == 2
    assert login(personas.manager).get(merge).status_code == 200


def test_a_rep_restoring_a_contact_beside_the_same_person_is_told_to_ask_for_a_merge(
    personas, login
):
    contact = ContactFactory(account=personas.account, name="王伟", phone="13800138000", title="")
    deletion = contact_delete(contact=contact, by=personas.alice)
    again = ContactFactory(
        account=personas.account, name="Wang Wei", phone="+86 138-0013-8000", title=""
    )

    response = login(personas.alice).post(
        reverse("recyclebin:restore", args=[deletion.pk]), follow=True
    )

    warning = messages_of(response)[1]
    assert warning == (
        "王伟 looks like a record that is already here: "
        f'<a href="{again.get_absolute_url()}">Wang Wei</a>. '
        "If they are the same, ask your manager to merge them."
    )
    assert "compare and merge" not in warning
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_twin_the_restorer_cannot_see_is_counted_not_named(personas, login):
    mine = AccountFactory(name="Northwind Trading", owner=personas.alice)
    deletion = account_delete(account=mine, by=personas.alice)
    AccountFactory(name="Northwind Trading", owner=personas.charlie)

    response = login(personas.alice).post(
        reverse("recyclebin:restore", args=[deletion.pk]), follow=True
    )

    assert messages_of(response)[1] == (
        "Northwind Trading looks like 1 record already here that you cannot see: ask your manager."
    )


def test_a_restore_keeps_the_filters_of_the_bin_page(personas, login):
    deletion = contact_delete(contact=ContactFactory(account=personas.account), by=personas.alice)
    back = f"{BIN}?type=accounts.contact"

    response = login(personas.alice).post(
        reverse("recyclebin:restore", args=[deletion.pk]), {"next": back}
    )

    assert response["Location"] == back


def test_a_contact_whose_account_is_in_the_bin_is_not_restored_and_the_page_says_why(
    personas, login
):
    contact = ContactFactory(account=personas.account, name="Zhang")
    on_its_own = contact_delete(contact=contact, by=personas.alice)
    account_delete(account=personas.account, by=personas.alice)
    client = login(personas.alice)

    response = client.post(reverse("recyclebin:restore", args=[on_its_own.pk]), follow=True)

    assert messages_of(response) == [
        "Its account Alice's Customer Co is in the recycle bin: restore the account first "
        "(what was deleted with it comes back with it)."
    ]
    assert Contact.all_objects.get(pk=contact.pk).deleted_at is not None
    on_its_own.refresh_from_db()
    assert on_its_own.in_bin


def test_a_second_restore_says_it_is_no_longer_in_the_bin_and_changes_nothing(personas, login):
    contact = ContactFactory(account=personas.account)
    deletion = contact_delete(contact=contact, by=personas.alice)
    client = login(personas.alice)
    client.post(reverse("recyclebin:restore", args=[deletion.pk]), follow=True)
    version = Contact.objects.get(pk=contact.pk).version

    response = client.post(reverse("recyclebin:restore", args=[deletion.pk]), follow=True)

    assert messages_of(response) == [
        f"“{contact}” is not in the recycle bin any more: it was restored or purged."
    ]
    assert Contact.objects.get(pk=contact.pk).version == version


def test_a_restore_is_only_for_who_deleted_it_and_the_managers_who_see_it(personas, login):
    deletion = contact_delete(contact=ContactFactory(account=personas.account), by=personas.bob)

    for user in (personas.alice, personas.carol, personas.other_manager):
        response = login(user).post(reverse("recyclebin:restore", args=[deletion.pk]))
        assert response.status_code == 404, user
    deletion.refresh_from_db()
    assert deletion.in_bin
    assert (
        login(personas.bob).get(reverse("recyclebin:restore", args=[deletion.pk])).status_code
        == 405
    )


# --- the admin ---------------------------------------------------------------------------


def test_deleting_in_the_admin_moves_the_account_to_the_bin(personas, login):
    account = personas.account
    ContactFactory(account=account, name="Zhang")
    client = login(personas.admin)
    url = reverse("admin:accounts_account_delete", args=[account.pk])

    confirm = client.get(url).content.decode()
    assert "go to the recycle bin" in confirm
    assert "Zhang" in confirm
    response = client.post(url, {"post": "yes"}, follow=True)

    assert "moved to the recycle bin" in response.content.decode()
    stored = Account.all_objects.get(pk=account.pk)
    assert stored.deleted_at is not None
    assert Contact.all_objects.get(name="Zhang").deleted_at is not None
    assert Deletion.objects.get().deleted_by == personas.admin
    entry = stored.history.order_by("-history_id").first()
    assert (entry.history_change_reason, entry.origin) == (DELETED, "admin")
    logged = LogEntry.objects.get(action_flag=DELETION)
    assert (logged.object_id, logged.user) == (str(account.pk), personas.admin)


def test_deleting_selected_records_in_the_admin_moves_them_to_the_bin(personas, login):
    visits = [VisitFactory(account=personas.account) for _ in range(2)]
    client = login(personas.admin)

    client.post(
        reverse("admin:visits_visit_changelist"),
        {"action": "delete_selected", "_selected_action": [v.pk for v in visits], "post": "yes"},
    )

    assert Visit.all_objects.filter(pk__in=[v.pk for v in visits]).count() == 2
    assert Visit.objects.filter(pk__in=[v.pk for v in visits]).count() == 0
    assert Deletion.objects.count() == 2


def test_the_admin_shows_a_refusal_and_keeps_a_reviewed_record(personas, login):
    record = DevelopmentRecordFactory(
        account=personas.account, reviewed_by=personas.manager, reviewed_on=timezone.localdate()
    )
    client = login(personas.admin)

    response = client.post(
        reverse("admin:visits_developmentrecord_delete", args=[record.pk]),
        {"post": "yes"},
        follow=True,
    )

    assert "A reviewed development record is kept for good" in response.content.decode()
    assert DevelopmentRecord.objects.filter(pk=record.pk).exists()
    assert not Deletion.objects.exists()
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_the_admin_has_a_history_page_per_record(personas, login):
    account = personas.account
    account.notes = "Met the CIO"
    account.save()

    response = login(personas.admin).get(
        reverse("admin:accounts_account_history", args=[account.pk])
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(f'<a href="/admin/accounts/account/{account.pk}/history/') == 2
    assert "&nbsp;&rarr;&nbsp;&nbsp;Met the CIO" in html


def test_a_rep_no_longer_sees_what_they_deleted_at_an_account_given_to_another_team(
    personas, login
):
    contact = ContactFactory(account=personas.account, name="Zhang")
    deletion = contact_delete(contact=contact, by=personas.bob)
    personas.account.team_members.filter(user=personas.bob).delete()
    client = login(personas.bob)

    assert bin_labels(client.get(BIN)) == []
    assert client.post(reverse("recyclebin:restore", args=[deletion.pk])).status_code == 404
    deletion.refresh_from_db()
    assert deletion.in_bin

"""People move (人事变动): a decider, evaluator or coach who leaves the customer."""

import datetime

import pytest
from django.utils import timezone

from accounts.buying_center import assess_buying_center
from accounts.models import BuyingRole, Contact
from accounts.services import contact_update
from accounts.tests.factories import AccountFactory, ContactFactory
from visits.models import Notification, NotificationKind
from visits.people_move import key_person_left_scan
from visits.reminders import notification_path, notification_text, reminders_scan

pytestmark = pytest.mark.django_db

KIND = NotificationKind.KEY_PERSON_LEFT


def leave(contact, by):
    return contact_update(contact=Contact.objects.get(pk=contact.pk), by=by, is_active=False)


def scan(now=None):
    now = now or timezone.now()
    return key_person_left_scan(now=now, today=timezone.localdate(now), account_ids=None)


@pytest.fixture
def decider(personas):
    return ContactFactory(
        account=personas.account, name="Wang Jianguo", buying_role=BuyingRole.DECIDER
    )


def test_leaving_sets_left_on_and_coming_back_clears_it(personas, decider):
    left = leave(decider, personas.alice)
    assert left.left_on == timezone.localdate()
    # saved again while gone: the day they left stays
    again = contact_update(contact=Contact.objects.get(pk=decider.pk), by=personas.alice, notes="x")
    assert again.left_on == timezone.localdate()
    back = contact_update(
        contact=Contact.objects.get(pk=decider.pk), by=personas.alice, is_active=True
    )
    assert back.left_on is None


def test_a_contact_added_as_already_gone_has_not_left_anyone(personas):
    from accounts.services import contact_create

    contact = contact_create(
        account=personas.account,
        by=personas.alice,
        name="Long gone",
        buying_role=BuyingRole.DECIDER,
        is_active=False,
    )
    assert contact.left_on is None
    assert scan() == 0


def test_owner_and_manager_are_told_once_with_the_scan_run_twice(personas, decider):
    leave(decider, personas.alice)
    assert scan() == 2
    assert scan() == 0
    assert reminders_scan() == 0  # the whole scan adds nothing either
    rows = Notification.objects.filter(kind=KIND).order_by("recipient__username")
    assert [(n.recipient, n.object_key, n.due_date) for n in rows] == [
        (personas.alice, f"contact:{decider.pk}", timezone.localdate()),
        (personas.manager, f"contact:{decider.pk}", timezone.localdate()),
    ]
    text = notification_text(rows[0])
    assert text == (
        "Wang Jianguo (decider) has left Alice's Customer Co: the decider role is unfilled."
    )
    assert notification_path(rows[0]) == f"/accounts/{personas.account.pk}/#buying-center"


def test_saving_the_contact_nudges_the_reminders_of_its_account(
    personas, decider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        leave(decider, personas.alice)
    # Celery runs inline in tests: the nudge scanned the account
    assert Notification.objects.filter(kind=KIND).count() == 2


def test_a_manager_who_owns_the_account_is_told_once(personas):
    account = AccountFactory(owner=personas.manager)
    coach = ContactFactory(account=account, is_coach=True, name="Li Coach")
    leave(coach, personas.manager)
    assert scan() == 1
    assert Notification.objects.get(kind=KIND).recipient == personas.manager


def test_nobody_is_told_when_the_role_is_filled_or_the_role_is_not_key(personas, decider):
    ContactFactory(account=personas.account, buying_role=BuyingRole.DECIDER, name="Other boss")
    user = ContactFactory(account=personas.account, buying_role=BuyingRole.USER)
    leave(decider, personas.alice)
    leave(user, personas.alice)
    assert scan() == 0


def test_leaving_again_is_a_new_leaving(personas, decider):
    leave(decider, personas.alice)
    scan()
    contact_update(contact=Contact.objects.get(pk=decider.pk), by=personas.alice, is_active=True)
    Contact.objects.filter(pk=decider.pk).update(is_active=False, left_on=datetime.date(2030, 1, 2))
    assert scan() == 2
    assert Notification.objects.filter(kind=KIND).count() == 4


def test_the_buying_center_shows_the_gap(personas, decider):
    leave(decider, personas.alice)
    contacts = list(personas.account.contacts.all())
    center = assess_buying_center(contacts)
    gaps = [f for f in center.flags if f.code == "key_person_left"]
    today = timezone.localdate()
    from django.utils.formats import date_format

    assert [f.message for f in gaps] == [
        f"Decider: none since Wang Jianguo left on {date_format(today, 'DATE_FORMAT')}."
    ]
    assert center.key_person_gaps == [Contact.objects.get(pk=decider.pk)]
    # filled again: no gap, the plain rule is back
    ContactFactory(account=personas.account, buying_role=BuyingRole.DECIDER)
    center = assess_buying_center(list(personas.account.contacts.all()))
    assert not [f for f in center.flags if f.code == "key_person_left"]
    assert not center.key_person_gaps


def test_the_account_page_and_list_flag_the_account_until_the_role_is_filled(
    personas, decider, login
):
    client = login(personas.alice)
    page = client.get(personas.account.get_absolute_url()).content.decode()
    assert 'data-flag="key_person_left"' not in page
    leave(decider, personas.alice)
    page = client.get(personas.account.get_absolute_url()).content.decode()
    assert "People move: Wang Jianguo left on" in page
    assert "Decider: none since Wang Jianguo left on" in page
    listing = client.get("/accounts/", {"gap": "key_person_left"})
    assert [a.pk for a in listing.context["page"].object_list] == [personas.account.pk]
    assert "Key person left" in listing.content.decode()
    ContactFactory(account=personas.account, buying_role=BuyingRole.DECIDER, name="New boss")
    page = client.get(personas.account.get_absolute_url()).content.decode()
    assert "People move:" not in page
    listing = client.get("/accounts/", {"gap": "key_person_left"})
    assert list(listing.context["page"].object_list) == []


def test_the_list_flag_costs_no_query_per_row(personas, login, django_assert_max_num_queries):
    client = login(personas.alice)
    for i in range(2):
        account = AccountFactory(owner=personas.alice, name=f"Gone {i}")
        leave(ContactFactory(account=account, buying_role=BuyingRole.EVALUATOR), personas.alice)
    client.get("/accounts/")
    with django_assert_max_num_queries(40) as few:
        client.get("/accounts/")
    for i in range(2, 12):
        account = AccountFactory(owner=personas.alice, name=f"Gone {i}")
        leave(ContactFactory(account=account, buying_role=BuyingRole.EVALUATOR), personas.alice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/accounts/")
    assert response.content.decode().count('data-flag="key_person_left"') == 12


def test_an_import_marking_a_contact_gone_sets_left_on_and_tells_them(
    personas, decider, django_capture_on_commit_callbacks
):
    from keyaccounts.tests.imports_files import csv_file, import_file

    rows = [["Account", "Name", "在职"], [personas.account.name, "Wang Jianguo", "no"]]
    with django_capture_on_commit_callbacks(execute=True):
        import_file("contacts", csv_file(rows), personas.alice)
    decider.refresh_from_db()
    assert decider.is_active is False and decider.left_on == timezone.localdate()
    assert Notification.objects.filter(kind=KIND).count() == 2  # the nudge scanned it
    rows[1][2] = "yes"
    import_file("contacts", csv_file(rows), personas.alice)
    decider.refresh_from_db()
    assert decider.is_active and decider.left_on is None


def test_the_api_marks_a_contact_gone_and_reads_when(
    personas, decider, api, django_capture_on_commit_callbacks
):
    client = api(personas.alice)
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.patch(
            f"/api/v1/contacts/{decider.pk}/", {"is_active": False}, format="json"
        )
    assert changed.status_code == 200, changed.content
    assert changed.json()["left_on"] == timezone.localdate().isoformat()
    ignored = client.patch(
        f"/api/v1/contacts/{decider.pk}/", {"left_on": "2020-01-01"}, format="json"
    )
    assert ignored.json()["left_on"] == timezone.localdate().isoformat()  # read-only
    assert scan() == 0  # the save's nudge already told them (tasks run inline)
    assert Notification.objects.filter(kind=KIND).count() == 2


def test_the_reminder_list_reads_the_people_who_left_at_once(
    personas, login, django_assert_max_num_queries
):
    """The list's sentences of key people who left: one query for the page's contacts,
    however many reminders it shows; each says who left and what is unfilled now."""
    client = login(personas.alice)

    def leaving(name, role, account):
        contact = ContactFactory(account=account, name=name, buying_role=role)
        leave(contact, personas.alice)
        return contact

    leaving("Wang Jianguo", BuyingRole.DECIDER, personas.account)
    scan()
    with django_assert_max_num_queries(40) as one:
        html = client.get("/notifications/").content.decode()
    assert "Wang Jianguo (decider) has left Alice&#x27;s Customer Co" in html

    for i in range(5):
        account = AccountFactory(owner=personas.alice, name=f"Customer {i}")
        leaving(f"Evaluator {i}", BuyingRole.EVALUATOR, account)
    filled = leaving("Li Ming", BuyingRole.DECIDER, AccountFactory(owner=personas.alice, name="Z"))
    scan()
    # Filled since: the reminder stays and says so.
    ContactFactory(account=filled.account, name="New decider", buying_role=BuyingRole.DECIDER)
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get("/notifications/").content.decode()
    for i in range(5):
        assert (
            f"Evaluator {i} (evaluator) has left Customer {i}: the evaluator role is unfilled."
            in html
        )
    assert "A key person has left Z (the role has been filled since)." in html
    assert "Wang Jianguo (decider) has left Alice&#x27;s Customer Co" in html

"""The admin's change form of a versioned record refuses to write over a newer version,
as the app's own forms do: a form opened before someone else's save shows its input
again with what happened, and saving once more is then a choice."""

import pytest
from django.urls import reverse

from accounts.models import Contact
from accounts.tests.factories import ContactFactory
from keyaccounts.history.admin import OPENED_VERSION
from keyaccounts.history.merge import SEEN_VERSION
from visits.tests.test_admin_people import form_of

pytestmark = pytest.mark.django_db


def contact_url(contact) -> str:
    return reverse("admin:accounts_contact_change", args=[contact.pk])


def test_a_form_opened_before_someone_elses_save_does_not_write_over_it(personas, login):
    contact = ContactFactory(account=personas.account, name="Wang", title="Engineer")
    client = login(personas.admin)
    data = form_of(client.get(contact_url(contact)), "contact_form")
    assert data[OPENED_VERSION] == str(contact.version)

    # Meanwhile a rep saves a new title.
    contact.refresh_from_db()
    contact.title = "Chief engineer"
    contact.save()
    data["name"] = "Wang Wei"  # the admin's own change, on the form opened before
    response = client.post(contact_url(contact), data)

    assert response.status_code == 200  # the form again, not saved
    page = response.content.decode()
    assert "Someone else saved this record" in page
    assert 'value="Wang Wei"' in page  # what the admin typed is still there
    assert "Saved meanwhile by someone else: <strong>" not in page
    assert "<strong>Saved meanwhile by someone else: Chief engineer</strong>" in page
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("Wang", "Chief engineer")

    # Saving again from the form as shown is a choice: it writes what the admin changed
    # (the name) and keeps what the rep changed and the admin did not (the title).
    again = form_of(response, "contact_form")
    assert again[SEEN_VERSION] == str(contact.version)
    assert again["title"] == "Engineer"  # the form still shows what the admin opened
    assert client.post(contact_url(contact), again).status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("Wang Wei", "Chief engineer")


def test_after_a_conflict_a_field_both_changed_is_named_and_saving_again_writes_mine(
    personas, login
):
    contact = ContactFactory(account=personas.account, name="Feng", title="Engineer")
    client = login(personas.admin)
    data = form_of(client.get(contact_url(contact)), "contact_form")
    contact.refresh_from_db()
    contact.title = "Chief engineer"
    contact.save()
    data["title"] = "Plant manager"
    response = client.post(contact_url(contact), data)
    assert "You both changed: Title." in response.content.decode()
    assert client.post(contact_url(contact), form_of(response, "contact_form")).status_code == 302
    contact.refresh_from_db()
    assert contact.title == "Plant manager"


def test_a_second_save_by_someone_else_after_the_conflict_is_refused_again(personas, login):
    contact = ContactFactory(account=personas.account, name="Chu", title="Engineer")
    client = login(personas.admin)
    data = form_of(client.get(contact_url(contact)), "contact_form")
    Contact.objects.get(pk=contact.pk).save(touch=True)
    data["name"] = "Chu Yi"
    shown = client.post(contact_url(contact), data)
    contact.refresh_from_db()
    contact.title = "Buyer"
    contact.save()  # again, after the admin was shown the first
    response = client.post(contact_url(contact), form_of(shown, "contact_form"))
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("Chu", "Buyer")


def test_a_form_with_no_one_elses_save_in_between_saves_a_new_version(personas, login):
    contact = ContactFactory(account=personas.account, name="Li")
    version = contact.version
    client = login(personas.admin)
    data = form_of(client.get(contact_url(contact)), "contact_form")
    data["name"] = "Li Na"
    assert client.post(contact_url(contact), data).status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.version) == ("Li Na", version + 1)


def test_a_save_racing_the_forms_check_is_refused_and_writes_nothing(personas, login, monkeypatch):
    contact = ContactFactory(account=personas.account, name="Zhao", title="Buyer")
    client = login(personas.admin)
    data = form_of(client.get(contact_url(contact)), "contact_form")
    data["name"] = "Zhao Lei"
    # Someone saves after the form's check passed, before its own save.
    from keyaccounts.history import admin as history_admin

    check = history_admin.OpenedVersionForm.clean

    def check_then_someone_saves(form):
        cleaned = check(form)
        Contact.objects.filter(pk=contact.pk).get().save(touch=True)
        return cleaned

    monkeypatch.setattr(history_admin.OpenedVersionForm, "clean", check_then_someone_saves)
    response = client.post(contact_url(contact), data, follow=True)
    assert "Someone else saved this record at the same moment" in response.content.decode()
    contact.refresh_from_db()
    assert contact.name == "Zhao"


def test_a_view_only_page_carries_no_version_field(personas, login):
    from django.contrib.auth.models import Permission

    contact = ContactFactory(account=personas.account, name="Qian")
    viewer = personas.manager
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_contact"))
    page = login(viewer).get(contact_url(contact))
    assert page.status_code == 200
    assert "Qian" in page.content.decode()
    assert OPENED_VERSION not in page.content.decode()
    assert "Opened version" not in page.content.decode()


# An account's contacts as inline rows of the account's change form.


def account_url(account) -> str:
    return reverse("admin:accounts_account_change", args=[account.pk])


def contact_row(data: dict, contact) -> str:
    """The prefix of `contact`'s inline row in the account form's data."""
    for key, value in data.items():
        if key.startswith("contacts-") and key.endswith("-id") and value == str(contact.pk):
            return key.removesuffix("-id")
    raise AssertionError(f"no inline row for contact {contact.pk}")


def test_an_inline_row_changed_after_someone_elses_save_is_refused(personas, login):
    account = personas.account
    contact = ContactFactory(account=account, name="Sun", title="Engineer")
    client = login(personas.admin)
    data = form_of(client.get(account_url(account)), "account_form")
    row = contact_row(data, contact)
    assert data[f"{row}-{OPENED_VERSION}"] == str(contact.version)

    # Meanwhile a rep saves a new title on the contact's own page.
    contact.refresh_from_db()
    contact.title = "Chief engineer"
    contact.save()
    data[f"{row}-name"] = "Sun Li"  # the admin's change, in the row opened before
    response = client.post(account_url(account), data)

    assert response.status_code == 200  # the form again
    page = response.content.decode()
    assert "Someone else saved this record" in page
    assert 'value="Sun Li"' in page  # the row as the admin typed it
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("Sun", "Chief engineer")

    # Saving again is a choice: the row now carries the version it was shown against,
    # and writes the admin's change alone.
    again = form_of(response, "account_form")
    assert again[f"{row}-{SEEN_VERSION}"] == str(contact.version)
    assert client.post(account_url(account), again).status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("Sun Li", "Chief engineer")


def test_an_inline_row_left_as_it_was_keeps_someone_elses_newer_version(personas, login):
    account = personas.account
    contact = ContactFactory(account=account, name="Zhou", title="Engineer")
    client = login(personas.admin)
    data = form_of(client.get(account_url(account)), "account_form")

    contact.refresh_from_db()
    contact.title = "Director"
    contact.save()
    version = contact.version
    data["region"] = "Suzhou"  # the admin changes the account alone
    assert client.post(account_url(account), data).status_code == 302

    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("Director", version)  # not written back
    account.refresh_from_db()
    assert account.region == "Suzhou"


def test_an_inline_row_saved_without_a_conflict_is_a_new_version(personas, login):
    account = personas.account
    contact = ContactFactory(account=account, name="Wu")
    version = contact.version
    client = login(personas.admin)
    data = form_of(client.get(account_url(account)), "account_form")
    data[f"{contact_row(data, contact)}-title"] = "Purchasing manager"
    assert client.post(account_url(account), data).status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("Purchasing manager", version + 1)


def test_an_inline_row_racing_the_check_is_refused_and_nothing_is_written(
    personas, login, monkeypatch
):
    account = personas.account
    contact = ContactFactory(account=account, name="Zheng")
    client = login(personas.admin)
    data = form_of(client.get(account_url(account)), "account_form")
    data[f"{contact_row(data, contact)}-name"] = "Zheng He"
    data["region"] = "Ningbo"
    from keyaccounts.history import admin as history_admin

    check = history_admin.OpenedVersionInlineForm.clean

    def check_then_someone_saves(form):
        cleaned = check(form)
        if form.instance.pk == contact.pk:
            Contact.objects.get(pk=contact.pk).save(touch=True)
        return cleaned

    monkeypatch.setattr(history_admin.OpenedVersionInlineForm, "clean", check_then_someone_saves)
    response = client.post(account_url(account), data, follow=True)
    assert "Someone else saved this record at the same moment" in response.content.decode()
    contact.refresh_from_db()
    assert contact.name == "Zheng"
    account.refresh_from_db()
    assert account.region != "Ningbo"  # the account's own change rolled back with it


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/account/abc/history/",
        "/admin/visits/visit/x/history/",
        "/admin/accounts/account/28/change/history/",
    ],
)
def test_the_history_of_an_id_that_is_no_number_says_it_does_not_exist(personas, login, path):
    """As the change page does for the same id: a message and the admin's index, not 500."""
    response = login(personas.admin).get(path, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert "doesn’t exist" in response.content.decode()


def test_the_history_of_a_record_still_opens(personas, login):
    contact = ContactFactory()
    url = reverse("admin:accounts_contact_history", args=[contact.pk])
    assert login(personas.admin).get(url).status_code == 200

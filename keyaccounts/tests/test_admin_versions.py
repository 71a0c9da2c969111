"""The admin's change form of a versioned record refuses to write over a newer version,
as the app's own forms do: a form opened before someone else's save shows its input
again with what happened, and saving once more is then a choice."""

import pytest
from django.urls import reverse

from accounts.models import Contact
from accounts.tests.factories import ContactFactory
from keyaccounts.history.admin import OPENED_VERSION
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
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("Wang", "Chief engineer")

    # Saving again from the form as shown is a choice: it writes the admin's values.
    again = form_of(response, "contact_form")
    assert again[OPENED_VERSION] == str(contact.version)
    assert client.post(contact_url(contact), again).status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Wang Wei"


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

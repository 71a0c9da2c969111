"""An account of many contacts in the admin: its contacts are listed on their own admin
list (a link, with their number), not as thousands of rows of its form, which was slow to
open and could not be saved (more fields than a request may carry)."""

import html

from django.conf import settings
from django.urls import reverse

from accounts.admin import CONTACTS_INLINE_LIMIT
from accounts.models import Account, Contact
from accounts.tests.factories import AccountFactory, ContactFactory
from visits.tests.test_admin_people import form_of


def account_url(account) -> str:
    return reverse("admin:accounts_account_change", args=[account.pk])


def test_a_few_contacts_stay_rows_of_the_account_form(personas, login):
    account = personas.account
    ContactFactory(account=account, name="Sun")
    page = login(personas.admin).get(account_url(account)).content.decode()
    assert 'name="contacts-TOTAL_FORMS"' in page
    assert "open their list" in page


def test_many_contacts_are_a_link_and_the_account_saves(personas, login):
    account = AccountFactory(owner=personas.alice, name="Big")
    # As many as make the form with their rows more fields than a request may carry.
    many = max(CONTACTS_INLINE_LIMIT + 1, settings.DATA_UPLOAD_MAX_NUMBER_FIELDS // 8)
    Contact.objects.bulk_create(Contact(account=account, name=f"Person {i}") for i in range(many))
    client = login(personas.admin)
    response = client.get(account_url(account))
    page = html.unescape(response.content.decode())
    assert 'name="contacts-TOTAL_FORMS"' not in page
    assert f"{many} contacts: open their list" in page
    listed = f"{reverse('admin:accounts_contact_changelist')}?account__id__exact={account.pk}"
    assert f'href="{listed}"' in page

    data = form_of(response, "account_form")
    data["name"] = "Big Co"
    saved = client.post(account_url(account), data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Account.objects.get(pk=account.pk).name == "Big Co"
    assert Contact.objects.filter(account=account).count() == many  # none lost

    # The link lists that account's contacts, and only them.
    other = ContactFactory(account=personas.account, name="Elsewhere")
    listing = client.get(listed)
    assert listing.status_code == 200
    names = {contact.name for contact in listing.context["cl"].result_list}
    assert "Person 0" in names and other.name not in names
    assert listing.context["cl"].result_count == many

"""The admin keeps what belongs to an account with it, as the pages, the API and imports
do: a contact stays with their account; a visit met, and a deal's buying center holds,
only contacts of the record's own account (moved to another account, the old account's
contacts are errors there, never carried along to be shown to the new account's people)."""

import pytest
from django.urls import reverse

from accounts.models import Contact
from accounts.tests.factories import AccountFactory, ContactFactory
from opportunities.models import Opportunity, OpportunityContact
from opportunities.tests.factories import OpportunityFactory, default_stages
from visits.models import Visit
from visits.tests.factories import VisitFactory
from visits.tests.test_admin_people import form_of

pytestmark = pytest.mark.django_db


def post_change(client, model: str, obj, changes: dict):
    app, name = model.split(".")
    url = reverse(f"admin:{app}_{name}_change", args=[obj.pk])
    data = form_of(client.get(url), f"{name}_form")
    data.update(changes)
    return client.post(url, data)


def test_a_contacts_account_is_read_only_in_the_admin(personas, login):
    contact = ContactFactory(account=personas.account, name="Wang Wei")
    other = AccountFactory(owner=personas.alice)
    client = login(personas.admin)

    response = post_change(client, "accounts.contact", contact, {"account": str(other.pk)})

    assert response.status_code == 302
    assert Contact.objects.get(pk=contact.pk).account_id == personas.account.pk
    page = client.get(reverse("admin:accounts_contact_change", args=[contact.pk])).content
    assert b'name="account"' not in page
    # A new contact gets one.
    add = client.get(reverse("admin:accounts_contact_add")).content
    assert b'name="account"' in add


def test_a_visit_meets_only_contacts_of_its_account_in_the_admin(personas, login):
    ours = ContactFactory(account=personas.account, name="Ours")
    visit = VisitFactory(account=personas.account, owner=personas.alice)
    visit.contacts.set([ours])
    other = AccountFactory(owner=personas.alice, name="Other Co")

    response = post_change(login(personas.admin), "visits.visit", visit, {"account": str(other.pk)})

    assert response.status_code == 200
    assert "Ours is not a contact of Other Co" in response.content.decode()
    assert Visit.objects.get(pk=visit.pk).account_id == personas.account.pk


def test_a_deal_moved_in_the_admin_must_drop_the_old_accounts_contacts(personas, login):
    default_stages()
    deal = OpportunityFactory(account=personas.account)
    ours = ContactFactory(account=personas.account, name="Ours")
    OpportunityContact.objects.create(opportunity=deal, contact=ours, role="decider")
    other = AccountFactory(owner=personas.alice, name="Other Co")
    client = login(personas.admin)
    prefix = "contact_roles"

    kept = post_change(client, "opportunities.opportunity", deal, {"account": str(other.pk)})
    dropped = post_change(
        client,
        "opportunities.opportunity",
        deal,
        {"account": str(other.pk), f"{prefix}-0-DELETE": "on"},
    )

    assert kept.status_code == 200
    assert "Ours is not a contact of Other Co" in kept.content.decode()
    assert dropped.status_code == 302
    assert Opportunity.objects.get(pk=deal.pk).account_id == other.pk
    assert not OpportunityContact.objects.filter(opportunity=deal).exists()

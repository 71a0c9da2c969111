"""What changed, who changed it: each result of the changes feed carries the fields the
change that made its version changed, the user who made it and where it came from (web,
api, import, admin, system), read from the history in a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import contact_delete, contact_restore
from accounts.tests.factories import ContactFactory
from keyaccounts.history.context import history_context
from visits.services import visit_save
from visits.tests.factories import VisitFactory

from .api_records import RECORD_TYPES
from .feed_client import Replica, sync
from .test_history import contact_form
from .test_imports_command import import_records

pytestmark = pytest.mark.django_db

ACCOUNTS, CONTACTS, VISITS = RECORD_TYPES[0], RECORD_TYPES[1], RECORD_TYPES[2]


def entries(client, kind, cursor) -> dict:
    page = client.get(f"{kind.path}changes/", {"since": cursor}).json()
    return {row["id"]: row for row in page["results"]}


def detail(row) -> tuple:
    return row["changed_fields"], row["changed_by"], row["origin"]


def test_a_web_edit_says_which_fields_who_and_web(personas, api, login):
    contact = ContactFactory(account=personas.account, title="Manager", attitude="neutral")
    client = api(personas.bob)
    cursor = sync(client, CONTACTS, Replica()).cursor
    url = reverse("accounts:contact_edit", args=[personas.account.pk, contact.pk])

    response = login(personas.alice).post(
        url, contact_form(contact, title="CIO", attitude="supporter")
    )

    assert response.status_code == 302
    row = entries(client, CONTACTS, cursor)[contact.pk]
    assert (sorted(row["changed_fields"]), row["changed_by"], row["origin"]) == (
        ["attitude", "title"],
        personas.alice.pk,
        "web",
    )


def test_an_api_edit_says_which_fields_who_and_api(personas, api):
    contact = ContactFactory(account=personas.account)
    client = api(personas.bob)
    cursor = sync(client, CONTACTS, Replica()).cursor

    api(personas.alice).patch(f"/api/v1/contacts/{contact.pk}/", {"title": "CFO"})

    row = entries(client, CONTACTS, cursor)[contact.pk]
    assert detail(row) == (["title"], personas.alice.pk, "api")


def test_an_import_says_which_fields_who_and_import(personas, api, tmp_path):
    from .imports_files import csv_file

    client = api(personas.bob)
    cursor = sync(client, ACCOUNTS, Replica()).cursor
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_file([["Name", "Region"], [personas.account.name, "浙江"]]))

    out, status = import_records("accounts", str(path), "--as", "alice")

    assert status == 0, out
    row = entries(client, ACCOUNTS, cursor)[personas.account.pk]
    assert detail(row) == (["region"], personas.alice.pk, "import")


def test_a_new_record_has_no_changed_fields_and_a_restore_none_of_its_own(personas, api):
    client = api(personas.bob)
    cursor = sync(client, CONTACTS, Replica()).cursor
    with history_context(origin="web", user=personas.alice):
        contact = ContactFactory(account=personas.account)

    assert detail(entries(client, CONTACTS, cursor)[contact.pk]) == (
        None,
        personas.alice.pk,
        "web",
    )

    cursor = sync(client, CONTACTS, Replica()).cursor
    contact_delete(contact=contact, by=personas.alice)
    with history_context(origin="web", user=personas.manager):
        contact_restore(contact=contact, by=personas.manager)
    assert detail(entries(client, CONTACTS, cursor)[contact.pk]) == (
        [],
        personas.manager.pk,
        "web",
    )


def test_a_change_of_who_was_met_names_the_contacts(personas, api):
    met, other = ContactFactory(account=personas.account), ContactFactory(account=personas.account)
    visit = VisitFactory(account=personas.account)
    with history_context(origin="web", user=personas.alice):
        visit_save(by=personas.alice, account=personas.account, visit=visit, contacts=[met])
    client = api(personas.bob)
    cursor = sync(client, VISITS, Replica()).cursor

    with history_context(origin="web", user=personas.alice):
        visit_save(by=personas.alice, account=personas.account, visit=visit, contacts=[other])

    assert detail(entries(client, VISITS, cursor)[visit.pk]) == (
        ["contacts"],
        personas.alice.pk,
        "web",
    )


def test_a_page_of_many_changes_costs_the_queries_of_a_page_of_few(personas, api):
    client = api(personas.bob)

    def queries_for(count: int) -> int:
        cursor = sync(client, CONTACTS, Replica()).cursor
        for _ in range(count):
            ContactFactory(account=personas.account)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/contacts/changes/", {"since": cursor})
        assert len(response.json()["results"]) == count
        return len(captured)

    assert queries_for(2) == queries_for(12)

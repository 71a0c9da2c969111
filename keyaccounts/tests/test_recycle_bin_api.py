"""The recycle bin through the API: DELETE moves a record to the bin, the changes feed
reports it deleted, `POST {id}/restore/` brings it back and the feed reports it again."""

import pytest

from accounts.services import account_delete, contact_delete
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.recyclebin.models import Deletion

from .api_records import RECORD_TYPES, changes_all

pytestmark = pytest.mark.django_db

each_type = pytest.mark.parametrize("kind", RECORD_TYPES, ids=str)


def feed(client, kind, since=None) -> tuple[set, set, str]:
    """(ids in results, ids in deleted, the cursor after them)."""
    pages, cursor = changes_all(client, kind, since=since)
    results = {row["id"] for page in pages for row in page["results"]}
    deleted = {row["id"] for page in pages for row in page["deleted"]}
    return results, deleted, cursor


@each_type
def test_delete_moves_the_record_to_the_bin_and_restore_brings_it_back_in_the_feed(
    personas, api, kind
):
    record = kind.make(personas)
    client = api(personas.alice)
    _results, _deleted, cursor = feed(client, kind)

    assert client.delete(kind.url(record)).status_code == 204

    stored = kind.model.all_objects.get(pk=record.pk)  # the row is kept, in the bin
    assert stored.deleted_at is not None
    assert client.get(kind.url(record)).status_code == 404
    results, deleted, cursor = feed(client, kind, since=cursor)
    assert (results, deleted) == (set(), {record.pk})

    response = client.post(f"{kind.url(record)}restore/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["version"]) == (record.pk, stored.version + 1)
    assert response["ETag"] == f'"{stored.version + 1}"'
    assert client.get(kind.url(record)).status_code == 200
    results, deleted, _cursor = feed(client, kind, since=cursor)
    assert (results, deleted) == ({record.pk}, set())
    # From the beginning, a client meets it as it is now: a record, no deletion.
    results, deleted, _cursor = feed(client, kind)
    assert record.pk in results and record.pk not in deleted


@each_type
def test_restore_answers_404_to_who_cannot_see_the_record(personas, api, kind):
    record = kind.make(personas)
    api(personas.alice).delete(kind.url(record))

    for outsider in (personas.carol, personas.charlie, personas.other_manager):
        response = api(outsider).post(f"{kind.url(record)}restore/")
        assert response.status_code == 404, outsider
        assert response.json()["code"] == "not_found"
    assert kind.model.all_objects.get(pk=record.pk).deleted_at is not None


@each_type
def test_restore_of_a_record_not_in_the_bin_answers_409_and_changes_nothing(personas, api, kind):
    record = kind.make(personas)
    version = kind.model.objects.get(pk=record.pk).version

    response = api(personas.alice).post(f"{kind.url(record)}restore/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This record is not in the recycle bin.",
        "code": "not_deleted",
        "errors": {},
    }
    assert kind.model.objects.get(pk=record.pk).version == version


def test_restore_of_a_contact_whose_account_is_in_the_bin_answers_409_account_deleted(
    personas, api
):
    contact = ContactFactory(account=personas.account)
    contact_delete(contact=contact, by=personas.alice)
    account_delete(account=personas.account, by=personas.alice)

    response = api(personas.alice).post(f"/api/v1/contacts/{contact.pk}/restore/")

    assert response.status_code == 409
    assert response.json()["code"] == "account_deleted"
    assert "restore the account first" in response.json()["detail"]
    assert Deletion.objects.filter(restored_at__isnull=True).count() == 2


def test_restore_by_who_neither_deleted_it_nor_manages_answers_403(personas, api):
    contact = ContactFactory(account=personas.account)
    contact_delete(contact=contact, by=personas.alice)

    response = api(personas.bob).post(f"/api/v1/contacts/{contact.pk}/restore/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    response = api(personas.manager).post(f"/api/v1/contacts/{contact.pk}/restore/")
    assert response.status_code == 200


def test_restoring_an_account_brings_back_its_contacts_in_their_feed(personas, api):
    contact = ContactFactory(account=personas.account)
    client = api(personas.alice)
    contacts = next(kind for kind in RECORD_TYPES if kind.name == "contacts")
    _r, _d, cursor = feed(client, contacts)
    client.delete(f"/api/v1/accounts/{personas.account.pk}/")
    _r, deleted, cursor = feed(client, contacts, since=cursor)
    assert deleted == {contact.pk}

    assert client.post(f"/api/v1/accounts/{personas.account.pk}/restore/").status_code == 200

    results, deleted, _cursor = feed(client, contacts, since=cursor)
    assert (results, deleted) == ({contact.pk}, set())


@each_type
def test_the_schema_documents_restore_with_its_answers(client, db, kind):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"][f"{kind.path}{{id}}/restore/"]["post"]

    assert {"200", "403", "404", "409"} <= set(operation["responses"])
    assert "requestBody" not in operation
    assert "Idempotency-Key" in [parameter["name"] for parameter in operation["parameters"]]
    assert "ETag" in operation["responses"]["200"]["headers"]
    assert operation["summary"].startswith("Restore from the recycle bin")


def test_an_account_restored_beside_a_likely_duplicate_names_it_and_counts_the_hidden(
    personas, api
):
    """While it was in the bin, the company was entered again by alice (she sees it) and
    by charlie (another team's: only counted). The restore goes through and says so."""
    mine = AccountFactory(name="Northwind Trading", owner=personas.alice)
    account_delete(account=mine, by=personas.alice)
    again = AccountFactory(name="Northwind Trading Co., Ltd.", owner=personas.alice)
    AccountFactory(name="NORTHWIND TRADING", owner=personas.charlie)

    response = api(personas.alice).post(f"/api/v1/accounts/{mine.pk}/restore/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["name"]) == (mine.pk, "Northwind Trading")
    assert body["likely_duplicates"] == [
        {"id": again.pk, "name": "Northwind Trading Co., Ltd.", "url": f"/accounts/{again.pk}/"}
    ]
    assert body["hidden_likely_duplicates"] == 1


def test_a_contact_restored_alone_has_no_likely_duplicates_and_a_visit_no_such_keys(personas, api):
    contact = ContactFactory(account=personas.account, name="王伟", phone="13800138000")
    contact_delete(contact=contact, by=personas.alice)
    visit_kind = next(kind for kind in RECORD_TYPES if kind.path == "/api/v1/visits/")
    visit = visit_kind.make(personas)
    client = api(personas.alice)
    assert client.delete(visit_kind.url(visit)).status_code == 204

    restored = client.post(f"/api/v1/contacts/{contact.pk}/restore/").json()
    visit_back = client.post(f"{visit_kind.url(visit)}restore/").json()

    assert (restored["likely_duplicates"], restored["hidden_likely_duplicates"]) == ([], 0)
    assert "likely_duplicates" not in visit_back


def test_the_schema_describes_the_likely_duplicates_of_a_restored_account(client, db):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    answer = schema["paths"]["/api/v1/accounts/{id}/restore/"]["post"]["responses"]["200"]
    record, twins = answer["content"]["application/json"]["schema"]["allOf"]

    assert record == {"$ref": "#/components/schemas/Account"}
    assert set(twins["properties"]) == {"likely_duplicates", "hidden_likely_duplicates"}
    visits = schema["paths"]["/api/v1/visits/{id}/restore/"]["post"]["responses"]["200"]
    assert visits["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Visit"}


@each_type
def test_a_restore_retried_with_its_idempotency_key_answers_the_first_again(personas, api, kind):
    record = kind.make(personas)
    client = api(personas.alice)
    assert client.delete(kind.url(record)).status_code == 204

    first = client.post(f"{kind.url(record)}restore/", HTTP_IDEMPOTENCY_KEY="back-1")
    retry = client.post(f"{kind.url(record)}restore/", HTTP_IDEMPOTENCY_KEY="back-1")
    without_key = client.post(f"{kind.url(record)}restore/")

    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert (retry["Idempotent-Replayed"], retry["ETag"]) == ("true", first["ETag"])
    assert without_key.status_code == 409 and without_key.json()["code"] == "not_deleted"

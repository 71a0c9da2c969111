"""The sync contract, point by point, the same for accounts, contacts, visits, deals and
development records (docs/api.md). Races and concurrent paging are in test_api_concurrency.py."""

import pytest
from django.utils import timezone

from keyaccounts.models import IdempotencyKey

from .api_records import RECORD_TYPES, changes_all

pytestmark = pytest.mark.django_db

each_type = pytest.mark.parametrize("kind", RECORD_TYPES, ids=str)


# --- every record: id, external_id, version, updated_at; ETag --------------------------


@each_type
def test_a_record_carries_its_id_external_id_version_and_updated_at(personas, api, kind):
    record = kind.make(personas, external_id="ERP-1")

    body = api(personas.alice).get(kind.url(record)).json()

    assert body["id"] == record.pk
    assert body["external_id"] == "ERP-1"
    assert body["version"] == 1
    assert body["updated_at"]


@each_type
def test_get_of_one_record_sends_its_version_as_etag(personas, api, kind):
    record = kind.make(personas)

    response = api(personas.alice).get(kind.url(record))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'


@each_type
def test_every_change_grows_the_version_by_one_and_the_answer_says_so(personas, api, kind):
    record = kind.make(personas)
    client = api(personas.alice)

    first = client.patch(kind.url(record), kind.change, HTTP_IF_MATCH='"1"')

    assert first.status_code == 200, first.json()
    assert (first.json()["version"], first["ETag"]) == (2, '"2"')
    record.refresh_from_db()
    assert record.version == 2
    assert getattr(record, kind.field) == kind.change[kind.field]


@each_type
def test_a_write_of_the_values_already_stored_changes_nothing(personas, api, kind):
    record = kind.make(personas)
    client = api(personas.alice)
    first = client.patch(kind.url(record), kind.change, HTTP_IF_MATCH='"1"')
    record.refresh_from_db()
    seq = record.change_seq

    again = client.patch(kind.url(record), kind.change, HTTP_IF_MATCH='"2"')

    assert first.status_code == again.status_code == 200, again.json()
    assert (again.json()["version"], again["ETag"]) == (2, '"2"')
    record.refresh_from_db()
    assert (record.version, record.change_seq) == (2, seq)
    assert record.history.count() == 2  # created, then the one real change


# --- If-Match ------------------------------------------------------------------------


@each_type
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_if_match_naming_another_version_answers_412_and_changes_nothing(
    personas, api, kind, method
):
    record = kind.make(personas)
    client = api(personas.alice)
    current = client.get(kind.url(record)).json()
    client.patch(kind.url(record), kind.change)  # someone else's save: now version 2
    record.refresh_from_db()
    before = (record.version, record.change_seq, getattr(record, kind.field))

    body = {**current, **{kind.field: "stale edit"}} if method != "delete" else None
    response = getattr(client, method)(kind.url(record), body, HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    assert response.json()["code"] == "version_conflict"
    assert response.json()["current_version"] == 2
    assert response["ETag"] == '"2"'
    record.refresh_from_db()
    assert (record.version, record.change_seq, getattr(record, kind.field)) == before


@each_type
def test_a_412_names_the_fields_changed_since_the_version_if_match_named(personas, api, kind):
    record = kind.make(personas)
    client = api(personas.alice)
    client.patch(kind.url(record), kind.change, HTTP_IF_MATCH='"1"')  # someone else's: v2

    response = client.patch(kind.url(record), {kind.field: "stale"}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    assert response.json()["changed_fields"] == [kind.field]  # not version, updated_at …
    # Several versions named, or one the history does not hold: no list, still a 412.
    for named in ('"1", "3"', '"7"'):
        other = client.patch(kind.url(record), {kind.field: "stale"}, HTTP_IF_MATCH=named)
        assert other.status_code == 412
        assert "changed_fields" not in other.json()


def test_a_412_names_every_field_changed_since_and_a_write_of_others_goes_through(personas, api):
    from accounts.tests.factories import ContactFactory

    contact = ContactFactory(account=personas.account, title="Engineer", department="IT")
    client = api(personas.alice)
    url = f"/api/v1/contacts/{contact.pk}/"
    client.patch(url, {"title": "CIO"}, HTTP_IF_MATCH='"1"')
    client.patch(url, {"department": "Board"}, HTTP_IF_MATCH='"2"')

    stale = client.patch(url, {"phone": "13800000000"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["changed_fields"] == ["department", "title"]
    # The client's write sets neither: sent again at the current version, it keeps both.
    again = client.patch(url, {"phone": "13800000000"}, HTTP_IF_MATCH=stale["ETag"])
    assert again.status_code == 200
    assert (again.json()["title"], again.json()["department"]) == ("CIO", "Board")


@each_type
def test_if_match_with_the_current_version_lets_put_and_delete_through(personas, api, kind):
    record = kind.make(personas)
    client = api(personas.alice)
    current = client.get(kind.url(record)).json()

    put = client.put(kind.url(record), {**current, **kind.change}, HTTP_IF_MATCH='"1"')
    delete = client.delete(kind.url(record), HTTP_IF_MATCH=put["ETag"])

    assert put.status_code == 200, put.json()
    assert put.json()[kind.field] == kind.change[kind.field]
    assert delete.status_code == 204
    assert not kind.model.objects.filter(pk=record.pk).exists()


@each_type
def test_without_if_match_a_write_goes_through(personas, api, kind):
    record = kind.make(personas)
    record.save(touch=True)  # version 2: a client that never read it writes anyway

    response = api(personas.alice).patch(kind.url(record), kind.change)

    assert response.status_code == 200
    assert response.json()["version"] == 3


def test_if_match_accepts_weak_tags_lists_and_star(personas, api):
    kind = RECORD_TYPES[0]
    record = kind.make(personas)
    client = api(personas.alice)

    assert client.patch(kind.url(record), kind.change, HTTP_IF_MATCH='W/"1"').status_code == 200
    assert client.patch(kind.url(record), kind.change, HTTP_IF_MATCH='"7", "2"').status_code == 200
    assert client.patch(kind.url(record), kind.change, HTTP_IF_MATCH="*").status_code == 200
    assert client.patch(kind.url(record), kind.change, HTTP_IF_MATCH="garbage").status_code == 412


# --- Idempotency-Key -----------------------------------------------------------------


@each_type
def test_a_retry_with_the_same_idempotency_key_answers_the_first_answer_and_creates_nothing(
    personas, api, kind
):
    client = api(personas.alice)
    payload = kind.payload(personas)
    count = kind.model.objects.count()

    first = client.post(kind.path, payload, HTTP_IDEMPOTENCY_KEY="0c7c1e4e-retry")
    retry = client.post(kind.path, payload, HTTP_IDEMPOTENCY_KEY="0c7c1e4e-retry")

    assert first.status_code == 201, first.json()
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["ETag"] == first["ETag"] == '"1"'
    assert retry["Idempotent-Replayed"] == "true"
    assert kind.model.objects.count() == count + 1


@each_type
def test_the_same_idempotency_key_with_another_body_answers_422(personas, api, kind):
    client = api(personas.alice)
    payload = kind.payload(personas)
    client.post(kind.path, payload, HTTP_IDEMPOTENCY_KEY="key-1")
    count = kind.model.objects.count()

    other = {**payload, **kind.change}
    response = client.post(kind.path, other, HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert kind.model.objects.count() == count


def test_idempotency_keys_are_per_user(personas, api):
    kind = RECORD_TYPES[0]
    payload = kind.payload(personas)

    alices = api(personas.alice).post(kind.path, payload, HTTP_IDEMPOTENCY_KEY="same")
    bobs = api(personas.bob).post(kind.path, payload, HTTP_IDEMPOTENCY_KEY="same")

    assert alices.status_code == bobs.status_code == 201
    assert alices.json()["id"] != bobs.json()["id"]
    assert bobs.json()["owner"] == personas.bob.pk


def test_a_failed_request_leaves_its_idempotency_key_free_for_the_corrected_retry(personas, api):
    kind = RECORD_TYPES[0]
    client = api(personas.alice)

    failed = client.post(kind.path, {"name": "No industry"}, HTTP_IDEMPOTENCY_KEY="k")
    fixed = client.post(kind.path, kind.payload(personas), HTTP_IDEMPOTENCY_KEY="k")

    assert failed.status_code == 400
    assert fixed.status_code == 201
    assert IdempotencyKey.objects.get(key="k").status_code == 201


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
def test_an_unusable_idempotency_key_answers_400(personas, api, key):
    kind = RECORD_TYPES[0]

    response = api(personas.alice).post(kind.path, kind.payload(personas), HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not IdempotencyKey.objects.exists()


def test_idempotency_keys_older_than_48_hours_are_purged(personas, api):
    from keyaccounts.tasks import idempotency_keys_purge

    kind = RECORD_TYPES[0]
    client = api(personas.alice)
    client.post(kind.path, kind.payload(personas), HTTP_IDEMPOTENCY_KEY="old")
    client.post(kind.path, {**kind.payload(personas), "name": "B"}, HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timezone.timedelta(hours=49)
    )
    IdempotencyKey.objects.filter(key="new").update(
        created_at=timezone.now() - timezone.timedelta(hours=25)
    )

    assert idempotency_keys_purge.delay().get() == 1

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


# --- external ids --------------------------------------------------------------------


@each_type
def test_put_by_external_id_creates_201_then_replaces_200(personas, api, kind):
    client = api(personas.alice)
    payload = kind.payload(personas)

    created = client.put(kind.external_url("ERP-42"), payload)
    replaced = client.put(kind.external_url("ERP-42"), {**payload, **kind.change})

    assert created.status_code == 201, created.json()
    assert replaced.status_code == 200, replaced.json()
    assert created.json()["id"] == replaced.json()["id"]
    assert created.json()["external_id"] == "ERP-42"
    assert (created["ETag"], replaced["ETag"]) == ('"1"', '"2"')
    record = kind.model.objects.get(external_id="ERP-42")
    assert getattr(record, kind.field) == kind.change[kind.field]


@each_type
def test_put_and_bulk_by_external_id_keep_the_fields_left_out(personas, api, kind):
    """docs/api.md: "Fields left out keep their values (new records: their
    defaults)" — an integration sends what changed, not every required field again (it
    was a 400 naming each required field it left out)."""
    client = api(personas.alice)
    created = client.put(kind.external_url("ERP-7"), kind.payload(personas), format="json")
    assert created.status_code == 201
    before = created.json()

    replaced = client.put(kind.external_url("ERP-7"), dict(kind.change), format="json")

    assert replaced.status_code == 200, replaced.json()
    after = replaced.json()
    assert after[kind.field] == kind.change[kind.field]
    kept = {k: v for k, v in before.items() if k not in {kind.field, "version", "updated_at"}}
    assert kept == {k: v for k, v in after.items() if k in kept}
    if kind.bulk:
        item = {"external_id": "ERP-7", "version": after["version"], **kind.change}
        [result] = client.post(f"{kind.path}bulk/", [item], format="json").json()["results"]
        assert result["status"] == "unchanged", result
        new = client.post(f"{kind.path}bulk/", [{"external_id": "ERP-8", **kind.change}])
        [result] = new.json()["results"]
        assert result["status"] == "error"  # a new record needs its required fields


@each_type
def test_get_by_external_id_reads_the_record(personas, api, kind):
    record = kind.make(personas, external_id="CRM-7")
    client = api(personas.alice)

    found = client.get(kind.external_url("CRM-7"))
    missing = client.get(kind.external_url("CRM-8"))

    assert found.status_code == 200
    assert found.json()["id"] == record.pk
    assert found["ETag"] == '"1"'
    assert missing.status_code == 404


@each_type
def test_put_by_external_id_honours_if_match(personas, api, kind):
    kind.make(personas, external_id="CRM-9")
    client = api(personas.alice)
    payload = {**kind.payload(personas), **kind.change}

    stale = client.put(kind.external_url("CRM-9"), payload, HTTP_IF_MATCH='"5"')
    on_a_new_one = client.put(kind.external_url("CRM-10"), payload, HTTP_IF_MATCH='"1"')

    assert stale.status_code == 412
    assert on_a_new_one.status_code == 412
    assert not kind.model.objects.filter(external_id="CRM-10").exists()
    # Nothing to compare with: said so, no version made up (a bulk item's null too).
    assert on_a_new_one.json()["current_version"] is None
    assert on_a_new_one.json()["detail"].startswith("No record has this external ID")
    assert "ETag" not in on_a_new_one
    # And the schema does not promise one there (a record's own 412 always has it).
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    external = schema["paths"][f"{kind.path}external/{{external_id}}/"]["put"]["responses"]
    own = schema["paths"][f"{kind.path}{{id}}/"]["put"]["responses"]
    assert external["412"]["headers"]["ETag"]["required"] is False
    assert own["412"]["headers"]["ETag"]["required"] is True


@each_type
def test_external_ids_are_unique_per_record_type(personas, api, kind):
    kind.make(personas, external_id="DUP-1")

    response = api(personas.alice).post(
        kind.path, {**kind.payload(personas), "external_id": "DUP-1"}
    )

    assert response.status_code == 400
    assert "external_id" in response.json()["errors"]


@each_type
@pytest.mark.parametrize(
    "key, says",
    [
        (" lead", "no spaces at its start or end: send “lead”"),
        ("padded  ", "no spaces at its start or end: send “padded”"),
        ("   ", "cannot be only spaces"),
        ("c/d", "has no “/”"),
        ("a\u202eb", "printable characters only"),
        ("line\nbreak", "printable characters only"),
        (".", "cannot be “.” or “..”"),
        ("..", "cannot be “.” or “..”"),
    ],
    ids=["leading", "trailing", "spaces", "slash", "direction-mark", "line-break", "dot", "dots"],
)
def test_an_external_id_that_could_not_name_its_record_again_is_refused(
    personas, api, kind, key, says
):
    """An external ID is kept as sent and names its record in an address: one with a
    "/", spaces at its ends or unprintable characters was saved (trimmed, or not) and
    then could not be read, replaced or found again by it."""
    client = api(personas.alice)
    payload = {**kind.payload(personas), "external_id": key}
    before = kind.model.all_objects.count()
    answers = [client.post(kind.path, payload, format="json")]
    if kind.bulk:
        answers.append(client.post(f"{kind.path}bulk/", [payload], format="json"))
    if "/" not in key and "\n" not in key:
        answers.append(client.put(kind.external_url(key), kind.payload(personas), format="json"))
    created = client.post(kind.path, kind.payload(personas), format="json").json()
    answers.append(
        client.patch(f"{kind.path}{created['id']}/", {"external_id": key}, format="json")
    )
    for response in answers:
        if response.request["PATH_INFO"].endswith("/bulk/"):
            [result] = response.json()["results"]
            assert result["status"] == "error"
            messages = result["errors"]["external_id"]
        else:
            assert response.status_code == 400, response.content
            messages = response.json()["errors"]["external_id"]
        assert any(says in message for message in messages), messages
    assert kind.model.all_objects.count() == before + 1  # the one made to be patched


@each_type
def test_a_records_own_external_id_from_before_the_rule_may_be_sent_back(personas, api, kind):
    """A key the rule would refuse, held already (kept before it, or given by an import
    or a page, which do not ask it): the record read and sent back changes nothing, and a
    bulk item names it."""
    record = kind.make(personas, external_id="ERP/1 ")
    client = api(personas.alice)
    read = client.get(kind.url(record)).json()
    body = {k: v for k, v in read.items() if k not in {"id", "version", "created_at", "updated_at"}}
    put = client.put(kind.url(record), body, format="json")
    assert put.status_code == 200, put.content
    assert put.json()["version"] == read["version"]
    if kind.bulk:
        item = {"external_id": "ERP/1 ", **kind.change}
        [result] = client.post(f"{kind.path}bulk/", [item], format="json").json()["results"]
        assert (result["status"], result["id"]) == ("updated", record.pk), result


def test_the_same_external_id_may_name_records_of_different_types(personas, api):
    client = api(personas.alice)
    answers = [
        client.put(kind.external_url("SHARED-1"), kind.payload(personas)).status_code
        for kind in RECORD_TYPES
    ]
    assert answers == [201] * len(RECORD_TYPES)


def test_put_by_external_id_refuses_a_body_naming_another_external_id(personas, api):
    kind = RECORD_TYPES[0]
    response = api(personas.alice).put(
        kind.external_url("A-1"), {**kind.payload(personas), "external_id": "B-2"}
    )
    assert response.status_code == 400
    assert "external_id" in response.json()["errors"]


# --- the changes feed ----------------------------------------------------------------


@each_type
def test_the_feed_without_since_starts_from_the_beginning(personas, api, kind):
    records = [kind.make(personas) for _ in range(3)]

    pages, _cursor = changes_all(api(personas.alice), kind)

    seen = [row["id"] for page in pages for row in page["results"]]
    assert set(seen) >= {r.pk for r in records}


@each_type
def test_paging_yields_every_change_exactly_once_when_many_rows_share_a_timestamp(
    personas, api, kind
):
    records = [kind.make(personas) for _ in range(11)]
    same_moment = timezone.now()
    kind.model.objects.filter(pk__in=[r.pk for r in records]).update(updated_at=same_moment)
    client = api(personas.alice)
    _pages, cursor = changes_all(client, kind)
    for record in records[::2]:
        client.patch(kind.url(record), kind.change)
    kind.model.objects.update(updated_at=same_moment)

    pages, _cursor = changes_all(client, kind, since=cursor, limit=2)

    seen = [(row["id"], row["version"]) for page in pages for row in page["results"]]
    assert sorted(seen) == sorted((r.pk, 2) for r in records[::2])
    assert all(len(page["results"]) + len(page["deleted"]) <= 2 for page in pages)
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]


@each_type
def test_deletions_come_through_the_feed_as_tombstones(personas, api, kind):
    keep, gone = kind.make(personas), kind.make(personas, external_id="ERP-GONE")
    client = api(personas.alice)
    _pages, cursor = changes_all(client, kind)

    client.delete(kind.url(gone))
    client.patch(kind.url(keep), kind.change)
    pages, _cursor = changes_all(client, kind, since=cursor)

    assert [row["id"] for page in pages for row in page["results"]] == [keep.pk]
    deleted = [row for page in pages for row in page["deleted"]]
    assert [(row["id"], row["external_id"]) for row in deleted] == [(gone.pk, "ERP-GONE")]


def test_deleting_an_account_tells_the_contact_feed_of_its_contacts(personas, api):
    from accounts.tests.factories import AccountFactory, ContactFactory

    contacts = RECORD_TYPES[1]
    account = AccountFactory(owner=personas.alice)
    contact = ContactFactory(account=account)
    client = api(personas.alice)
    _pages, cursor = changes_all(client, contacts)

    client.delete(f"/api/v1/accounts/{account.pk}/")
    pages, _cursor = changes_all(client, contacts, since=cursor)

    assert [row["id"] for page in pages for row in page["deleted"]] == [contact.pk]


@each_type
def test_a_record_changed_again_after_it_was_read_comes_again_with_its_new_state(
    personas, api, kind
):
    record = kind.make(personas)
    client = api(personas.alice)
    _pages, cursor = changes_all(client, kind)

    client.patch(kind.url(record), kind.change)
    pages, cursor = changes_all(client, kind, since=cursor)
    nothing, _cursor = changes_all(client, kind, since=cursor)

    (row,) = [row for page in pages for row in page["results"]]
    assert (row["id"], row["version"], row[kind.field]) == (
        record.pk,
        2,
        kind.change[kind.field],
    )
    assert nothing[0]["results"] == nothing[0]["deleted"] == []
    assert nothing[0]["has_more"] is False


@each_type
def test_the_feed_holds_only_records_the_user_can_see(personas, api, kind):
    mine = kind.make(personas)

    pages, _cursor = changes_all(api(personas.charlie), kind)

    assert mine.pk not in [row["id"] for page in pages for row in page["results"]]


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "9" * 40, "１２", "18342"])
def test_a_cursor_the_api_never_gave_answers_410_resync_required(personas, api, since):
    response = api(personas.alice).get("/api/v1/accounts/changes/", {"since": since})

    assert response.status_code == 410
    body = response.json()
    assert body["code"] == "resync_required"
    assert "since" in body["errors"]


def test_a_cursor_of_another_types_feed_answers_410_and_its_own_is_read(personas, api):
    """Each feed's cursors name a position among its own changes: an accounts cursor
    sent to the contacts feed skipped the contacts changed before it (6 of 123 in a
    demo database); one issued before cursors named their feed is still read."""
    accounts, contacts = RECORD_TYPES[0], RECORD_TYPES[1]
    for _ in range(3):
        contacts.make(personas)
    accounts.make(personas)
    client = api(personas.alice)
    _pages, account_cursor = changes_all(client, accounts)
    _pages, contact_cursor = changes_all(client, contacts)

    wrong = client.get(f"{contacts.path}changes/", {"since": account_cursor})
    assert wrong.status_code == 410
    assert wrong.json()["code"] == "resync_required"
    assert "another record type" in wrong.json()["detail"]

    assert client.get(f"{contacts.path}changes/", {"since": contact_cursor}).status_code == 200
    untagged = contact_cursor.rsplit(".", 1)[0]  # as cursors were before they named a feed
    assert untagged != contact_cursor
    assert client.get(f"{contacts.path}changes/", {"since": untagged}).status_code == 200


def test_a_since_longer_than_any_cursor_answers_400(personas, api):
    response = api(personas.alice).get("/api/v1/accounts/changes/", {"since": "0" * 61})

    assert response.status_code == 400
    assert "at most 60 characters" in response.json()["errors"]["since"][0]


@pytest.mark.parametrize("limit", ["0", "1001", "ten", ""])
def test_a_limit_out_of_range_answers_400(personas, api, limit):
    response = api(personas.alice).get("/api/v1/accounts/changes/", {"limit": limit})

    assert response.status_code == 400
    assert "limit" in response.json()["errors"]


# --- visibility: what a user cannot see answers 404 ------------------------------------


@each_type
def test_another_teams_rep_can_neither_read_nor_write_nor_delete_the_record(personas, api, kind):
    record = kind.make(personas, external_id="SECRET-1")
    client = api(personas.charlie)
    url = kind.url(record)

    answers = {
        "get": client.get(url).status_code,
        "patch": client.patch(url, kind.change).status_code,
        "put": client.put(url, kind.payload(personas)).status_code,
        "delete": client.delete(url).status_code,
        "external get": client.get(kind.external_url("SECRET-1")).status_code,
    }

    assert answers == dict.fromkeys(answers, 404)
    listed = [row["id"] for row in client.get(kind.path).json()["results"]]
    assert record.pk not in listed
    record.refresh_from_db()
    assert record.version == 1


@each_type
def test_the_account_team_and_the_manager_see_the_record(personas, api, kind):
    record = kind.make(personas)

    for user in (personas.bob, personas.manager, personas.admin):
        assert api(user).get(kind.url(record)).status_code == 200, user
    assert api(personas.carol).get(kind.url(record)).status_code == 404

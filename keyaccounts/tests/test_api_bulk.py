"""POST /api/v1/<type>/bulk/ for every synced record type (issue 11): upsert by
external_id, per-item results, all or nothing with ?atomic=true, per-item versions,
the visibility rule, idempotent retries, and what a single write does besides (feed,
history, webhooks). What a list costs in queries: test_api_bulk_queries.py."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone, translation

from accounts.tests.factories import AccountFactory
from keyaccounts.integrations.models import WebhookDelivery
from keyaccounts.integrations.registry import record_types
from keyaccounts.integrations.services import token_create, webhook_create
from keyaccounts.tests.api_records import BULK_TYPES, RECORD_TYPES, RecordType, changes_all

pytestmark = pytest.mark.django_db

MISSING = 10**9  # an id no row has

KINDS = pytest.mark.parametrize("kind", BULK_TYPES, ids=str)


@pytest.fixture(autouse=True)
def _stages(db):
    from opportunities.tests.factories import default_stages

    default_stages()


def bulk(client, kind: RecordType, body, *, atomic: bool | None = None, **headers):
    path = f"{kind.path}bulk/" + ("" if atomic is None else f"?atomic={str(atomic).lower()}")
    return client.post(path, body, format="json", **headers)


def item(kind: RecordType, personas, external_id: str, **fields) -> dict:
    """A body that creates a record of `kind` at alice's account, keyed `external_id`."""
    return {**kind.payload(personas), "external_id": external_id, **fields}


def bad(kind: RecordType, personas, value=MISSING) -> dict:
    """The field that names the one row every item of `kind` needs, given `value`: an
    account's owner, everything else's account."""
    return {"owner": value} if kind.name == "accounts" else {"account": value}


def invisible(kind: RecordType, personas, **fields):
    """A record of `kind` alice cannot see: charlie's, or at charlie's account."""
    if kind.name == "accounts":
        return AccountFactory(owner=personas.charlie, **fields)
    record = kind.make(personas, **fields)
    type(record).objects.filter(pk=record.pk).update(account=personas.charlies_account)
    return record


def outsiders_id(kind: RecordType, personas) -> int:
    """The id that `bad` names for a row alice cannot see."""
    return personas.charlie.pk if kind.name == "accounts" else personas.charlies_account.pk


def stored(kind: RecordType, external_id: str):
    return kind.model.all_objects.filter(external_id=external_id).first()


# --- upsert, one result per item ------------------------------------------------------------


@KINDS
def test_a_list_creates_updates_leaves_unchanged_and_reports_bad_items(kind, personas, api):
    client = api(personas.alice)
    same = kind.make(personas, external_id="ERP-SAME")
    changed = kind.make(personas, external_id="ERP-CHANGED")
    items = [
        client.get(kind.url(same)).json(),
        {**client.get(kind.url(changed)).json(), **kind.change},
        item(kind, personas, "ERP-NEW"),
        item(kind, personas, "ERP-BAD", **bad(kind, personas)),
        {k: v for k, v in item(kind, personas, "x").items() if k != "external_id"},
    ]

    response = bulk(client, kind, items)

    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "unchanged",
        "updated",
        "created",
        "error",
        "error",
    ]
    (b_same, b_changed, b_new, b_bad, b_keyless) = body["results"]
    assert (b_same["id"], b_same["version"], b_same["errors"]) == (same.pk, 1, {})
    assert "code" not in b_same
    assert (b_changed["id"], b_changed["version"]) == (changed.pk, 2)
    assert b_new["id"] == stored(kind, "ERP-NEW").pk and b_new["version"] == 1
    field = next(iter(bad(kind, personas)))
    assert b_bad["code"] == "invalid" and field in b_bad["errors"]
    assert (b_bad["id"], b_bad["version"]) == (None, None)
    assert "external_id" in b_keyless["errors"] and b_keyless["external_id"] is None
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (1, 1, 1, 2)
    assert (body["atomic"], body["rolled_back"]) == (False, 0)
    same.refresh_from_db()
    changed.refresh_from_db()
    assert (same.version, changed.version) == (1, 2)
    assert getattr(changed, kind.field) == kind.change[kind.field]
    assert stored(kind, "ERP-BAD") is None


@KINDS
def test_1001_items_answer_400_and_write_nothing(kind, personas, api):
    items = [item(kind, personas, f"N-{i}") for i in range(1001)]

    response = bulk(api(personas.alice), kind, items)

    assert response.status_code == 400
    assert "at most 1000" in response.json()["errors"]["non_field_errors"][0]
    assert not kind.model.all_objects.filter(external_id__startswith="N-").exists()


@pytest.mark.parametrize("body", [{"external_id": "X"}, "text", [1, 2]])
@KINDS
def test_a_body_that_is_no_list_of_objects_answers_400(kind, personas, api, body):
    response = bulk(api(personas.alice), kind, body)

    assert response.status_code == 400
    assert response.json()["errors"]
    assert stored(kind, "X") is None


def test_items_that_are_no_objects_are_named_by_their_place_and_nothing_is_written(personas, api):
    kind = next(kind for kind in RECORD_TYPES if kind.path == "/api/v1/contacts/")
    good = {"external_id": "X", "account": personas.account.pk, "name": "Wang"}
    with translation.override("en"):
        response = bulk(api(personas.alice), kind, [good, good | {"external_id": "Y"}, 5, None])

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "2": ["Item 2 is a number, not a JSON object: send each record as an object."],
        "3": ["Item 3 is null, not a JSON object: send each record as an object."],
    }
    assert stored(kind, "X") is None


def test_1000_items_are_taken(personas, api):
    kind = RECORD_TYPES[1]  # contacts: the cheapest to write
    items = [item(kind, personas, f"N-{i}", name=f"Wang {i}") for i in range(1000)]

    response = bulk(api(personas.alice), kind, items)

    assert response.json()["created"] == 1000


@pytest.mark.parametrize("value", ["maybe", "yes", "1", "0", "TRUE ", " false", ""])
def test_atomic_must_be_true_or_false(personas, api, value):
    """As the schema's boolean and docs/api.md say: any other value is a 400."""
    kind = RECORD_TYPES[1]
    response = api(personas.alice).post(
        f"{kind.path}bulk/?atomic={value}", [item(kind, personas, "A-1")], format="json"
    )

    assert response.status_code == 400
    assert "atomic" in response.json()["errors"]
    assert stored(kind, "A-1") is None


@pytest.mark.parametrize("value", ["true", "True", "FALSE"])
def test_atomic_true_or_false_in_any_case_is_read(personas, api, value):
    kind = RECORD_TYPES[1]
    response = api(personas.alice).post(
        f"{kind.path}bulk/?atomic={value}", [item(kind, personas, "A-1")], format="json"
    )
    assert response.status_code == 200
    assert response.json()["atomic"] is (value.lower() == "true")


# --- all or nothing ---------------------------------------------------------------------------


@KINDS
def test_atomic_writes_nothing_when_one_item_fails_and_says_so_for_each(
    kind, personas, api, django_capture_on_commit_callbacks
):
    client = api(personas.alice)
    existing = kind.make(personas, external_id="ERP-OLD")
    items = [
        item(kind, personas, "ERP-A"),
        {**client.get(kind.url(existing)).json(), **kind.change},
        # Back as it was: no version named (the item before made a new one).
        {k: v for k, v in client.get(kind.url(existing)).json().items() if k != "version"},
        item(kind, personas, "ERP-BAD", **bad(kind, personas)),
    ]
    _pages, cursor = changes_all(client, kind)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = bulk(client, kind, items, atomic=True)

    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "rolled_back",
        "rolled_back",
        "rolled_back",
        "error",
    ]
    for result in body["results"][:3]:
        assert (result["id"], result["version"], result["code"]) == (None, None, "rolled_back")
        assert "another item" in result["errors"]["non_field_errors"][0]
    assert body["results"][3]["code"] == "invalid"
    assert (body["atomic"], body["created"], body["updated"], body["failed"]) == (True, 0, 0, 1)
    assert body["rolled_back"] == 3
    assert stored(kind, "ERP-A") is None
    existing.refresh_from_db()
    assert existing.version == 1
    assert getattr(existing, kind.field) != kind.change[kind.field]
    assert existing.history.count() <= 1
    assert callbacks == []  # nothing announced: no rescoring, no webhook nudge
    pages, _cursor = changes_all(client, kind, since=cursor)
    assert [row for page in pages for row in page["results"]] == []


@KINDS
def test_atomic_writes_everything_when_every_item_is_good(kind, personas, api):
    client = api(personas.alice)
    existing = kind.make(personas, external_id="ERP-OLD")
    items = [
        item(kind, personas, "ERP-A"),
        {**client.get(kind.url(existing)).json(), **kind.change},
    ]

    body = bulk(client, kind, items, atomic=True).json()

    assert [r["status"] for r in body["results"]] == ["created", "updated"]
    assert (body["atomic"], body["rolled_back"], body["failed"]) == (True, 0, 0)
    assert stored(kind, "ERP-A").version == 1
    existing.refresh_from_db()
    assert existing.version == 2


# --- per-item versions ------------------------------------------------------------------------


@KINDS
def test_an_item_naming_another_version_fails_alone_and_writes_nothing(kind, personas, api):
    client = api(personas.alice)
    record = kind.make(personas, external_id="ERP-1")
    read = client.get(kind.url(record)).json()
    assert client.patch(kind.url(record), kind.change, format="json").status_code == 200
    stale = {**read, **{kind.field: "Written over"}, "version": 1}
    other = kind.make(personas, external_id="ERP-2")
    current = {**client.get(kind.url(other)).json(), **kind.change}  # version 1, current

    body = bulk(client, kind, [stale, current, item(kind, personas, "ERP-3", version=4)]).json()

    mismatch, updated, missing = body["results"]
    assert (mismatch["status"], mismatch["code"], mismatch["current_version"]) == (
        "error",
        "version_mismatch",
        2,
    )
    assert mismatch["errors"]["version"]
    assert mismatch["changed_fields"] == [kind.field]  # what changed since version 1
    assert (mismatch["id"], mismatch["version"]) == (None, None)
    assert (updated["status"], updated["version"]) == ("updated", 2)
    # No record by that external_id: no version matches, as If-Match on a missing record.
    assert (missing["code"], missing["current_version"]) == ("version_mismatch", None)
    assert "changed_fields" not in missing
    record.refresh_from_db()
    assert record.version == 2
    assert getattr(record, kind.field) == kind.change[kind.field]
    assert stored(kind, "ERP-3") is None


@pytest.mark.parametrize("version", ["2", 0, True, 1.5])
def test_a_version_that_is_no_whole_number_from_1_is_a_field_error(personas, api, version):
    kind = RECORD_TYPES[1]
    record = kind.make(personas, external_id="ERP-1")

    body = bulk(api(personas.alice), kind, [item(kind, personas, "ERP-1", version=version)])

    (result,) = body.json()["results"]
    assert (result["status"], result["code"]) == ("error", "invalid")
    assert "whole number" in result["errors"]["version"][0]
    record.refresh_from_db()
    assert record.version == 1


# --- what the caller cannot see ---------------------------------------------------------------


@KINDS
def test_an_external_id_of_a_record_one_cannot_see_is_refused_as_one_in_the_bin(
    kind, personas, api
):
    client = api(personas.alice)
    theirs = invisible(kind, personas, external_id="THEIRS")
    binned = kind.make(personas, external_id="BINNED")
    assert client.delete(kind.url(binned)).status_code == 204

    body = bulk(
        client,
        kind,
        [
            item(kind, personas, "THEIRS", **kind.change),
            item(kind, personas, "BINNED", **kind.change),
            item(kind, personas, "THEIRS", **kind.change, version=1),
            item(kind, personas, "NOBODYS", **kind.change, version=1),
        ],
    ).json()

    hidden, in_bin, hidden_v, missing_v = body["results"]
    assert hidden["status"] == in_bin["status"] == "error"
    assert hidden["errors"] == in_bin["errors"]
    assert set(hidden["errors"]) == {"external_id"}
    # With a version: told exactly as a record nobody has.
    assert {k: v for k, v in hidden_v.items() if k not in ("index", "external_id")} == {
        k: v for k, v in missing_v.items() if k not in ("index", "external_id")
    }
    theirs = type(theirs).all_objects.get(pk=theirs.pk)
    assert theirs.version == 1
    assert getattr(theirs, kind.field) != kind.change[kind.field]


@KINDS
def test_an_item_naming_a_row_one_cannot_see_fails_as_one_naming_no_row(kind, personas, api):
    client = api(personas.alice)
    hidden_id = outsiders_id(kind, personas)

    body = bulk(
        client,
        kind,
        [
            item(kind, personas, "ERP-1", **bad(kind, personas, hidden_id)),
            item(kind, personas, "ERP-2", **bad(kind, personas, MISSING)),
        ],
    ).json()

    hidden, missing = body["results"]
    (field,) = bad(kind, personas)
    assert hidden["status"] == missing["status"] == "error"
    assert set(hidden["errors"]) == set(missing["errors"]) == {field}
    assert [m.replace(str(hidden_id), "N") for m in hidden["errors"][field]] == [
        m.replace(str(MISSING), "N") for m in missing["errors"][field]
    ]
    assert stored(kind, "ERP-1") is None and stored(kind, "ERP-2") is None


# --- retries, tokens, and what a write does besides ---------------------------------------------


@KINDS
def test_a_retry_with_its_idempotency_key_replays_and_writes_nothing_again(kind, personas, api):
    client = api(personas.alice)
    items = [item(kind, personas, "ERP-1"), item(kind, personas, "ERP-2")]

    first = bulk(client, kind, items, atomic=True, HTTP_IDEMPOTENCY_KEY="bulk-1")
    retry = bulk(client, kind, items, atomic=True, HTTP_IDEMPOTENCY_KEY="bulk-1")
    reused = bulk(client, kind, items[:1], atomic=True, HTTP_IDEMPOTENCY_KEY="bulk-1")

    assert first.json()["created"] == 2
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert reused.status_code == 422
    assert kind.model.objects.filter(external_id__in=["ERP-1", "ERP-2"]).count() == 2
    assert {r.version for r in kind.model.objects.filter(external_id__startswith="ERP-")} == {1}


@KINDS
def test_a_read_only_integration_token_cannot_bulk_write(kind, personas):
    from rest_framework.test import APIClient

    name = next(n for n, t in record_types().items() if t.model is kind.model)
    _token, key = token_create(
        user=personas.alice,
        name="ERP read",
        access="read",
        record_types=[name],
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")

    response = bulk(client, kind, [item(kind, personas, "ERP-1")])

    assert response.status_code == 403
    assert response.json()["code"] == "token_read_only"
    assert stored(kind, "ERP-1") is None


@KINDS
def test_bulk_writes_reach_the_feed_the_history_and_webhooks(kind, personas, api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    client = api(personas.alice)
    existing = kind.make(personas, external_id="ERP-OLD")
    name = next(n for n, t in record_types().items() if t.model is kind.model)
    personas.alice.user_permissions.add(
        Permission.objects.get(content_type__app_label="integrations", codename="add_webhook")
    )
    personas.alice.__dict__.pop("_perm_cache", None)
    personas.alice.__dict__.pop("_user_perm_cache", None)
    webhook, _secret = webhook_create(
        owner=personas.alice, url="http://127.0.0.1:9/hook", record_types=[name]
    )
    _pages, cursor = changes_all(client, kind)

    body = bulk(
        client,
        kind,
        [item(kind, personas, "ERP-NEW"), {**client.get(kind.url(existing)).json(), **kind.change}],
    ).json()

    created, updated = body["results"]
    pages, _cursor = changes_all(client, kind, since=cursor)
    fed = {row["id"]: row for page in pages for row in page["results"]}
    assert set(fed) == {created["id"], updated["id"]}
    assert fed[updated["id"]]["origin"] == "api"
    assert fed[updated["id"]]["changed_by"] == personas.alice.pk
    assert kind.field in fed[updated["id"]]["changed_fields"]
    history = client.get(f"{kind.url(existing)}history/").json()["results"]
    assert (history[0]["origin"], history[0]["user"]) == ("api", personas.alice.pk)
    sent = WebhookDelivery.objects.filter(webhook=webhook)
    assert {(d.object_id, d.event) for d in sent} == {
        (created["id"], "created"),
        (updated["id"], "updated"),
    }


@pytest.mark.parametrize("external_id", [["ERP-1"], {"id": 1}, 5, "", "x" * 101, "ERP\x00", None])
def test_an_external_id_that_is_no_key_fails_its_item_alone(personas, api, external_id):
    kind = RECORD_TYPES[1]
    items = [item(kind, personas, "ERP-1"), {**kind.payload(personas), "external_id": external_id}]

    response = bulk(api(personas.alice), kind, items)

    assert response.status_code == 200, response.content
    good, bad_one = response.json()["results"]
    assert good["status"] == "created"
    assert (bad_one["status"], bad_one["code"]) == ("error", "invalid")
    assert "external_id" in bad_one["errors"]
    assert kind.model.objects.count() == 1

"""Bulk jobs of accounts written set-based (keyaccounts/api/setbased.py) give exactly what the
per-item path gives: the same results per item and the same stored rows (fields,
versions, history with its origin, access rows and the feed's access changes, the
webhooks' outbox, rescore requests and scores), for a rep, a manager and a superuser; a
chunk the import would treat otherwise (an invalid item, a hidden or repeated
external_id, a `version`, an owner a rep may not name, a match by name) goes item by
item."""

from decimal import Decimal

import pytest

from accounts.models import Account, AccountAccess
from keyaccounts.feed.models import AccessChange, FeedExit
from keyaccounts.integrations.models import WebhookDelivery
from keyaccounts.integrations.tests.set_based import (
    VOLATILE,
    assert_same,
    body,
    both_ways,
    run_job,
    spy_set_based,
)
from scoring.models import RescoreRequest

pytestmark = pytest.mark.django_db


def company(external_id: str, **fields) -> dict:
    return {
        "external_id": external_id,
        "name": f"Equivalence {external_id} Trading",
        "industry": "manufacturing",
        **fields,
    }


SETUP = body(
    company("EQ-1", region="East China", employees=120),
    company("EQ-2", credit_code="91110000802100433b", annual_revenue="56000.50"),
    company("EQ-3", status="developing", notes="  kept  "),
    company("EQ-4", website="https://eq4.example.com"),
    company("EQ-5", region=""),
    company("EQ-6", payment_terms_days=30, credit_limit=1000),
)


def second(hidden_external_id: str, me: int, other: int) -> bytes:
    return body(
        # chunk 0: all set-based (updated, unchanged, created)
        company("EQ-1", region="华南", employees=121),
        company("EQ-2", credit_code="91110000802100433b", annual_revenue="56000.5"),
        company("EQ-7", annual_budget=None),
        # chunk 1: an invalid item: item by item, the exact error
        company("EQ-3", status="active"),
        company("EQ-8", name=""),
        company("EQ-9"),
        # chunk 2: another team's account's external_id: not found for this user
        company(hidden_external_id),
        company("EQ-10"),
        company("EQ-4", website="https://eq4.example.com"),
        # chunk 3: a version, and a new external_id whose name an account has
        {**company("EQ-5", region="西南"), "version": 9},
        company("EQ-11", name="Equivalence EQ-6 Trading"),
        company("EQ-12", confirm_duplicate=True),
        # chunk 4: the same record twice, and an external_id with spaces around it
        company("EQ-13"),
        company("EQ-13", region="华东"),
        company(" EQ-14 "),
        # chunk 5: set-based again
        company("EQ-15", credit_limit="2500.00", notes=""),
        company("EQ-20", employees=0),
        company("EQ-21", industry="finance", region=""),
        # chunk 6: values the serializer reads or refuses: item by item
        company("EQ-17", employees="12"),
        company("EQ-18", confirm_duplicate=[1]),
        company("EQ-19", employees={"a": 1}),
        # chunk 7: owners by id: the job's owner, and someone else (a rep may not)
        company("EQ-16", owner=me),
        company("EQ-1", region="华南", employees=121, owner=me),
        company("EQ-6", payment_terms_days=30, credit_limit=1000, owner=other),
    )


def snapshot(results_by_run: list[list[dict]]) -> dict:
    ext = dict(Account.all_objects.values_list("pk", "external_id"))

    def plain(row: dict) -> dict:
        out = {}
        for key, value in row.items():
            if key in VOLATILE:
                continue
            if key in ("parent_id", "merged_into_id", "account_id", "object_id"):
                value = ext.get(value, value)
            out[key] = value
        return out

    def result(entry: dict) -> dict:
        entry = dict(entry)
        if entry.get("id") is not None:
            assert ext[entry["id"]] == entry["external_id"].strip()
            entry["id"] = "id-of-" + entry["external_id"]
        entry["duplicates"] = [
            {**match, "id": ext[match["id"]], "url": ""} for match in entry.get("duplicates", [])
        ]
        return entry

    accounts = sorted(
        (plain(row) for row in Account.all_objects.values()),
        key=lambda row: (row["external_id"] or "", row["name"]),
    )
    history = sorted(
        (
            (ext.get(row["id"]), *sorted(plain(row).items()))
            for row in Account.history.model.objects.values()
        ),
        key=repr,
    )
    return {
        "results": [[result(entry) for entry in run] for run in results_by_run],
        "accounts": accounts,
        "history": history,
        "history_origins": sorted(
            Account.history.model.objects.filter(external_id__startswith="EQ-")
            .values_list("origin", "history_type")
            .distinct()
        ),
        "access": sorted(
            AccountAccess.objects.values_list("user_id", "account__external_id"), key=repr
        ),
        "access_changes": sorted(
            [
                (row.user_id, ext.get(row.account_id), row.kind)
                for row in AccessChange.objects.all()
            ],
            key=repr,
        ),
        "feed_exits": sorted(repr(plain(row)) for row in FeedExit.objects.values()),
        "outbox": sorted(
            [
                (row.webhook_id, row.record_type, ext.get(row.object_id), row.event, row.status)
                for row in WebhookDelivery.objects.all()
            ],
            key=repr,
        ),
        "rescore_requests": sorted(
            RescoreRequest.objects.values_list("account__external_id", flat=True), key=repr
        ),
        "scores": sorted(
            [
                (account.external_id, repr(getattr(account, "score", None) and account.score.grade))
                for account in Account.all_objects.select_related("score")
            ],
            key=repr,
        ),
    }


@pytest.mark.parametrize("who", ["alice", "manager", "admin"])
def test_set_based_jobs_store_and_answer_what_the_per_item_path_does(
    who, personas, settings, make_webhook, monkeypatch
):
    alice = getattr(personas, who)  # a rep, her manager, a superuser
    make_webhook(alice, "http://127.0.0.1:9/hook", types=("account",))
    Account.objects.filter(pk=personas.charlies_account.pk).update(external_id="WEST-1")
    taken = spy_set_based(monkeypatch)

    def run() -> dict:
        first = run_job(alice, "accounts", SETUP)
        other = personas.alice if who != "alice" else personas.bob
        again = run_job(alice, "accounts", second("WEST-1", alice.pk, other.pk))
        return snapshot([first, again])

    fast, per_item, chunks = both_ways(settings, taken, run)
    assert_same(fast, per_item)
    first, again = per_item["results"]
    if who == "admin":  # sees the other team's account: its chunk is written set-based
        assert chunks == [True, True, True, False, True, False, False, True, False, True]
        assert [r["status"] for r in again[6:9]] == ["updated", "created", "unchanged"]
        return
    # The set-based path took the chunks it may take, and only those: a manager gives
    # an account to one of the team, a rep may not (item by item: owner_not_allowed).
    expected = [True, True, True, False, False, False, False, True, False, who == "manager"]
    assert chunks == expected
    assert [(r["external_id"], r["status"]) for r in again[-3:]] == [
        ("EQ-16", "created"),
        ("EQ-1", "unchanged"),
        ("EQ-6", "updated" if who == "manager" else "error"),
    ]
    if who == "manager":
        return
    assert [r["status"] for r in first] == ["created"] * 6
    assert [(r["external_id"], r["status"]) for r in again] == [
        ("EQ-1", "updated"),
        ("EQ-2", "unchanged"),
        ("EQ-7", "created"),
        ("EQ-3", "updated"),
        ("EQ-8", "error"),
        ("EQ-9", "created"),
        ("WEST-1", "error"),
        ("EQ-10", "created"),
        ("EQ-4", "unchanged"),
        ("EQ-5", "error"),  # the version named is not the record's
        ("EQ-11", "error"),  # a likely duplicate of EQ-6
        ("EQ-12", "created"),
        ("EQ-13", "created"),
        ("EQ-13", "updated"),
        (" EQ-14 ", "error"),  # spaces around an external ID: refused
        ("EQ-15", "created"),
        ("EQ-20", "created"),
        ("EQ-21", "created"),
        ("EQ-17", "created"),
        ("EQ-18", "error"),
        ("EQ-19", "error"),
        ("EQ-16", "created"),
        ("EQ-1", "unchanged"),
        ("EQ-6", "error"),  # owner_not_allowed: a rep gives no account to bob
    ]
    assert again[4]["errors"]["name"]
    assert set(per_item["history_origins"]) == {("api", "+"), ("api", "~")}
    assert per_item["outbox"], "the webhook has deliveries queued"
    stored = {row["external_id"]: row for row in per_item["accounts"]}
    assert stored["EQ-2"]["credit_code"] == "91110000802100433B"
    assert stored["EQ-2"]["annual_revenue"] == Decimal("56000.50")
    assert stored["EQ-1"]["version"] == 2 and stored["EQ-2"]["version"] == 1


def test_a_chunk_goes_item_by_item_when_the_import_would_match_by_name(personas, settings):
    """A new external_id with the name of an account the user sees: the import would
    update that account, the per-item path refuses a likely duplicate."""
    settings.BULK_SET_BASED = True
    run_job(personas.alice, "accounts", body(company("N-1")))
    results = run_job(
        personas.alice, "accounts", body(company("N-2", name="Equivalence N-1 Trading"))
    )
    assert results[0]["status"] == "error"
    assert results[0]["code"] == "possible_duplicate"
    assert Account.objects.get(external_id="N-1").version == 1


def test_a_chunk_with_a_parent_goes_item_by_item_and_an_id_is_left_out(
    personas, settings, monkeypatch
):
    """A parent goes item by item; an id is read-only, left out by both paths: the item
    with another record's id is a new record named by its external_id."""
    settings.BULK_SET_BASED = True
    taken = spy_set_based(monkeypatch)
    results = run_job(
        personas.alice,
        "accounts",
        body(
            company("O-1", owner=personas.alice.pk),
            company("O-2"),
            company("O-3", parent=personas.account.pk),
            company("O-4", id=personas.account.pk),
        ),
    )
    assert [r["status"] for r in results] == ["created", "created", "created", "created"]
    assert taken == [False, True]
    assert results[3]["id"] != personas.account.pk


def test_a_name_like_an_account_in_the_recycle_bin_is_the_same_possible_duplicate_both_ways(
    personas, settings, monkeypatch
):
    """Alice deleted an account; a job of hers naming a new one like it gets the
    single-record answer (match `recycle_bin`) whichever path writes the chunk."""
    from accounts.services import account_delete

    account_delete(account=personas.account, by=personas.alice)
    taken = spy_set_based(monkeypatch)
    payload = body(company("B-1"), company("B-2", name="Alice's Customer Co., Ltd."))

    def run():
        results = run_job(personas.alice, "accounts", payload)
        return {"results": [{k: r.get(k) for k in ("status", "code")} for r in results]} | {
            "matches": [r.get("duplicates") for r in results]
        }

    set_based, item_by_item, _chunks = both_ways(settings, taken, run)
    assert set_based == item_by_item
    assert set_based["results"][1] == {"status": "error", "code": "possible_duplicate"}
    [match] = set_based["matches"][1]
    assert (match["id"], match["match"]) == (personas.account.pk, "recycle_bin")
    assert match["url"].startswith("/recycle-bin/?q=")

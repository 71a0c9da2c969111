"""Bulk jobs of contacts written set-based (keyaccounts/api/setbased.py) give exactly what the
per-item path gives: the same results per item and the same stored rows (fields,
versions, `left_on`, history with its origin, the webhooks' outbox, rescore requests),
for a rep, a manager and a superuser; a chunk the import would treat otherwise (an
invalid item, a hidden or repeated external_id, a `version`, a likely duplicate, a
boss by id, a contact named at another account, someone a rep may not name) goes item
by item."""

import pytest
from django.utils import timezone

from accounts.models import Contact
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.integrations.tests.set_based import (
    assert_same,
    body,
    both_ways,
    run_job,
    snapshot_of,
    spy_set_based,
)

pytestmark = pytest.mark.django_db


def person(external_id: str, account: int, **fields) -> dict:
    return {
        "external_id": external_id,
        "account": account,
        "name": f"联系人 {external_id}",
        **fields,
    }


def setup_items(a: int) -> bytes:
    return body(
        person("CQ-1", a, title="CTO", phone="138 0000 0001"),
        person("CQ-2", a, email="cq2@example.com", buying_role="decider"),
        person("CQ-3", a, is_coach=True, attitude="supporter", influence="high"),
        person("CQ-4", a, is_active=True, department="IT"),
        person("CQ-5", a, notes="  kept  "),
        person("CQ-6", a, hobbies="围棋"),
    )


def second_items(a: int, b: int, hidden: str, boss: int, them: int, other: int) -> bytes:
    """`a`, `b`: two accounts of the user; `hidden`: the external_id of a contact of an
    account a rep does not see; `boss`: a contact's id; `them`: someone of the user's
    team; `other`: someone of another team."""
    return body(
        # chunk 0: all set-based (updated, unchanged, created)
        person("CQ-1", a, title="CEO", phone="138 0000 0001"),
        person("CQ-2", a, email="cq2@example.com", buying_role="decider"),
        person("CQ-7", a, attitude="opponent"),
        # chunk 1: an invalid item: item by item, the exact error
        person("CQ-3", a, buying_role="boss"),
        person("CQ-8", a, name=""),
        person("CQ-9", a),
        # chunk 2: another team's contact's external_id: not found for this user
        person(hidden, a),
        person("CQ-10", a),
        person("CQ-4", a, is_active=True, department="IT"),
        # chunk 3: a version; a phone number another contact of the account has
        {**person("CQ-5", a, notes="x"), "version": 9},
        person("CQ-11", a, phone="13800000001"),
        person("CQ-12", a, phone="13800000001", confirm_duplicate=True),
        # chunk 4: the same record twice, and an external_id with spaces around it
        person("CQ-13", a),
        person("CQ-13", a, title="总工程师"),
        person(" CQ-14 ", a),
        # chunk 5: set-based again: someone leaves, a new one who already left, no boss
        person("CQ-4", a, is_active=False, department="IT"),
        person("CQ-15", a, is_active=False),
        person("CQ-16", a, reports_to=None, title=""),
        # chunk 6: values the serializer reads or refuses: item by item
        person("CQ-17", a, is_coach="yes"),
        person("CQ-18", a, confirm_duplicate=[1]),
        person("CQ-19", a, phone={"a": 1}),
        # chunk 7: a boss by id; a contact moved to the user's other account
        person("CQ-20", a, reports_to=boss),
        person("CQ-6", b, hobbies="围棋"),
        person("CQ-21", b),
        # chunk 8: who keeps the relationship: one of the team, then someone else's
        person("CQ-22", a, relationship_owner=them),
        person("CQ-23", b, relationship_owner=other),
        person("CQ-24", b, relationship_owner=None),
        # chunk 9: the same again (every item unchanged or taken set-based)
        person("CQ-22", a, relationship_owner=them),
        person("CQ-1", a, title="CEO", phone="138 0000 0001"),
        person("CQ-25", b, personality="直爽", pressures="成本"),
        # chunk 10: found by external ID, a contact takes the phone number of two
        # others, neither in the chunk (a likely duplicate); two others keep theirs
        person("CQ-2", a, email="cq2@example.com", buying_role="decider", phone="13800000001"),
        person("CQ-7", a, attitude="opponent", title="新来的"),
        person("CQ-10", a, title="副总"),
        # chunk 11: set-based: a new phone number of one's own (compared with the
        # account's others, none alike), a phone shared since CQ-12 kept in another
        # spelling (not compared again), a title
        person("CQ-9", a, phone="139 1111 2222"),
        person("CQ-12", a, phone="138-0000-0001", title="总经理"),
        person("CQ-10", a, title="顾问"),
    )


def snapshot(results_by_run: list[list[dict]]) -> dict:
    names = dict(Contact.all_objects.values_list("pk", "name"))
    return snapshot_of(Contact, results_by_run, prefix="CQ-", links={"reports_to_id": names})


@pytest.mark.parametrize("who", ["alice", "manager", "admin"])
def test_set_based_contact_jobs_store_and_answer_what_the_per_item_path_does(
    who, personas, settings, make_webhook, monkeypatch
):
    user = getattr(personas, who)  # a rep, her manager, a superuser
    make_webhook(user, "http://127.0.0.1:9/hook", types=("contact",))
    a = personas.account.pk
    b = AccountFactory(name="Alice's Second Co", owner=personas.alice).pk
    hidden = ContactFactory(account=personas.charlies_account, external_id="WEST-C1")
    boss = ContactFactory(account=personas.account, name="老板")
    taken = spy_set_based(monkeypatch)

    def run() -> dict:
        first = run_job(user, "contacts", setup_items(a))
        again = run_job(
            user,
            "contacts",
            second_items(a, b, hidden.external_id, boss.pk, personas.bob.pk, personas.charlie.pk),
        )
        return snapshot([first, again])

    fast, per_item, chunks = both_ways(settings, taken, run)
    assert_same(fast, per_item)
    first, again = per_item["results"]
    assert [r["status"] for r in first] == ["created"] * 6
    # The set-based path took the chunks it may take, and only those (the first job's
    # two, then the second's ten): a superuser may name anyone as the relationship's
    # keeper (chunk 8); a contact of another account (chunk 2: hidden from a rep; a
    # superuser's refused too, a contact staying with their account) goes item by item.
    admin = who == "admin"
    assert chunks == [True, True] + [
        True,
        False,
        False,
        False,
        False,
        True,
        False,
        False,
        admin,
        True,
        False,
        True,
    ]
    statuses = [(r["external_id"], r["status"]) for r in again]
    assert statuses == [
        ("CQ-1", "updated"),
        ("CQ-2", "unchanged"),
        ("CQ-7", "created"),
        ("CQ-3", "error"),
        ("CQ-8", "error"),
        ("CQ-9", "created"),
        ("WEST-C1", "error"),  # a contact stays with their account (a superuser's too)
        ("CQ-10", "created"),
        ("CQ-4", "unchanged"),
        ("CQ-5", "error"),  # the version named is not the record's
        ("CQ-11", "error"),  # a likely duplicate of CQ-1
        ("CQ-12", "created"),
        ("CQ-13", "created"),
        ("CQ-13", "updated"),
        (" CQ-14 ", "error"),  # spaces around an external ID: refused
        ("CQ-4", "updated"),
        ("CQ-15", "created"),
        ("CQ-16", "created"),
        ("CQ-17", "created"),
        ("CQ-18", "error"),
        ("CQ-19", "error"),
        ("CQ-20", "created"),
        ("CQ-6", "error"),  # named at the user's other account: stays with theirs
        ("CQ-21", "created"),
        ("CQ-22", "created"),
        ("CQ-23", "created" if admin else "error"),
        ("CQ-24", "created"),
        ("CQ-22", "unchanged"),
        ("CQ-1", "unchanged"),
        ("CQ-25", "created"),
        ("CQ-2", "error"),  # now alike CQ-1 and CQ-12
        ("CQ-7", "updated"),
        ("CQ-10", "updated"),
        ("CQ-9", "updated"),
        ("CQ-12", "updated"),
        ("CQ-10", "updated"),
    ]
    assert again[10]["code"] == "possible_duplicate"
    assert again[30]["code"] == "possible_duplicate"
    assert set(per_item["history_origins"]) == {("api", "+"), ("api", "~")}
    assert per_item["outbox"], "the webhook has deliveries queued"
    stored = {row["external_id"]: row for row in per_item["records"]}
    assert stored["CQ-4"]["left_on"] == timezone.localdate()  # left: the day is kept
    assert stored["CQ-15"]["left_on"] is None  # new and inactive: left nobody
    assert stored["CQ-20"]["reports_to_id"] == "老板"
    assert stored["CQ-6"]["account_id"] == "Alice's Customer Co"
    assert stored["CQ-1"]["version"] == 2 and stored["CQ-2"]["version"] == 1


def test_a_contact_job_goes_set_based_and_writes_each_item(personas, settings, monkeypatch):
    """The plain case at several chunks: every chunk taken set-based, every contact
    stored with the item's values, the job's counts right."""
    settings.BULK_SET_BASED = True
    taken = spy_set_based(monkeypatch)
    a = personas.account.pk
    items = [person(f"P-{n}", a, title=f"T{n}", email=f"p{n}@example.com") for n in range(7)]
    results = run_job(personas.alice, "contacts", body(*items))
    assert taken == [True, True, True]
    assert [r["status"] for r in results] == ["created"] * 7
    stored = {c.external_id: c for c in Contact.objects.filter(external_id__startswith="P-")}
    assert {ext: (c.title, c.email, c.account_id) for ext, c in stored.items()} == {
        f"P-{n}": (f"T{n}", f"p{n}@example.com", a) for n in range(7)
    }
    assert [r["id"] for r in results] == [stored[f"P-{n}"].pk for n in range(7)]


@pytest.mark.parametrize("set_based", [True, False], ids=["set-based", "item by item"])
@pytest.mark.parametrize("case", ["spelt otherwise", "renamed"])
def test_a_contact_of_a_name_taken_is_a_likely_duplicate_on_both_paths(
    personas, settings, monkeypatch, set_based, case
):
    """The same-name rule of `contact_create` / `contact_update`, on the set-based path
    too: an unkeyed 张伟 is there, and an item names another 张伟."""
    from keyaccounts.integrations.tests.set_based import body, run_job, spy_set_based

    settings.BULK_SET_BASED = set_based
    spy_set_based(monkeypatch)
    account = personas.account
    ContactFactory(account=account, name="张伟", phone="", email="", external_id=None)
    if case == "renamed":
        ContactFactory(account=account, name="李娜", phone="", email="", external_id="N-1")
        items = [{"external_id": "N-1", "account": account.pk, "name": "张伟"}]
    else:
        items = [{"external_id": "N-1", "account": account.pk, "name": "张 伟"}]
    [result] = run_job(personas.alice, "contacts", body(*items))
    assert result["status"] == "error" and result["code"] == "possible_duplicate", result


def test_a_contact_like_one_in_the_recycle_bin_is_the_same_possible_duplicate_both_ways(
    personas, settings, monkeypatch
):
    """Alice deleted a contact; a job of hers adding one like it gets the single-record
    answer (match `recycle_bin`) whichever path writes the chunk."""
    from accounts.services import contact_delete

    gone = ContactFactory(account=personas.account, name="周敏", phone="13900139000", email="")
    contact_delete(contact=gone, by=personas.alice)
    taken = spy_set_based(monkeypatch)
    a = personas.account.pk
    payload = body(person("P-1", a, name="Li Na"), person("P-2", a, name="周 敏"))

    def run():
        results = run_job(personas.alice, "contacts", payload)
        return {"results": [{k: r.get(k) for k in ("status", "code")} for r in results]} | {
            "matches": [r.get("duplicates") for r in results]
        }

    set_based, item_by_item, chunks = both_ways(settings, taken, run)
    assert chunks == [False]  # its check found the duplicate: the chunk went item by item
    assert set_based == item_by_item
    assert set_based["results"][1] == {"status": "error", "code": "possible_duplicate"}
    [match] = set_based["matches"][1]
    assert (match["id"], match["match"]) == (gone.pk, "recycle_bin")
    assert match["url"].startswith("/recycle-bin/?q=")

"""Bulk jobs of visits written set-based (keyaccounts/api/setbased.py) give exactly what the
per-item path gives: the same results per item and the same stored rows (fields,
follow-up dates, who was met and who went, versions, history with its origin, the
webhooks' outbox, rescore requests), for a rep, a manager and a superuser; a chunk the
import would treat otherwise (an invalid item, a hidden or repeated external_id, a
`version`, a contact of another account, no status, someone a rep may not name) goes
item by item."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Contact
from accounts.services import contact_delete
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.integrations.tests.set_based import (
    assert_same,
    body,
    both_ways,
    run_job,
    snapshot_of,
    spy_set_based,
)
from visits.attendance import differences
from visits.models import PlannedAttendance, Visit

pytestmark = pytest.mark.django_db


def at(days: int, hour: int = 10) -> str:
    """A time `days` from today (negative: past), as the API takes it."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))).isoformat()


def done(external_id: str, account: int, days: int = -3, **fields) -> dict:
    return {
        "external_id": external_id,
        "account": account,
        "status": "done",
        "occurred_at": at(days),
        **fields,
    }


def planned(external_id: str, account: int, days: int = 5, **fields) -> dict:
    return {
        "external_id": external_id,
        "account": account,
        "status": "planned",
        "planned_at": at(days, 9),
        **fields,
    }


def setup_items(a: int, c1: int, c3: int, bob: int) -> bytes:
    return body(
        done("VQ-1", a, contacts=[c1, c3], purpose="介绍方案", customer_attitude="supporter"),
        planned("VQ-2", a, attendees=[bob], place="客户总部"),
        done("VQ-3", a, days=-4, method="phone", duration_minutes=30),
    )


def second_items(a: int, b: int, c1: int, c2: int, c_b: int, hidden: str, them, other) -> bytes:
    """`a`, `b`: accounts of the user; `c1`, `c2`: contacts of `a`; `c_b`: of `b`;
    `hidden`: the external_id of another team's visit; `them`: one of the user's team;
    `other`: someone of another team."""
    return body(
        # chunk 0: all set-based (updated, unchanged, created)
        done("VQ-1", a, contacts=[c1], purpose="报价", customer_attitude="supporter"),
        planned("VQ-2", a, attendees=[them], place="客户总部"),
        done("VQ-4", a, days=-2, follow_up_due=str(timezone.localdate() + datetime.timedelta(3))),
        # chunk 1: an invalid item: item by item, the exact error
        {**done("VQ-5", a), "occurred_at": None},
        done("VQ-6", a, days=-6),
        planned("VQ-7", a, days=7),
        # chunk 2: another team's visit's external_id; a contact of another account
        done(hidden, a, days=-8),
        done("VQ-8", a, days=-9, contacts=[c_b]),
        done("VQ-9", a, days=-10),
        # chunk 3: a version; a new external_id at the time of a stored visit; the future
        {**done("VQ-3", a, days=-4, method="phone"), "version": 9},
        done("VQ-10", a, days=-4, method="in_person"),
        done("VQ-11", a, days=3),
        # chunk 4: the same record twice, and an external_id with spaces around it
        done("VQ-12", a, days=-11),
        done("VQ-12", a, days=-11, next_steps="发报价"),
        done(" VQ-13 ", a, days=-12),
        # chunk 5: set-based again: who was met and who went, changed and cleared
        done("VQ-14", a, days=-13, contacts=[c1, c2], attendees=[them]),
        done("VQ-1", a, contacts=[], purpose="报价", customer_attitude="supporter"),
        planned("VQ-15", b, days=9, preparation="带样品"),
        # chunk 6: no status; a read-only field: item by item
        {"external_id": "VQ-16", "account": a, "occurred_at": at(-14)},
        done("VQ-17", a, days=-15, followed_up_on=str(timezone.localdate())),
        done("VQ-18", b, days=-16, contacts=[c_b]),
        # chunk 7: someone of another team attends
        done("VQ-19", a, days=-17, attendees=[other]),
        planned("VQ-20", b, days=11),
        done("VQ-21", b, days=-18),
        # chunk 8: the same again (unchanged, or set-based)
        done("VQ-14", a, days=-13, contacts=[c2, c1], attendees=[them]),
        planned("VQ-15", b, days=9, preparation="带样品"),
        done("VQ-22", b, days=-19, pre_visit_call_held=True, talking_points="预算"),
    )


def snapshot(results_by_run: list[list[dict]]) -> dict:
    ext = dict(Visit.all_objects.values_list("pk", "external_id"))
    contact_name = dict(Contact.all_objects.values_list("pk", "name"))
    state = snapshot_of(Visit, results_by_run, prefix="VQ-")
    met = {}  # every link, one to a contact in the recycle bin too
    for visit_id, contact_id in Visit.contacts.through.objects.values_list(
        "visit_id", "contact_id"
    ):
        met.setdefault(visit_id, []).append(contact_name[contact_id])
    state["people"] = sorted(
        (
            visit.external_id,
            sorted(met.get(visit.pk, [])),
            sorted(u.username for u in visit.attendees.all()),
        )
        for visit in Visit.all_objects.prefetch_related("attendees")
    )
    # Who goes along to each planned visit, as my week reads it (visits.attendance): what
    # the attendee rows say, whichever path wrote them.
    assert differences() == (set(), set())
    state["planned_attendance"] = sorted(
        (ext[visit_id], user_id, planned_at)
        for user_id, visit_id, planned_at in PlannedAttendance.objects.values_list(
            "user_id", "visit_id", "planned_at"
        )
    )
    # Who was met and who went, as each history entry holds them.
    state["history_people"] = sorted(
        [
            (
                entry.id and ext.get(entry.id),
                entry.history_type,
                entry.version,
                sorted(contact_name[row.contact_id] for row in entry.contacts.all()),
                sorted(row.user_id for row in entry.attendees.all()),
            )
            for entry in Visit.history.model.objects.all()
        ],
        key=repr,
    )
    return state


@pytest.mark.parametrize("who", ["alice", "manager", "admin"])
def test_set_based_visit_jobs_store_and_answer_what_the_per_item_path_does(
    who, personas, settings, make_webhook, monkeypatch
):
    from visits.tests.factories import VisitFactory

    user = getattr(personas, who)  # a rep, her manager, a superuser
    make_webhook(user, "http://127.0.0.1:9/hook", types=("visit",))
    a = personas.account.pk
    b = AccountFactory(name="Alice's Second Co", owner=personas.alice).pk
    c1 = ContactFactory(account=personas.account, name="王工").pk
    c2 = ContactFactory(account=personas.account, name="李总").pk
    c_b = ContactFactory(account_id=b, name="赵经理").pk
    c3 = ContactFactory(account=personas.account, name="钱工").pk  # in the bin, below
    hidden = VisitFactory(account=personas.charlies_account, external_id="WEST-V1")
    taken = spy_set_based(monkeypatch)

    def run() -> dict:
        first = run_job(user, "visits", setup_items(a, c1, c3, personas.bob.pk))
        # A contact met leaves for the recycle bin: the visit keeps the link.
        contact_delete(contact=Contact.objects.get(pk=c3), by=personas.alice)
        again = run_job(
            user,
            "visits",
            second_items(
                a, b, c1, c2, c_b, hidden.external_id, personas.bob.pk, personas.charlie.pk
            ),
        )
        return snapshot([first, again])

    fast, per_item, chunks = both_ways(settings, taken, run)
    assert_same(fast, per_item)
    first, again = per_item["results"]
    assert [r["status"] for r in first] == ["created"] * 3
    admin = who == "admin"
    # The set-based path took the chunks it may take, and only those (the first job's
    # one, then the second's nine): a superuser may take anyone along (chunk 7).
    assert chunks == [True] + [True, False, False, False, False, True, False, admin, True]
    assert [(r["external_id"], r["status"]) for r in again] == [
        ("VQ-1", "updated"),
        ("VQ-2", "unchanged"),
        ("VQ-4", "created"),
        ("VQ-5", "error"),
        ("VQ-6", "created"),
        ("VQ-7", "created"),
        ("WEST-V1", "updated" if admin else "error"),
        ("VQ-8", "error"),  # a contact of another account
        ("VQ-9", "created"),
        ("VQ-3", "error"),  # the version named is not the record's
        ("VQ-10", "created"),  # another system's visit at the same time: a visit of its own
        ("VQ-11", "error"),  # recorded in the future
        ("VQ-12", "created"),
        ("VQ-12", "updated"),
        (" VQ-13 ", "error"),  # spaces around an external ID: refused
        ("VQ-14", "created"),
        ("VQ-1", "updated"),
        ("VQ-15", "created"),
        ("VQ-16", "error"),  # planned (the model's default) without a time
        ("VQ-17", "created"),
        ("VQ-18", "created"),
        ("VQ-19", "created" if admin else "error"),
        ("VQ-20", "created"),
        ("VQ-21", "created"),
        ("VQ-14", "unchanged"),
        ("VQ-15", "unchanged"),
        ("VQ-22", "created"),
    ]
    assert set(per_item["history_origins"]) == {("api", "+"), ("api", "~")}
    assert per_item["outbox"], "the webhook has deliveries queued"
    people = {row[0]: row[1:] for row in per_item["people"]}
    assert people["VQ-14"] == (["李总", "王工"], ["bob"])
    assert people["VQ-1"] == (["钱工"], [])  # the binned contact's link is kept
    # Bob goes along to the one planned visit with attendees (written set-based, by the
    # first job's chunk): my week finds it from his planned attendances.
    assert [row[:2] for row in per_item["planned_attendance"]] == [("VQ-2", personas.bob.pk)]
    stored = {row["external_id"]: row for row in per_item["records"]}
    week = datetime.timedelta(days=7)
    assert stored["VQ-6"]["follow_up_due"] == timezone.localdate() - datetime.timedelta(6) + week

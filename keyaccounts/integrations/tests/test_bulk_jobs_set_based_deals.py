"""Bulk jobs of deals written set-based (keyaccounts/api/setbased.py) give exactly what the
per-item path gives: the same results per item and the same stored rows (fields, the
probability following the stage or set by hand, closing dates, stage changes, versions,
history with its origin, the webhooks' outbox, rescore requests), for a rep, a manager
and a superuser; a chunk the import would treat otherwise (an invalid item, a hidden or
repeated external_id, a `version`, a move past unticked exit criteria, a deal closed
without its reason, parts, an owner a rep may not name) goes item by item."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from keyaccounts.integrations.tests.set_based import (
    assert_same,
    body,
    both_ways,
    run_job,
    snapshot_of,
    spy_set_based,
)
from opportunities.models import ExitCriterion, Opportunity, Stage, StageChange
from opportunities.services import criterion_set
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db


def deal(external_id: str, account: int, **fields) -> dict:
    close = timezone.localdate() + datetime.timedelta(days=90)
    return {
        "external_id": external_id,
        "account": account,
        "name": f"项目 {external_id}",
        "amount": "1200000.00",
        "expected_close_date": str(close),
        **fields,
    }


def setup_items(a: int, s: dict) -> bytes:
    return body(
        deal("DQ-1", a),
        deal("DQ-2", a, stage=s["qualify"], probability=15),
        deal("DQ-3", a, currency="USD", kind="expansion"),
        deal("DQ-4", a, description="  二期  "),
    )


def second_items(a: int, b: int, s: dict, hidden: str, them: int, me: int) -> bytes:
    """`a`, `b`: accounts of the user; `s`: stage ids by key; `hidden`: another team's
    deal's external_id; `them`: one of the user's team; `me`: the user."""
    return body(
        # chunk 0: all set-based (updated; moved on, its exit criteria ticked; created)
        deal("DQ-1", a, amount="1300000.00"),
        deal("DQ-2", a, stage=s["needs_analysis"], probability=15),
        deal("DQ-5", a, discount_percent="5.00"),
        # chunk 1: an invalid item: item by item, the exact error
        deal("DQ-3", a, currency="XYZ"),
        deal("DQ-6", a, name=""),
        deal("DQ-7", a),
        # chunk 2: another team's deal's external_id; the probability by hand
        deal(hidden, a),
        deal("DQ-8", a, probability=33),
        deal("DQ-4", a, description="  二期  "),
        # chunk 3: a version; a move past unticked exit criteria
        {**deal("DQ-4", a), "version": 9},
        deal("DQ-1", a, amount="1300000.00", stage=s["negotiation"]),
        deal("DQ-9", b),
        # chunk 4: the same record twice, and an external_id with spaces around it
        deal("DQ-10", a),
        deal("DQ-10", a, amount="10.00"),
        deal(" DQ-11 ", a),
        # chunk 5: set-based again: lost with its reason; a new one at the stage it names
        # (the first: one past it needs the outcomes before it, ticked in the same item,
        # which only the per-item path takes — opportunities/tests/test_api_opportunities.py)
        deal("DQ-7", a, stage=s["lost"], close_reason="价格"),
        deal("DQ-12", b, stage=s["qualify"]),
        deal("DQ-13", b, bid_result="won", tender_published_on=str(timezone.localdate())),
        # chunk 6: closed without its reason; parts; a read-only field
        deal("DQ-14", a, stage=s["lost"]),
        deal("DQ-15", a, competitors=[{"name": "某竞争对手"}]),
        deal("DQ-16", a, closed_on=str(timezone.localdate())),
        # chunk 7: owners: the user, then one of the team (a rep may not)
        deal("DQ-17", a, owner=me),
        deal("DQ-18", b, owner=them),
        deal("DQ-19", b),
        # chunk 8: the same again (unchanged, or set-based)
        deal("DQ-8", a, probability=33),
        deal("DQ-12", b, stage=s["qualify"]),
        deal("DQ-20", b, stage=s["qualify"], bid_result=""),
    )


def snapshot(results_by_run: list[list[dict]]) -> dict:
    ext = dict(Opportunity.all_objects.values_list("pk", "external_id"))
    state = snapshot_of(Opportunity, results_by_run, prefix="DQ-")
    changes = []
    for row in StageChange.objects.values():
        row = {k: v for k, v in row.items() if k not in ("id", "changed_at")}  # its time
        row["opportunity_id"] = ext.get(row["opportunity_id"])
        changes.append(repr(sorted(row.items())))
    state["stage_changes"] = sorted(changes)
    return state


@pytest.mark.parametrize("who", ["alice", "manager", "admin"])
def test_set_based_deal_jobs_store_and_answer_what_the_per_item_path_does(
    who, personas, settings, make_webhook, monkeypatch
):
    user = getattr(personas, who)  # a rep, her manager, a superuser
    make_webhook(user, "http://127.0.0.1:9/hook", types=("opportunity",))
    stages = {key: stage.pk for key, stage in default_stages().items()}
    a = personas.account.pk
    b = AccountFactory(name="Alice's Second Co", owner=personas.alice).pk
    hidden = OpportunityFactory(account=personas.charlies_account, external_id="WEST-D1")
    taken = spy_set_based(monkeypatch)

    def run() -> dict:
        first = run_job(user, "opportunities", setup_items(a, stages))
        # DQ-2's exit criteria ticked (on its page): it may move on.
        moving = Opportunity.objects.get(external_id="DQ-2")
        for criterion in ExitCriterion.objects.filter(stage__key="qualify"):
            criterion_set(opportunity=moving, criterion=criterion, checked=True, by=personas.alice)
        again = run_job(
            user,
            "opportunities",
            second_items(a, b, stages, hidden.external_id, personas.bob.pk, user.pk),
        )
        return snapshot([first, again])

    fast, per_item, chunks = both_ways(settings, taken, run)
    assert_same(fast, per_item)
    first, again = per_item["results"]
    assert [r["status"] for r in first] == ["created"] * 4
    # The set-based path took the chunks it may take, and only those (the first job's
    # two, then the second's nine): a manager (or a superuser) gives a deal to one of
    # the team in an import too (chunk 7); a rep's is written item by item.
    admin = who == "admin"
    assert chunks == [True, True] + [
        True,
        False,
        False,
        False,
        False,
        True,
        False,
        who != "alice",
        True,
    ]
    assert [(r["external_id"], r["status"]) for r in again] == [
        ("DQ-1", "updated"),
        ("DQ-2", "updated"),
        ("DQ-5", "created"),
        ("DQ-3", "error"),
        ("DQ-6", "error"),
        ("DQ-7", "created"),
        ("WEST-D1", "updated" if admin else "error"),
        ("DQ-8", "created"),
        ("DQ-4", "unchanged"),
        ("DQ-4", "error"),  # the version named is not the record's
        ("DQ-1", "error"),  # exit criteria missing
        ("DQ-9", "created"),
        ("DQ-10", "created"),
        ("DQ-10", "updated"),
        (" DQ-11 ", "error"),  # spaces around an external ID: refused
        ("DQ-7", "updated"),
        ("DQ-12", "created"),
        ("DQ-13", "created"),
        ("DQ-14", "error"),  # closed without its reason
        ("DQ-15", "created"),
        ("DQ-16", "created"),
        ("DQ-17", "created"),
        ("DQ-18", "created"),
        ("DQ-19", "created"),
        ("DQ-8", "unchanged"),
        ("DQ-12", "unchanged"),
        ("DQ-20", "created"),
    ]
    assert again[10]["code"] == "exit_criteria_missing"
    # The jobs' writes are the api's (the criteria ticked above: the system's).
    assert set(per_item["history_origins"]) == {("api", "+"), ("api", "~"), ("system", "~")}
    assert per_item["outbox"], "the webhook has deliveries queued"
    stored = {row["external_id"]: row for row in per_item["records"]}
    assert stored["DQ-8"]["probability"] == 33 and stored["DQ-8"]["probability_is_custom"]
    qualify = Stage.objects.get(key="qualify").default_probability
    assert stored["DQ-12"]["probability"] == qualify
    assert not stored["DQ-12"]["probability_is_custom"]
    assert stored["DQ-7"]["closed_on"] == timezone.localdate()
    assert stored["DQ-1"]["version"] == 2
    assert stored["DQ-2"]["stage_id"] == stages["needs_analysis"]
    assert stored["DQ-2"]["probability"] == 15  # set by hand: it sticks

"""The plan import: creates, updates by natural key, refuses a second plan for a period
and an owner off the team, and a re-import changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from keyaccounts.imports.engine import run_import
from keyaccounts.imports.kinds import KINDS
from keyaccounts.imports.reading import read_table
from keyaccounts.tests.imports_files import csv_file
from scoring.plans import services
from scoring.plans.models import AccountPlan

pytestmark = pytest.mark.django_db

HEADERS = ["Account", "Period", "Period starts", "Sales target (CNY)", "Plan owner"]


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def run(content: bytes, by, *, dry_run=False):
    kind = KINDS["plans"]
    table = read_table(content, header_score=kind.header_index().score)
    mapping = kind.header_index().recognise(table.headers)
    return run_import(kind=kind, table=table, mapping=mapping, by=by, dry_run=dry_run)


def statuses(result):
    return [(row.row, row.status) for row in result.rows]


def test_plans_import_and_reimport(personas):
    name = personas.account.name
    content = csv_file(
        [
            HEADERS + ["External ID"],
            [name, "year", "2026-01-01", "1200000", "bob", "P-1"],
            [name, "year", "2027-01-01", "1500000", "", ""],
        ]
    )
    result = run(content, personas.alice)
    assert [status for _row, status in statuses(result)] == ["create", "create"], result.rows
    plans = list(AccountPlan.objects.order_by("period_start"))
    assert [(p.period_start.year, p.owner.username, p.external_id) for p in plans] == [
        (2026, "bob", "P-1"),
        (2027, "alice", None),
    ]
    assert plans[0].period_end == datetime.date(2026, 12, 31)
    again = run(content, personas.alice)
    assert [status for _row, status in statuses(again)] == ["unchanged", "unchanged"]
    changed = csv_file(
        [["Account", "Period starts", "Sales target (CNY)"], [name, "2027-01-01", "1600000"]]
    )
    assert [s for _r, s in statuses(run(changed, personas.alice))] == ["update"]
    assert AccountPlan.objects.get(period_start__year=2027).sales_target == Decimal("1600000")


def test_plans_import_refuses_overlap_and_owner_off_team(personas):
    services.plan_create(
        by=personas.alice,
        account=personas.account,
        period_start=datetime.date(2026, 1, 1),
        sales_target=Decimal("1"),
    )
    name = personas.account.name
    content = csv_file(
        [
            HEADERS,
            [name, "half", "2026-07-01", "10", ""],
            [name, "year", "2028-01-01", "10", "carol"],
            [name, "year", "2029-03-01", "10", ""],
        ]
    )
    result = run(content, personas.alice)
    assert all(status == "error" for _row, status in statuses(result)), statuses(result)
    messages = " ".join(p.message for row in result.rows for p in row.problems)
    assert "already has a plan for 2026" in messages
    assert "not on the account team" in messages or "carol" in messages
    assert AccountPlan.objects.count() == 1


def run_actions(content: bytes, by):
    kind = KINDS["plan_actions"]
    table = read_table(content, header_score=kind.header_index().score)
    mapping = kind.header_index().recognise(table.headers)
    return run_import(kind=kind, table=table, mapping=mapping, by=by, dry_run=False)


def test_plan_actions_import(personas):
    plan = services.plan_create(
        by=personas.alice,
        account=personas.account,
        period_kind="half",
        period_start=datetime.date(2026, 7, 1),
        sales_target=Decimal("1"),
    )
    name = personas.account.name
    headers = ["Account", "Plan period", "What", "Owner", "Due", "External ID"]
    content = csv_file(
        [
            headers,
            [name, "2026 H2", "Cost workshop", "bob", "2026-09-30", "A-1"],
            [name, "2026 H2", "Plant visit", "", "2026-10-15", ""],
            [name, "2025", "Nowhere", "", "2026-10-15", ""],
            [name, "2026 H2", "Off team", "carol", "2026-10-15", ""],
        ]
    )
    result = run_actions(content, personas.alice)
    assert [s for _r, s in statuses(result)] == ["create", "create", "error", "error"]
    # All or nothing: an error writes nothing.
    assert plan.actions.count() == 0
    ok = csv_file([headers, *[line for line in _rows(content)[1:3]]])
    assert [s for _r, s in statuses(run_actions(ok, personas.alice))] == ["create", "create"]
    actions = {a.what: a for a in plan.actions.all()}
    assert actions["Cost workshop"].owner == personas.bob
    assert actions["Plant visit"].owner == personas.alice
    assert actions["Plant visit"].account_id == personas.account.pk
    assert [s for _r, s in statuses(run_actions(ok, personas.alice))] == [
        "unchanged",
        "unchanged",
    ]


def _rows(content: bytes) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(content.decode())))


HALF_2026 = ("half", datetime.date(2026, 7, 1), "2026年下半年", "2026 H2")
YEAR_2027 = ("year", datetime.date(2027, 1, 1), "2027年度", "2027")


@pytest.mark.parametrize(
    ("plan_period", "period"),
    [
        *(
            (HALF_2026, given)
            for given in ["2026年下半年", "2026 H2", "２０２６ｈ２", "2026年 下半年"]
        ),
        *((YEAR_2027, given) for given in ["2027年度", "2027"]),
    ],
)
def test_a_plan_is_named_by_its_period_in_either_language(personas, plan_period, period):
    """Chinese pages and files call a half-year 2026年下半年 and a year 2027年度 (an export
    in Chinese writes them so): an import reads them, as it reads 2026 H2 and 2027,
    whatever the importer's language."""
    from scoring.plans.tests.api_records import make_plan

    kind, start, chinese, english = plan_period
    plan = make_plan(personas, period_kind=kind, period_start=start)
    with translation.override("zh-hans"):
        assert plan.period_label == chinese
    assert plan.period_label == english
    headers = ["Account", "Plan period", "What", "Due"]
    due = start.replace(month=9, day=30).isoformat()
    content = csv_file([headers, [personas.account.name, period, "Workshop", due]])
    assert [s for _r, s in statuses(run_actions(content, personas.alice))] == ["create"]
    assert plan.actions.get().what == "Workshop"

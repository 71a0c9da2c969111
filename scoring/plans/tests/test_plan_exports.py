"""The plan and plan-action files hold what the user can see, with the progress."""

import csv
import datetime
import io
from decimal import Decimal

from django.utils import timezone

from scoring.models import MonthlySales
from scoring.plans import services


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_plan_and_action_files(personas, login):
    today = timezone.localdate()
    MonthlySales.objects.create(
        account=personas.account, month=today.replace(day=1), sales=Decimal("1234")
    )
    plan = services.plan_create(
        by=personas.alice,
        account=personas.account,
        period_start=datetime.date(today.year, 1, 1),
        sales_target=Decimal("10000"),
    )
    services.action_create(
        by=personas.alice, plan=plan, what="Cost workshop", owner=personas.bob, due_on=today
    )
    table = rows(login(personas.alice).get("/export/plans/?format=csv"))
    assert len(table) == 2
    header, row = table
    assert row[header.index("Sales so far (CNY)")] in ("1234", "1234.00")
    actions = rows(login(personas.alice).get("/export/plan-actions/?format=csv"))
    assert actions[1][actions[0].index("What")] == "Cost workshop"
    assert actions[1][actions[0].index("Owner")] == "bob"
    # Another team sees headers only.
    assert len(rows(login(personas.charlie).get("/export/plans/?format=csv"))) == 1
    assert len(rows(login(personas.charlie).get("/export/plan-actions/?format=csv"))) == 1

"""An inline row against a constraint on its parent (one advantage of each kind per plan)
is an error on the admin's form, not a 500, and nothing is written — a stored row posted
as a new one (the hidden counter edited by hand) included — while deleting a row and
adding it again, or a row giving its kind to a new one, in one save, still save."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from visits.tests.test_admin_people import form_of

pytestmark = pytest.mark.django_db

DUPLICATE = "Plan advantage with this Plan and Advantage already exists."


@pytest.fixture
def plan(personas):
    from scoring.plans.models import Advantage
    from scoring.plans.services import plan_create

    return plan_create(
        by=personas.alice,
        account=personas.account,
        period_start=datetime.date(timezone.localdate().year, 1, 1),
        sales_target=Decimal("100000"),
        advantages={Advantage.SOLUTION: "Fixes their line"},
    )


def advantages(plan) -> list:
    return list(plan.advantages.order_by("pk").values_list("kind", "evidence"))


def save_plan(client, plan, changes: dict | None = None, new_rows: list = ()):
    """Post the plan's admin change form as the page has it, with `changes` (its fields'
    names and values) and a new row for each (kind, evidence) of `new_rows`."""
    url = reverse("admin:plans_accountplan_change", args=[plan.pk])
    data = form_of(client.get(url), "accountplan_form")
    rows = list(new_rows)
    first = int(data["advantages-TOTAL_FORMS"])
    for number, (kind, evidence) in enumerate(rows, start=first):
        data[f"advantages-{number}-kind"] = kind
        data[f"advantages-{number}-evidence"] = evidence
        data[f"advantages-{number}-plan"] = str(plan.pk)
    data["advantages-TOTAL_FORMS"] = str(first + len(rows))
    data.update(changes or {})
    return client.post(url, data)


def test_a_new_row_of_a_kind_the_plan_has_is_an_error_on_the_row(plan, personas, login):
    """Django's own check among the rows shown: the wrap leaves it as it was."""
    response = save_plan(login(personas.admin), plan, new_rows=[("solution", "The line's figures")])

    assert response.status_code == 200
    assert "Please correct the duplicate data for kind" in response.content.decode()
    assert advantages(plan) == [("solution", "Fixes their line")]


def test_a_stored_row_posted_as_a_new_one_is_an_error_not_a_500(plan, personas, login):
    response = save_plan(
        login(personas.admin),
        plan,
        {"advantages-INITIAL_FORMS": "0", "advantages-0-evidence": "Changed"},
    )

    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    assert advantages(plan) == [("solution", "Fixes their line")]


def test_a_new_row_of_another_kind_is_saved(plan, personas, login):
    response = save_plan(
        login(personas.admin), plan, new_rows=[("lower_cost", "Their energy bill")]
    )

    assert response.status_code == 302
    assert advantages(plan) == [
        ("solution", "Fixes their line"),
        ("lower_cost", "Their energy bill"),
    ]


def test_a_row_deleted_and_added_again_in_one_save_is_saved(plan, personas, login):
    response = save_plan(
        login(personas.admin),
        plan,
        {"advantages-0-DELETE": "on"},
        new_rows=[("solution", "Rewritten")],
    )

    assert response.status_code == 302
    assert advantages(plan) == [("solution", "Rewritten")]


def test_a_row_giving_its_kind_to_a_new_one_is_saved(plan, personas, login):
    response = save_plan(
        login(personas.admin),
        plan,
        {"advantages-0-kind": "lower_cost"},
        new_rows=[("solution", "New")],
    )

    assert response.status_code == 302
    assert sorted(advantages(plan)) == [("lower_cost", "Fixes their line"), ("solution", "New")]


def test_two_new_rows_of_one_kind_are_one_error(plan, personas, login):
    response = save_plan(
        login(personas.admin), plan, new_rows=[("efficiency", "a"), ("efficiency", "b")]
    )

    assert response.status_code == 200
    assert "Please correct the duplicate data for kind" in response.content.decode()
    assert advantages(plan) == [("solution", "Fixes their line")]

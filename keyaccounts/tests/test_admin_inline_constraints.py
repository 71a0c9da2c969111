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


def test_a_new_row_of_a_kind_the_plan_has_is_an_error_on_the_row(plan, personas, login):
    """Django's own check among the rows shown: the wrap leaves it as it was."""
    client = login(personas.admin)
    url = reverse("admin:plans_accountplan_change", args=[plan.pk])
    data = form_of(client.get(url), "accountplan_form")
    data.update(
        {
            "advantages-TOTAL_FORMS": "2",
            "advantages-1-kind": "solution",
            "advantages-1-evidence": "The line's figures",
            "advantages-1-plan": str(plan.pk),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Please correct the duplicate data for kind" in response.content.decode()
    assert advantages(plan) == [("solution", "Fixes their line")]


def test_a_stored_row_posted_as_a_new_one_is_an_error_not_a_500(plan, personas, login):
    client = login(personas.admin)
    url = reverse("admin:plans_accountplan_change", args=[plan.pk])
    data = form_of(client.get(url), "accountplan_form")
    data["advantages-INITIAL_FORMS"] = "0"
    data["advantages-0-evidence"] = "Changed"

    response = client.post(url, data)

    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    assert advantages(plan) == [("solution", "Fixes their line")]


def test_a_new_row_of_another_kind_is_saved(plan, personas, login):
    client = login(personas.admin)
    url = reverse("admin:plans_accountplan_change", args=[plan.pk])
    data = form_of(client.get(url), "accountplan_form")
    data.update(
        {
            "advantages-TOTAL_FORMS": "2",
            "advantages-1-kind": "lower_cost",
            "advantages-1-evidence": "Their energy bill",
            "advantages-1-plan": str(plan.pk),
        }
    )

    assert client.post(url, data).status_code == 302
    assert advantages(plan) == [
        ("solution", "Fixes their line"),
        ("lower_cost", "Their energy bill"),
    ]


def test_a_row_deleted_and_added_again_in_one_save_is_saved(plan, personas, login):
    client = login(personas.admin)
    url = reverse("admin:plans_accountplan_change", args=[plan.pk])
    data = form_of(client.get(url), "accountplan_form")
    data.update(
        {
            "advantages-0-DELETE": "on",
            "advantages-TOTAL_FORMS": "2",
            "advantages-1-kind": "solution",
            "advantages-1-evidence": "Rewritten",
            "advantages-1-plan": str(plan.pk),
        }
    )

    assert client.post(url, data).status_code == 302
    assert advantages(plan) == [("solution", "Rewritten")]


def test_a_row_giving_its_kind_to_a_new_one_is_saved(plan, personas, login):
    client = login(personas.admin)
    url = reverse("admin:plans_accountplan_change", args=[plan.pk])
    data = form_of(client.get(url), "accountplan_form")
    data.update(
        {
            "advantages-0-kind": "lower_cost",
            "advantages-TOTAL_FORMS": "2",
            "advantages-1-kind": "solution",
            "advantages-1-evidence": "New",
            "advantages-1-plan": str(plan.pk),
        }
    )

    assert client.post(url, data).status_code == 302
    assert sorted(advantages(plan)) == [("lower_cost", "Fixes their line"), ("solution", "New")]


def test_two_new_rows_of_one_kind_are_one_error(plan, personas, login):
    client = login(personas.admin)
    url = reverse("admin:plans_accountplan_change", args=[plan.pk])
    data = form_of(client.get(url), "accountplan_form")
    data.update(
        {
            "advantages-TOTAL_FORMS": "3",
            "advantages-1-kind": "efficiency",
            "advantages-1-evidence": "a",
            "advantages-1-plan": str(plan.pk),
            "advantages-2-kind": "efficiency",
            "advantages-2-evidence": "b",
            "advantages-2-plan": str(plan.pk),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Please correct the duplicate data for kind" in response.content.decode()
    assert advantages(plan) == [("solution", "Fixes their line")]

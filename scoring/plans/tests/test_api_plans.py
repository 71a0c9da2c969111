"""/api/v1/plans/ and /api/v1/plan-actions/: the pages' rules through the API (the sync
contract itself: keyaccounts/tests/test_api_sync_contract.py, which covers both types)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from scoring.models import MonthlySales
from scoring.plans import services
from scoring.plans.models import PlanAction

pytestmark = pytest.mark.django_db


def plan_of(personas, year=2026):
    return services.plan_create(
        by=personas.alice,
        account=personas.account,
        period_start=datetime.date(year, 1, 1),
        sales_target=Decimal("200000"),
    )


@pytest.mark.parametrize(
    "who, status",
    [("alice", 200), ("bob", 200), ("manager", 200), ("carol", 404), ("charlie", 404)],
)
def test_plans_are_seen_by_those_who_see_the_account(personas, api, who, status):
    plan = plan_of(personas)
    client = api(getattr(personas, who))
    assert client.get(f"/api/v1/plans/{plan.pk}/").status_code == status
    listed = [row["id"] for row in client.get("/api/v1/plans/").json()["results"]]
    assert (plan.pk in listed) == (status == 200)


def test_progress_and_advantages_in_the_api(personas, api):
    today = timezone.localdate()
    MonthlySales.objects.create(
        account=personas.account, month=today.replace(day=1), sales=Decimal("50000")
    )
    client = api(personas.alice)
    response = client.post(
        "/api/v1/plans/",
        {
            "account": personas.account.pk,
            "period_start": f"{today.year}-01-01",
            "sales_target": "200000",
            "advantages": [
                {"kind": "lower_cost", "evidence": "8% less on spares"},
                {"kind": "solution", "evidence": "Line fixed"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == personas.alice.pk
    assert body["period_label"] == str(today.year)
    assert body["progress"]["sales_actual"] == "50000.00"
    assert body["progress"]["percent"] == "25.0"
    assert {a["kind"] for a in body["advantages"]} == {"lower_cost", "solution"}
    # The same period again: 400 naming the field.
    again = client.post(
        "/api/v1/plans/",
        {
            "account": personas.account.pk,
            "period_start": f"{today.year}-01-01",
            "sales_target": "1",
        },
        format="json",
    )
    assert again.status_code == 400
    assert "period_start" in again.content.decode()
    # Advantages written as a set.
    url = f"/api/v1/plans/{body['id']}/"
    patched = client.patch(
        url, {"advantages": [{"kind": "solution", "evidence": "Line fixed"}]}, format="json"
    )
    assert patched.status_code == 200
    assert [a["kind"] for a in patched.json()["advantages"]] == ["solution"]
    assert patched.json()["version"] == body["version"] + 1


@pytest.mark.parametrize(
    "item, missing",
    [
        ({"evidence": "Line fixed"}, ["kind"]),
        ({"kind": "solution"}, ["evidence"]),
        ({}, ["kind", "evidence"]),
    ],
)
def test_a_patch_with_an_advantage_left_half_says_what_it_lacks(personas, api, item, missing):
    plan = plan_of(personas)
    client = api(personas.alice)

    patched = client.patch(f"/api/v1/plans/{plan.pk}/", {"advantages": [item]}, format="json")

    assert patched.status_code == 400, patched.content[:300]
    required = ["This field is required."]
    assert patched.json()["errors"] == {f"advantages.0.{name}": required for name in missing}
    plan.refresh_from_db()
    assert plan.version == 1 and not plan.advantages.exists()


@pytest.mark.parametrize("value", ["x", 3, True, {"kind": "solution"}])
def test_advantages_that_are_no_list_are_refused_on_the_field(personas, api, value):
    plan = plan_of(personas)
    patched = api(personas.alice).patch(
        f"/api/v1/plans/{plan.pk}/", {"advantages": value}, format="json"
    )
    assert patched.status_code == 400
    [message] = patched.json()["errors"]["advantages"]
    assert message.startswith("Expected a list of items but got type")
    assert set(patched.json()["errors"]) == {"advantages"}


def test_action_owner_must_be_on_the_team_through_the_api(personas, api):
    plan = plan_of(personas)
    client = api(personas.alice)
    refused = client.post(
        "/api/v1/plan-actions/",
        {"plan": plan.pk, "what": "Workshop", "due_on": "2026-03-01", "owner": personas.carol.pk},
        format="json",
    )
    assert refused.status_code == 400
    assert "account team" in refused.content.decode()
    made = client.post(
        "/api/v1/plan-actions/",
        {"plan": plan.pk, "what": "Workshop", "due_on": "2026-03-01", "owner": personas.bob.pk},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["account"] == personas.account.pk
    # Charlie cannot put an action on a plan he cannot see.
    other = api(personas.charlie).post(
        "/api/v1/plan-actions/",
        {"plan": plan.pk, "what": "Mine", "due_on": "2026-03-01"},
        format="json",
    )
    assert other.status_code == 400
    assert PlanAction.objects.count() == 1


def action_of(plan, personas):
    """One action of `plan`, alice's."""
    return services.action_create(
        by=personas.alice,
        plan=plan,
        what="x",
        owner=personas.alice,
        due_on=datetime.date(2026, 2, 1),
    )


def test_deleting_a_plan_takes_its_actions_and_restores_them(personas, api):
    plan = plan_of(personas)
    action_of(plan, personas)
    client = api(personas.alice)
    assert client.delete(f"/api/v1/plans/{plan.pk}/").status_code == 204
    assert client.get("/api/v1/plan-actions/").json()["results"] == []
    assert client.post(f"/api/v1/plans/{plan.pk}/restore/").status_code == 200
    assert len(client.get("/api/v1/plan-actions/").json()["results"]) == 1


def test_an_action_deleted_with_its_plan_is_restored_only_with_the_plan(personas, api):
    """Restoring the action alone would bring the whole plan back unasked: it names the
    plan to restore instead, and nothing comes back."""
    plan = plan_of(personas)
    action = action_of(plan, personas)
    client = api(personas.alice)
    assert client.delete(f"/api/v1/plans/{plan.pk}/").status_code == 204

    refused = client.post(f"/api/v1/plan-actions/{action.pk}/restore/")

    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "parent_deleted"
    assert str(plan) in refused.json()["detail"]
    assert client.get(f"/api/v1/plans/{plan.pk}/").status_code == 404
    assert client.post(f"/api/v1/plans/{plan.pk}/restore/").status_code == 200
    assert client.get(f"/api/v1/plan-actions/{action.pk}/").status_code == 200


def test_an_action_added_by_a_manager_off_the_team_is_the_account_owners(personas, api, login):
    """The form suggested the manager (refused on save: not on the account team); the
    API refused an action without an owner from them. Both now name the account owner."""
    plan = plan_of(personas)
    page = login(personas.manager).get(
        f"/accounts/{personas.account.pk}/plans/{plan.pk}/actions/new/"
    )
    made = api(personas.manager).post(
        "/api/v1/plan-actions/",
        {"plan": plan.pk, "what": "Meet the CFO", "due_on": "2026-03-01"},
        format="json",
    )

    assert page.context["form"]["owner"].value() == personas.account.owner_id
    assert made.status_code == 201, made.json()
    assert made.json()["owner"] == personas.account.owner_id == personas.alice.pk


def test_an_action_is_not_done_in_the_future_but_one_saved_so_before_stays_editable(personas, api):
    plan = plan_of(personas)
    action = action_of(plan, personas)
    client = api(personas.alice)
    later = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()

    refused = client.patch(f"/api/v1/plan-actions/{action.pk}/", {"done_on": later}, format="json")
    PlanAction.objects.filter(pk=action.pk).update(done_on=later)  # from before the rule
    kept = client.patch(f"/api/v1/plan-actions/{action.pk}/", {"notes": "Asked"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["errors"]["done_on"][0].startswith(
        "An action cannot be done in the future"
    )
    assert kept.status_code == 200, kept.json()


def test_an_actions_history_names_its_risk_factor_and_a_deal_s_reads_amounts(personas):
    """Values as a person reads them: the risk factor by its label (not its key), an
    amount grouped without its zero cents."""
    from django.utils import translation

    from keyaccounts.history.timeline import record_timeline
    from opportunities import services as deal_services
    from opportunities.tests.factories import OpportunityFactory
    from scoring.services import active_model

    factor = active_model().factors.order_by("order").first()
    action = action_of(plan_of(personas), personas)
    services.action_update(action=action, by=personas.alice, factor_key=factor.key)
    deal = OpportunityFactory(account=personas.account, owner=personas.alice, amount=1000)
    deal_services.opportunity_update(opportunity=deal, by=personas.alice, amount=7170000)

    with translation.override("en"):
        [factor_change] = record_timeline(action, user=personas.alice)[0].changes
        [amount_change] = record_timeline(deal, user=personas.alice)[0].changes

    assert (factor_change.new, factor_change.new_display) == (factor.key, factor.label)
    assert (amount_change.old_display, amount_change.new_display) == ("1,000", "7,170,000")


def test_each_actions_buttons_are_named_with_the_action_for_a_screen_reader(personas, login):
    plan = plan_of(personas)
    action_of(plan, personas)  # what="x"
    page = login(personas.alice).get(plan.get_absolute_url()).content.decode()
    for name in ("Mark done", "Edit", "History", "Delete"):
        assert f'{name}<span class="visually-hidden"> – x</span>' in page, name


def test_a_periods_label_reads_the_same_in_every_language(personas, api):
    """`period_label` is what a program reads ("2026 H2"): a Chinese reader's answer too,
    though their pages say 2026年下半年."""
    import datetime

    from scoring.plans.tests.api_records import make_plan

    plan = make_plan(personas, period_kind="half", period_start=datetime.date(2026, 7, 1))
    client = api(personas.alice)
    for language in ("en", "zh-hans"):
        answer = client.get(f"/api/v1/plans/{plan.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        assert answer.json()["period_label"] == "2026 H2", language

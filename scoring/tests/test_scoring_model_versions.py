"""Editing the risk-evaluation table in the browser saves a new version and rescores.

The account below is worked out by hand on the default table (scoring/defaults.py):

    factor             raw                     band   points  weight  weight × points
    size and budget    20000 (10k CNY)        10000    100      15       1500
    funding, credit    AAA = 7                    7    100      10       1000
    relationship       rating 5                   5    100      15       1500
    need fit           rating 5                   5    100      15       1500
    competitive pos.   rating 5                   5    100      10       1000
    win probability    5 %                        0      0      10          0
    order value        1 CNY                      0      0      10          0
    time to close      400 days                 366     10       5         50
    growth potential   high = 3                   3    100      10       1000
                                                                100       7550

Score 7550 / 100 = 75.5: strong (≥ 70); the deal closes in 400 days, later than 90:
grid (later, strong) = B. With the win probability's weight raised from 10 to 30 the
total weight is 120 and the score 7550 / 120 = 62.9: fair, so (later, fair) = C.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreditRating, Level
from accounts.tests.factories import AccountFactory
from opportunities.tests.factories import OpportunityFactory
from scoring import services
from scoring.models import (
    AccountScore,
    Assessment,
    ChangeReason,
    Factor,
    GradeChange,
    ScoringModel,
)

from .test_table_pages import EDIT_URL, edit_page_data, extra_prefix, factor_prefix

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded_b(personas):
    account = AccountFactory(
        owner=personas.alice,
        annual_budget=Decimal("20000"),
        credit_rating=CreditRating.AAA,
        growth_potential=Level.HIGH,
    )
    Assessment.objects.create(account=account, need_fit=5, competitive_position=5, relationship=5)
    OpportunityFactory(
        account=account,
        amount=1,
        probability=5,
        probability_is_custom=True,
        expected_close_date=timezone.localdate() + datetime.timedelta(days=400),
    )
    services.rescore([account.pk])
    score = AccountScore.objects.get(account=account)
    assert (score.score, score.grade, score.closing) == (Decimal("75.5"), "B", "later")
    return account


def test_raising_a_weight_saves_version_2_and_moves_the_grade(
    graded_b, personas, login, django_capture_on_commit_callbacks
):
    client = login(personas.manager)
    page = client.get(EDIT_URL)
    data = edit_page_data(page)
    data[f"{factor_prefix(page, 'win_probability')}-weight"] = "30"
    data["note"] = "Win probability counts three times as much"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EDIT_URL, data, follow=True)

    assert response.redirect_chain == [(reverse("scoring:table"), 302)]
    html = response.content.decode()
    assert "Version 2 of the table is saved and active" in html
    assert "All accounts are being rescored" in html
    versions = dict(ScoringModel.objects.values_list("version", "is_active"))
    assert versions == {1: False, 2: True}
    new = ScoringModel.objects.get(version=2)
    assert new.created_by == personas.manager
    assert new.note == "Win probability counts three times as much"
    assert Factor.objects.get(model=new, key="win_probability").weight == 30
    # Nothing else moved: the other factors are copied as they were.
    assert services.factors_of(new) == [
        {**factor, "weight": 30} if factor["key"] == "win_probability" else factor
        for factor in services.factors_of(ScoringModel.objects.get(version=1))
    ]
    score = AccountScore.objects.get(account=graded_b)
    assert (score.score, score.grade, score.model) == (Decimal("62.9"), "C", new)
    change = GradeChange.objects.filter(account=graded_b).first()
    assert (change.from_grade, change.to_grade, change.reason) == ("B", "C", ChangeReason.MODEL)


def test_changing_a_grid_cell_changes_the_grade(
    graded_b, personas, login, django_capture_on_commit_callbacks
):
    client = login(personas.manager)
    data = edit_page_data(client.get(EDIT_URL))
    assert data["grid_later_strong"] == "B"
    data["grid_later_strong"] = "A"
    data["note"] = "Strong accounts are A even when the deal is far off"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EDIT_URL, data)

    assert response.status_code == 302
    assert services.grid_of(services.active_model())[("later", "strong")] == "A"
    assert AccountScore.objects.get(account=graded_b).grade == "A"


def test_a_stale_tab_is_told_about_the_newer_version_and_keeps_its_input(personas, login):
    client = login(personas.manager)
    stale = edit_page_data(client.get(EDIT_URL))  # opened at version 1
    # Meanwhile another manager saves version 2 from another tab.
    model = services.active_model()
    services.scoring_model_new_version(
        by=personas.admin,
        base_version=1,
        note="Credit matters more",
        strong_min=model.strong_min,
        fair_min=model.fair_min,
        soon_days=model.soon_days,
        factors=services.factors_of(model),
        grid=services.grid_of(model),
    )
    stale["factors-0-label"] = "Size and budget (my wording)"
    stale["strong_min"] = "75"
    stale["note"] = "My change"

    response = client.post(EDIT_URL, stale)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Version 2 of the table was saved while you were editing" in html
    assert "your changes were not saved" in html
    assert "Credit matters more" in html  # what the newer version changed
    assert reverse("scoring:table_version", args=[2]) in html
    # Everything typed is still there.
    assert 'value="Size and budget (my wording)"' in html
    assert 'value="75"' in html
    assert 'value="My change"' in html
    assert ScoringModel.objects.count() == 2
    # Saving again is now a knowing choice: the form carries version 2 as its base.
    assert response.context["form"].data["base_version"] == 2
    again = edit_page_data(response)
    assert client.post(EDIT_URL, again).status_code == 302
    assert services.active_model().version == 3
    assert services.active_model().strong_min == 75


def test_existing_factors_keep_their_keys_and_a_new_one_gets_a_key_from_its_label(personas, login):
    client = login(personas.manager)
    page = client.get(EDIT_URL)
    data = edit_page_data(page)
    size = factor_prefix(page, "size_budget")
    data[f"{size}-label"] = "Budget for our category"  # renamed: same key
    data[f"{factor_prefix(page, 'growth_potential')}-DELETE"] = "on"
    extra = extra_prefix(page)
    data.update(
        {
            f"{extra}-label": "Order value",  # the same words as an existing factor
            f"{extra}-label_zh": "订单价值（新）",
            f"{extra}-source": "open_pipeline",
            f"{extra}-weight": "5",
            f"{extra}-missing_points": "0",
            f"{extra}-bands": "0 0\n1,000,000 100",
            "note": "Reworded size, no growth potential, a second order value",
        }
    )

    response = client.post(EDIT_URL, data)

    assert response.status_code == 302
    factors = {factor["key"]: factor for factor in services.factors_of(services.active_model())}
    assert factors["size_budget"]["label"] == "Budget for our category"
    assert "growth_potential" not in factors
    assert factors["order-value"]["bands"] == [(Decimal("0"), 0), (Decimal("1000000"), 100)]
    assert factors["order-value"]["label_zh"] == "订单价值（新）"
    assert list(factors)[-1] == "order-value"  # added at the end

"""The table's arithmetic, checked against numbers worked out by hand from the bands."""

from decimal import Decimal

import pytest

from scoring import engine

BANDS = ((Decimal(0), 10), (Decimal(100), 30), (Decimal(500), 55))


@pytest.mark.parametrize(
    ("value", "points"),
    [
        (None, 7),  # unknown: the factor's points when unknown
        (-1, 0),  # below every band
        (0, 10),  # a band's lower bound is inclusive
        (99.99, 10),
        (100, 30),
        (499, 30),
        (500, 55),
        (10**9, 55),  # above the last bound: the last band
    ],
)
def test_factor_points_take_the_highest_band_at_or_below_the_value(value, points):
    assert engine.factor_points(value, BANDS, missing_points=7) == points


def spec(**overrides):
    fields = {
        "version": 1,
        "factors": (
            engine.FactorSpec("budget", "Budget", "annual_budget", 3, BANDS),
            engine.FactorSpec(
                "fit", "Fit", "need_fit", 1, ((Decimal(1), 0), (Decimal(3), 50), (Decimal(5), 100))
            ),
        ),
        "strong_min": 70,
        "fair_min": 40,
        "soon_days": 90,
        "grid": {
            ("soon", "strong"): "A",
            ("soon", "fair"): "B",
            ("later", "strong"): "B",
            ("later", "fair"): "C",
        },
    }
    fields.update(overrides)
    return engine.ModelSpec(**fields)


def test_score_is_the_weighted_mean_of_points_and_contributions_add_up():
    # budget 120 -> 30 points × weight 3; fit 5 -> 100 points × weight 1: (90 + 100) / 4
    total, parts = engine.score(spec(), {"annual_budget": 120, "need_fit": 5})
    assert total == Decimal("47.5")
    assert [(p["key"], p["points"], p["contribution"]) for p in parts] == [
        ("budget", 30, 22.5),
        ("fit", 100, 25.0),
    ]
    assert sum(p["contribution"] for p in parts) == float(total)


def test_an_unknown_rating_scores_its_missing_points():
    total, parts = engine.score(spec(), {"annual_budget": 600})
    assert parts[1]["raw"] is None and parts[1]["points"] == 0
    assert total == Decimal("41.3")  # 55 × 3 / 4 = 41.25, rounded half up


@pytest.mark.parametrize(
    ("score", "days", "grade", "closing"),
    [
        (Decimal(70), 90, "A", "soon"),  # both bounds inclusive
        (Decimal(70), 91, "B", "later"),
        (Decimal("69.9"), 10, "B", "soon"),
        (Decimal(40), 400, "C", "later"),
        (Decimal("39.9"), 10, "D", "soon"),  # weak: no cell in this grid -> D
        (Decimal(95), None, "D", "none"),  # no open deal: unqualified
        (Decimal(95), -5, "A", "soon"),  # a close date already passed still counts as soon
    ],
)
def test_grade_comes_from_the_grid_of_time_to_close_and_score(score, days, grade, closing):
    assert engine.grade(spec(), score, days) == (grade, closing)

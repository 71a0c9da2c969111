"""The table's arithmetic, checked against numbers worked out by hand from the bands."""

import datetime
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


def test_a_contribution_keeps_only_what_is_the_accounts_own():
    _total, parts = engine.score(spec(), {"annual_budget": 120, "need_fit": 5})
    assert parts == [
        {"key": "budget", "raw": 120.0, "points": 30, "contribution": 22.5},
        {"key": "fit", "raw": 5.0, "points": 100, "contribution": 25.0},
    ]


DAYS_BANDS = ((Decimal(-36500), 70), (Decimal(0), 100), (Decimal(31), 80))


def calendar_spec():
    return spec(
        factors=(
            engine.FactorSpec("close", "Time to close", "days_to_close", 1, DAYS_BANDS, 0, "成交"),
            engine.FactorSpec(
                "contact", "Contact", "days_since_contact", 1, ((Decimal(0), 100),), 0
            ),
        )
    )


def test_a_day_count_keeps_its_date_and_is_counted_again_when_explained():
    # On 2026-03-01: the close 30 days ahead, the last visit 9 days back.
    close, visited = datetime.date(2026, 3, 31), datetime.date(2026, 2, 20)
    values = {"days_to_close": 30, "days_since_contact": 9}
    dates = {"days_to_close": close, "days_since_contact": visited}

    total, parts = engine.score(calendar_spec(), values, dates)

    # 30 days: the band from 0, 100 points; contact 100 points: (100 + 100) / 2
    assert total == Decimal(100)
    assert parts == [
        {"key": "close", "on": "2026-03-31", "points": 100, "contribution": 50.0},
        {"key": "contact", "on": "2026-02-20", "points": 100, "contribution": 50.0},
    ]
    # Explained a week later: 23 days to the close, 16 since the visit; the factors'
    # label, source and weight come from the spec.
    later = engine.explain(calendar_spec(), parts, datetime.date(2026, 3, 8))
    assert [(row["key"], row["raw"]) for row in later] == [("close", 23), ("contact", 16)]
    assert later[0] == {
        "key": "close",
        "label": "Time to close",
        "label_zh": "成交",
        "source": "days_to_close",
        "weight": 1,
        "raw": 23,
        "points": 100,
        "contribution": 50.0,
    }


def test_an_unknown_date_is_an_unknown_day_count():
    _total, parts = engine.score(
        calendar_spec(),
        {"days_to_close": None, "days_since_contact": None},
        {"days_to_close": None, "days_since_contact": None},
    )
    assert [(part["on"], part["points"]) for part in parts] == [(None, 0), (None, 0)]
    explained = engine.explain(calendar_spec(), parts, datetime.date(2026, 3, 1))
    assert [row["raw"] for row in explained] == [None, None]

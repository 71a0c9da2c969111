"""The arithmetic of the risk-evaluation table, with no database: easy to test by hand.

A factor turns its raw value into points (0–100) through its bands: the band with the
highest `min_value` at or below the value wins; a value below every band scores 0, and
an unknown value scores the factor's `missing_points`. The score is the weighted mean
of the points (0–100), and each factor's contribution is its share of that score, so
the contributions (kept to two places, the score to one) add up to the score. The
grade is the grid's cell for (time to close, strength of the score).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class FactorSpec:
    key: str
    label: str
    source: str
    weight: int
    bands: tuple[tuple[Decimal, int], ...]  # (min_value, points), ascending min_value
    missing_points: int = 0
    label_zh: str = ""


@dataclass(frozen=True)
class ModelSpec:
    version: int
    factors: tuple[FactorSpec, ...]
    strong_min: int
    fair_min: int
    soon_days: int
    grid: dict = field(default_factory=dict)  # (closing, strength) -> grade

    @property
    def sources(self) -> set[str]:
        return {factor.source for factor in self.factors}


def factor_points(value, bands, missing_points: int = 0) -> int:
    if value is None:
        return missing_points
    value = Decimal(value)
    points = 0
    for min_value, band_points in bands:
        if value >= min_value:
            points = band_points
        else:
            break
    return points


def _round(value: Decimal, places: Decimal = ONE_PLACE) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def score(spec: ModelSpec, values: dict) -> tuple[Decimal, list[dict]]:
    """(score 0–100, contributions) for one account's raw values by source."""
    total_weight = sum(factor.weight for factor in spec.factors)
    contributions = []
    weighted = Decimal(0)
    for factor in spec.factors:
        raw = values.get(factor.source)
        points = factor_points(raw, factor.bands, factor.missing_points)
        part = Decimal(factor.weight * points)
        weighted += part
        contributions.append(
            {
                "key": factor.key,
                "label": factor.label,
                "label_zh": factor.label_zh,
                "source": factor.source,
                "raw": None if raw is None else float(raw),
                "points": points,
                "weight": factor.weight,
                "contribution": (
                    float(_round(part / total_weight, TWO_PLACES)) if total_weight else 0.0
                ),
            }
        )
    total = _round(weighted / total_weight) if total_weight else Decimal(0)
    return total, contributions


def strength(spec: ModelSpec, value: Decimal) -> str:
    if value >= spec.strong_min:
        return "strong"
    if value >= spec.fair_min:
        return "fair"
    return "weak"


def closing(spec: ModelSpec, days_to_close: int | None) -> str:
    if days_to_close is None:
        return "none"
    return "soon" if days_to_close <= spec.soon_days else "later"


def grade(spec: ModelSpec, value: Decimal, days_to_close: int | None) -> tuple[str, str]:
    """(grade, closing) from the grid; a cell missing from the grid grades D."""
    when = closing(spec, days_to_close)
    return spec.grid.get((when, strength(spec, value)), "D"), when

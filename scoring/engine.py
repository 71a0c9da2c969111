"""The arithmetic of the risk-evaluation table, with no database: easy to test by hand.

A factor turns its raw value into points (0–100) through its bands: the band with the
highest `min_value` at or below the value wins; a value below every band scores 0, and
an unknown value scores the factor's `missing_points`. The score is the weighted mean
of the points (0–100), and each factor's contribution is its share of that score, so
the contributions (kept to two places, the score to one) add up to the score. The
grade is the grid's cell for (time to close, strength of the score).

A contribution holds only what is the account's own: the factor's key, the raw value,
the points and the contribution. The factor's labels, source and weight belong to the
table version the score was computed with; `explain` joins them back for a reader.
A source that counts days from a date (to the nearest close, since the last visit)
keeps the date (`on`) instead of the count, so a stored score does not change only
because a day passed; the count is worked out for the day it is shown.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")

# Sources that count the days between today and a date: +1 for a date ahead (days to
# close; negative once passed), -1 for a date behind (days since contact).
DAY_COUNTS = {"days_to_close": 1, "days_since_contact": -1}


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


def score(spec: ModelSpec, values: dict, dates: dict | None = None) -> tuple[Decimal, list]:
    """(score 0–100, contributions) for one account's raw values by source.

    `dates`: for the sources of DAY_COUNTS, the date each counts from (None: unknown);
    a factor of such a source keeps `on` (the date, ISO) instead of `raw` (the count in
    `values`, which gives the points)."""
    total_weight = sum(factor.weight for factor in spec.factors)
    contributions = []
    weighted = Decimal(0)
    for factor in spec.factors:
        raw = values.get(factor.source)
        points = factor_points(raw, factor.bands, factor.missing_points)
        part = Decimal(factor.weight * points)
        weighted += part
        item = {"key": factor.key}
        if dates is not None and factor.source in DAY_COUNTS and factor.source in dates:
            on = dates[factor.source]
            item["on"] = None if on is None else on.isoformat()
        else:
            item["raw"] = None if raw is None else float(raw)
        item["points"] = points
        item["contribution"] = (
            float(_round(part / total_weight, TWO_PLACES)) if total_weight else 0.0
        )
        contributions.append(item)
    total = _round(weighted / total_weight) if total_weight else Decimal(0)
    return total, contributions


def day_count(source: str, on: datetime.date | None, today: datetime.date) -> int | None:
    """The raw value of a DAY_COUNTS source on `today`, from its date."""
    if on is None:
        return None
    return DAY_COUNTS[source] * (on - today).days


def explain(spec: ModelSpec, contributions: list, today: datetime.date) -> list[dict]:
    """The stored contributions with their factors' label, label_zh, source and weight
    from `spec` (the version they were computed with), and the raw value of a day count
    as of `today`: [{"key", "label", "label_zh", "source", "weight", "raw", "points",
    "contribution"}], in the stored order."""
    factors = {factor.key: factor for factor in spec.factors}
    rows = []
    for item in contributions:
        factor = factors.get(item["key"])
        source = factor.source if factor else ""
        raw = item.get("raw")
        if "on" in item and source in DAY_COUNTS:
            on = item["on"]
            raw = day_count(source, None if on is None else datetime.date.fromisoformat(on), today)
        rows.append(
            {
                "key": item["key"],
                "label": factor.label if factor else item["key"],
                "label_zh": factor.label_zh if factor else "",
                "source": source,
                "weight": factor.weight if factor else 0,
                "raw": raw,
                "points": item["points"],
                "contribution": item["contribution"],
            }
        )
    return rows


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

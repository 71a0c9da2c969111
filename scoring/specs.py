"""A version of the table as the engine reads it (`engine.ModelSpec`), kept per process,
and the stored contributions explained with the version they were computed with.

A version is never edited once saved (`services.scoring_model_new_version` writes a new
one; the admin is read-only), so its spec can be kept for the life of the process: one
account's rescore, the account page and the grade history then read the table's
factors, bands and grid from memory instead of three queries. The keep is emptied
whenever a row of the table is saved or deleted (a new version; a test database that
reuses ids), and is small: a handful of versions.
"""

import datetime
import threading

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from . import engine
from .models import Band, Factor, GridCell, ScoringModel

KEEP = 16  # versions

_specs: dict[tuple, engine.ModelSpec] = {}
_lock = threading.Lock()


def model_spec(model: ScoringModel) -> engine.ModelSpec:
    """The spec of `model`, read once per process (three queries the first time)."""
    key = (model.pk, model.version, model.created_at)
    spec = _specs.get(key)
    if spec is None:
        spec = _read_spec(model)
        with _lock:
            if len(_specs) >= KEEP:
                _specs.clear()
            _specs[key] = spec
    return spec


def forget_specs(**kwargs) -> None:
    with _lock:
        _specs.clear()


for table_model in (ScoringModel, Factor, Band, GridCell):
    post_save.connect(forget_specs, sender=table_model, dispatch_uid=f"forget-{table_model}")
    post_delete.connect(forget_specs, sender=table_model, dispatch_uid=f"del-{table_model}")


def _read_spec(model: ScoringModel) -> engine.ModelSpec:
    factors = list(model.factors.prefetch_related("bands").order_by("order", "pk"))
    return engine.ModelSpec(
        version=model.version,
        factors=tuple(
            engine.FactorSpec(
                key=factor.key,
                label=factor.label,
                label_zh=factor.label_zh,
                source=factor.source,
                weight=factor.weight,
                missing_points=factor.missing_points,
                bands=tuple(
                    (band.min_value, band.points)
                    for band in sorted(factor.bands.all(), key=lambda b: b.min_value)
                ),
            )
            for factor in factors
        ),
        strong_min=model.strong_min,
        fair_min=model.fair_min,
        soon_days=model.soon_days,
        grid={(cell.closing, cell.strength): cell.grade for cell in model.cells.all()},
    )


def explained(row, today: datetime.date | None = None) -> list[dict]:
    """The contributions of an AccountScore or GradeChange `row` (its `model` selected)
    with each factor's label, label_zh, source and weight from that version, and day
    counts as of `today`: by default, the current day for a score, the day of the
    change for a grade change (what the account looked like then)."""
    if today is None:
        moment = getattr(row, "changed_at", None)
        today = timezone.localdate(moment) if moment is not None else timezone.localdate()
    return engine.explain(model_spec(row.model), row.contributions, today)

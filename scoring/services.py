"""Writes of the scoring app: rescoring, pins, ratings and new versions of the table.

Rescoring is set-based: accounts are read in chunks (one query computes every
source for the whole chunk), scored in Python by `engine`, compared with the stored
rows, and only the new and different ones written back: one upsert of scores and one
insert of grade changes per chunk, written by hand (`keyaccounts.bulk.insert_rows`:
COPY on PostgreSQL when there are many). The database is the truth for what needs
rescoring: a change writes a `RescoreRequest` row in its own transaction, and the queue
message that follows is only a nudge, coalesced so a burst of edits costs one run.
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from keyaccounts.bulk import insert_rows
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.tasks import after_commit, enqueue_on_commit, publish

from . import engine
from .inputs import account_inputs
from .models import (
    AccountScore,
    Assessment,
    Band,
    ChangeReason,
    Factor,
    GradeChange,
    GradePin,
    GridCell,
    RescoreRequest,
    ScoringModel,
    Source,
)
from .specs import model_spec

logger = logging.getLogger(__name__)

CHUNK = 2000
PENDING_KEY = "scoring:rescore-pending-queued"
# The tasks that run these services (scoring/tasks.py), published by name: the tasks
# import the services, never the other way round (ScoringConfig.ready registers them).
RESCORE_PENDING = "scoring.tasks.rescore_pending"
RESCORE_ALL = "scoring.tasks.rescore_all"


# --- the active model --------------------------------------------------------------------


def active_model() -> ScoringModel:
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is None:  # a flushed test database; migrations install version 1
        from .defaults import ensure_default_model

        model = ensure_default_model()
    return model


# --- rescoring ---------------------------------------------------------------------------


def rescore(
    account_ids=None,
    *,
    reason: str = ChangeReason.RESCORED,
    today: datetime.date | None = None,
) -> dict:
    """Score `account_ids` (all accounts if None) with the active model; store grades.

    Returns {"scored": n, "written": n, "changed": n}: accounts scored, score rows
    written (new or different: a row that would stay the same is not rewritten) and
    grade changes recorded. Safe to run concurrently with itself: each chunk is one
    transaction, and the last writer stores a score computed from committed data.
    """
    today = today or timezone.localdate()
    model = active_model()
    spec = model_spec(model)
    total = {"scored": 0, "written": 0, "changed": 0}

    def add(counts):
        for key, value in zip(total, counts, strict=True):
            total[key] += value

    if account_ids is not None:
        ids = sorted(set(account_ids))
        for i in range(0, len(ids), CHUNK):
            accounts = Account.objects.filter(pk__in=ids[i : i + CHUNK])
            add(_rescore_chunk(accounts, model, spec, reason, today))
        return total
    last = 0
    while True:
        bounds = list(
            Account.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
        )
        if not bounds:
            break
        accounts = Account.objects.filter(pk__gte=bounds[0], pk__lte=bounds[-1])
        add(_rescore_chunk(accounts, model, spec, reason, today))
        last = bounds[-1]
    return total


# What a score row holds besides the account and when it was computed: a row whose
# values are all the same as before is left as it is.
COMPARED = [
    "score",
    "computed_grade",
    "grade",
    "closing",
    "next_close",
    "model_id",
    "contributions",
    "pinned",
]
SCORE_COLUMNS = ["account_id", *COMPARED, "computed_at"]
CHANGE_COLUMNS = [
    "account_id",
    "from_grade",
    "to_grade",
    "score",
    "model_id",
    "reason",
    "note",
    "contributions",
    "changed_at",
]


def _rescore_chunk(accounts, model, spec, reason, today) -> tuple[int, int, int]:
    now = timezone.now()
    with transaction.atomic():
        results = list(account_inputs(accounts, spec.sources, today))
        ids = [account_id for account_id, _values, _dates in results]
        previous = {
            row["account_id"]: row
            for row in AccountScore.objects.filter(account_id__in=ids).values(
                "account_id", *COMPARED
            )
        }
        pins = {
            pin.account_id: pin
            for pin in GradePin.objects.filter(account_id__in=ids).in_force(today)
        }
        scores, changes = [], []
        for account_id, values, dates in results:
            total, contributions = engine.score(spec, values, dates)
            next_close = dates[Source.DAYS_TO_CLOSE]
            days_to_close = engine.day_count(Source.DAYS_TO_CLOSE, next_close, today)
            computed, closing = engine.grade(spec, total, days_to_close)
            pin = pins.get(account_id)
            grade = pin.grade if pin else computed
            row = {
                "account_id": account_id,
                "score": total,
                "computed_grade": computed,
                "grade": grade,
                "closing": closing,
                "next_close": next_close,
                "model_id": model.pk,
                "contributions": contributions,
                "pinned": pin is not None,
            }
            before = previous.get(account_id)
            if before == row:
                continue
            scores.append([row[column] for column in SCORE_COLUMNS[:-1]] + [now])
            if before is not None and before["grade"] == grade:
                continue
            note = ""
            if before is None:
                why = ChangeReason.FIRST
            elif pin is not None:
                why, note = ChangeReason.PINNED, pin.reason
            elif before["pinned"]:
                why = ChangeReason.UNPINNED
            else:
                why = reason
            changes.append(
                [
                    account_id,
                    before["grade"] if before else "",
                    grade,
                    total,
                    model.pk,
                    why,
                    note[:300],
                    contributions,
                    now,
                ]
            )
        insert_rows(AccountScore, SCORE_COLUMNS, scores, update_on_conflict="account_id")
        insert_rows(GradeChange, CHANGE_COLUMNS, changes)
    return len(results), len(scores), len(changes)


def rescore_request(account_ids) -> None:
    """Mark accounts as needing a rescore, in the caller's transaction, and nudge a worker
    once it commits. Bursts coalesce: one queued run takes every request waiting."""
    ids = {account_id for account_id in account_ids if account_id}
    if not ids:
        return
    # An upsert of plain values (`insert_rows`: a bulk load's 500 accounts in one COPY,
    # where `bulk_create` compiled each row through the ORM); a renewed request moves on.
    now = timezone.now()
    insert_rows(
        RescoreRequest,
        ["account_id", "requested_at"],
        [(account_id, now) for account_id in sorted(ids)],
        update_on_conflict="account_id",
    )
    after_commit(_nudge)


def _nudge() -> None:
    """After the commit: queue one run for the burst (the first request of a quiet spell
    queues it, delayed; the rest find it queued). Without a broker it runs now, inline.
    Nothing here raises: a broker that is down leaves the requests to the 5-minute run,
    and a cache that is down answers from this process's memory (keyaccounts/cache.py),
    which at worst queues a run per process."""
    from keyaccounts.celery import app

    if app.conf.task_always_eager:
        publish(RESCORE_PENDING)
        return
    if not cache.add(PENDING_KEY, 1, timeout=settings.SCORING_RESCORE_DELAY_SECONDS * 6):
        return
    if not publish(RESCORE_PENDING, countdown=settings.SCORING_RESCORE_DELAY_SECONDS):
        cache.delete(PENDING_KEY)  # so that the next change tries again


def rescore_pending(*, today: datetime.date | None = None) -> dict:
    """Rescore every account with a waiting request; remove the requests it served.

    A request renewed while this runs (its `requested_at` is newer) stays for the next run.
    """
    try:
        cache.delete(PENDING_KEY)  # from now on a new request queues a new run
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable while clearing the rescore flag", exc_info=True)
    total = {"scored": 0, "written": 0, "changed": 0}
    while True:
        with transaction.atomic():
            taken = list(
                RescoreRequest.objects.select_for_update(skip_locked=True)
                .order_by("requested_at")
                .values_list("account_id", "requested_at")[:CHUNK]
            )
            if not taken:
                return total
            result = rescore([account_id for account_id, _at in taken], today=today)
            for account_id, requested_at in taken:
                RescoreRequest.objects.filter(
                    account_id=account_id, requested_at__lte=requested_at
                ).delete()
        for key in total:
            total[key] += result[key]
        if len(taken) < CHUNK:
            return total


# --- pins and ratings --------------------------------------------------------------------


def grade_pin(*, account: Account, by, grade: str, reason: str, expires_on: datetime.date):
    """Hold `account` at `grade` until `expires_on` (a manager's call, with its reason)."""
    if expires_on < timezone.localdate():
        raise ApplicationError(_("The pin must hold until today or a later day."))
    if not reason.strip():
        raise ApplicationError(_("Say why the grade is pinned."))
    with transaction.atomic():
        pin, _created = GradePin.objects.update_or_create(
            account=account,
            defaults={
                "grade": grade,
                "reason": reason.strip(),
                "expires_on": expires_on,
                "pinned_by": by,
            },
        )
        rescore([account.pk])
    return pin


def grade_unpin(*, account: Account, by) -> None:
    with transaction.atomic():
        GradePin.objects.filter(account=account).delete()
        rescore([account.pk])


def assessment_save(*, account: Account, by, **ratings) -> Assessment:
    with transaction.atomic():
        assessment, _created = Assessment.objects.get_or_create(account=account)
        for field, value in ratings.items():
            setattr(assessment, field, value)
        assessment.rated_by = by
        assessment.save()
    return assessment


# --- new versions of the table -----------------------------------------------------------


def scoring_model_new_version(
    *,
    by,
    base_version: int,
    note: str,
    strong_min: int,
    fair_min: int,
    soon_days: int,
    factors: list[dict],
    grid: dict,
) -> ScoringModel:
    """Save the edited table as the next version, make it the active one, and rescore.

    `base_version` is the version the editor started from: if another manager saved a
    version since, nothing is saved and VersionConflict says so (no silent overwrite).
    `factors`: dicts of key, label, label_zh, source, weight, missing_points, guidance,
    guidance_zh, bands [(min_value, points)]; `grid`: {(closing, strength): grade}.
    """
    if fair_min > strong_min:
        raise ApplicationError(_("“Fair from” must not be above “strong from”."))
    if not factors or sum(f["weight"] for f in factors) <= 0:
        raise ApplicationError(_("The table needs at least one factor with a weight above 0."))
    with transaction.atomic():
        current = ScoringModel.objects.select_for_update().filter(is_active=True).first()
        if current is not None and current.version != base_version:
            raise VersionConflict(
                _(
                    "Another manager saved version %(version)s of the table while you were "
                    "editing. Reload it and make your change again."
                )
                % {"version": current.version},
                current_version=current.version,
            )
        version = (ScoringModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        if current is not None:
            current.is_active = False
            current.save(update_fields=["is_active"])
        model = ScoringModel.objects.create(
            version=version,
            is_active=True,
            note=note.strip()[:300],
            created_by=by,
            strong_min=strong_min,
            fair_min=fair_min,
            soon_days=soon_days,
        )
        for order, spec in enumerate(factors):
            factor = Factor.objects.create(
                model=model,
                key=spec["key"],
                label=spec["label"],
                label_zh=spec.get("label_zh", ""),
                source=spec["source"],
                weight=spec["weight"],
                missing_points=spec.get("missing_points", 0),
                guidance=spec.get("guidance", ""),
                guidance_zh=spec.get("guidance_zh", ""),
                order=order,
            )
            Band.objects.bulk_create(
                Band(factor=factor, min_value=Decimal(low), points=points)
                for low, points in spec["bands"]
            )
        GridCell.objects.bulk_create(
            GridCell(model=model, closing=closing, strength=strength, grade=grade)
            for (closing, strength), grade in grid.items()
        )
        enqueue_on_commit(RESCORE_ALL, reason=ChangeReason.MODEL)
    return model


def table_unchanged(
    model: ScoringModel,
    *,
    strong_min: int,
    fair_min: int,
    soon_days: int,
    factors: list[dict],
    grid: dict,
) -> bool:
    """Whether the table given is `model`'s as it is (the editor saved without a change):
    its thresholds, its factors in order with every field and band, its grid."""
    if (model.strong_min, model.fair_min, model.soon_days) != (strong_min, fair_min, soon_days):
        return False

    def same(factor: dict) -> dict:
        bands = [(Decimal(str(low)), int(points)) for low, points in factor["bands"]]
        return {
            **{name: factor.get(name, "") for name in ("key", "label", "label_zh", "source")},
            **{name: factor.get(name, "") for name in ("guidance", "guidance_zh")},
            "weight": int(factor["weight"]),
            "missing_points": int(factor.get("missing_points", 0)),
            "bands": bands,
        }

    stored = factors_of(model)
    if [same(f) for f in stored] != [same(f) for f in factors]:
        return False
    return grid_of(model) == dict(grid)


def factors_of(model: ScoringModel) -> list[dict]:
    """The model's factors as the dicts `scoring_model_new_version` takes."""
    return [
        {
            "key": factor.key,
            "label": factor.label,
            "label_zh": factor.label_zh,
            "source": factor.source,
            "weight": factor.weight,
            "missing_points": factor.missing_points,
            "guidance": factor.guidance,
            "guidance_zh": factor.guidance_zh,
            "bands": [(band.min_value, band.points) for band in factor.bands.all()],
        }
        for factor in model.factors.prefetch_related("bands").order_by("order", "pk")
    ]


def grid_of(model: ScoringModel) -> dict:
    return {(cell.closing, cell.strength): cell.grade for cell in model.cells.all()}

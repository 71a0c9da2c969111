"""Writes of the service policy: a change is always a new version (never an edit)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError, VersionConflict

from .models import GRADES, GradePolicy, ServicePolicy

FIELDS = (
    "contact_rhythm_days",
    "respond_working_days",
    "resolve_working_days",
    "discount_ceiling_percent",
)


def service_policy_new_version(
    *, by, base_version: int, note: str, rows: dict[str, dict]
) -> ServicePolicy:
    """Save `rows` ({grade: {field: value}} for A–D) as the next version and make it the
    active one. `base_version` is the version the editor started from: when another
    manager saved one since, nothing is saved and VersionConflict says so. Only a manager
    (`accounts.selectors.is_manager`) may; the note (what changed) is required."""
    from accounts.selectors import is_manager

    if by is None or not is_manager(by):
        raise ApplicationError(_("Only a manager can change the service policy."))
    note = (note or "").strip()
    if not note:
        raise ApplicationError(_("Say what changed and why, in a few words."))
    if sorted(rows) != list(GRADES):
        raise ApplicationError(_("The policy needs one row for each grade, A to D."))
    with transaction.atomic():
        current = ServicePolicy.objects.select_for_update().filter(is_active=True).first()
        if current is not None and current.version != base_version:
            raise VersionConflict(
                _(
                    "Another manager saved version %(version)s of the service policy while "
                    "you were editing. Your changes were not saved: reload the page, check "
                    "version %(version)s and make your change again."
                )
                % {"version": current.version},
                current_version=current.version,
            )
        if current is not None and not _differs(current, rows):
            # The same values again (a form sent twice, Back then Save): a version that
            # changes nothing would bury the one that did in the list of versions.
            raise ApplicationError(
                _(
                    "Nothing to save: version %(version)s, in force, holds these values "
                    "already. Change a value, or leave the page."
                )
                % {"version": current.version},
                code="unchanged",
            )
        version = (ServicePolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        if current is not None:
            current.is_active = False
            current.save(update_fields=["is_active"])
        policy = ServicePolicy(version=version, is_active=True, note=note[:300], created_by=by)
        policy.full_clean(exclude=["is_active"])
        policy.save()
        made = []
        for grade in GRADES:
            row = GradePolicy(policy=policy, grade=grade, **{f: rows[grade].get(f) for f in FIELDS})
            row.full_clean()
            made.append(row)
        GradePolicy.objects.bulk_create(made)
    transaction.on_commit(_forget)
    return policy


def _forget() -> None:
    from .current import forget_policy

    forget_policy()


def _differs(current: ServicePolicy, rows: dict[str, dict]) -> bool:
    """Whether `rows` ({grade: {field: value}}) hold a value `current`'s rows do not."""
    stored = {row.grade: row for row in current.grades.all()}
    return any(
        grade not in stored or not _same(getattr(stored[grade], field), rows[grade].get(field))
        for grade in GRADES
        for field in FIELDS
    )


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(a) == Decimal(b)


def policy_changes(before, after) -> list[dict]:
    """What changed from `before` to `after` (each: rows with `grade` and the FIELDS, e.g.
    GradePolicy or PolicyRow): [{grade, field, label, old, new}], grade by grade."""
    if before is None:
        return []
    old = {row.grade: row for row in before}
    labels = {f: GradePolicy._meta.get_field(f).verbose_name for f in FIELDS}
    changes = []
    for row in after:
        was = old.get(row.grade)
        if was is None:
            continue
        for field in FIELDS:
            a, b = getattr(was, field), getattr(row, field)
            if not _same(a, b):
                changes.append(
                    {"grade": row.grade, "field": field, "label": labels[field], "old": a, "new": b}
                )
    return changes

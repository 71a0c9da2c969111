"""Soft delete, restore and purge, the same for every synced record type.

Each app's `<entity>_delete` service checks its own rules, chooses what goes along and
calls `soft_delete`; `<entity>_restore` calls `restore`. Nothing else hard-deletes a
synced record: only `purge_expired`, after `RECYCLE_BIN_DAYS`.

Every row that moves gets a new version and change number and a history entry (action
"deleted" / "restored", with the actor and origin of the current context); a deleted
row leaves a tombstone for the changes feed, which a restore takes away again, so a
client syncing afterwards meets the record as it is now.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.db import router, transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from keyaccounts.changeseq import next_change_seq
from keyaccounts.events import RecordEvent, records_changed
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.feed.hooks import feed_records_deleted
from keyaccounts.history.bulk import baselines_first
from keyaccounts.history.context import current_origin
from keyaccounts.models import Tombstone, VersionedModel

from .models import Deletion
from .signals import before_purge, records_moved

logger = logging.getLogger(__name__)

# History entries' change reasons: the timeline names the action from them.
DELETED = "deleted"
RESTORED = "restored"
MERGED = "merged"


def soft_deletable_models() -> list[type[VersionedModel]]:
    return [m for m in apps.get_models() if issubclass(m, VersionedModel)]


def _account_id_of(record) -> int:
    return record.pk if record._meta.label_lower == "accounts.account" else record.account_id


def _move(objs: list, *, deleted: bool, deletion, by, reason: str, now, seqs) -> None:
    """Flag or unflag `objs` (one model), each with a new version and change number."""
    model = type(objs[0])
    baselines_first(model, [obj.pk for obj in objs])  # inserted in bulk: "created" first
    for obj in objs:
        obj.deleted_at = now if deleted else None
        obj.deletion = deletion if deleted else None
        obj.change_seq = next(seqs)
        obj.version += 1
        obj.updated_at = now
    bulk_update_with_history(
        objs,
        model,
        ["deleted_at", "deletion", "change_seq", "version", "updated_at"],
        default_user=by,
        default_change_reason=reason,
        default_date=now,
        manager=model.all_objects,
        custom_historical_attrs={"origin": current_origin()},
    )
    records_changed(
        model=model,
        records=objs,
        event=RecordEvent.DELETED if deleted else RecordEvent.RESTORED,
        using=router.db_for_write(model),
    )


@transaction.atomic
def soft_delete(
    *,
    root: VersionedModel,
    by,
    along: Iterable[QuerySet] = (),
    expected_version: int | None = None,
    reason: str = DELETED,
) -> Deletion:
    """Move `root` and every live row of the `along` querysets to the recycle bin, as
    one Deletion. With `expected_version`, refuse (VersionConflict) when the root is no
    longer at that version; DoesNotExist when it is already deleted."""
    model = type(root)
    # The counter first, then the rows, as VersionedModel.save does (no deadlock with it).
    next_change_seq(count=1)
    current = (
        model.all_objects.select_for_update()
        .filter(pk=root.pk, deleted_at__isnull=True)
        .values_list("version", flat=True)
        .first()
    )
    if current is None:
        raise model.DoesNotExist(f"{model._meta.label} {root.pk} is already deleted.")
    if expected_version is not None and current != expected_version:
        raise VersionConflict(
            _("This record was changed by someone else since you opened it."),
            current_version=current,
        )
    root.version = current
    now = timezone.now()
    groups: dict[type, list] = defaultdict(list)
    groups[model].append(root)
    for queryset in along:
        for obj in queryset.filter(deleted_at__isnull=True).select_for_update():
            groups[type(obj)].append(obj)
    total = sum(len(objs) for objs in groups.values())
    last = next_change_seq(count=total)
    seqs = iter(range(last - total + 1, last + 1))
    deletion = Deletion.objects.create(
        model=model._meta.label_lower,
        object_id=root.pk,
        label=str(root)[:300],
        account_id=_account_id_of(root),
        deleted_by=by,
        deleted_at=now,
        reason=MERGED if reason == MERGED else DELETED,
        counts={
            m._meta.label_lower: len(objs) - (m is model)
            for m, objs in groups.items()
            if len(objs) - (m is model)
        },
    )
    stones = []
    for objs in groups.values():
        _move(objs, deleted=True, deletion=deletion, by=by, reason=reason, now=now, seqs=seqs)
        stones += [
            Tombstone(
                model=obj._meta.label_lower,
                object_id=obj.pk,
                external_id=obj.external_id or "",
                change_seq=obj.change_seq,
                merged_into=getattr(obj, "merged_into_id", None),
                account_id=_account_id_of(obj),
            )
            for obj in objs
        ]
    Tombstone.objects.bulk_create(stones)
    feed_records_deleted(stones=stones, using=router.db_for_write(Tombstone))
    records_moved.send(
        sender=model,
        deletion=deletion,
        deleted=True,
        account_ids={_account_id_of(obj) for objs in groups.values() for obj in objs},
    )
    return deletion


def deletion_of(record: VersionedModel) -> Deletion | None:
    """The bin entry a deleted record went with (its own, or its account's)."""
    return Deletion.objects.filter(pk=record.deletion_id).first() if record.deletion_id else None


def check_restorable(record: VersionedModel) -> Deletion:
    """The Deletion that restoring `record` brings back; ApplicationError (code
    `not_deleted`, or `account_deleted` with the reason) when it cannot be."""
    deletion = deletion_of(record)
    if getattr(record, "merged_into_id", None) is not None:
        raise _merged_error()  # what there is to say, to whoever may ask
    if record.deleted_at is None or deletion is None or not deletion.in_bin:
        raise ApplicationError(_("This record is not in the recycle bin."), code="not_deleted")
    account_model = apps.get_model("accounts", "Account")
    if record._meta.label_lower != "accounts.account":
        account = account_model.all_objects.filter(pk=record.account_id).first()
        if account is not None and account.deleted_at is not None:
            raise ApplicationError(
                _(
                    "Its account %(account)s is in the recycle bin: restore the account "
                    "first (what was deleted with it comes back with it)."
                )
                % {"account": account.name},
                code="account_deleted",
            )
    if (deletion.model, deletion.object_id) != (record._meta.label_lower, record.pk):
        # Deleted along with another record (a plan's action, a review's follow-up): a
        # restore brings back the whole deletion, so it is that record's to ask for.
        raise ApplicationError(
            _(
                "It was deleted with %(name)s, which is in the recycle bin: restore that "
                "(what was deleted with it comes back with it)."
            )
            % {"name": deletion.label},
            code="parent_deleted",
        )
    return deletion


def _merged_error() -> ApplicationError:
    # Its contacts, visits and the rest live on in the survivor: it would come back empty.
    return ApplicationError(
        _("This record was merged into another, which holds its data now: it cannot be restored."),
        code="merged",
    )


@transaction.atomic
def restore(*, deletion: Deletion, by) -> list[VersionedModel]:
    """Bring back every record of `deletion`, with the same ids, a new version each,
    its history kept and one "restored" entry added. Returns the records."""
    deletion = Deletion.objects.select_for_update().get(pk=deletion.pk)
    if not deletion.in_bin:
        raise ApplicationError(_("This record is not in the recycle bin."), code="not_deleted")
    root = apps.get_model(deletion.model).all_objects.filter(pk=deletion.object_id).first()
    if getattr(root, "merged_into_id", None) is not None:
        raise _merged_error()
    groups = []
    for model in soft_deletable_models():
        objs = list(model.all_objects.select_for_update().filter(deletion=deletion))
        if objs:
            groups.append(objs)
    total = sum(len(objs) for objs in groups)
    now = timezone.now()
    restored = []
    if total:
        last = next_change_seq(count=total)
        seqs = iter(range(last - total + 1, last + 1))
        for objs in groups:
            _move(objs, deleted=False, deletion=None, by=by, reason=RESTORED, now=now, seqs=seqs)
            Tombstone.objects.filter(
                model=objs[0]._meta.label_lower, object_id__in=[o.pk for o in objs]
            ).delete()
            restored += objs
    deletion.restored_at = now
    deletion.restored_by = by
    deletion.save(update_fields=["restored_at", "restored_by"])
    records_moved.send(
        sender=apps.get_model(deletion.model),
        deletion=deletion,
        deleted=False,
        account_ids={_account_id_of(obj) for obj in restored},
    )
    return restored


def record_restore(*, record: VersionedModel, by) -> list[VersionedModel]:
    """Restore the deletion `record` went with (refused when its account is deleted)."""
    return restore(deletion=check_restorable(record), by=by)


def _purge_history(model: type[VersionedModel], ids: list[int]) -> None:
    """Remove the history of purged records: their own, and what the history of the
    rows that went with them says of them (an account's team and competitors, a deal's
    contacts, a visit's people), whose tables point at them without a constraint."""
    model.history.model.objects.filter(id__in=ids).delete()
    for historical in apps.get_models():
        tracked_type = getattr(historical, "instance_type", None)
        if tracked_type is None or issubclass(tracked_type, VersionedModel):
            continue
        for field in historical._meta.concrete_fields:
            if field.is_relation and field.related_model is model:
                historical.objects.filter(**{f"{field.attname}__in": ids}).delete()


def _children_first(models) -> list:
    """`models` ordered so that a model comes before every model it points to (a plan's
    action before the plan, the plan before its account): a protected parent is deleted
    only after the rows that protect it. Ties keep their given order."""
    models = list(models)
    ordered: list = []

    def place(model, path=()):
        if model in ordered or model in path:  # placed, or a loop (self-reference)
            return
        for other in models:
            if other is model or other in ordered:
                continue
            points_here = any(
                field.many_to_one and field.related_model is model
                for field in other._meta.concrete_fields
            )
            if points_here:
                place(other, (*path, model))
        ordered.append(model)

    for model in models:
        place(model)
    return ordered


def purge_expired(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Remove for good what has been in the bin longer than RECYCLE_BIN_DAYS, with its
    history. Returns how many deletions were purged. Each in its own transaction: one
    that cannot go (a row something still protects) is logged and left for later."""
    now = now or timezone.now()
    days = settings.RECYCLE_BIN_DAYS if days is None else days
    cutoff = now - datetime.timedelta(days=days)
    expired = (
        Deletion.objects.exclude(reason=MERGED)
        .filter(restored_at__isnull=True, purged_at__isnull=True, deleted_at__lt=cutoff)
        .order_by("deleted_at", "pk")
    )
    models = _children_first(soft_deletable_models())
    purged = 0
    for deletion in expired.iterator():
        try:
            with transaction.atomic():
                for model in models:
                    ids = list(
                        model.all_objects.filter(deletion=deletion).values_list("pk", flat=True)
                    )
                    if not ids:
                        continue
                    before_purge.send(sender=model, ids=ids)
                    for obj in model.all_objects.filter(pk__in=ids):
                        obj.delete()
                    _purge_history(model, ids)
                Deletion.objects.filter(pk=deletion.pk).update(purged_at=now)
                purged += 1
        except (ProtectedError, RestrictedError) as error:
            logger.warning("recycle bin: deletion %s not purged: %s", deletion.pk, error)
    return purged

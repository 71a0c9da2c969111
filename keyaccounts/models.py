"""What every app's records share: versions, the change feed, tombstones, idempotency.

The change feed rests on one rule: every write to a synced record takes the next
number of one global counter (`next_change_seq`), and the counter's row stays locked
until that write commits. So change numbers are handed out in commit order: a client
that has read every change up to N can never later meet a change numbered below N,
however many writers run at once. The same number goes to tombstones, so one cursor
covers records and deletions.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .changeseq import next_change_seq
from .choices import ChoiceLabels
from .events import RecordEvent, records_changed
from .exceptions import VersionConflict
from .exports.models import ExportFile, ExportFilePart  # noqa: F401  (models of this app)
from .feed.models import AccessChange, FeedCheckpoint, FeedExit, FeedState  # noqa: F401
from .history.models import tracked
from .imports.models import ImportJob  # noqa: F401  (a model of this app)
from .recyclebin.models import Deletion  # noqa: F401  (a model of this app)
from .snapshots.models import Snapshot  # noqa: F401  (a model of this app)


class ChangeCounter(models.Model):
    """The single row whose value is the last change number handed out."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("change counter")
        verbose_name_plural = _("change counter")

    def __str__(self):
        return str(self.value)


class LiveManager(models.Manager):
    """The default manager: records in the recycle bin are in no list, count, form
    choice, score input or export. `all_objects` sees them (the bin, restores, purges)."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


# The fields a save compares to decide whether it changes anything: bookkeeping is not
# a change a person made.
BOOKKEEPING_FIELDS = frozenset({"version", "change_seq", "created_at", "updated_at"})


def _moving_account_attname(model) -> str | None:
    """`account_id` for a record type under an account (it can move to another);
    None for an account and for a type under no account."""
    from .feed.hooks import feed_account_attname

    attname = feed_account_attname(model)
    return attname if attname != model._meta.pk.attname else None


class VersionedModel(ChoiceLabels):
    """A record that sync clients and concurrent editors can address safely.

    `external_id` is the client's own key; `version` grows by one on every save that
    changes a field, and `save(expected_version=n)` refuses with VersionConflict when
    someone else saved since version n was read (the check and the increment are one
    conditional UPDATE, so two writers racing cannot both win). A save that changes
    nothing writes nothing: same version, no history entry, no feed entry, no signal
    (`touch=True` makes a new version anyway, for a change to a related part).
    `bulk_update` and `QuerySet.update` skip all this: use them only where a set-based
    write is meant, with `simple_history.utils.bulk_update_with_history`.

    Deleting is soft (keyaccounts.recyclebin): `deleted_at` set hides the row from
    `objects`; `.delete()` removes it for good and is for the purge alone.
    """

    # A record type of the sync contract: what the changes feed's hooks look for
    # (keyaccounts.feed.hooks.feed_types), without importing this module.
    synced_record = True

    external_id = models.CharField(
        _("external ID"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text=_("The key another system (ERP, mobile app, CRM) uses for this record."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Position in the change feed (see next_change_seq); unique across all record types.
    change_seq = models.BigIntegerField(
        _("change number"), default=0, editable=False, db_index=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deletion = models.ForeignKey(
        "keyaccounts.Deletion",
        verbose_name=_("deletion"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = tracked(
        by_id=True, inherit=True, excluded_fields=["change_seq", "updated_at", "deletion"]
    )

    objects = LiveManager()
    all_objects = models.Manager()  # noqa: DJ012 (a manager, listed after the default)

    class Meta:
        abstract = True

    def save(self, *args, expected_version: int | None = None, touch: bool = False, **kwargs):
        self._read_values = None  # what was read is no longer the stored row
        if self.external_id == "":
            self.external_id = None
        # The router, not the row's origin: a row read from the replica saves to the primary.
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if self._state.adding or self.pk is None:
            with transaction.atomic(using=using):
                self.change_seq = next_change_seq(using=using)
                super().save(*args, **kwargs)
                records_changed(
                    model=type(self), records=[self], event=RecordEvent.CREATED, using=using
                )
                return None
        manager = type(self)._base_manager.using(using)
        self.saved_changes = True
        if not touch and kwargs.get("update_fields") is None:
            unchanged = self.unchanged_against_stored(manager.db)
            if unchanged:
                self._keep_as_stored(self._stored_version, expected_version)
                return None
        self._ensure_history_baseline(manager)
        with transaction.atomic(using=manager.db):
            # The counter first, then the row: every writer locks in the same order.
            self.change_seq = next_change_seq(using=manager.db)
            rows = manager.filter(pk=self.pk)
            if self.deleted_at is None:
                # Moved to the recycle bin since it was read: this save must not bring
                # it back (VersionConflict below), only a restore does.
                rows = rows.filter(deleted_at__isnull=True)
            if expected_version is not None:
                rows = rows.filter(version=expected_version)
            account, account_before = _moving_account_attname(type(self)), None
            if kwargs.get("update_fields") is not None and not {
                account,
                "account",
            } & set(kwargs["update_fields"]):
                account = None  # a save of other fields does not move it
            if not rows.update(version=F("version") + 1):
                current = manager.filter(pk=self.pk).values_list("version", flat=True).first()
                if current is not None:
                    raise VersionConflict(
                        _("This record was changed by someone else since you opened it."),
                        current_version=current,
                    )
            else:
                # Read before the fields are written: the account it was under, if it
                # moves (the changes feed tells who no longer sees it).
                stored = manager.filter(pk=self.pk).values_list("version", account or "version")
                self.version, account_before = stored.get()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated_at", "change_seq"}
            super().save(*args, **kwargs)
            records_changed(
                model=type(self), records=[self], event=RecordEvent.UPDATED, using=manager.db
            )
            if account and account_before != getattr(self, account):
                from .feed.hooks import feed_records_moved

                feed_records_moved(
                    records=[self], from_account_ids={self.pk: account_before}, using=manager.db
                )
            return None

    def delete(self, *args, expected_version: int | None = None, **kwargs):
        """Delete, refusing with VersionConflict when the row is no longer at
        `expected_version`; raises DoesNotExist when someone deleted it first."""
        using = (args[0] if args else kwargs.get("using")) or router.db_for_write(
            type(self), instance=self
        )
        with transaction.atomic(using=using):
            # The counter first, then the row, as save() does: a delete racing an update
            # waits for it instead of deadlocking with it.
            next_change_seq(using=using)
            current = (
                type(self)
                ._base_manager.using(using)
                .select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current is None:
                raise type(self).DoesNotExist(f"{self._meta.label} {self.pk} is already deleted.")
            if expected_version is not None and current != expected_version:
                raise VersionConflict(
                    _("This record was changed by someone else since you opened it."),
                    current_version=current,
                )
            return super().delete(*args, **kwargs)

    def _ensure_history_baseline(self, manager) -> None:
        """Before the first change of a record that has no history yet, record how it
        was (keyaccounts.history.bulk.baseline_create)."""
        history = type(self).history.model._default_manager.using(manager.db)
        if not history.filter(id=self.pk).exists():
            stored = manager.filter(pk=self.pk).first()
            if stored is not None:
                from .history.bulk import baseline_create

                baseline_create(stored)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def _compared_fields(self) -> list:
        return [
            f
            for f in self._meta.concrete_fields
            if f.name not in BOOKKEEPING_FIELDS and not f.primary_key
        ]

    def _equals(self, stored: dict, fields: list) -> bool:
        try:
            return all(stored[f.attname] == f.to_python(getattr(self, f.attname)) for f in fields)
        except ValidationError:
            return False

    def unchanged_against_stored(self, using: str) -> bool | None:
        """True when every field equals the stored row; None when the row is gone."""
        fields = self._compared_fields()
        stored = (
            type(self)
            ._base_manager.using(using)
            .filter(pk=self.pk)
            .values("version", *(f.attname for f in fields))
            .first()
        )
        if stored is None:
            return None
        self._stored_version = stored["version"]
        return self._equals(stored, fields)

    def remember_stored(self) -> None:
        """Take this instance's current values as its stored row, for
        `unchanged_since_read`. Call it right after reading the row, before any change:
        a batch that read its records in one query (the deals' bulk upsert) can then
        tell an unchanged item without reading its row again. A save forgets it."""
        fields = self._compared_fields()
        self._read_values = {f.attname: getattr(self, f.attname) for f in fields}
        self._read_values["version"] = self.version

    def unchanged_since_read(self) -> bool | None:
        """True when every field still equals the row as `remember_stored` took it;
        None when nothing was remembered (ask `unchanged_against_stored`). The answer
        is as of that read: the unchanged write it stands for happened then."""
        stored = getattr(self, "_read_values", None)
        if stored is None:
            return None
        return self._equals(stored, self._compared_fields())

    def keep_if_unchanged(self, *, expected_version: int | None = None) -> bool:
        """When `unchanged_since_read`: what `save` does for a write that changes
        nothing — no write, the version read, `saved_changes` False, VersionConflict when
        `expected_version` is another — and True. False: save it as usual."""
        if not self.unchanged_since_read():
            return False
        self._keep_as_stored(self._read_values["version"], expected_version)
        return True

    def _keep_as_stored(self, stored_version: int, expected_version: int | None) -> None:
        if expected_version is not None and expected_version != stored_version:
            raise VersionConflict(
                _("This record was changed by someone else since you opened it."),
                current_version=stored_version,
            )
        # Nothing to write: the caller sees the stored version (the same ETag).
        self.version = stored_version
        self.saved_changes = False

    def refresh_from_db(self, *args, **kwargs):
        self._read_values = None
        super().refresh_from_db(*args, **kwargs)

    def validate_unique(self, exclude=None):
        """Also refuse a unique value that a record in the recycle bin holds (Django's
        own check reads the default manager, which does not see the bin), in the same
        words as a value a live record holds."""
        super().validate_unique(exclude=exclude)
        errors = {}
        for field in self._meta.concrete_fields:
            if not field.unique or field.primary_key or field.name in (exclude or ()):
                continue
            value = getattr(self, field.attname)
            if value in (None, ""):
                continue
            held = (
                type(self)
                .all_objects.filter(**{field.attname: value}, deleted_at__isnull=False)
                .exclude(pk=self.pk)
            )
            found = list(held.values_list("deletion_id", flat=True)[:1])  # one query
            if not found:
                continue
            if _may_restore(found[0]):
                errors[field.name] = ValidationError(
                    _(
                        "A record in the recycle bin has this %(field)s. Restore it from "
                        "the recycle bin, or give another value."
                    ),
                    code="unique_in_recycle_bin",
                    params={"field": field.verbose_name},
                )
            else:
                # The message of a live record holding it, word for word: to anyone who
                # cannot restore it (a record they may not see), a message of its own
                # would tell that it is in the recycle bin.
                errors[field.name] = self.unique_error_message(type(self), (field.name,))
        if errors:
            raise ValidationError(errors)


def _may_restore(deletion_id) -> bool:
    """Whether the acting user (`keyaccounts.history.context`) may restore the deletion
    `deletion_id` from the recycle bin: its rule, `recyclebin.selectors`."""
    from keyaccounts.history.context import current_user
    from keyaccounts.recyclebin.selectors import deletions_visible_to

    user = current_user()
    if deletion_id is None or user is None:
        return False
    return deletions_visible_to(user).filter(pk=deletion_id).exists()


class Tombstone(models.Model):
    """A deleted synced record, kept so that sync clients learn of the deletion."""

    model = models.CharField(_("record type"), max_length=100)  # "accounts.account"
    object_id = models.BigIntegerField(_("ID"))
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    change_seq = models.BigIntegerField(_("change number"), unique=True)
    deleted_at = models.DateTimeField(_("deleted"), auto_now_add=True)
    # Set when the record was merged into another of its type (the survivor's id).
    merged_into = models.BigIntegerField(_("merged into"), null=True, blank=True)
    # The account the record was under (itself, for an account): the changes feed sends
    # the deletion to those who could see that account then (keyaccounts.feed).
    account_id = models.BigIntegerField(_("account ID"), null=True, blank=True)

    class Meta:
        verbose_name = _("deletion record")
        verbose_name_plural = _("deletion records")
        indexes = [
            models.Index(fields=["model", "change_seq"]),
            models.Index(fields=["deleted_at"], name="tombstone_deleted_at"),
        ]

    def __str__(self):
        return f"{self.model}:{self.object_id}"


def record_tombstone(sender, instance, using, **kwargs):
    """Every deleted synced record leaves a tombstone, cascaded deletions included.

    Connected to each VersionedModel subclass's pre_delete (keyaccounts.apps), not to
    every model: a receiver for all would stop Django's fast deletes everywhere. A
    record purged from the recycle bin got its tombstone when it was soft-deleted."""
    if getattr(instance, "deleted_at", None) is not None:
        return
    from .feed.hooks import feed_account_attname, feed_records_deleted

    account = feed_account_attname(type(instance))
    stone = Tombstone.objects.using(using).create(
        model=instance._meta.label_lower,
        object_id=instance.pk,
        external_id=instance.external_id or "",
        change_seq=next_change_seq(using=using),
        account_id=getattr(instance, account) if account else None,
    )
    feed_records_deleted(stones=[stone], using=using)


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, to replay on a retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user"),
        ]

    def __str__(self):
        return self.key

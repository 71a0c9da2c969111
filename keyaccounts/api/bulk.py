"""Bulk upsert by external_id, the same for every synced record type (docs/api.md).

`POST /api/v1/<type>/bulk/` takes a JSON list of up to BULK_MAX_ITEMS records, each
named by its `external_id`: one the caller can see is replaced (fields left out keep
their values), one nobody has is created. Every item is written through the type's
serializer and services, as one alone would be (history with origin api, the changes
feed, webhooks, rescoring), and answered by a result of its own:

- `created`, `updated`, `unchanged` (the item equals the record: nothing written, the
  same version), or `error` with messages per field and a `code`;
- an item carrying `"version": N` is written only if the record is at version N (as
  If-Match does for one record): else `version_mismatch`, with `current_version`
  (null when there is no such record you can see), and nothing of it is written;
- `?atomic=true`: all or nothing, as Salesforce's `allOrNone`: when an item fails,
  nothing of the request is written; the failing items carry their errors and every
  other one the status `rolled_back`. The answer is 200 either way.

What the items refer to is read once per request, not once per item: the records by
their external_id (`remember_stored`, so that an unchanged item costs no query), the
external ids held by records the caller cannot see, and the rows every id field names
(`preload_related`, scoped to what the caller may see).
"""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from keyaccounts.api.filters import refuse_given_twice
from keyaccounts.api.serializers import CharField as StrictCharField
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.history.merge import fields_changed_since

from .bulkitems import (
    CREATED,
    ERROR,
    ROLLED_BACK,
    STATUSES,
    UNCHANGED,
    UPDATED,
    read_version,
    usable_key,
)
from .exceptions import FIELD_OF_CODE, NON_FIELD, django_validation_errors, field_errors
from .serializers import ExternalIdAddressable, preload_related
from .sync import EXTERNAL_ID_MAX_LENGTH, idempotent

BULK_MAX_ITEMS = 1000

# What an ApplicationError adds to its answer, carried into an item's result as the
# single-record error answer carries it.
RESULT_EXTRAS = (
    "current_version",
    "changed_fields",
    "missing_criteria",
    "duplicates",
    "hidden_duplicates",
    "confirmable",
)


# --- the answer --------------------------------------------------------------------------


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in the list sent.")
    external_id = StrictCharField(allow_null=True)
    status = serializers.ChoiceField(
        choices=STATUSES,
        help_text="created, updated; unchanged: the item equals the record, nothing was "
        "written (same version); error: this item failed (see errors and code), nothing of "
        "it was written; rolled_back (atomic only): the item was valid but another failed, "
        "so nothing was written.",
    )
    id = serializers.IntegerField(
        allow_null=True, help_text="The record's id; null unless written."
    )
    version = serializers.IntegerField(
        allow_null=True, help_text="The record's version now; null unless written."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=StrictCharField()),
        help_text="Messages per field (non_field_errors for the rest); empty unless status "
        "is error or rolled_back.",
    )
    code = StrictCharField(
        required=False,
        help_text="error and rolled_back only, for a program: invalid (see errors), "
        "version_mismatch (the record is not at the version the item names), conflict "
        "(saved at the same time by someone else), rolled_back, or a business rule's "
        "code as the single-record answer gives it (possible_duplicate, "
        "exit_criteria_missing, owner_not_allowed, protected, ...).",
    )
    current_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="version_mismatch only: the record's version now; null: no record with "
        "this external_id that you can see.",
    )
    changed_fields = serializers.ListField(
        child=StrictCharField(),
        required=False,
        help_text="version_mismatch only, when the item named an earlier version the "
        "record's history still holds: the fields someone else changed since it, as a "
        "412's changed_fields.",
    )
    missing_criteria = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="exit_criteria_missing only: the ids of the exit criteria still unticked.",
    )
    duplicates = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="possible_duplicate only: the likely duplicates you may see (id, name, "
        "url, match); resend the item with confirm_duplicate true to save it anyway.",
    )
    hidden_duplicates = serializers.IntegerField(
        required=False, help_text="possible_duplicate only: how many more you cannot see."
    )
    confirmable = serializers.BooleanField(
        required=False,
        help_text="possible_duplicate only: whether confirm_duplicate true saves it.",
    )


class BulkResultSerializer(serializers.Serializer):
    results = BulkItemResultSerializer(many=True, help_text="One per item, in the list's order.")
    atomic = serializers.BooleanField(help_text="Whether the request was all or nothing.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Items with status error.")
    rolled_back = serializers.IntegerField(
        help_text="Items with status rolled_back (atomic requests only)."
    )


# --- the items ---------------------------------------------------------------------------

_item_serializers: dict[type, type] = {}


def bulk_item_serializer_for(serializer_class: type) -> type:
    """The record type's serializer as a bulk item (component `<Type>BulkItem`): the
    external_id required and not checked for uniqueness (one that exists means
    "replace"), and `version` writable, for the item's own If-Match."""
    if serializer_class not in _item_serializers:
        name = serializer_class.__name__.removesuffix("Serializer") + "BulkItemSerializer"
        _item_serializers[serializer_class] = type(
            name,
            (serializer_class,),
            {
                "__module__": serializer_class.__module__,
                "__doc__": "One item of a bulk upsert: a record named by its external_id.",
                "external_id": StrictCharField(
                    max_length=EXTERNAL_ID_MAX_LENGTH,
                    # As sent, or refused: the item is looked up by it as sent.
                    trim_whitespace=False,
                    validators=[ExternalIdAddressable()],
                    help_text="Your key of the record: it is created or replaced by it. "
                    "No “/”, no spaces at its ends, printable characters only.",
                ),
                "version": serializers.IntegerField(
                    required=False,
                    allow_null=True,
                    min_value=1,
                    help_text="The version you read: the item is written only if the record "
                    "is at this version (else version_mismatch). Leave out (or null) to "
                    "write whatever the version.",
                ),
            },
        )
    return _item_serializers[serializer_class]


def parse_atomic(value: str | None) -> bool:
    if value is None:
        return False
    # The schema's boolean: true or false, in any case ("True" from Python's requests).
    word = value.lower()
    if word == "true":
        return True
    if word == "false":
        return False
    raise ValidationError({"atomic": [_("Give true or false (leave out: false).")]})


class _RolledBack(Exception):
    """Leaves an atomic request's transaction so that nothing of it is kept."""


# --- the viewset mixin -------------------------------------------------------------------


def _json_kind(value) -> str:
    """What a JSON value is, in words: "a number", "a list", …"""
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("a string")
    return _("a list")


class BulkUpsertMixin:
    """Adds `POST bulk/` to a SyncViewSetMixin viewset (list it before that mixin).

    The viewset's serializer writes through the type's services and its update() takes
    `expected_version`, as for If-Match. `bulk_label` names the records in the schema
    ("accounts"); `get_bulk_queryset()` gives the records an item may replace: those
    the caller can see, with what the serializer's writes read of them."""

    bulk_label = "records"
    bulk_item_serializer_class = None  # made from serializer_class when None
    bulk_max_items = BULK_MAX_ITEMS
    # Offer the items to the set-based write first (`setbased`); None: the setting
    # BULK_SET_BASED (default True).
    bulk_set_based = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "serializer_class", None) is not None:
            # Each viewset's bulk operation described with its own items.
            extend_schema_view(bulk=bulk_schema(cls))(cls)

    def get_bulk_item_serializer_class(self):
        return self.bulk_item_serializer_class or bulk_item_serializer_for(self.serializer_class)

    def get_serializer_class(self):
        if getattr(self, "action", None) == "bulk":
            return self.get_bulk_item_serializer_class()
        return super().get_serializer_class()

    def get_bulk_queryset(self):
        return self.get_queryset()

    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        refuse_given_twice(request.query_params, ["atomic"])
        atomic = parse_atomic(request.query_params.get("atomic"))
        items = request.data
        if not isinstance(items, list):
            raise ValidationError(_("Send a JSON list of records."))
        if len(items) > self.bulk_max_items:
            raise ValidationError(
                _("Send at most %(max)d items at once; split the list (you sent %(count)d).")
                % {"max": self.bulk_max_items, "count": len(items)}
            )
        if not_objects := {
            str(index): [
                _("Item %(index)d is %(kind)s, not a JSON object: send each record as an object.")
                % {"index": index, "kind": _json_kind(item)}
            ]
            for index, item in enumerate(items)
            if not isinstance(item, dict)
        }:
            # Named by their place in the list (from 0), as each item's result is.
            raise ValidationError(not_objects)
        return idempotent(request, lambda: self._bulk(items, atomic=atomic))

    def _bulk(self, items: list[dict], *, atomic: bool) -> Response:
        if atomic:
            try:
                with transaction.atomic():
                    results = self._bulk_write(items)
                    if any(result["status"] == ERROR for result in results):
                        raise _RolledBack
            except _RolledBack:
                results = [_rolled_back(result) for result in results]
        else:
            results = self._bulk_write(items)
        counts = dict.fromkeys(STATUSES, 0)
        for result in results:
            counts[result["status"]] += 1
        return Response(
            {
                "results": results,
                "atomic": atomic,
                "created": counts[CREATED],
                "updated": counts[UPDATED],
                "unchanged": counts[UNCHANGED],
                "failed": counts[ERROR],
                "rolled_back": counts[ROLLED_BACK],
            }
        )

    def _bulk_write(self, items: list[dict]) -> list[dict]:
        """One result per item. Items a set-based write may take with exactly the results
        and stored rows one at a time would give (keyaccounts/api/setbased.py: plain
        creates and updates of accounts, contacts, visits, deals) are checked in memory
        and written in one transaction; the others each through the serializer and
        services, as one alone would be."""
        from django.conf import settings

        set_based = self.bulk_set_based
        if set_based is None:
            set_based = settings.BULK_SET_BASED
        since = None
        if set_based:
            from keyaccounts.imports.writing import committed_change_seq

            since = committed_change_seq()  # before anything the write checks is read
        # The rows the items name by id, read for the whole list (scoped to what the
        # caller may see): the set-based check and each item's validation read them.
        context = {
            **self.get_serializer_context(),
            "preloaded": preload_related(self.get_serializer(), items),
        }
        if set_based:
            from . import setbased

            results = setbased.write_set_based(
                items,
                user=self.request.user,
                serializer=self.get_serializer(context=context),
                since=since,
            )
            if results is not None:
                return results
        # What every item refers to, read for the whole list: the records named by their
        # external_id, the external ids others hold. Each item is then validated and
        # written through the services, as one alone would be.
        visible = self.get_bulk_queryset()
        keys = [item.get("external_id") for item in items]
        records = dict.fromkeys(key for key in keys if usable_key(key))  # None: none visible
        for record in visible.filter(external_id__in=list(records)):
            record.remember_stored()
            records[record.external_id] = record
        unseen = [key for key, record in records.items() if record is None]
        model = visible.model
        taken = set(
            model.all_objects.filter(external_id__in=unseen).values_list("external_id", flat=True)
            if unseen
            else ()
        )
        return [
            self._bulk_item(index, item, visible, records, taken, context)
            for index, item in enumerate(items)
        ]

    def _bulk_item(
        self, index: int, item: dict, visible, records: dict, taken: set, context: dict
    ) -> dict:
        external_id = item.get("external_id")
        result = {
            "index": index,
            "external_id": external_id if isinstance(external_id, str) else None,
            "status": ERROR,
            "id": None,
            "version": None,
            "errors": {},
        }

        def failed(errors: dict, code: str, **extra) -> dict:
            return {**result, "errors": errors, "code": code, **extra}

        if external_id is not None and not isinstance(external_id, str):
            # A number would be read as its digits: a key other than the one looked up.
            return failed(
                {"external_id": [_("Give your key as a JSON string of 1 to 100 characters.")]},
                "invalid",
            )
        instance = None
        if usable_key(external_id):
            if external_id in records:
                # As read for the list; taken once: a later item of the same record
                # reads it as this one left it.
                instance = records.pop(external_id)
            else:
                instance = visible.filter(external_id=external_id).first()
        expected, version_errors = read_version(item)
        if version_errors:
            return failed({"version": version_errors}, "invalid")
        if expected is not None and (instance is None or instance.version != expected):
            # As If-Match: a record you cannot see is one that is not there.
            changed = (
                fields_changed_since(instance, expected, exposed=self.get_serializer().fields)
                if instance is not None and 0 < expected < instance.version
                else None
            )
            return failed(
                {"version": [_("The record is not at the version you name; nothing was written.")]},
                "version_mismatch",
                current_version=instance.version if instance is not None else None,
                **({"changed_fields": changed} if changed is not None else {}),
            )
        if instance is None and usable_key(external_id) and external_id in taken:
            # Held by a record you cannot see, or one in the recycle bin: one message
            # for both, naming neither.
            return failed(
                {
                    "external_id": [
                        _(
                            "Another record has this external ID and you cannot change it "
                            "here (you cannot see it, or it is in the recycle bin). Give "
                            "another external ID."
                        )
                    ]
                },
                "invalid",
            )
        data = {key: value for key, value in item.items() if key != "version"}
        # As a PUT by external ID: fields left out keep their values.
        serializer = self.get_serializer(
            instance, data=data, context=context, partial=instance is not None
        )
        if not serializer.is_valid():
            return failed(field_errors(serializer.errors), "invalid")
        save = {} if instance is None or expected is None else {"expected_version": expected}
        try:
            # An item fails whole, and alone: it is one call of one atomic service (a
            # savepoint when the request has a transaction); an unchanged record is left
            # by the service before it opens one.
            saved = serializer.save(**save)
        except VersionConflict as error:
            return failed(
                {"version": [error.message]},
                "version_mismatch",
                current_version=error.current_version,
            )
        except ApplicationError as error:
            field = FIELD_OF_CODE.get(error.code, NON_FIELD)
            extra = {key: error.extra[key] for key in RESULT_EXTRAS if key in error.extra}
            return failed({field: [error.message]}, error.code, **copy.deepcopy(extra))
        except DjangoValidationError as error:
            return failed(django_validation_errors(error), "invalid")
        except IntegrityError:
            return failed(
                {NON_FIELD: [_("This conflicts with a record saved at the same time.")]},
                "conflict",
            )
        if instance is None:
            status = CREATED
        elif saved.saved_changes:
            status = UPDATED
        else:
            status = UNCHANGED  # the item equals the record: nothing written
        result.update(status=status, id=saved.pk, version=saved.version)
        return result


def _rolled_back(result: dict) -> dict:
    """An atomic request's result once nothing of it was kept."""
    if result["status"] == ERROR:
        return result
    return {
        **result,
        "status": ROLLED_BACK,
        "id": None,
        "version": None,
        "errors": {
            NON_FIELD: [_("Not written: another item of this all-or-nothing request failed.")]
        },
        "code": ROLLED_BACK,
    }


ATOMIC = OpenApiParameter(
    "atomic",
    bool,
    OpenApiParameter.QUERY,
    description="true: all or nothing. If any item fails, nothing is written: the failing "
    "items carry their errors, every other one the status rolled_back; the answer is 200 "
    "all the same (as Salesforce's allOrNone). Default false: each item is written or "
    "fails on its own.",
)


def bulk_schema(viewset: type):
    """The bulk operation of `viewset`, described with its own items."""
    label = viewset.bulk_label
    item = viewset.bulk_item_serializer_class or bulk_item_serializer_for(viewset.serializer_class)
    most = viewset.bulk_max_items
    return extend_schema(
        summary=f"Create or replace up to {most:,} {label} by external_id",
        description=f"Upsert {label} by your `external_id`: one you can see is replaced "
        "(fields left out keep their values), one nobody has is created. Each item is "
        "written through the same rules as one alone (history, changes feed, webhooks) and "
        "answered in `results`, in order: `created`, `updated`, `unchanged` (equal to the "
        "record: nothing written, the same version) or `error` (`errors` per field and a "
        "`code`; nothing of the item written). An item with `version` is written only if "
        "the record is at that version, else `version_mismatch` with `current_version`. "
        "An external_id held by a record you cannot see, or one in the recycle bin, is "
        "refused with one message for both. Without `atomic` a bad item does not stop the "
        "others. The answer is 200 whenever the list itself was readable: look at each "
        f"result. More than {most:,} items, or anything but a list of objects, "
        "answers 400 and writes nothing; an empty list answers 200 with no results. With "
        "an Idempotency-Key a retry replays the first answer.",
        parameters=[ATOMIC],
        # maxItems in the schema (AutoSchema._unwrap_list_serializer); no minItems: an
        # empty list is taken.
        request=item(many=True, max_length=most),
        responses={200: OpenApiResponse(BulkResultSerializer, description="One result per item.")},
    )

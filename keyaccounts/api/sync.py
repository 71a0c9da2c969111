"""The sync contract, the same for every synced record type (docs/api.md).

- ETag: "<version>" on every answer that carries one record;
- If-Match on PUT, PATCH and DELETE: another version answers 412 and changes nothing.
  The version named is handed to the service as `expected_version`, whose conditional
  UPDATE refuses too (VersionConflict → 412) when another writer got in between the
  check here and the save: that is what makes two racing clients safe;
- Idempotency-Key on POST: the first successful answer is stored with the write, in one
  transaction, and replayed for a retry of the same request;
- `external/<external_id>/`: GET reads, PUT creates (201) or replaces (200);
- `changes/?since=<cursor>`: every change after the cursor, in commit order, following
  what the caller can see (keyaccounts.feed): records that came into view, `deleted`
  and `removed` (left the view); a cursor it cannot serve answers 410;
- `{id}/history/`: the record's change history, newest first, paged;
- `{id}/restore/` (POST): bring the record back from the recycle bin.
"""

import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from keyaccounts.api.filters import refuse_given_twice
from keyaccounts.api.pagination import NumberedPagination
from keyaccounts.api.serializers import CharField as StrictCharField
from keyaccounts.api.serializers import external_id_addressable
from keyaccounts.db_router import replica_reads
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.feed.reader import (
    CURSOR_MAX_LENGTH,
    NO_DETAILS,
    change_details,
    feed_page,
    feed_tag,
    read_cursor,
)
from keyaccounts.formtokens import METHOD as FORM_METHOD
from keyaccounts.history.api import HistoryEntrySerializer
from keyaccounts.history.context import Origin
from keyaccounts.history.merge import fields_changed_since
from keyaccounts.history.timeline import record_timeline
from keyaccounts.locks import advisory_xact_lock
from keyaccounts.models import IdempotencyKey
from keyaccounts.recyclebin import restores

# Visible ASCII, no spaces, 1 to 255 characters (the schema says the same).
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,255}$"
EXTERNAL_ID_MAX_LENGTH = 100
CHANGES_DEFAULT_LIMIT = 100
CHANGES_MAX_LIMIT = 1000


# --- ETag and If-Match -----------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str) -> set[int] | None:
    """The versions an If-Match header names; None for `*` (any current version).

    Accepts `"3"`, `W/"3"`, `3` and lists of them; anything unreadable names no version,
    so it never matches (412), as RFC 9110 has it for an unknown entity tag."""
    if header.strip() == "*":
        return None
    versions = set()
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag.isascii() and tag.isdigit() and len(tag) <= 18:
            versions.add(int(tag))
    return versions


def check_if_match(request, instance, *, exposed=None) -> int | None:
    """The version the client's If-Match names, if it is the current one; raise
    VersionConflict (412) if it names another. None: no If-Match (or `*`), write anyway.
    `exposed`: a callable giving the API's field names of the record, to which the
    412's `changed_fields` is narrowed."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    versions = parse_if_match(header)
    if versions is None and instance is not None:
        return None
    if instance is None:
        # A PUT by external ID with If-Match where no record has it: nothing to compare
        # with (`current_version` null, as a bulk item's; no ETag).
        raise VersionConflict(
            _(
                "No record has this external ID, so there is no version to match: send "
                "the request without If-Match to create it."
            ),
            current_version=None,
        )
    if instance.version not in versions:
        raise VersionConflict(
            _("This record was changed by someone else since the version you name."),
            current_version=instance.version,
            changed_fields=_changed_since(instance, versions, exposed),
        )
    return instance.version


def _changed_since(instance, versions: set[int], exposed=None) -> list[str] | None:
    """What others changed since the one earlier version If-Match names (its history
    entry's values against the record's now); None when that cannot be told."""
    if instance is None or len(versions) != 1 or not hasattr(type(instance), "history"):
        return None
    (version,) = versions
    return fields_changed_since(instance, version, exposed=exposed() if exposed else None)


# --- Location --------------------------------------------------------------------------


def with_location(view, response: Response) -> Response:
    """A 201 answer's `Location`: the created record's address (`<basename>-detail`)."""
    data = response.data
    if response.status_code == status.HTTP_201_CREATED and isinstance(data, dict):
        if isinstance(data.get("id"), int):
            response["Location"] = reverse(f"api:{view.basename}-detail", args=[data["id"]])
    return response


# --- Idempotency-Key -------------------------------------------------------------------


def _jsonable(data):
    return json.loads(json.dumps(data, cls=JSONEncoder))


def request_fingerprint(request) -> str:
    """What makes two requests "the same": method, path with query, canonical JSON body."""
    body = json.dumps(_jsonable(request.data), sort_keys=True, separators=(",", ":"))
    text = f"{request.method} {request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.method == FORM_METHOD:
        # The key is a page form's token (`keyaccounts.formtokens`): the phone's outbox
        # sends a form kept with no signal under "form:<token>", and the form itself
        # reached the server after all. The record exists: say where, create nothing.
        raise ApplicationError(
            _("Already saved from its form in the app."),
            code="already_saved",
            extra={"location": stored.path},
        )
    if stored.request_hash != fingerprint:
        raise ApplicationError(
            _("This Idempotency-Key was already used for another request."),
            code="idempotency_key_reused",
        )
    headers = {"Idempotent-Replayed": "true"}
    body = stored.response_body
    if isinstance(body, dict) and isinstance(body.get("version"), int):
        headers["ETag"] = etag(body["version"])
    return Response(body, status=stored.status_code, headers=headers)


def idempotent(request, produce, *, fingerprint: str | None = None) -> Response:
    """Run `produce()` (a write answering with a Response) at most once per
    Idempotency-Key of this user.

    The key is claimed (a row inserted) before the write, in the same transaction: a
    concurrent request with the same key waits on the database's unique index until the
    first one ends, then replays its answer. Only a successful answer is stored: an error
    rolls everything back, key included, so the client may retry with the same key.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return produce()
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise ValidationError(
            {
                "Idempotency-Key": [
                    _("Give a key of 1 to 255 visible ASCII characters, no spaces (a UUID).")
                ]
            }
        )
    # A body that is no JSON (a bulk job's JSON lines) is fingerprinted by its caller.
    fingerprint = fingerprint or request_fingerprint(request)
    stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
    if stored is not None:
        return _replay(stored, fingerprint)
    try:
        with transaction.atomic():
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.get_full_path()[:500],
                    request_hash=fingerprint,
                    status_code=0,
                )
            response = produce()
            claim.status_code = response.status_code
            claim.response_body = _jsonable(response.data)
            claim.save(update_fields=["status_code", "response_body"])
            return response
    except IntegrityError:
        # Another request claimed the key first and has committed by now.
        stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if stored is None:
            raise
        return _replay(stored, fingerprint)


# --- the changes feed ------------------------------------------------------------------


class DeletedSerializer(serializers.Serializer):
    """A deletion in the changes feed: a record deleted while you could see it."""

    id = serializers.IntegerField(source="object_id")
    external_id = serializers.SerializerMethodField()
    deleted_at = serializers.DateTimeField()
    merged_into = serializers.IntegerField(
        allow_null=True,
        help_text="Set when a manager merged this record into another of its type: the "
        "survivor's id, which now holds its data (null: an ordinary deletion).",
    )

    def get_external_id(self, stone) -> str | None:
        return stone.external_id or None


class RemovedSerializer(serializers.Serializer):
    """A record that left your view in the changes feed: it still exists, but you no
    longer see it (its account was given to someone else, it moved to an account you
    cannot see, you left the account's team or your sales team)."""

    id = serializers.IntegerField(source="object_id")
    external_id = serializers.SerializerMethodField()
    reason = serializers.ChoiceField(
        choices=["not_visible"],
        help_text="`not_visible`: it exists, you no longer see it. Drop your copy.",
    )
    removed_at = serializers.DateTimeField(source="created_at")

    def get_external_id(self, exit_) -> str | None:
        return exit_.external_id or None


class ChangeDetailsSerializer(serializers.Serializer):
    """What every result of the changes feed adds to the record: the change that made
    its current version."""

    changed_fields = serializers.ListField(
        child=StrictCharField(),
        allow_null=True,
        read_only=True,
        help_text="The fields the change that made this version changed (many-to-many "
        "ones included, such as a visit's contacts). null: the change created the record "
        "(or its history does not go back that far); a deal's parts are named like "
        "its fields (contacts, team, competitors, checked_criteria); []: only an "
        "account's team or competitors changed (see {id}/history/), or it was restored.",
    )
    changed_by = serializers.IntegerField(
        allow_null=True,
        read_only=True,
        help_text="The id of the user who made that change; null: a system task or import "
        "with no user, or no history.",
    )
    origin = serializers.ChoiceField(
        choices=Origin.choices,
        allow_null=True,
        read_only=True,
        help_text="Where that change came from: web, api, import, admin or system.",
    )


def parse_limit(value: str | None) -> int:
    if value is None:
        return CHANGES_DEFAULT_LIMIT
    whole = value.isascii() and value.isdigit() and len(value) <= 18
    if not whole or not 1 <= int(value) <= CHANGES_MAX_LIMIT:
        raise ValidationError(
            {"limit": [_("Give a whole number from 1 to %(max)d.") % {"max": CHANGES_MAX_LIMIT}]}
        )
    return int(value)


# --- the viewset mixin -----------------------------------------------------------------


class SyncViewSetMixin:
    """Adds the sync contract to a ModelViewSet of a VersionedModel.

    The viewset's serializer calls the services with `expected_version` (from If-Match);
    `perform_destroy(instance, expected_version)` must call the delete service, and
    `get_restore_queryset()` / `perform_restore(instance)` serve `{id}/restore/`.
    """

    lookup_value_regex = r"[0-9]{1,18}"

    # Every answer with one record in it says its version.
    def _with_etag(self, response: Response) -> Response:
        data = response.data
        if isinstance(data, dict) and isinstance(data.get("version"), int):
            response["ETag"] = etag(data["version"])
        return response

    # A record created answers 201 with its address (a replay of that answer too).
    def _with_location(self, response: Response) -> Response:
        return with_location(self, response)

    def filter_queryset(self, queryset):
        """A list's filters and ordering apply to the list: a record named by its id (read,
        changed, deleted, restored, or any action on it) is that record, among those the
        caller may see (`get_queryset`), whatever else the query string says — as the
        schema documents no filter on it. DRF filters the record too: it made the list's
        filter form for every record read (a third of an API record's own time, issue
        9), and a list's parameter left in the address answered 404 or 400."""
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def retrieve(self, request, *args, **kwargs):
        return self._with_etag(super().retrieve(request, *args, **kwargs))

    def list(self, request, *args, **kwargs):
        # Lists read the replica when there is one (not right after this user wrote).
        with replica_reads(request.user):
            return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        response = idempotent(
            request, lambda: self._with_etag(super(SyncViewSetMixin, self).create(request))
        )
        return self._with_location(response)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        expected_version = check_if_match(request, instance, exposed=self._field_names)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        serializer.save(expected_version=expected_version)
        if getattr(instance, "_prefetched_objects_cache", None):
            # Prefetched relations (a visit's contacts, say) were read before the write.
            instance._prefetched_objects_cache = {}
        return self._with_etag(Response(serializer.data))

    def _field_names(self):
        return self.get_serializer().fields.keys()

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        expected_version = check_if_match(request, instance, exposed=self._field_names)
        try:
            self.perform_destroy(instance, expected_version=expected_version)
        except type(instance).DoesNotExist:
            raise NotFound() from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance, *, expected_version=None):
        raise NotImplementedError("call the record type's delete service")

    # --- external ids ---

    def _external_id(self, external_id: str) -> str:
        if len(external_id) > EXTERNAL_ID_MAX_LENGTH or not external_id.isprintable():
            raise NotFound()
        return external_id

    @action(
        detail=False,
        methods=["get", "put"],
        # Any text up to the trailing slash, "/" included: a PUT of a key no record can
        # be found by again is said on `external_id` (a "/" too), not answered 404.
        url_path=r"external/(?P<external_id>.+)",
        url_name="external",
        filter_backends=[],
        pagination_class=None,
    )
    def external(self, request, external_id: str):
        """The record your system knows by `external_id`. GET reads it; PUT creates it
        (201) or replaces it (200), honouring If-Match. Fields left out of a PUT keep
        their values (new records: their defaults)."""
        if request.method == "PUT":
            if len(external_id) > EXTERNAL_ID_MAX_LENGTH:  # as a body's would be
                raise ValidationError(
                    {
                        "external_id": [
                            _("Ensure this field has no more than %(max)s characters.")
                            % {"max": EXTERNAL_ID_MAX_LENGTH}
                        ]
                    }
                )
            try:  # a new key no record could be found by again: said, not 404
                external_id_addressable(external_id)
            except ValidationError as error:
                # One a record holds already (from before the rule) is that record's; one
                # with NUL none can hold (PostgreSQL refuses it even in a lookup).
                if "\x00" in external_id or not (
                    self.get_queryset().filter(external_id=external_id).exists()
                ):
                    raise ValidationError({"external_id": error.detail}) from None
        external_id = self._external_id(external_id)
        records = self.get_queryset()
        if request.method == "GET":
            instance = records.filter(external_id=external_id).first()
            if instance is None:
                raise NotFound()
            return self._with_etag(Response(self.get_serializer(instance).data))
        if not isinstance(request.data, dict):
            raise ValidationError(_("Send one record as a JSON object."))
        given = request.data.get("external_id", external_id)
        if given != external_id:
            raise ValidationError(
                {"external_id": [_("The body names another external ID than the URL.")]}
            )
        data = {**request.data, "external_id": external_id}
        with transaction.atomic():
            # PUTs of one key one at a time, each reading the record after the one before
            # committed: a retry racing its first attempt replaces what that created
            # (it was refused as "already exists", a 400 that says not to retry).
            advisory_xact_lock(f"external-id:{records.model._meta.label_lower}:{external_id}")
            instance = records.filter(external_id=external_id).first()
            expected_version = check_if_match(request, instance, exposed=self._field_names)
            # Fields left out keep their values (docs/api.md): a new record needs its
            # required ones, a stored one is replaced in those sent.
            serializer = self.get_serializer(instance, data=data, partial=instance is not None)
            serializer.is_valid(raise_exception=True)
            if instance is None:
                serializer.save()
                answer = status.HTTP_201_CREATED
            else:
                serializer.save(expected_version=expected_version)
                instance._prefetched_objects_cache = {}
                answer = status.HTTP_200_OK
        return self._with_location(self._with_etag(Response(serializer.data, status=answer)))

    # --- the changes feed ---

    def get_changes_queryset(self):
        """The records a client may sync: the visible ones, ready to serialize."""
        return self.get_queryset()

    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def changes(self, request):
        """Every change after the cursor to what you can see, in commit order: records
        that changed or came into your view, as they are now (`results`, each with
        `changed_fields`, `changed_by` and `origin`), records deleted while you could
        see them (`deleted`) and records that left your view (`removed`). Follow
        `next_cursor` while `has_more` is true; keep the last `next_cursor` for the next
        sync. 410 `resync_required`: the cursor cannot be served (too old, from another
        database, or your view changed as a whole): sync again without `since`."""
        refuse_given_twice(request.query_params, ["limit", "since"])
        limit = parse_limit(request.query_params.get("limit"))
        raw_since = request.query_params.get("since")
        if raw_since is not None and len(raw_since) > CURSOR_MAX_LENGTH:
            # Longer than any cursor (the schema's maxLength): bad input, not a cursor
            # to resync from.
            raise ValidationError(
                {
                    "since": [
                        _(
                            "A cursor is at most %(limit)d characters: pass back a "
                            "next_cursor unchanged, or leave out since."
                        )
                        % {"limit": CURSOR_MAX_LENGTH}
                    ]
                }
            )
        feed = feed_tag(self.get_changes_queryset().model._meta.label_lower)
        since, epoch = read_cursor(raw_since, user=request.user, feed=feed)
        # The replica replays commits in the primary's order, so the counter it shows
        # still bounds what it has: a page from it misses nothing, it may end earlier.
        with replica_reads(request.user):
            page = feed_page(
                user=request.user,
                records=self.get_changes_queryset(),
                since=since,
                limit=limit,
            )
            results = self.get_serializer(page.results, many=True).data
            details = change_details(page.results)
            for record, data in zip(page.results, results, strict=True):
                found = details.get(record.pk, NO_DETAILS)
                data["changed_fields"] = found.changed_fields
                data["changed_by"] = found.changed_by
                data["origin"] = found.origin
            return Response(
                {
                    "results": results,
                    "deleted": DeletedSerializer(page.deleted, many=True).data,
                    "removed": RemovedSerializer(page.removed, many=True).data,
                    "next_cursor": page.next_position.encode(epoch, page.issued, feed=feed),
                    "has_more": page.has_more,
                }
            )

    # --- the change history ---

    # The schema (schema.AutoSchema) documents the answer: HistoryEntrySerializer, paged.
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=NumberedPagination)
    def history(self, request, pk=None):
        """Every change to the record, newest first, as its history page shows it: who
        (null: a system task), when, from where (web, api, import, admin, system), what
        happened and each field's old and new value, raw and as displayed in the
        request's language. An account's entries include its team and competitors; a
        deal's its contacts, team, competitors and exit criteria. Paged like every list.
        A record in the recycle bin keeps its history readable, as its page does."""
        if not str(pk).isdigit():
            raise NotFound()
        record = self.get_restore_queryset().filter(pk=pk).first()
        if record is None:
            raise NotFound()
        page = self.paginate_queryset(record_timeline(record, user=request.user))
        return self.get_paginated_response(HistoryEntrySerializer(page, many=True).data)

    # --- the recycle bin ---

    def get_restore_queryset(self):
        """The records the caller may see, those in the recycle bin included (the type's
        `*_visible_to(user, deleted=True)`)."""
        raise NotImplementedError("the visible records, the recycle bin included")

    def perform_restore(self, instance) -> None:
        raise NotImplementedError("call the record type's restore service")

    # The schema (schema.AutoSchema) documents the answers: the record (200), 404, 409.
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def restore(self, request, pk=None):
        """Bring a deleted record back from the recycle bin, with everything deleted with
        it (an account: its contacts, visits, deals and development records), the same
        ids and a new version; the changes feed reports them again. 404 if you cannot
        see it; 409 `not_deleted` if it is not in the recycle bin, `parent_deleted` if
        it went with another record (restore that), `merged` if merged away,
        `account_deleted` if its account is (restore the account); 403 unless you deleted
        it or manage it. An Idempotency-Key makes a retry answer the first answer again.
        An account or a contact says which live records it is likely a
        duplicate of (`likely_duplicates`, those you see; `hidden_likely_duplicates`, how
        many others): a restore is not refused for them, but someone should merge."""
        instance = self.get_restore_queryset().filter(pk=pk).first()
        if instance is None:
            raise NotFound()
        # A retry with the same Idempotency-Key replays the answer (not 409 not_deleted).
        return idempotent(request, lambda: self._restored(request, instance))

    def _restored(self, request, instance) -> Response:
        self.perform_restore(instance)
        instance = self.get_queryset().get(pk=instance.pk)
        data = self.get_serializer(instance).data
        label = instance._meta.label_lower
        if restores.has_twins(label):
            shown, hidden = restores.twins(label, instance, request.user)
            data = {
                **data,
                "likely_duplicates": [
                    {"id": twin["id"], "name": twin["name"], "url": twin["url"]} for twin in shown
                ],
                "hidden_likely_duplicates": hidden,
            }
        return self._with_etag(Response(data))

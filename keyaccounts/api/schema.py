"""The OpenAPI schema, true to what the API answers.

drf-spectacular documents the success answers from the views and serializers; this
AutoSchema adds what every view of ours does on top: the error answers (all of one
shape, see exceptions.py), the sync headers (ETag, If-Match, Idempotency-Key,
Retry-After) and the changes feed's answer, so that a client generated from the schema,
or Schemathesis checking answers against it, meets no undocumented status or header.
"""

import copy

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from keyaccounts.feed.reader import CURSOR_MAX_LENGTH
from keyaccounts.history.api import HistoryEntrySerializer

from .sync import (
    CHANGES_DEFAULT_LIMIT,
    CHANGES_MAX_LIMIT,
    EXTERNAL_ID_MAX_LENGTH,
    IDEMPOTENCY_KEY_PATTERN,
    ChangeDetailsSerializer,
    DeletedSerializer,
    RemovedSerializer,
    SyncViewSetMixin,
)


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="Its page, as a path.")
    match = serializers.ChoiceField(
        choices=["credit_code", "name", "phone", "email"], help_text="What is the same."
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(
        help_text="What went wrong, for a program: invalid, not_found, version_conflict, "
        "exit_criteria_missing, idempotency_key_reused, throttled, not_authenticated, ..."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (dotted for nested ones; non_field_errors for the "
        "rest). Empty when no field is to blame.",
    )
    current_version = serializers.IntegerField(
        required=False, help_text="412 only: the record's version now."
    )
    missing_criteria = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="exit_criteria_missing only: the ids of the exit criteria still unticked.",
    )
    duplicates = DuplicateSerializer(
        many=True,
        required=False,
        help_text="possible_duplicate only: the likely duplicates you may see.",
    )
    hidden_duplicates = serializers.IntegerField(
        required=False,
        help_text="possible_duplicate only: how many more exist that you cannot see (ask "
        "a manager); never named.",
    )
    confirmable = serializers.BooleanField(
        required=False,
        help_text="possible_duplicate only: true when sending the write again with "
        '`"confirm_duplicate": true` saves it; false for a credit code another account '
        "has (a credit code belongs to one company).",
    )


_changes_serializers: dict[type, type] = {}


def feed_entry_serializer_for(serializer_class: type) -> type:
    """A result of the changes feed: the record, and what its last change was
    (component `<Type>FeedEntry`)."""
    name = serializer_class.__name__.removesuffix("Serializer") + "FeedEntrySerializer"
    extra = ChangeDetailsSerializer._declared_fields
    meta = type(
        "Meta",
        (serializer_class.Meta,),
        {"fields": [*serializer_class.Meta.fields, *extra]},
    )
    return type(
        name,
        (serializer_class,),
        {
            "__module__": __name__,
            "__doc__": serializer_class.__doc__,
            "Meta": meta,
            **{key: copy.deepcopy(value) for key, value in extra.items()},
        },
    )


def changes_serializer_for(serializer_class: type) -> type:
    """The changes feed's answer for one record type (component `<Type>Changes`)."""
    if serializer_class not in _changes_serializers:
        name = serializer_class.__name__.removesuffix("Serializer") + "ChangesSerializer"
        entry = feed_entry_serializer_for(serializer_class)
        _changes_serializers[serializer_class] = type(
            name,
            (serializers.Serializer,),
            {
                "__module__": __name__,
                "results": entry(
                    many=True,
                    read_only=True,
                    help_text="Records that changed or came into your view, as they are "
                    "now: upsert them.",
                ),
                "deleted": DeletedSerializer(
                    many=True,
                    read_only=True,
                    help_text="Records deleted while you could see them: delete your copy.",
                ),
                "removed": RemovedSerializer(
                    many=True,
                    read_only=True,
                    help_text="Records that left your view (they still exist): delete your copy.",
                ),
                "next_cursor": serializers.CharField(
                    help_text="Opaque: pass it back as `since` for the next page."
                ),
                "has_more": serializers.BooleanField(
                    help_text="True: ask again at once with next_cursor."
                ),
            },
        )
    return _changes_serializers[serializer_class]


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: "Invalid input: `errors` names the fields.",
    401: "No or bad credentials (`WWW-Authenticate: Token`).",
    403: "Not allowed (or a session request without its CSRF token).",
    404: "No such record among those you can see.",
    409: "The write conflicts with the record's state (a rule such as exit criteria, or "
    "a record saved at the same time), or `possible_duplicate`: an account or contact "
    "like it exists (`duplicates`, `hidden_duplicates`; resend with "
    '`"confirm_duplicate": true` if `confirmable`); on a restore, `not_deleted` (not in '
    "the recycle bin) or `account_deleted` (its account is: restore that first).",
    412: "If-Match named another version than the current one; nothing was changed. "
    "`current_version` and ETag give the current one.",
    410: "`resync_required`: the cursor cannot be served — older than the changes kept "
    "(FEED_RETENTION_DAYS), not issued by this database (another installation, one "
    "restored from a backup, not a cursor), or what you can see changed as a whole since "
    "(you became or stopped being an administrator). Sync again without `since`.",
    415: "The body is not JSON.",
    422: "This Idempotency-Key was used for another request.",
    429: "Too many requests (`throttled`), or on the token endpoint too many failed "
    "sign-ins with this user name or from this address (`locked_out`, saying until when): "
    "wait for Retry-After seconds.",
    503: "`service_unavailable`: the database did not answer (restarting, failing over); "
    "nothing can be said about the request: try again after Retry-After seconds (a write "
    "with an Idempotency-Key is not done twice).",
}

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The version you read, as ETag gave it ("3"). Another version answers 412 '
    "and changes nothing. Without it the write goes through.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER,
    description="A key of your choosing (a UUID) to make retries safe: a retry with the "
    "same key and body answers the first answer again and creates nothing; the same key "
    "with another body answers 422. Kept at least 24 hours, per user.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    required=True,
    description='The record\'s version in quotes ("3"): send it back as If-Match.',
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429, 503],
    required=True,
    description="Seconds to wait before the next request.",
)
SINCE = OpenApiParameter(
    "since",
    {"type": "string", "maxLength": CURSOR_MAX_LENGTH},
    OpenApiParameter.QUERY,
    description="The next_cursor of the previous page; leave out to start from the "
    "beginning. Opaque: do not compute it. One this database cannot serve answers 410 "
    "`resync_required`.",
)
LIMIT = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": CHANGES_MAX_LIMIT},
    OpenApiParameter.QUERY,
    description=f"Changes per page (default {CHANGES_DEFAULT_LIMIT}).",
)
EXTERNAL_ID = OpenApiParameter(
    "external_id",
    {"type": "string", "minLength": 1, "maxLength": EXTERNAL_ID_MAX_LENGTH, "pattern": "^[^/]+$"},
    OpenApiParameter.PATH,
    description="Your system's key of the record.",
)


SUMMARIES = {
    ("retrieve", "GET"): "Read one (ETag: its version)",
    ("create", "POST"): "Create (an Idempotency-Key makes retries safe)",
    ("update", "PUT"): "Replace (If-Match: the version you read)",
    ("partial_update", "PATCH"): "Change some fields (If-Match: the version you read)",
    ("destroy", "DELETE"): "Delete (If-Match: the version you read)",
    ("changes", "GET"): "Changes since a cursor, in commit order (sync)",
    ("history", "GET"): "Change history, newest first (who, when, from where, old → new)",
    ("restore", "POST"): "Restore from the recycle bin, with what was deleted with it",
    ("external", "GET"): "Read by your external id",
    ("external", "PUT"): "Create (201) or replace (200) by your external id",
}


class AutoSchema(openapi.AutoSchema):
    def get_summary(self):
        summary = super().get_summary()
        if summary is None and self._is_sync():
            summary = SUMMARIES.get((self.action, self.method))
        return summary

    @property
    def action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _is_sync(self) -> bool:
        return isinstance(self.view, SyncViewSetMixin)

    def _answers_one_record(self) -> bool:
        if not self._is_sync() or self.method == "DELETE":
            return False
        return self.action in {
            "retrieve",
            "create",
            "update",
            "partial_update",
            "external",
            "restore",
        }

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_sync():
            if self.method in {"PUT", "PATCH", "DELETE"}:
                parameters.append(IF_MATCH)
            if self.action == "changes":
                parameters += [SINCE, LIMIT]
            if self.action == "external":
                parameters.append(EXTERNAL_ID)
        if self.method == "POST" and getattr(self.view, "idempotent_actions", ()):
            if self.action in self.view.idempotent_actions:
                parameters.append(IDEMPOTENCY_KEY)
        if self._answers_one_record():
            parameters.append(ETAG)
        parameters.append(RETRY_AFTER)
        return parameters

    def get_request_serializer(self):
        if self._is_sync() and self.action in {"changes", "restore"}:
            return None
        return super().get_request_serializer()

    def get_response_serializers(self):
        if self._is_sync() and self.action == "changes":
            return changes_serializer_for(self.view.get_serializer_class())
        if self._is_sync() and self.action == "history":
            return HistoryEntrySerializer(many=True)
        if self._is_sync() and self.action == "restore":
            return {
                200: OpenApiResponse(
                    self.view.get_serializer_class(),
                    description="Restored: the record as it is now, with its new version.",
                )
            }
        if self._is_sync() and self.action == "external" and self.method == "PUT":
            serializer = self.view.get_serializer_class()
            return {
                200: OpenApiResponse(serializer, description="Replaced."),
                201: OpenApiResponse(serializer, description="Created."),
            }
        return super().get_response_serializers()

    def _error_codes(self) -> set[int]:
        codes = {429, 503}
        if "{" in self.path:
            codes.add(404)  # an id or external id that is not there (or not yours)
        public = not self.view.get_authenticators() or any(
            perm.__class__.__name__ == "AllowAny" for perm in self.view.get_permissions()
        )
        if not public:
            codes |= {401, 403}
        if self.method in {"POST", "PUT", "PATCH"}:
            codes |= {400, 415}
        if self.method == "GET" and self._is_list_view():
            codes |= {400, 404}  # a filter's bad value; a page past the last
        if self._is_sync():
            if self.action == "changes":
                codes |= {400, 410}
            elif self.action in {"retrieve", "update", "partial_update", "destroy"}:
                codes.add(404)
            elif self.action == "restore":
                codes |= {404, 409}
            elif self.action == "external" and self.method == "GET":
                codes.add(404)
            if self.method in {"PUT", "PATCH", "DELETE"}:
                codes |= {409, 412}
            if self.method == "POST":
                codes.add(409)
        if self.method == "POST" and self.action in getattr(self.view, "idempotent_actions", ()):
            codes |= {409, 422}
        codes |= set(getattr(self.view, "extra_error_codes", {}).get(self.action, ()))
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in sorted(self._error_codes()):
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    _error(ERRORS[code]), str(code), direction=direction
                )
        return responses

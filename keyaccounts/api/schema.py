"""The OpenAPI schema, true to what the API answers.

drf-spectacular documents the success answers from the views and serializers; this
AutoSchema adds what every view of ours does on top: the error answers (all of one
shape, see exceptions.py), the sync headers (ETag, If-Match, Idempotency-Key,
Retry-After) and the changes feed's answer, so that a client generated from the schema,
or Schemathesis checking answers against it, meets no undocumented status or header.
"""

import copy

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_doc, is_list_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from keyaccounts.api.serializers import CharField as StrictCharField
from keyaccounts.feed.reader import CURSOR_MAX_LENGTH
from keyaccounts.history.api import HistoryEntrySerializer
from keyaccounts.recyclebin import restores

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
    name = StrictCharField()
    url = StrictCharField(
        allow_null=True,
        help_text="Its page, as a path; for one in the recycle bin (`match` recycle_bin), "
        "the bin's page listing it; null for `match` recycle_bin_ask (nothing of it to "
        "open for you).",
    )
    match = serializers.ChoiceField(
        choices=["credit_code", "name", "phone", "email", "recycle_bin", "recycle_bin_ask"],
        help_text="What is the same; `recycle_bin`: a record like this one (an account of "
        "this name or credit code, a contact of the account with this name, phone number "
        "or email address) is in the recycle bin, one you may restore (POST "
        "accounts/{id}/restore/ or contacts/{id}/restore/ brings it back with what it "
        "took along and its history); `recycle_bin_ask`: a contact of the account like "
        "this one is in the recycle bin, which only whoever deleted it or a manager may "
        "restore: ask them, or confirm to create a new one.",
    )


class ErrorSerializer(serializers.Serializer):
    detail = StrictCharField(help_text="What went wrong, for a person.")
    code = StrictCharField(
        help_text="What went wrong, for a program: invalid, not_found, version_conflict, "
        "exit_criteria_missing, idempotency_key_reused, throttled, not_authenticated, ..."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=StrictCharField()),
        help_text="Messages per field (dotted for nested ones; non_field_errors for the "
        "rest). Empty when no field is to blame.",
    )
    current_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="412 only: the record's version now (null: no record has the external "
        "ID a PUT with If-Match names).",
    )
    changed_fields = serializers.ListField(
        child=StrictCharField(),
        required=False,
        help_text="412 only, when If-Match named one earlier version the record's history "
        "still holds: the fields someone else changed since it (the record's field "
        "names, sorted). A write that sets none of them can be sent again with the "
        "current ETag without undoing theirs.",
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
    approval_reason = StrictCharField(
        required=False,
        help_text="approval_required only: why the move needs a manager's approval (the "
        "account's money at risk), as `detail` says it.",
    )
    can_approve = serializers.BooleanField(
        required=False,
        help_text="approval_required only: true when you are a manager who may decide "
        "such a request (ask with POST approvals/, then approve it).",
    )
    pending_approval = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="approval_required, approval_pending: the id of the request already "
        "waiting for this move (null: none; ask with POST approvals/).",
    )
    review = serializers.IntegerField(
        required=False,
        help_text="duplicate_period only: the id of the account's review of that period.",
    )
    location = StrictCharField(
        required=False,
        help_text="already_saved only: where the record saved by its form is.",
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
                "next_cursor": StrictCharField(
                    help_text="Opaque: pass it back as `since` for the next page."
                ),
                "has_more": serializers.BooleanField(
                    help_text="True: ask again at once with next_cursor."
                ),
            },
        )
    return _changes_serializers[serializer_class]


# What a restored account or contact adds to the record (`SyncViewSetMixin.restore`).
LIKELY_DUPLICATES = {
    "type": "object",
    "required": ["likely_duplicates", "hidden_likely_duplicates"],
    "properties": {
        "likely_duplicates": {
            "type": "array",
            "description": "Live records this one is likely a duplicate of (the rule a new "
            "one is checked against), those you can see, by name.",
            "items": {
                "type": "object",
                "required": ["id", "name", "url"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "url": {"type": "string", "description": "Its web page."},
                },
            },
        },
        "hidden_likely_duplicates": {
            "type": "integer",
            "minimum": 0,
            "description": "How many more there are that you cannot see (never named).",
        },
    },
}


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
    "the recycle bin), `account_deleted` (its account is: restore that first), "
    "`parent_deleted` (deleted along with another record, a plan or a review: restore "
    "that) or `merged` (merged into another record).",
    412: "If-Match named another version than the current one; nothing was changed. "
    "`current_version` and ETag give the current one; `changed_fields`, what was changed "
    "since the version named.",
    410: "`resync_required`: the cursor cannot be served — older than the changes kept "
    "(FEED_RETENTION_DAYS), not issued by this database (another installation, one "
    "restored from a backup, not a cursor), or what you can see changed as a whole since "
    "(you became or stopped being an administrator). Sync again without `since`.",
    406: "`not_acceptable`: the Accept header asks for no type this API answers "
    "(application/json).",
    413: "The body is larger than the server takes: send less in one request.",
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


OUTBOX_USER = OpenApiParameter(
    "X-Outbox-User",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The id of the user who typed this on a phone with no signal (the app's "
    "outbox, signed in by its session). Another user signed in answers 403 and nothing is "
    "written. With a token it is ignored: leave it out.",
)


def _header(schema: dict, description: str, *, required: bool = True) -> dict:
    return {"schema": schema, "description": description, "required": required}


ETAG_HEADER = _header(
    {"type": "string"},
    'The record\'s version in quotes ("3"): send it back as If-Match.',
)
# For an action that answers one record outside the standard ones (`@extend_schema(
# parameters=[ETAG])`).
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    required=True,
    description=ETAG_HEADER["description"],
)
ETAG_412 = _header(
    {"type": "string"},
    'The record\'s current version in quotes ("4"), as `current_version` says: read it '
    "again, merge, and send this as If-Match.",
)
# A PUT by external ID: no ETag when no record has the ID (`current_version` null).
ETAG_412_EXTERNAL = _header(
    {"type": "string"},
    'The record\'s current version in quotes ("4"), as `current_version` says; absent when '
    "no record has the external ID (send the PUT without If-Match to create it).",
    required=False,
)
RETRY_AFTER = _header({"type": "integer"}, "Seconds to wait before the next request.")
LOCATION = _header(
    {"type": "string", "format": "uri-reference"},
    "The created record's address (`/api/v1/<type>/<id>/`).",
)
IDEMPOTENT_REPLAYED = _header(
    {"type": "string", "enum": ["true"]},
    "Sent when this is the stored first answer to a request with the same "
    "Idempotency-Key, replayed: nothing was written this time.",
    required=False,
)
RATE_LIMIT = {
    "RateLimit-Limit": "Requests allowed per window (API_THROTTLE_RATE; per address "
    "without a user: API_ANON_THROTTLE_RATE).",
    "RateLimit-Remaining": "Requests left in the window now (0 on a 429).",
    "RateLimit-Reset": "Seconds until the oldest request counted leaves the window, so "
    "that one more is allowed (on a 429: Retry-After).",
}
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


# Any other view's standard operations.
PLAIN_SUMMARIES = {
    ("list", "GET"): "List the ones you can see",
    ("retrieve", "GET"): "Read one",
    ("create", "POST"): "Create",
    ("update", "PUT"): "Replace",
    ("partial_update", "PATCH"): "Change some fields",
    ("destroy", "DELETE"): "Delete",
}

# What each standard operation does. The resource itself is described once, in the
# schema's `tags` list (its viewset's docstring), not on every operation.
SYNC_DESCRIPTIONS = {
    ("list", "GET"): "A page of the records you can see, filtered and ordered by the query "
    "parameters (`page`, `page_size` 1 to 200). To keep a copy in sync, follow `changes/` "
    "instead: timestamps are not unique and do not follow commit order.",
    ("create", "POST"): "Creates the record and answers it (201) with its version in `ETag` "
    "and its address in `Location`. With an `Idempotency-Key`, a retry of the same request "
    "answers the first answer again (`Idempotent-Replayed: true`) and creates nothing; the "
    "same key with another body answers 422.",
    ("retrieve", "GET"): "One record you can see, with its version in `ETag`; any other id "
    "answers 404.",
    ("update", "PUT"): "Replaces the writable fields with the body's. With `If-Match`, a "
    "record changed since the version named answers 412 with the current version (`ETag`, "
    "`current_version`) and is left as it is. Writing the values already stored changes "
    "nothing (the same version).",
    ("partial_update", "PATCH"): "Changes the fields the body names and leaves the others. "
    "With `If-Match`, a record changed since the version named answers 412 with the "
    "current version (`ETag`, `current_version`) and is left as it is.",
    ("external", "GET"): "The record your system knows by `external_id`, with its version "
    "in `ETag`; 404 when you have none by that key.",
    ("external", "PUT"): "Creates the record under your `external_id` (201, with `Location`) "
    "or replaces the one you have (200). Fields left out keep their values (new records: "
    "their defaults); a body naming another `external_id` answers 400. `If-Match` applies "
    "to the replace; with `If-Match` and no such record the answer is 412.",
    ("destroy", "DELETE"): "Moves the record to the recycle bin (204): `{id}/restore/` "
    "brings it back, and the changes feed lists it in `deleted`. With `If-Match`, a "
    "record changed since the version named answers 412 and stays.",
}
PLAIN_DESCRIPTIONS = {
    ("list", "GET"): "The ones you can see.",
    ("retrieve", "GET"): "One by its id; an id you cannot see answers 404.",
    ("create", "POST"): "Creates one from the body and answers it; a 201 says its "
    "address in `Location`.",
    ("update", "PUT"): "Replaces the writable fields with the body's.",
    ("partial_update", "PATCH"): "Changes the fields the body names and leaves the others.",
    ("destroy", "DELETE"): "Deletes it (204).",
}


def describe_tags(result, generator, request, public):
    """Postprocessing hook: the schema's `tags` list, one per resource, described by its
    viewset's docstring (noted by AutoSchema.get_operation)."""
    described = getattr(generator.registry, "keyaccounts_tags", {})
    result["tags"] = [{"name": name, "description": described[name]} for name in sorted(described)]
    return result


def blank_or_format(result, generator, request, public):
    """Postprocessing hook: a text field that may be blank and has a format (a website's
    URL, an email address) is described by drf-spectacular as `oneOf` the formatted text
    and an empty one; a validator that does not check formats (JSON Schema's default)
    finds "" valid under both, so `oneOf` fails on the value most records hold. `anyOf`
    says the same and holds for every validator."""

    def walk(node):
        if isinstance(node, dict):
            alternatives = node.get("oneOf")
            if (
                isinstance(alternatives, list)
                and len(alternatives) == 2
                and any(a.get("maxLength") == 0 and "format" not in a for a in alternatives)
                and any("format" in a for a in alternatives)
            ):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result.get("components", {}))
    return result


def upserts_take_what_changes(result, generator, request, public):
    """Postprocessing hook: a bulk item and a `PUT …/external/{external_id}/` create the
    record or replace it in the fields sent (docs/api.md: fields left out keep their
    values). drf-spectacular marks the create's required fields required in both, so a
    client generated from the schema could not send a partial replace the server takes:
    only the item's `external_id` stays required, and each says what a new record
    needs."""
    schemas = result.get("components", {}).get("schemas", {})

    def needs(required) -> str:
        fields = ", ".join(f"`{name}`" for name in required if name != "external_id")
        return (
            f"A new record needs {fields}; a stored one keeps the fields left out."
            if fields
            else "Fields left out of a stored record keep their values."
        )

    for name, component in schemas.items():
        if name.endswith("BulkItemRequest") and component.get("required"):
            note = needs(component["required"])
            component["required"] = ["external_id"]
            component["description"] = f"{component.get('description', '')} {note}".strip()
    for path, operations in result.get("paths", {}).items():
        body = operations.get("put", {}).get("requestBody") if "/external/" in path else None
        if not body:
            continue
        for media in body.get("content", {}).values():
            ref = media.get("schema", {}).get("$ref", "")
            name = ref.rsplit("/", 1)[-1]
            if f"Patched{name}" in schemas:
                media["schema"] = {"$ref": ref.replace(name, f"Patched{name}")}
                body["description"] = needs(schemas.get(name, {}).get("required", []))
    return result


HTTP_METHODS = ("get", "put", "patch", "post", "delete")
# What a link fills from the record a create answered with, by path parameter.
LINKED_PARAMETERS = ("id", "external_id")


def add_links(result, generator, request, public):
    """Postprocessing hook: OpenAPI links from each create's 201 (a job's 202) to the
    operations on the record it made — read, change, delete, its history, restore and
    actions by `{id}`, and by `external/{external_id}` — filled from the answer's body
    (and `If-Match` from its `ETag`). A client generated from the schema, and
    Schemathesis' stateful phase, then know how one call leads to the next instead of
    guessing ids."""
    paths = result.get("paths", {})
    schemas = result.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        create = item.get("post")
        responses = (create or {}).get("responses", {})
        answer = responses.get("201") or responses.get("202")
        if "{" in path or not answer:
            continue
        given = _properties(answer, schemas)
        links = {}
        for other, other_item in sorted(paths.items()):
            parameter = _linked_parameter(path, other)
            if parameter is None or parameter not in given:
                continue
            for method in HTTP_METHODS:
                operation = other_item.get(method)
                if operation is None:
                    continue
                values = {parameter: f"$response.body#/{parameter}"}
                if any(
                    p.get("in") == "header" and p.get("name") == "If-Match"
                    for p in operation.get("parameters", [])
                ):
                    values["header.If-Match"] = "$response.header.ETag"
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": values,
                }
        if links:
            answer["links"] = links
    return result


def _linked_parameter(collection: str, path: str) -> str | None:
    """`id` or `external_id` when `path` is an operation on one record of `collection`
    named by that parameter alone (`<collection>{id}/...`, `<collection>external/
    {external_id}/`); None otherwise (another resource, or a second parameter to fill)."""
    for parameter in LINKED_PARAMETERS:
        prefix = collection + ("external/" if parameter == "external_id" else "")
        if path.startswith(f"{prefix}{{{parameter}}}/") and path.count("{") == 1:
            return parameter
    return None


def _properties(response: dict, schemas: dict) -> set[str]:
    """The top-level properties of a response's JSON body ($ref resolved)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
    return set(schema.get("properties", {}))


class AutoSchema(openapi.AutoSchema):
    def get_summary(self):
        summary = super().get_summary()
        if summary is None:
            table = SUMMARIES if self._is_sync() else PLAIN_SUMMARIES
            summary = table.get((self.action, self.method))
        return summary

    def _standard_description(self) -> str:
        table = SYNC_DESCRIPTIONS if self._is_sync() else PLAIN_DESCRIPTIONS
        return table.get((self.action, self.method), "")

    def get_description(self):
        """Reached only where no @extend_schema gives one: the standard operation's text,
        else the action's own docstring, never the viewset's (that describes the tag)."""
        standard = self._standard_description()
        if standard:
            return standard
        handler = getattr(self.view, self.action or self.method.lower(), None)
        return get_doc(handler) if handler is not None else ""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        # An @extend_schema description adds to the standard text, not replaces it.
        standard = self._standard_description()
        given = operation.get("description", "")
        if standard and standard not in given:
            operation["description"] = f"{standard}\n\n{given}"
        if not operation.get("description"):
            operation["description"] = operation.get("summary", "")
        tags = registry.__dict__.setdefault("keyaccounts_tags", {})
        for tag in operation.get("tags", ()):
            tags.setdefault(tag, get_doc(self.view.__class__))
        return operation

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
        if self._idempotent():
            parameters.append(IDEMPOTENCY_KEY)
        if self.method == "POST" and self.action in getattr(self.view, "outbox_actions", ()):
            parameters.append(OUTBOX_USER)
        return parameters

    def _idempotent(self) -> bool:
        """A POST that takes an Idempotency-Key: the view's `idempotent_actions`, and
        every record type's restore (keyaccounts.api.sync)."""
        if self.method != "POST":
            return False
        restore = self._is_sync() and self.action == "restore"
        return restore or self.action in getattr(self.view, "idempotent_actions", ())

    def _get_response_headers_for_code(self, status_code, direction="response"):
        """The headers each answer sends (keyaccounts/api/sync.py, throttling.py)."""
        headers = dict(super()._get_response_headers_for_code(status_code, direction))
        code = int(status_code)
        if code in (200, 201) and self._answers_one_record():
            headers["ETag"] = ETAG_HEADER
        if code == 412:
            headers["ETag"] = ETAG_412_EXTERNAL if self.action == "external" else ETAG_412
        if code == 201:
            headers["Location"] = LOCATION
        if 200 <= code < 300 and self._idempotent():
            headers["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED
        if code in (429, 503):
            headers["Retry-After"] = RETRY_AFTER
        for name, description in RATE_LIMIT.items():
            # A 503 may come before anyone could be told their count (the database is
            # down while signing in): declared, not promised.
            headers[name] = _header(
                {"type": "integer", "minimum": 0}, description, required=code != 503
            )
        return headers

    def _unwrap_list_serializer(self, serializer, direction):
        """A list's bounds as the API enforces them: a ListSerializer's `max_length` /
        `min_length` (a bulk body's, keyaccounts/api/bulk.py) as `maxItems` / `minItems`,
        which drf-spectacular leaves out."""
        schema = super()._unwrap_list_serializer(serializer, direction)
        if schema and is_list_serializer(serializer):
            if serializer.max_length is not None:
                schema["maxItems"] = serializer.max_length
            if serializer.min_length is not None:
                schema["minItems"] = serializer.min_length
        return schema

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
            return {200: self._restored()}
        if self._is_sync() and self.action == "external" and self.method == "PUT":
            serializer = self.view.get_serializer_class()
            return {
                200: OpenApiResponse(serializer, description="Replaced."),
                201: OpenApiResponse(serializer, description="Created."),
            }
        return super().get_response_serializers()

    def _restored(self) -> OpenApiResponse:
        """The restore's answer: the record; an account's or a contact's with the live
        records it is likely a duplicate of (`keyaccounts.recyclebin.restores.twins`)."""
        serializer = self.view.get_serializer_class()
        description = "Restored: the record as it is now, with its new version."
        if not restores.has_twins(serializer.Meta.model._meta.label_lower):
            return OpenApiResponse(serializer, description=description)
        record = self.resolve_serializer(serializer, "response").ref
        return OpenApiResponse(
            {"allOf": [record, LIKELY_DUPLICATES]},
            description=description + " A restore is not refused beside a likely "
            "duplicate entered meanwhile: merge them.",
        )

    def _error_codes(self) -> set[int]:
        # 400 anywhere: a query string that is no UTF-8 text or holds a control character
        # is refused before any view (keyaccounts/querystring.py), whatever the operation.
        codes = {400, 406, 429, 503}
        if "{" in self.path:
            codes.add(404)  # an id or external id that is not there (or not yours)
        public = not self.view.get_authenticators() or any(
            perm.__class__.__name__ == "AllowAny" for perm in self.view.get_permissions()
        )
        if not public:
            codes |= {401, 403}
        if self.method in {"POST", "PUT", "PATCH"}:
            codes |= {400, 413, 415}
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
        if self._idempotent():
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
        for code, response in responses.items():
            # drf-spectacular writes a DELETE's 204 without asking for its headers.
            if "headers" not in response:
                response["headers"] = self._get_response_headers_for_code(code, direction)
        return responses

"""/api/v1/jobs/: asynchronous bulk upserts of one record type from JSON lines.

POST a JSON-lines body (`Content-Type: application/x-ndjson` or `application/jsonl`) or
a multipart form with the file in `file`, naming the record type in `?type=` (or the
form's `type`): 202 with the job and its `Location`. The job runs on Celery (the `jobs`
queue; inline, before the answer, without Redis), a chunk of items at a time, each item
through the type's bulk upsert (`POST /api/v1/<type>/bulk/` without `atomic`).
"""

import hashlib

from django.conf import settings
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from keyaccounts.api.bulk import parse_atomic
from keyaccounts.api.bulkitems import STATUSES
from keyaccounts.api.parsers import RequestTooLarge
from keyaccounts.api.renderers import JSONRenderer
from keyaccounts.api.serializers import CharField as StrictCharField
from keyaccounts.api.sync import idempotent
from keyaccounts.tasks import enqueue_on_commit

from ..models import IntegrationToken
from . import services
from .models import BulkJob, JobStatus
from .reading import NotJsonLines
from .selectors import jobs_of, results_of
from .writing import basename_of, bulk_types

MEDIA_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


def max_bytes() -> int:
    return settings.BULK_JOB_MAX_BYTES


def _too_large() -> RequestTooLarge:
    return RequestTooLarge(
        _("The job's input is larger than %(limit)d bytes; split it into several jobs.")
        % {"limit": max_bytes()}
    )


class JobFinished(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "finished"


class JSONLinesParser(parsers.BaseParser):
    """The body as bytes, read up to BULK_JOB_MAX_BYTES (beyond: 413, not read on)."""

    media_type = "application/x-ndjson"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_bytes()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise _too_large()
        return raw


class JSONLParser(JSONLinesParser):
    media_type = "application/jsonl"


class JSONLinesAltParser(JSONLinesParser):
    media_type = "application/json-lines"


class OctetStreamParser(JSONLinesParser):
    """The same body as `application/octet-stream` (what generated clients send as a
    file): the schema declares this one, as client generators know no JSON lines."""

    media_type = "application/octet-stream"


class NDJSONRenderer(JSONRenderer):
    """Lets `Accept: application/x-ndjson` through content negotiation (the results
    are streamed as they are; an error answer is JSON, as everywhere)."""

    media_type = "application/x-ndjson"


class PlainTextRenderer(JSONRenderer):
    media_type = "text/plain"


class BulkJobSerializer(serializers.ModelSerializer):
    type = StrictCharField(
        source="record_type", help_text="The records it writes: accounts, contacts, …"
    )
    progress = serializers.FloatField(help_text="The share of items done, 0.0 to 1.0.")
    url = serializers.SerializerMethodField(help_text="This job's address.")
    results_url = serializers.SerializerMethodField(
        help_text="Its per-item results so far, as JSON lines."
    )

    class Meta:
        model = BulkJob
        fields = [
            "id",
            "url",
            "type",
            "status",
            "total",
            "processed",
            "progress",
            "created",
            "updated",
            "unchanged",
            "failed",
            "input_size",
            "created_at",
            "started_at",
            "finished_at",
            "message",
            "results_url",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "queued, running, done, failed (see message) or cancelled."},
            "total": {"help_text": "Items in the input (non-blank lines)."},
            "processed": {"help_text": "Items done so far."},
            "failed": {"help_text": "Items with status error so far."},
        }

    def get_url(self, job) -> str:
        return reverse("api:bulk-job-detail", args=[job.pk])

    def get_results_url(self, job) -> str:
        return reverse("api:bulk-job-results", args=[job.pk])


class BulkJobResultSerializer(serializers.Serializer):
    """One line of a job's results."""

    line = serializers.IntegerField(help_text="The item's line in the input, from 1.")
    external_id = StrictCharField(allow_null=True)
    status = serializers.ChoiceField(choices=[s for s in STATUSES if s != "rolled_back"])
    id = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(
        child=serializers.ListField(child=StrictCharField()),
        required=False,
        help_text="error only: messages per field.",
    )
    code = StrictCharField(
        required=False,
        help_text="error only: as in a bulk upsert's results, or invalid_json (the line is "
        "no JSON object).",
    )


TYPE = OpenApiParameter(
    "type",
    {
        "type": "string",
        "enum": [
            "accounts",
            "contacts",
            "visits",
            "development-records",
            "opportunities",
            "complaints",
            "receivables",
        ],
    },
    OpenApiParameter.QUERY,
    description="The record type the lines are (may be the form's `type` field instead).",
)
ONLY = OpenApiParameter(
    "status",
    {"type": "string", "enum": ["error"]},
    OpenApiParameter.QUERY,
    description="error: only the items that failed.",
)
UPLOAD = inline_serializer(
    "BulkJobUpload",
    {
        "file": serializers.FileField(help_text="The JSON-lines file."),
        "type": StrictCharField(required=False, help_text="The record type."),
    },
)


@extend_schema_view(
    list=extend_schema(summary="Your bulk jobs, newest first"),
    retrieve=extend_schema(summary="A bulk job: status, progress and counts"),
)
@extend_schema(tags=["jobs"])
class BulkJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Asynchronous bulk jobs: hundreds of thousands of records upserted by external_id
    from JSON lines, one record per line, with progress and per-item results
    (docs/api.md, "Bulk jobs")."""

    serializer_class = BulkJobSerializer
    filter_backends = []
    lookup_value_regex = r"[0-9]{1,18}"
    idempotent_actions = {"create"}
    extra_error_codes = {"create": {413}, "cancel": {409}}
    parser_classes = [
        JSONLinesParser,
        JSONLParser,
        JSONLinesAltParser,
        OctetStreamParser,
        parsers.MultiPartParser,
    ]

    def get_queryset(self):
        jobs = jobs_of(self.request.user)
        token = self.request.auth
        if isinstance(token, IntegrationToken):
            # A token sees the jobs of its record types.
            prefixes = [p for p in bulk_types() if basename_of(p) in token.record_types]
            jobs = jobs.filter(record_type__in=prefixes)
        return jobs

    def integration_token_types(self, request) -> list[str]:
        """For an integration token: the record type a new job writes, or the job's
        (IntegrationTokenScope)."""
        if self.action == "create":
            name = basename_of(self._type_named(request) or "")
            return [name] if name else []
        if self.action == "list":
            return []
        pk = self.kwargs.get("pk")
        job = jobs_of(request.user).filter(pk=pk).first() if pk else None
        name = basename_of(job.record_type) if job is not None else None
        return [name] if name else []

    def _type_named(self, request) -> str | None:
        named = request.query_params.get("type")
        if named is None and request.content_type.startswith("multipart/"):
            named = request.data.get("type")
        return named

    @extend_schema(
        summary="Start a bulk job from JSON lines",
        description="One JSON object per line, each as an item of `POST /api/v1/<type>/bulk/` "
        "(external_id required; `version` optional). The body is `application/x-ndjson` (or "
        "`application/jsonl`, or `application/octet-stream`), or a multipart form with the "
        "file in `file`; at most "
        "BULK_JOB_MAX_BYTES (200 MB: 413 beyond). A line that is no JSON object fails alone "
        "(`invalid_json`, with its line); a body that is no JSON lines at all answers 400. "
        "Not atomic: each item is written or fails on its own (`atomic=true` answers 400). "
        "Answers 202 with the job and its address in `Location`; follow its progress there.",
        parameters=[
            TYPE,
            OpenApiParameter(
                "Location",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The job's address: follow its progress there.",
                response=[202],
            ),
        ],
        # application/x-ndjson and application/jsonl are taken too; the schema names
        # the content types client generators know (openapi-python-client warns on others).
        request={
            "application/octet-stream": OpenApiTypes.BINARY,
            "multipart/form-data": UPLOAD,
        },
        responses={202: OpenApiResponse(BulkJobSerializer, description="Queued.")},
    )
    def create(self, request, *args, **kwargs):
        if parse_atomic(request.query_params.get("atomic")):
            raise ValidationError(
                {
                    "atomic": [
                        _(
                            "A job is not atomic: each item is written or fails on its own. For "
                            "all or nothing, send up to 1,000 items to <type>/bulk/?atomic=true."
                        )
                    ]
                }
            )
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > max_bytes() + 65536:
            raise _too_large()  # before anything is read (multipart's parts and headers aside)
        record_type = self._type_named(request)
        if record_type not in bulk_types():
            raise ValidationError(
                {
                    "type": [
                        _("Give the record type of the lines: one of %(types)s.")
                        % {"types": ", ".join(bulk_types())}
                    ]
                }
            )
        body = self._body(request)
        digest = hashlib.sha256(body).hexdigest()
        fingerprint = hashlib.sha256(
            f"POST {request.get_full_path()}\n{record_type}\n{digest}".encode()
        ).hexdigest()

        def produce():
            try:
                job = services.bulk_job_create(
                    owner=request.user, record_type=record_type, body=body
                )
            except NotJsonLines as error:
                raise ValidationError({"body": [str(error)]}) from None
            from ..tasks import job_run

            enqueue_on_commit(job_run, job.pk)
            return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

        response = idempotent(request, produce, fingerprint=fingerprint)
        if isinstance(response.data, dict) and isinstance(response.data.get("id"), int):
            response["Location"] = reverse("api:bulk-job-detail", args=[response.data["id"]])
        return response

    def _body(self, request) -> bytes:
        data = request.data
        if isinstance(data, bytes):
            return data
        upload = (
            request.FILES.get("file") if request.content_type.startswith("multipart/") else None
        )
        if upload is None:
            raise ValidationError(
                {
                    "body": [
                        _(
                            "Send JSON lines as the body (Content-Type application/x-ndjson) "
                            "or as the file `file` of a multipart form."
                        )
                    ]
                }
            )
        if upload.size > max_bytes():
            raise _too_large()
        return b"".join(upload.chunks())

    @extend_schema(
        summary="A bulk job's per-item results, as JSON lines",
        description="One JSON object per item, in input order, for the items done so far: "
        "`line`, `external_id`, `status` (created, updated, unchanged, error), `id`, "
        "`version`; an error adds `errors` and `code`. Streamed as text/plain, or as "
        "application/x-ndjson when Accept names it.",
        parameters=[ONLY],
        # Served as text/plain (what client generators read as text); a client that
        # asks for application/x-ndjson in Accept gets the same lines labelled so.
        responses={
            (200, "text/plain"): OpenApiResponse(
                BulkJobResultSerializer, description="JSON lines: one object per item."
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        renderer_classes=[JSONRenderer, PlainTextRenderer, NDJSONRenderer],
    )
    def results(self, request, pk=None):
        job = self.get_object()
        only = request.query_params.get("status")
        if only not in (None, "error"):
            raise ValidationError({"status": [_("Give error, or leave it out for every item.")]})
        wants_ndjson = "application/x-ndjson" in request.headers.get("Accept", "")
        media_type = "application/x-ndjson" if wants_ndjson else "text/plain"
        return StreamingHttpResponse(
            results_of(job, errors_only=only == "error"),
            content_type=f"{media_type}; charset=utf-8",
        )

    @extend_schema(
        summary="Cancel a bulk job",
        description="Stops a queued or running job before its next chunk; what was written "
        "stays. 409 `finished` if it had finished.",
        request=None,
        responses={200: BulkJobSerializer},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def cancel(self, request, pk=None):
        job = self.get_object()
        if not services.bulk_job_cancel(job=job):
            raise JobFinished(
                _("This job has finished (%(status)s): there is nothing to cancel.")
                % {"status": JobStatus(job.status).label}
            )
        return Response(self.get_serializer(job).data)

"""The one exception handler: every error of the API is JSON of one shape.

    {"detail": "what went wrong", "code": "machine_readable", "errors": {"field": ["..."]}}

`errors` holds field-level messages (`non_field_errors` for the rest) and is empty when
no field is to blame. An ApplicationError's `extra` is merged in (a 412 names the
`current_version`, a refused stage move the `missing_criteria`), but its `field`, which
names the field the message goes on in `errors`.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.health import DATABASE_RETRY_AFTER_SECONDS, is_database_unavailable

from .throttling import note_rate_limit_without_counting

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY

# How an ApplicationError's code answers; any other code is a plain 400.
STATUS_OF_CODE = {
    "version_conflict": status.HTTP_412_PRECONDITION_FAILED,
    "exit_criteria_missing": status.HTTP_409_CONFLICT,
    "approval_required": status.HTTP_409_CONFLICT,
    "approval_pending": status.HTTP_409_CONFLICT,
    "approval_decided": status.HTTP_409_CONFLICT,
    "protected": status.HTTP_409_CONFLICT,
    "idempotency_key_reused": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "idempotency_key_in_use": status.HTTP_409_CONFLICT,
    "already_saved": status.HTTP_409_CONFLICT,  # a form's token, saved by the form (sync)
    "permission_denied": status.HTTP_403_FORBIDDEN,
    "not_found": status.HTTP_404_NOT_FOUND,
    "account_deleted": status.HTTP_409_CONFLICT,
    "parent_deleted": status.HTTP_409_CONFLICT,  # deleted along with another record
    "not_deleted": status.HTTP_409_CONFLICT,
    "possible_duplicate": status.HTTP_409_CONFLICT,
    "merged": status.HTTP_409_CONFLICT,
    "resync_required": status.HTTP_410_GONE,
    "disabled": status.HTTP_409_CONFLICT,
    "duplicate_period": status.HTTP_409_CONFLICT,  # a second review in a period (reviews)
    "not_held": status.HTTP_409_CONFLICT,  # a follow-up of a review not held (reviews)
}
# Business rules that are about one field: the message is put on that field too.
FIELD_OF_CODE = {
    "resync_required": "since",
    "owner_not_allowed": "owner",
    "parent_not_allowed": "parent",  # group customers: a cycle, a hidden or binned parent
    "exit_criteria_missing": "stage",
    "approval_required": "stage",
}


def error_body(detail, code: str, errors: dict | None = None, **extra) -> dict:
    return {"detail": str(detail), "code": code, "errors": errors or {}, **extra}


def field_errors(detail) -> dict[str, list[str]]:
    """DRF's or Django's error detail as {field: [messages]}; nested fields are dotted
    (`contacts.2`, `items.0.name`), errors not about a field go to non_field_errors."""
    result: dict[str, list[str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                key = NON_FIELD if key in (NON_FIELD, "__all__") else str(key)
                walk(inner, key if not path or key == NON_FIELD else f"{path}.{key}")
        elif isinstance(value, list | tuple):
            for index, inner in enumerate(value):
                if isinstance(inner, dict | list | tuple):
                    walk(inner, f"{path}.{index}" if path else str(index))
                else:
                    walk(inner, path)
        else:
            result.setdefault(path or NON_FIELD, []).append(str(value))

    walk(detail, "")
    return result


def _said_as_the_api_says_it(error: DjangoValidationError) -> list[str]:
    """A model's "already exists" (a value a live record or one in the recycle bin holds)
    in the words of the API's own check of it (DRF's unique validator: the names as they
    are, not capitalised), so that a client cannot tell the two holders apart."""
    params = getattr(error, "params", None) or {}
    check = params.get("unique_check") or ()
    if getattr(error, "code", None) == "unique" and "model_class" in params and len(check) == 1:
        opts = params["model_class"]._meta
        field = opts.get_field(check[0])
        return [
            str(field.error_messages["unique"])
            % {"model_name": opts.verbose_name, "field_label": field.verbose_name}
        ]
    return [str(message) for message in error]


def django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return field_errors(
            {
                field: [m for e in errs for m in _said_as_the_api_says_it(e)]
                for field, errs in exc.error_dict.items()
            }
        )
    return {NON_FIELD: [str(message) for message in exc.messages]}


def application_error_response(exc: ApplicationError) -> Response:
    code = exc.code
    # The field a rule is about: the code's (FIELD_OF_CODE), or the one the error names
    # (`extra={"field": "note"}`), said in `errors` as a field's own check would.
    extra = dict(exc.extra)
    field = extra.pop("field", None) or FIELD_OF_CODE.get(code)
    errors = {field: [exc.message]} if field else {}
    headers = {}
    if isinstance(exc, VersionConflict) and exc.current_version is not None:
        headers["ETag"] = f'"{exc.current_version}"'
    return Response(
        error_body(exc.message, code, errors, **extra),
        status=STATUS_OF_CODE.get(code, status.HTTP_400_BAD_REQUEST),
        headers=headers,
    )


def exception_handler(exc, context):
    # An answer given before the throttles ran (401, 403) still says where the client's
    # count stands (RateLimit-* headers, keyaccounts/api/throttling.py).
    note_rate_limit_without_counting(context.get("request"), context.get("view"))
    if isinstance(exc, ApplicationError):
        return application_error_response(exc)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body past DATA_UPLOAD_MAX_MEMORY_SIZE (its own 400 page
        # otherwise); the API says 413 in its format, as keyaccounts.api.parsers does.
        return Response(
            error_body(
                _("The body is larger than %(limit)s bytes; send less in one request.")
                % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
                "request_too_large",
            ),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        return Response(
            error_body(_("Invalid input."), "invalid", django_validation_errors(exc)),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if is_database_unavailable(exc):
        # The database did not answer (restarting, failing over): try again; a write sent
        # with an Idempotency-Key is not done twice when it is retried.
        return Response(
            error_body(
                _("The service is unavailable for a moment. Try again in a few seconds."),
                "service_unavailable",
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, IntegrityError):
        # Two writers raced past validation (say, to the same external_id): the database
        # refused the second. Nothing was written; a retry gets the ordinary answer.
        return Response(
            error_body(_("This conflicts with a record saved at the same time."), "conflict"),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(_("Invalid input."), "invalid", field_errors(exc.detail))
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = error_body(detail or exc, code)
    return response

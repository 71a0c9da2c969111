"""The grade (A–D, A best) as the API shows it: one inline schema for every grade field
(a choice field would name an enum component after each field that uses the choices).

An account's grade is the core of key-account management, so its field stands here, with
the account, and every record's serializer shows it without importing the scoring that
computes it (`scoring.api` uses the same fields for the grade's own answer)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.policy.models import GRADES as _GRADES

GRADES = list(_GRADES)  # best first


@extend_schema_field({"type": "string", "enum": GRADES})
class GradeField(serializers.CharField):
    """A grade, A to D (A best). Read-only."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "enum": [*GRADES, None], "nullable": True})
class GradeOrNullField(GradeField):
    """A grade, or null for none: an account not graded yet, or not graded before (the
    database keeps "" for that)."""

    def __init__(self, **kwargs):
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None

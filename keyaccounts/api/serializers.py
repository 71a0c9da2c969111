"""What every record type's serializer shares: the sync fields, safe ids and dates, and
foreign keys scoped to what the user may see."""

import datetime

from django.db import models
from rest_framework import serializers

from accounts.models import User

from .filters import MAX_ID

SYNC_FIELDS = ["id", "external_id", "version", "created_at", "updated_at"]


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id: a whole number (or its digits as a string). Anything else is the wrong
    type, and a number past 64 bits is an id that does not exist, never a database
    overflow."""

    def to_internal_value(self, data):
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        elif isinstance(data, str) and data.isascii() and data.isdigit() and len(data) <= 19:
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class VisiblePrimaryKeyRelatedField(PrimaryKeyRelatedField):
    """A foreign key given by id, looked up only among the rows `scope(user)` returns.

    An id outside it, whether it exists or not, answers the same 400 field message, so
    input never reveals what the user cannot see."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.scope(getattr(request, "user", None))


class DateTimeField(serializers.DateTimeField):
    """A date-time the database can store: a time zone offset at the very ends of the
    calendar would overflow when converted to UTC."""

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        try:
            result.astimezone(datetime.UTC)
        except OverflowError:
            self.fail("overflow")
        return result


def active_users(user):
    return User.objects.filter(is_active=True)


class VersionedModelSerializer(serializers.ModelSerializer):
    """id, external_id, version, created_at, updated_at; writes go through services.

    Subclasses implement create() and update() by calling the record type's services
    with `by=self.by`; update() receives `expected_version` (from If-Match) in
    validated_data."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }
    serializer_related_field = PrimaryKeyRelatedField

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text="Grows by one on every change; ETag and If-Match carry it."
    )

    @property
    def by(self) -> User:
        return self.context["request"].user

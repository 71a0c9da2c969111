"""The API writes every record exactly as DRF's own serializer would: the record
types' serializers read a field that is the record's own column straight from it
(`VersionedModelSerializer.to_representation`, `_read_plan`), a deal's parts from their
rows by a plan made once (`PlainRows`), the ids of a visit's people for a whole list
at once (`ListedIds`), a date-time with one time zone lookup
(`DateTimeField`) and a decimal with its exponent and context made once per field
(`_decimal_writer`). Compared with DRF's own `to_representation` over a
demo company's records of every type, as lists, changes pages and single records, in
two time zones and both languages; and a changes page says which fields changed in
the model's order, from any process."""

import decimal
import io

import pytest
from django.core.management import call_command
from rest_framework import serializers

from accounts.tests.factories import UserFactory
from keyaccounts.api.serializers import ListedIds, PlainRows, VersionedModelSerializer, _writer
from keyaccounts.api.urls import registry
from keyaccounts.history.timeline import m2m_fields_of
from visits.models import Visit
from visits.reviews.models import ReviewMeeting

pytestmark = pytest.mark.django_db

SMALL = {"accounts": 12, "contacts": 40, "visits": 40, "opportunities": 16, "reps": 3, "teams": 1}


def answers(client, prefixes) -> dict:
    """Every list (one page of 200), changes page (200) and first record of each type, as
    the client reads them, without what changes from one read to the next (cursors)."""
    found = {}
    for prefix in prefixes:
        for language in ("en", "zh-hans"):
            listed = client.get(
                f"/api/v1/{prefix}/", {"page_size": 200}, HTTP_ACCEPT_LANGUAGE=language
            )
            assert listed.status_code == 200, (prefix, listed.content)
            body = listed.json()
            rows = body["results"] if isinstance(body, dict) and "results" in body else body
            found[prefix, language, "list"] = rows
            if rows and isinstance(rows[0], dict) and "id" in rows[0]:
                one = client.get(
                    f"/api/v1/{prefix}/{rows[0]['id']}/", HTTP_ACCEPT_LANGUAGE=language
                )
                found[prefix, language, "one"] = (one.status_code, one.json())
            changes = client.get(f"/api/v1/{prefix}/changes/", {"limit": 200})
            if changes.status_code == 200:
                page = changes.json()
                page.pop("next_cursor")
                found[prefix, language, "changes"] = page
    return found


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_every_record_type_is_written_as_drfs_own_serializer_writes_it(
    api, settings, monkeypatch, zone
):
    settings.TIME_ZONE = zone
    call_command("seed_demo", stdout=io.StringIO(), **SMALL)
    client = api(UserFactory(username="root", is_superuser=True, is_staff=True))
    prefixes = [prefix for prefix, _viewset, _basename in registry]
    ours = answers(client, prefixes)
    # DRF's own loop over the same fields: the reference.
    monkeypatch.setattr(
        VersionedModelSerializer, "to_representation", serializers.ModelSerializer.to_representation
    )
    # …and over the rows of a deal's parts (`PlainRows`): ListSerializer's.
    monkeypatch.delattr(PlainRows, "to_representation")
    # …and the ids of a visit's or a review's people read per record from its relation
    # (`ListedIds` left out): what Django's related manager lists.
    monkeypatch.delattr(ListedIds, "to_representation")
    assert answers(client, prefixes) == ours
    # The comparison saw records of most types, their ids, dates and choices.
    seen = {prefix for (prefix, _language, kind), rows in ours.items() if kind == "list" and rows}
    assert {"accounts", "contacts", "visits", "opportunities", "development-records"} <= seen
    assert len(seen) >= 10, seen
    for prefix in ("visits", "reviews"):
        for kind in ("list", "changes"):
            rows = ours[prefix, "en", kind]
            rows = rows["results"] if kind == "changes" else rows
            assert any(len(row["contacts"]) > 1 for row in rows), (prefix, kind)
            assert any(row["attendees"] for row in rows), (prefix, kind)
    deals = ours["opportunities", "zh-hans", "changes"]["results"]
    for part in ("contacts", "team", "competitors"):
        assert any(deal[part] for deal in deals), part
    visit = ours["visits", "en", "list"][0]
    assert isinstance(visit["id"], int) and isinstance(visit["account"], int)
    assert visit["created_at"].endswith("Z" if zone == "UTC" else "+08:00")


def test_the_many_to_many_fields_are_listed_in_the_models_order_whatever_the_set_order(
    monkeypatch,
):
    for model in (Visit, ReviewMeeting):
        history = model.history.model
        fields = list(history._history_m2m_fields)
        for order in (fields, fields[::-1]):
            monkeypatch.setattr(history, "_history_m2m_fields", order)
            assert [f.name for f in m2m_fields_of(history)] == ["contacts", "attendees"]


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize(
    "options",
    [
        {"max_digits": 14, "decimal_places": 2},
        {"max_digits": 5, "decimal_places": 4},
        {"max_digits": None, "decimal_places": 3},
        {"max_digits": 6, "decimal_places": 0, "rounding": "ROUND_DOWN"},
        {"max_digits": 8, "decimal_places": 2, "coerce_to_string": False},
        {"max_digits": 8, "decimal_places": 2, "normalize_output": True},
    ],
)
def test_a_decimal_is_written_as_drfs_own_decimal_field_writes_it(options):
    """`_decimal_writer` works out the exponent and the context once for a field; every
    value comes out as DRF's own `to_representation` writes it, and a value with more
    digits than the field holds fails the same way."""
    field = serializers.DecimalField(**options)
    write = _writer(field)
    values = [
        decimal.Decimal("0"),
        decimal.Decimal("-0.005"),
        decimal.Decimal("1.005"),
        decimal.Decimal("2.675"),
        decimal.Decimal("-12.3456"),
        decimal.Decimal("0.1"),
        decimal.Decimal("1E+2"),
        decimal.Decimal("9.99995"),
        12,
        "3.14159",
        0.1,
    ]
    for value in values:
        try:
            expected = field.to_representation(value)
        except decimal.InvalidOperation:
            with pytest.raises(decimal.InvalidOperation):
                write(value)
        else:
            assert write(value) == expected, (options, value)
    if options["max_digits"] is not None:
        too_long = decimal.Decimal("123456789012345678")
        with pytest.raises(decimal.InvalidOperation):
            field.to_representation(too_long)
        with pytest.raises(decimal.InvalidOperation):
            write(too_long)

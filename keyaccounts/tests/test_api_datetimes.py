"""Every date-time the API writes is an RFC 3339 date-time, as its schema says
(`format: date-time`): in the current time zone (Asia/Shanghai), and in UTC where that
zone's offset then had seconds — its local mean time before 1901, +08:05:43, which
Schemathesis' stateful run found in a review scheduled for the year 580 (an input may
name 1900 at the earliest now: keyaccounts/days.py)."""

import datetime
import re

import pytest
from django.utils import timezone

from keyaccounts.api.serializers import DateTimeField

pytestmark = pytest.mark.django_db

RFC_3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_a_date_time_in_a_zone_with_seconds_in_its_offset_is_written_in_utc():
    field = DateTimeField()
    old = datetime.datetime(580, 5, 4, 8, 14, 21, tzinfo=datetime.UTC)
    assert timezone.localtime(old).utcoffset().total_seconds() % 60  # +08:05:43
    assert field.to_representation(old) == "0580-05-04T08:14:21Z"
    now = datetime.datetime(2026, 12, 2, 4, 0, tzinfo=datetime.UTC)
    assert field.to_representation(now) == "2026-12-02T12:00:00+08:00"  # local, as before


def test_a_review_scheduled_long_ago_answers_rfc_3339_date_times(personas, api):
    # 1900, the earliest year an input may name (keyaccounts.days): still local mean time.
    client = api(personas.alice)
    body = {"account": personas.account.pk, "scheduled_for": "1900-05-04T08:14:21Z"}
    created = client.post("/api/v1/reviews/", body, format="json")
    assert created.status_code == 201, created.json()
    review = created.json()
    assert review["scheduled_for"] == "1900-05-04T08:14:21Z"
    listed = client.get("/api/v1/reviews/").json()["results"]
    for row in [review, *listed]:
        for name in ("scheduled_for", "created_at", "updated_at"):
            assert RFC_3339.match(row[name]), (name, row[name])

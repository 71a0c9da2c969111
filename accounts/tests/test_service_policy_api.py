"""The service policy in the API: read-only, the versions newest first and the one in
force, as the policy page shows them."""

import pytest
from django.urls import reverse

from accounts.policy.services import service_policy_new_version
from accounts.tests.factories import policy_set

pytestmark = pytest.mark.django_db


def test_the_current_policy_and_its_versions_read_as_saved(personas, api):
    policy_set(levels={"A": (2, 7)}, ceilings={"B": 12})
    client = api(personas.alice)
    current = client.get(reverse("api:service-policy-current"))
    assert current.status_code == 200
    body = current.json()
    assert body["is_active"] is True
    first = client.get(reverse("api:service-policy-detail", args=[1])).json()
    assert first["created_by"] is None  # version 1 comes from the migration: nobody
    grades = {row["grade"]: row for row in body["grades"]}
    assert (grades["A"]["respond_working_days"], grades["A"]["resolve_working_days"]) == (2, 7)
    assert grades["B"]["discount_ceiling_percent"] == "12.00"
    versions = client.get(reverse("api:service-policy-list")).json()
    assert [v["version"] for v in versions] == sorted(
        (v["version"] for v in versions), reverse=True
    )
    assert versions[0]["version"] == body["version"]
    one = client.get(reverse("api:service-policy-detail", args=[versions[-1]["version"]]))
    assert one.status_code == 200 and one.json()["version"] == versions[-1]["version"]


def test_the_policy_cannot_be_written_through_the_api(personas, api):
    client = api(personas.manager)
    assert client.post(reverse("api:service-policy-list"), {}, format="json").status_code == 405
    assert service_policy_new_version  # the one way to change it: the service behind the page

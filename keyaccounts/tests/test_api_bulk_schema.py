"""The schema states the bulk limits the API enforces (issue 11, "Schema fidelity"):
every `POST /api/v1/<type>/bulk/` body is an array of at most BULK_MAX_ITEMS items
(`maxItems`), and no `minItems`, since an empty list is taken; the bulk job's body limit
(413) is declared on its operation."""

import pytest

from keyaccounts.api.bulk import BULK_MAX_ITEMS, BulkUpsertMixin
from keyaccounts.api.urls import registry

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def bulk_prefixes() -> set[str]:
    return {
        f"/api/v1/{prefix}/bulk/"
        for prefix, viewset, _ in registry
        if issubclass(viewset, BulkUpsertMixin)
    }


def test_the_limit_is_1000():
    assert BULK_MAX_ITEMS == 1000


def test_every_bulk_body_is_an_array_of_at_most_1000_items(schema):
    bulk_paths = {path for path in schema["paths"] if path.endswith("/bulk/")}
    # Every bulk viewset has its operation in the schema, and nothing else ends so.
    assert bulk_paths == bulk_prefixes()
    assert len(bulk_paths) >= 4  # accounts, contacts, visits, opportunities at least
    problems = []
    for path in sorted(bulk_paths):
        body = schema["paths"][path]["post"]["requestBody"]
        for media_type, content in body["content"].items():
            array = content["schema"]
            where = f"POST {path} ({media_type})"
            if array.get("type") != "array":
                problems.append(f"{where}: not an array")
            if array.get("maxItems") != BULK_MAX_ITEMS:
                problems.append(f"{where}: maxItems {array.get('maxItems')}")
            if "minItems" in array:
                problems.append(f"{where}: minItems {array['minItems']}, yet [] is taken")
    assert problems == []


def test_the_summary_says_the_same_limit(schema):
    for path in bulk_prefixes():
        assert "1,000" in schema["paths"][path]["post"]["summary"]


def test_no_other_request_body_gets_a_bound_it_does_not_have(schema):
    # maxItems comes from a list serializer's max_length only: the other list bodies and
    # the answers stay unbounded.
    bounded = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or path.endswith("/bulk/"):
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                if "maxItems" in content.get("schema", {}):
                    bounded.append(f"{method.upper()} {path}")
    assert bounded == []


def test_an_empty_list_is_taken_so_the_schema_sets_no_minimum(personas, api):
    response = api(personas.alice).post("/api/v1/accounts/bulk/", [], format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["results"], response.json()["created"]) == ([], 0)


def test_the_bulk_jobs_limit_is_declared(schema):
    operation = schema["paths"]["/api/v1/jobs/"]["post"]
    assert "413" in operation["responses"]
    assert "BULK_JOB_MAX_BYTES" in operation["description"]


def test_upserts_require_only_the_external_id_and_say_what_a_new_record_needs(schema):
    """A bulk item and a PUT by external ID replace a stored record in the fields sent
    (keyaccounts/tests/test_api_sync_contract.py): the schema must let a client send only
    those, as docs/api.md's example `{"external_id", "version", "name"}` does."""
    components = schema["components"]["schemas"]
    items = {name: c for name, c in components.items() if name.endswith("BulkItemRequest")}
    assert len(items) >= 4
    for name, item in items.items():
        assert item["required"] == ["external_id"], name
    assert (
        "A new record needs `account`, `amount`, `expected_close_date`, `name`"
        in (components["OpportunityBulkItemRequest"]["description"])
    )
    puts = {
        path: operations["put"]["requestBody"]
        for path, operations in schema["paths"].items()
        if "/external/" in path and "put" in operations
    }
    assert len(puts) >= 4
    for path, body in puts.items():
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref.rsplit("/", 1)[-1].startswith("Patched"), path
        assert not components[ref.rsplit("/", 1)[-1]].get("required"), path
    contacts = puts["/api/v1/contacts/external/{external_id}/"]
    assert contacts["description"] == (
        "A new record needs `account`, `name`; a stored one keeps the fields left out."
    )

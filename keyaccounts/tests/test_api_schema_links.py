"""OpenAPI links (`keyaccounts.api.schema.add_links`): a create's answer says which
operations take the record it made and how to fill them, and following them works."""

import re

import pytest

pytestmark = pytest.mark.django_db

METHODS = ("get", "put", "patch", "post", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema) -> dict[str, tuple[str, str, dict]]:
    """operationId → (path, method, operation)."""
    return {
        operation["operationId"]: (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def links_of(schema, path: str) -> dict:
    responses = schema["paths"][path]["post"]["responses"]
    return (responses.get("201") or responses.get("202"))["links"]


def test_an_accounts_create_links_to_every_operation_on_the_account(schema):
    links = links_of(schema, "/api/v1/accounts/")
    assert {
        "accounts_retrieve",
        "accounts_update",
        "accounts_partial_update",
        "accounts_destroy",
        "accounts_history_list",
        "accounts_restore_create",
        "accounts_grade_retrieve",
        "accounts_external_retrieve",
        "accounts_external_update",
    } <= set(links)
    assert links["accounts_partial_update"]["parameters"] == {
        "id": "$response.body#/id",
        "header.If-Match": "$response.header.ETag",
    }
    assert links["accounts_external_retrieve"]["parameters"] == {
        "external_id": "$response.body#/external_id"
    }
    # Another resource's operations, and the list or the feed, are no link of it.
    assert not {name for name in links if not name.startswith("accounts_")}
    assert "accounts_list" not in links and "accounts_changes_retrieve" not in links


def test_every_link_names_an_operation_and_fills_only_its_parameters(schema):
    known = operations(schema)
    checked = 0
    for path, item in schema["paths"].items():
        for status, response in item.get("post", {}).get("responses", {}).items():
            for name, link in response.get("links", {}).items():
                checked += 1
                assert link["operationId"] == name and name in known, name
                _target_path, _method, target = known[name]
                accepted = {
                    p["name"] if p["in"] == "path" else f"{p['in']}.{p['name']}"
                    for p in target.get("parameters", [])
                }
                assert set(link["parameters"]) <= accepted, (name, link["parameters"])
                # Every path parameter of the target is filled by the link.
                needed = set(re.findall(r"{(\w+)}", _target_path))
                assert needed <= set(link["parameters"]), (path, status, name)
    assert checked > 50  # every record type's create has its links


def test_a_create_with_links_answers_with_what_they_read(schema):
    # `$response.body#/<name>` names a property of the create's answer.
    components = schema["components"]["schemas"]

    def properties_of(body: dict) -> dict:
        # A component, or several in `allOf` (a restored account: the record and what
        # a restore adds).
        if "$ref" in body:
            return components[body["$ref"].rsplit("/", 1)[-1]]["properties"]
        found = {}
        for part in body.get("allOf", []):
            found |= properties_of(part) if "$ref" in part else part.get("properties", {})
        return found

    for path, item in schema["paths"].items():
        for response in item.get("post", {}).get("responses", {}).values():
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            properties = properties_of(body)
            for link in response.get("links", {}).values():
                for value in link["parameters"].values():
                    if value.startswith("$response.body#/"):
                        assert value.removeprefix("$response.body#/") in properties, path


def test_following_the_links_of_a_created_account(schema, personas, api):
    # As a client would: create, then fill each linked operation from the answer.
    client = api(personas.alice)
    links = links_of(schema, "/api/v1/accounts/")
    known = operations(schema)
    created = client.post(
        "/api/v1/accounts/",
        {"name": "Linked Works Ltd", "industry": "manufacturing", "external_id": "LINK-1"},
        format="json",
    )
    assert created.status_code == 201, created.content

    def follow(name, body=None):
        path, method, _operation = known[name]
        headers = {}
        for parameter, expression in links[name]["parameters"].items():
            if expression.startswith("$response.body#/"):
                value = created.json()[expression.removeprefix("$response.body#/")]
                path = path.replace(f"{{{parameter}}}", str(value))
            elif expression == "$response.header.ETag":
                headers["HTTP_IF_MATCH"] = created["ETag"]
        return getattr(client, method)(path, body or {}, format="json", **headers)

    assert follow("accounts_retrieve").json()["name"] == "Linked Works Ltd"
    assert follow("accounts_external_retrieve").json()["id"] == created.json()["id"]
    changed = follow("accounts_partial_update", {"region": "华东"})
    assert changed.status_code == 200, changed.content
    # The ETag of the create is stale now: the link's If-Match protects the record.
    assert follow("accounts_partial_update", {"region": "华南"}).status_code == 412

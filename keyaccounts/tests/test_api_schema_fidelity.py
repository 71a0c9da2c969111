"""The schema says what the API answers (issue 11, "Schema fidelity"): the headers each
answer carries — RateLimit-* on every one, ETag, Location on 201, Idempotent-Replayed on
a replay, ETag on 412, Retry-After on 429 — sent on real answers and declared on every
operation; each operation described for itself; one tag per resource, described."""

import copy
import datetime
import inspect
import uuid

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from keyaccounts.api.urls import registry

from .api_records import RECORD_TYPES

pytestmark = pytest.mark.django_db

each_type = pytest.mark.parametrize("kind", RECORD_TYPES, ids=str)
RATE_LIMIT = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # no throttle count of an earlier test


def rate_limit(response) -> tuple[int, int, int]:
    return tuple(int(response[name]) for name in RATE_LIMIT)


# --- the headers on real answers ---------------------------------------------------------


@override_settings(API_THROTTLE_RATE="10/min")
def test_a_list_says_the_rate_limit_and_counts_down(personas, api):
    client = api(personas.alice)

    first = client.get("/api/v1/accounts/")
    second = client.get("/api/v1/accounts/")

    assert first.status_code == second.status_code == 200
    limit, remaining, reset = rate_limit(first)
    assert (limit, remaining) == (10, 9)
    assert 0 < reset <= 60
    assert rate_limit(second)[:2] == (10, 8)


@each_type
def test_a_record_read_says_its_etag_and_the_rate_limit(personas, api, kind):
    record = kind.make(personas)

    response = api(personas.alice).get(kind.url(record))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert all(name in response for name in RATE_LIMIT)


@each_type
def test_a_create_answers_201_with_the_records_location(personas, api, kind):
    client = api(personas.alice)

    response = client.post(kind.path, kind.payload(personas))

    assert response.status_code == 201, response.json()
    assert response["Location"] == kind.url(kind.model.objects.get(pk=response.json()["id"]))
    assert "Idempotent-Replayed" not in response
    assert client.get(response["Location"]).json()["id"] == response.json()["id"]


def test_a_create_by_external_id_answers_201_with_the_location_and_a_replace_200_without(
    personas, api
):
    client = api(personas.alice)
    url = "/api/v1/accounts/external/ERP-LOC-1/"
    body = {"name": "Location Steel", "industry": "manufacturing"}

    created = client.put(url, body)
    replaced = client.put(url, {**body, "region": "East"})

    assert created.status_code == 201, created.json()
    assert created["Location"] == f"/api/v1/accounts/{created.json()['id']}/"
    assert replaced.status_code == 200
    assert "Location" not in replaced


def test_an_integration_token_created_answers_its_location(personas, api):
    response = api(personas.alice).post(
        "/api/v1/integration-tokens/",
        {
            "name": "ERP",
            "access": "read",
            "record_types": ["account"],
            "expires_at": (timezone.now() + datetime.timedelta(days=30)).isoformat(),
        },
    )

    assert response.status_code == 201, response.json()
    assert response["Location"] == f"/api/v1/integration-tokens/{response.json()['id']}/"


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_webhook_registered_answers_its_location(personas, api):
    response = api(personas.manager).post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "record_types": ["account"]},
    )

    assert response.status_code == 201, response.json()
    assert response["Location"] == f"/api/v1/webhooks/{response.json()['id']}/"


@each_type
def test_a_replayed_create_says_so_and_repeats_etag_and_location(personas, api, kind):
    client = api(personas.alice)
    key = str(uuid.uuid4())

    body = kind.payload(personas)

    first = client.post(kind.path, body, HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(kind.path, body, HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == again.status_code == 201, again.json()
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (again["ETag"], again["Location"]) == (first["ETag"], first["Location"])
    assert all(name in again for name in RATE_LIMIT)


@each_type
def test_a_412_says_the_current_version_in_etag(personas, api, kind):
    record = kind.make(personas)
    client = api(personas.alice)
    assert client.patch(kind.url(record), kind.change).status_code == 200  # now version 2

    stale = client.patch(kind.url(record), kind.change, HTTP_IF_MATCH='"1"')

    assert stale.status_code == 412
    assert stale["ETag"] == '"2"'
    assert stale.json()["current_version"] == 2
    assert all(name in stale for name in RATE_LIMIT)


@override_settings(API_THROTTLE_RATE="3/min")
def test_a_429_says_retry_after_and_the_rate_limit_spent(personas, api):
    client = api(personas.alice)

    answers = [client.get("/api/v1/accounts/") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [int(a["RateLimit-Remaining"]) for a in answers] == [2, 1, 0, 0]
    limit, remaining, reset = rate_limit(answers[-1])
    assert (limit, remaining) == (3, 0)
    assert reset == int(answers[-1]["Retry-After"])
    assert 0 < reset <= 60


@override_settings(API_ANON_THROTTLE_RATE="5/min")
def test_a_401_says_the_rate_limit_without_counting_it(api):
    anonymous = api()

    answers = [anonymous.get("/api/v1/accounts/") for _ in range(3)]

    assert [a.status_code for a in answers] == [401, 401, 401]
    assert [rate_limit(a)[:2] for a in answers] == [(5, 5)] * 3


@override_settings(API_THROTTLE_RATE="10/min")
def test_a_404_and_a_400_say_the_rate_limit(personas, api):
    client = api(personas.alice)
    hidden = personas.charlies_account

    not_yours = client.get(f"/api/v1/accounts/{hidden.pk}/")
    bad = client.post("/api/v1/accounts/", {"name": ""})

    assert (not_yours.status_code, bad.status_code) == (404, 400)
    assert rate_limit(not_yours)[:2] == (10, 9)
    assert rate_limit(bad)[:2] == (10, 8)


@override_settings(API_THROTTLE_RATE="10/min", API_ANON_THROTTLE_RATE="7/min")
def test_an_unknown_address_says_the_rate_limit_of_who_asks(personas, api):
    signed_in = api(personas.alice)
    signed_in.get("/api/v1/accounts/")  # one request counted
    bad_token = api()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    mine = signed_in.get("/api/v1/no-such-thing/")
    anonymous = bad_token.get("/api/v1/no-such-thing/")

    assert mine.status_code == anonymous.status_code == 404
    assert rate_limit(mine)[:2] == (10, 9)
    assert rate_limit(anonymous)[:2] == (7, 7)


@override_settings(API_THROTTLE_RATE="10/min")
def test_a_query_string_refused_before_the_api_says_the_rate_limit(personas, api):
    response = api(personas.alice).get("/api/v1/accounts/?q=%00")

    assert response.status_code == 400
    assert rate_limit(response)[:2] == (10, 10)


# --- the schema declares them, on every operation -------------------------------------


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "patch", "post", "delete"}:
                yield path, method.upper(), operation


def viewset_docs() -> dict[str, str]:
    """`/api/v1/<prefix>/` → its viewset's docstring."""
    return {f"/api/v1/{prefix}/": inspect.getdoc(viewset) or "" for prefix, viewset, _ in registry}


def test_every_operation_is_described_for_itself_not_by_its_resources_text(schema):
    docs = viewset_docs()
    tag_text = {tag["name"]: tag["description"] for tag in schema["tags"]}
    problems = []
    for path, method, operation in operations(schema):
        description = (operation.get("description") or "").strip()
        where = f"{method} {path}"
        if not description:
            problems.append(f"{where}: no description")
            continue
        resource_doc = next((doc for prefix, doc in docs.items() if path.startswith(prefix)), "")
        if resource_doc and resource_doc.strip() in description:
            problems.append(f"{where}: repeats its viewset's docstring")
        if any(tag_text[tag] in description for tag in operation["tags"]):
            problems.append(f"{where}: repeats its tag's description")
        if not operation.get("summary"):
            problems.append(f"{where}: no summary")
        if "schema.AutoSchema" in description or "NotImplementedError" in description:
            problems.append(f"{where}: an internal docstring")
    assert problems == []


def test_one_tag_per_resource_each_described_in_the_tags_list(schema):
    listed = {tag["name"]: tag["description"] for tag in schema["tags"]}
    tag_of_resource: dict[str, set[str]] = {}
    for path, method, operation in operations(schema):
        assert len(operation["tags"]) == 1, f"{method} {path}: {operation['tags']}"
        resource = path.removeprefix("/api/v1/").split("/")[0]
        tag_of_resource.setdefault(resource, set()).update(operation["tags"])

    assert all(len(tags) == 1 for tags in tag_of_resource.values()), tag_of_resource
    tags = [next(iter(tags)) for tags in tag_of_resource.values()]
    assert len(set(tags)) == len(tags), "two resources share a tag"
    assert set(tags) == set(listed)
    assert all(description.strip() for description in listed.values()), listed
    assert "stages" in listed  # the sales stages are their own resource, not deals'


def test_every_answer_of_every_operation_declares_its_headers(schema):
    problems = []
    for path, method, operation in operations(schema):
        params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        for code, response in operation["responses"].items():
            headers = response.get("headers", {})
            where = f"{method} {path} {code}"
            for name in RATE_LIMIT:
                if name not in headers:
                    problems.append(f"{where}: no {name}")
                elif headers[name]["required"] is not (code != "503"):
                    problems.append(f"{where}: {name} required is wrong")
            wanted = set()
            if code in {"429", "503"}:
                wanted.add("Retry-After")
            if code == "201":
                wanted.add("Location")
            if code == "412":
                wanted.add("ETag")
            if code.startswith("2") and "Idempotency-Key" in params:
                wanted.add("Idempotent-Replayed")
            problems += [f"{where}: no {name}" for name in sorted(wanted - set(headers))]
        if "429" not in operation["responses"]:
            problems.append(f"{method} {path}: no 429")
    assert problems == []


def test_a_single_record_read_declares_etag_and_a_write_with_if_match_declares_412(schema):
    paths = schema["paths"]
    for kind in RECORD_TYPES:
        one = paths[f"/api/v1/{kind.name}/{{id}}/"]
        assert "ETag" in one["get"]["responses"]["200"]["headers"]
        for method in ("put", "patch", "delete"):
            assert "ETag" in one[method]["responses"]["412"]["headers"], (kind, method)
        external = paths[f"/api/v1/{kind.name}/external/{{external_id}}/"]
        assert "ETag" in external["get"]["responses"]["200"]["headers"]
        assert "Location" in external["put"]["responses"]["201"]["headers"]
        create = paths[f"/api/v1/{kind.name}/"]["post"]["responses"]["201"]["headers"]
        assert {"ETag", "Location", "Idempotent-Replayed"} <= set(create)


def as_json_schema(node):
    """OpenAPI 3.0's `nullable: true` said the JSON Schema way (a null type beside the
    others), so a plain validator reads the schema as an OpenAPI client does."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def test_a_record_as_the_api_answers_it_is_valid_under_plain_json_schema(schema, personas, api):
    """A validator that checks no formats (JSON Schema's default) reads a blank website
    or email as valid under both "a URL" and "empty": the schema says `anyOf`, so the
    account and contact the API answers are valid against it."""
    import jsonschema

    from accounts.tests.factories import ContactFactory

    contact = ContactFactory(account=personas.account, email="")
    client = api(personas.alice)
    components = {"components": as_json_schema(copy.deepcopy(schema["components"]))}
    for path, name in (
        (f"/api/v1/accounts/{personas.account.pk}/", "Account"),
        (f"/api/v1/contacts/{contact.pk}/", "Contact"),
    ):
        body = client.get(path).json()
        assert "" in (body.get("website"), body.get("email")), name
        validator = jsonschema.Draft202012Validator(
            {**components, "$ref": f"#/components/schemas/{name}"}
        )
        assert list(validator.iter_errors(body)) == [], name

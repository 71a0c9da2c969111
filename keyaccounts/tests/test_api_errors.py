"""Every error is JSON of one shape with field-level messages, and no input, however
bad, makes the API answer 500. Throttling answers 429 with Retry-After."""

import json

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts.models import Account

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"detail", "code", "errors"}


def assert_error(response, status: int, *, field: str | None = None, code: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert ERROR_KEYS <= set(body)
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(message, str) for message in body["errors"][field])
    if code is not None:
        assert body["code"] == code
    return body


def test_malformed_json_answers_400(personas, api):
    response = api(personas.alice).generic(
        "POST", "/api/v1/accounts/", '{"name": "oops",', content_type="application/json"
    )
    assert_error(response, 400, code="parse_error")


def test_a_body_that_is_not_json_answers_415(personas, api):
    response = api(personas.alice).post(
        "/api/v1/accounts/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, code="unsupported_media_type")


def test_a_body_that_is_a_list_or_a_string_answers_400(personas, api):
    client = api(personas.alice)
    for body in ([], "a string", 42, None):
        response = client.generic(
            "POST", "/api/v1/accounts/", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 400, body
        assert set(response.json()) >= ERROR_KEYS


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", ["a"]),
        ("name", "x" * 201),
        ("industry", "not-an-industry"),
        ("employees", -1),
        ("employees", 10**30),
        ("employees", "many"),
        ("annual_revenue", "1e400"),
        ("annual_revenue", "123456789012345678"),
        ("annual_revenue", "NaN"),
        ("our_share", "101"),
        ("website", "not a url"),
        ("owner", 10**30),
        ("owner", -5),
        ("owner", True),
        ("owner", "abc"),
        ("owner", {"id": 1}),
        ("name", "nul \x00 inside"),
        ("external_id", "x" * 101),
        # Text is a JSON string, never a number or a boolean stored as its digits.
        ("name", 42),
        ("name", 1.5),
        ("notes", 1.4698946526530512e-71),
        ("region", True),
    ],
)
def test_wrong_types_and_huge_numbers_answer_400_on_the_field(personas, api, field, value):
    body = {"name": "Ok Co", "industry": "technology", field: value}

    response = api(personas.alice).post("/api/v1/accounts/", body, format="json")

    assert_error(response, 400, field=field, code="invalid")
    assert not Account.objects.filter(name="Ok Co").exists()


def test_nested_field_errors_are_dotted(personas, api):
    response = api(personas.alice).post(
        "/api/v1/visits/",
        {"account": personas.account.pk, "status": "planned", "contacts": ["x", 10**30]},
    )

    body = assert_error(response, 400)
    assert "contacts" in body["errors"] or "contacts.0" in body["errors"]


def test_unknown_fields_are_ignored(personas, api):
    response = api(personas.alice).post(
        "/api/v1/accounts/", {"name": "Ok Co", "industry": "technology", "colour": "blue"}
    )

    assert response.status_code == 201
    assert "colour" not in response.json()


def test_read_only_fields_are_ignored_not_written(personas, api):
    response = api(personas.alice).patch(
        f"/api/v1/accounts/{personas.account.pk}/", {"version": 99, "id": 5, "name": "New"}
    )

    assert response.status_code == 200
    assert (response.json()["version"], response.json()["id"]) == (2, personas.account.pk)


@pytest.mark.parametrize(
    "query",
    [
        {"page": "0"},
        {"page": "x"},
        {"page": ""},
        {"page": "9" * 50},
        {"page_size": "0"},
        {"page_size": "201"},
        {"page_size": "-3"},
        {"owner": "abc"},
        {"owner": str(2**64)},
        {"owner": "0"},
        {"status": "nonsense"},
        {"status": ""},
        {"updated_after": "yesterday"},
        {"updated_after": ""},
    ],
)
def test_bad_query_parameters_answer_400(personas, api, query):
    response = api(personas.alice).get("/api/v1/accounts/", query)

    assert_error(response, 400, field=next(iter(query)))


def test_a_bad_updated_after_says_the_iso_format_the_api_takes(personas, api):
    response = api(personas.alice).get("/api/v1/accounts/", {"updated_after": "yesterday"})
    assert response.json()["errors"]["updated_after"] == [
        "Enter a date and time in ISO 8601 with its offset, such as 2027-03-31T14:30:00+08:00 "
        "(a date alone, 2027-03-31, is the start of that day in the company's time zone)."
    ]


@pytest.mark.parametrize(
    "query", [{"is_coach": "maybe"}, {"is_coach": "null"}, {"account": "1.5"}, {"is_coach": ""}]
)
def test_bad_contact_filters_answer_400(personas, api, query):
    assert_error(api(personas.alice).get("/api/v1/contacts/", query), 400, field=next(iter(query)))


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/accounts/", "status=active&status=prospect", "status"),
        ("/api/v1/contacts/", "is_coach=true&is_coach=false", "is_coach"),
        ("/api/v1/visits/", "status=done&status=planned&status=done", "status"),
        ("/api/v1/opportunities/", "account=1&account=2", "account"),
        ("/api/v1/accounts/", "ordering=name&ordering=-name", "ordering"),
        ("/api/v1/contacts/", "page_size=1&page_size=2", "page_size"),
        ("/api/v1/visits/", "page=1&page=2", "page"),
        ("/api/v1/accounts/", "after=a&after=b", "after"),
        ("/api/v1/accounts/changes/", "limit=10&limit=20", "limit"),
        ("/api/v1/approvals/", "status=pending&status=approved", "status"),
    ],
)
def test_a_parameter_of_one_value_given_twice_answers_400_naming_it(
    personas, api, path, query, field
):
    """Not the last value silently: a client that meant "either" would get half."""
    response = api(personas.alice).get(f"{path}?{query}")
    assert_error(response, 400, field=field)
    times = query.count(f"{field}=")
    assert response.json()["errors"][field] == [
        f"Given {times} times: this parameter takes one value. Give it once."
    ]


def test_an_export_leaves_out_a_filter_given_twice_as_its_file_says(personas, login, settings):
    """The API refuses `is_coach=true&is_coach=false`; an export leaves it out (as a
    value it cannot read), the file written at once and the one prepared alike; the
    command names it once."""
    import io

    from django.core.management import CommandError, call_command

    from accounts.tests.factories import ContactFactory
    from keyaccounts.tests.export_links import exported_records

    ContactFactory(account=personas.account, name="Coach Li", is_coach=True)
    ContactFactory(account=personas.account, name="Plain Wang", is_coach=False)
    client = login(personas.alice)
    link = "/export/contacts/?format=csv&is_coach=true&is_coach=false"
    names = {row["Name"] for row in exported_records(client, link)}
    assert {"Coach Li", "Plain Wang"} <= names
    settings.EXPORT_DIRECT_ROWS = 0  # prepared in the background: its query
    page = client.get(link)
    assert "is_coach" not in page.context["query"]
    with pytest.raises(CommandError) as refused:
        call_command(
            "export_records", "visits", "--as", "alice",
            "--filter", "logged_by=1", "--filter", "logged_by=2",
            "--output", "/dev/null", stdout=io.StringIO(),
        )  # fmt: skip
    assert str(refused.value).count("Given 2 times") == 1, str(refused.value)


def test_a_filter_of_several_values_takes_them_repeated(personas, api):
    response = api(personas.alice).get("/api/v1/accounts/?grade=A&grade=B&status=active")
    assert response.status_code == 200


def test_a_page_past_the_last_answers_404(personas, api):
    assert_error(api(personas.alice).get("/api/v1/accounts/", {"page": 2}), 404, code="not_found")


def test_an_unknown_ordering_is_ignored(personas, api):
    response = api(personas.alice).get("/api/v1/accounts/", {"ordering": "password,-name"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/abc/",
        "/api/v1/accounts/" + "9" * 30 + "/",
        "/api/v1/accounts/999999999999999999/",
        "/api/v1/accounts/1.5/",
        "/api/v1/accounts/%0A/",
        "/api/v1/accounts/external/%00/",
        "/api/v1/accounts/external/" + "x" * 101 + "/",
        "/api/v1/stages/" + "9" * 30 + "/",
    ],
)
def test_ids_that_are_no_ids_answer_404_json(personas, api, path):
    assert_error(api(personas.alice).get(path), 404, code="not_found")


def test_a_method_an_endpoint_lacks_answers_405_with_allow(personas, api):
    client = api(personas.alice)

    for response in (
        client.delete("/api/v1/accounts/"),
        client.options("/api/v1/accounts/"),
        client.post("/api/v1/stages/", {}),
    ):
        assert_error(response, 405, code="method_not_allowed")
        # What it lists, it answers: no OPTIONS, which answers 405 itself.
        allowed = [method.strip() for method in response["Allow"].split(",")]
        assert allowed and "OPTIONS" not in allowed, allowed
        assert response.request["REQUEST_METHOD"] not in allowed
    assert client.get("/api/v1/accounts/")["Allow"] == "GET, POST, HEAD"


def test_an_accept_header_the_api_cannot_answer_is_406_as_the_schema_says(personas, api):
    response = api(personas.alice).get("/api/v1/accounts/", HTTP_ACCEPT="text/html")
    assert_error(response, 406, code="not_acceptable")
    schema = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all("406" in op["responses"] for op in operations)
    writes = [
        op
        for path in schema["paths"].values()
        for method, op in path.items()
        if method in ("post", "put", "patch")
    ]
    assert writes and all("413" in op["responses"] for op in writes)


def test_an_external_id_with_nul_cannot_be_created(personas, api):
    """Refused saying why (no record could be found by it again); a read answers 404."""
    from accounts.models import Account

    client = api(personas.alice)
    response = client.put("/api/v1/accounts/external/%00/", {"name": "x", "industry": "technology"})
    assert_error(response, 400)
    assert "printable characters only" in response.json()["errors"]["external_id"][0]
    assert not Account.objects.filter(name="x").exists()
    assert client.get("/api/v1/accounts/external/%00/").status_code == 404


@pytest.mark.parametrize(
    "key, said",
    [
        ("y" * 101, "Ensure this field has no more than 100 characters."),
        ("a%2Fb", "An external ID has no “/”"),
        ("a/b", "An external ID has no “/”"),
    ],
)
def test_a_put_of_a_key_no_record_can_hold_is_400_on_external_id_not_404(personas, api, key, said):
    """As the same key in a body is: docs/api.md, external_id."""
    from accounts.models import Account

    client = api(personas.alice)
    response = client.put(
        f"/api/v1/accounts/external/{key}/", {"name": "Probe", "industry": "technology"}
    )
    assert_error(response, 400)
    assert response.json()["errors"]["external_id"][0].startswith(said), response.json()
    assert not Account.objects.filter(name="Probe").exists()
    assert client.get(f"/api/v1/accounts/external/{key}/").status_code == 404


# --- throttling ----------------------------------------------------------------------


@override_settings(API_THROTTLE_RATE="3/min")
def test_past_the_rate_the_api_answers_429_with_retry_after(personas, api):
    cache.clear()
    client = api(personas.alice)

    answers = [client.get("/api/v1/accounts/") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    body = assert_error(answers[-1], 429, code="throttled")
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    assert "detail" in body


@override_settings(API_THROTTLE_RATE="2/min")
def test_the_rate_is_counted_per_user(personas, api):
    cache.clear()
    alice, bob = api(personas.alice), api(personas.bob)

    alices = [alice.get("/api/v1/accounts/").status_code for _ in range(3)]
    bobs = bob.get("/api/v1/accounts/").status_code

    assert alices == [200, 200, 429]
    assert bobs == 200

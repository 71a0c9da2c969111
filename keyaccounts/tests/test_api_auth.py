"""Signing in to the API: tokens, the browser's session, and what an anonymous client
gets (401 JSON, never the login page). The schema and the docs."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_is_obtained_with_username_and_password_and_opens_the_api(personas, api):
    response = api().post("/api/v1/auth/token/", {"username": "alice", "password": "pw-for-tests"})

    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/accounts/").status_code == 200


def test_a_personal_token_sent_as_bearer_opens_the_api_and_a_bad_one_says_invalid(personas, api):
    ask = {"username": "alice", "password": "pw-for-tests"}
    token = api().post("/api/v1/auth/token/", ask).json()["token"]

    mine = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/accounts/")
    bad = APIClient(HTTP_AUTHORIZATION="Bearer not-a-token").get("/api/v1/accounts/")

    assert mine.status_code == 200
    assert bad.status_code == 401
    assert (bad.json()["code"], bad.json()["detail"]) == ("authentication_failed", "Invalid token.")


def test_asking_again_gives_the_same_token(personas, api):
    ask = {"username": "alice", "password": "pw-for-tests"}
    first = api().post("/api/v1/auth/token/", ask).json()["token"]
    assert api().post("/api/v1/auth/token/", ask).json()["token"] == first


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": "pw-for-tests"},
        {"username": "alice"},
        {},
    ],
)
def test_bad_credentials_answer_400_with_messages(personas, api, body):
    response = api().post("/api/v1/auth/token/", body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]


def test_an_inactive_user_gets_no_token(api):
    UserFactory(username="gone", is_active=False)

    response = api().post("/api/v1/auth/token/", {"username": "gone", "password": "pw-for-tests"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/",
        "/api/v1/accounts/1/",
        "/api/v1/contacts/changes/",
        "/api/v1/visits/external/X-1/",
        "/api/v1/opportunities/bulk/",
        "/api/v1/stages/",
    ],
)
def test_without_credentials_the_api_answers_401_json_not_a_login_redirect(api, path):
    response = api().get(path)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_a_bad_token_answers_401(api):
    client = APIClient(HTTP_AUTHORIZATION="Token not-a-token")

    response = client.get("/api/v1/accounts/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_inactive_users_token_stops_working(personas, api):
    client = api(personas.alice)
    personas.alice.is_active = False
    personas.alice.save()

    assert client.get("/api/v1/accounts/").status_code == 401


def test_the_browsers_session_works_too(personas, client):
    client.force_login(personas.alice)

    response = client.get("/api/v1/accounts/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [personas.account.pk]


def test_a_session_write_needs_the_csrf_token(personas):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.alice)

    refused = client.patch(f"/api/v1/accounts/{personas.account.pk}/", {"name": "X"})
    client.cookies["csrftoken"] = secret = "k" * 32  # as a page of the app sets it
    allowed = client.patch(
        f"/api/v1/accounts/{personas.account.pk}/", {"name": "X"}, HTTP_X_CSRFTOKEN=secret
    )

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert allowed.status_code == 200


def test_an_unknown_address_under_the_api_answers_404_json(api, personas):
    for client in (api(), api(personas.alice)):
        response = client.get("/api/v1/no-such-thing/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_the_schema_is_openapi_3_and_needs_no_login(api):
    response = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for kind in ("accounts", "contacts", "visits", "opportunities"):
        assert {
            f"/api/v1/{kind}/",
            f"/api/v1/{kind}/{{id}}/",
            f"/api/v1/{kind}/changes/",
            f"/api/v1/{kind}/external/{{external_id}}/",
        } <= paths
    assert {
        "/api/v1/auth/token/",
        "/api/v1/stages/",
        "/api/v1/opportunities/bulk/",
        "/api/v1/opportunities/{id}/criteria/",
    } <= paths


def test_the_schema_documents_the_sync_headers_and_error_answers(api):
    schema = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    patch = schema["paths"]["/api/v1/accounts/{id}/"]["patch"]
    create = schema["paths"]["/api/v1/accounts/"]["post"]
    retrieve = schema["paths"]["/api/v1/accounts/{id}/"]["get"]

    assert "If-Match" in [p["name"] for p in patch["parameters"]]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert "ETag" in retrieve["responses"]["200"]["headers"]
    assert {"400", "401", "404", "412", "429"} <= set(patch["responses"])
    assert "422" in create["responses"]
    assert "Retry-After" in patch["responses"]["429"]["headers"]


def test_the_interactive_docs_load_their_assets_from_this_server(api):
    response = api().get("/api/v1/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


@override_settings(API_ANON_THROTTLE_RATE="3/min")
def test_password_guessing_is_slowed_down_per_address(api):
    from django.core.cache import cache

    cache.clear()
    answers = [
        api().post("/api/v1/auth/token/", {"username": "x", "password": "y"}).status_code
        for _ in range(4)
    ]

    assert answers == [400, 400, 400, 429]

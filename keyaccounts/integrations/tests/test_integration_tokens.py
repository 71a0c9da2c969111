"""Integration tokens: named, scoped, expiring, revocable, stored hashed; the personal
token keeps working beside them."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, Contact
from keyaccounts.integrations.models import IntegrationToken
from keyaccounts.integrations.services import token_create, token_revoke

pytestmark = pytest.mark.django_db


def make_token(user, *, access="read", types=("account", "contact"), days=30):
    return token_create(
        user=user,
        name=f"ERP {access} {'+'.join(types)}",
        access=access,
        record_types=list(types),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )


def client_with(key: str, scheme: str = "Bearer") -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"{scheme} {key}")


def test_a_token_reads_what_its_user_sees_and_only_a_hash_is_kept(personas):
    token, key = make_token(personas.alice)

    for scheme in ("Bearer", "Token"):
        response = client_with(key, scheme).get("/api/v1/accounts/")
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [personas.account.pk]
    stored = IntegrationToken.objects.filter(pk=token.pk).values().get()
    assert key not in [str(value) for value in stored.values()]
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(stored["prefix"]) and len(stored["prefix"]) < len(key) // 3


def test_a_read_only_token_cannot_write_and_changes_nothing(personas):
    _token, key = make_token(personas.alice, access="read")
    client = client_with(key)
    account = personas.account

    answers = [
        client.post("/api/v1/accounts/", {"name": "New Co", "industry": "finance"}),
        client.patch(f"/api/v1/accounts/{account.pk}/", {"region": "Mars"}),
        client.delete(f"/api/v1/accounts/{account.pk}/"),
        client.post("/api/v1/contacts/", {"account": account.pk, "name": "Ma Li"}),
    ]

    for response in answers:
        assert response.status_code == 403
        assert response.json()["code"] == "token_read_only"
        assert "read only" in response.json()["detail"]
    account.refresh_from_db()
    assert (account.region, account.deleted_at, account.version) == ("East China", None, 1)
    assert Account.objects.count() == 2 and not Contact.objects.exists()


def test_a_token_is_refused_a_record_type_outside_its_scope(personas):
    _token, key = make_token(personas.alice, access="read_write", types=["contact"])
    client = client_with(key)

    read = client.get("/api/v1/accounts/")
    write = client.patch(f"/api/v1/accounts/{personas.account.pk}/", {"region": "Mars"})
    deals = client.post("/api/v1/opportunities/bulk/", [], format="json")

    for response in (read, write, deals):
        assert response.status_code == 403
        assert response.json()["code"] == "token_scope"
    assert "may not use Accounts" in read.json()["detail"]
    assert "it is for Contacts only" in read.json()["detail"]
    personas.account.refresh_from_db()
    assert personas.account.region == "East China"
    created = client.post("/api/v1/contacts/", {"account": personas.account.pk, "name": "Ma Li"})
    assert created.status_code == 201
    assert client.get("/api/v1/stages/").status_code == 200  # reference data


def test_an_expired_token_answers_401_and_says_so(personas):
    token, key = make_token(personas.alice)
    IntegrationToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    response = client_with(key).get("/api/v1/accounts/")

    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "expired" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_answers_401_from_the_next_request(personas):
    token, key = make_token(personas.alice)
    client = client_with(key)
    assert client.get("/api/v1/accounts/").status_code == 200

    token_revoke(token=token, by=personas.alice)
    response = client.get("/api/v1/accounts/")

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_an_unknown_integration_token_answers_401(personas):
    response = client_with("ka_" + "x" * 40).get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_the_token_of_an_inactive_user_stops_working(personas):
    _token, key = make_token(personas.alice)
    personas.alice.is_active = False
    personas.alice.save()

    assert client_with(key).get("/api/v1/accounts/").status_code == 401


def test_the_last_use_is_recorded_and_shown_on_the_profile(personas, login):
    token, key = make_token(personas.alice)
    assert token.last_used_at is None
    before = timezone.now()

    client_with(key).get("/api/v1/contacts/")

    token.refresh_from_db()
    assert before <= token.last_used_at <= timezone.now()
    page = login(personas.alice).get(reverse("integrations:profile")).content.decode()
    shown = timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M")
    assert shown in page


def test_the_personal_token_keeps_working_beside_integration_tokens(personas, api):
    make_token(personas.alice)
    client = api(personas.alice)

    assert client.get("/api/v1/accounts/").status_code == 200
    response = client.patch(f"/api/v1/accounts/{personas.account.pk}/", {"region": "Jiangsu"})
    assert response.status_code == 200


def test_tokens_are_created_listed_and_revoked_through_the_api(personas, api):
    client = api(personas.alice)
    expires = (timezone.now() + datetime.timedelta(days=10)).isoformat()

    created = client.post(
        "/api/v1/integration-tokens/",
        {"name": "BI", "access": "read", "record_types": ["account"], "expires_at": expires},
    )

    assert created.status_code == 201
    key = created.json()["token"]
    assert key.startswith("ka_")
    listed = client.get("/api/v1/integration-tokens/").json()["results"]
    assert [row["name"] for row in listed] == ["BI"]
    assert listed[0]["token"] is None  # never shown again
    assert client_with(key).get("/api/v1/accounts/").status_code == 200
    # An integration token cannot make or revoke tokens.
    refused = client_with(key).get("/api/v1/integration-tokens/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "token_not_allowed"

    assert client.delete(f"/api/v1/integration-tokens/{created.json()['id']}/").status_code == 204
    assert client_with(key).get("/api/v1/accounts/").status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"name": ""}, "name", "blank"),
        ({"access": "admin"}, "access", "not a valid choice"),
        ({"record_types": []}, "record_types", "at least one"),
        ({"record_types": ["invoice"]}, "record_types", "Unknown record type invoice"),
        ({"expires_at": "2000-01-01T00:00:00Z"}, "expires_at", "in the future"),
        ({"expires_at": "2100-01-01T00:00:00Z"}, "expires_at", "at most 366 days"),
    ],
)
def test_bad_token_input_answers_400_on_the_field(personas, api, body, field, says):
    good = {
        "name": "ERP",
        "access": "read",
        "record_types": ["account"],
        "expires_at": (timezone.now() + datetime.timedelta(days=10)).isoformat(),
    }
    response = api(personas.alice).post("/api/v1/integration-tokens/", {**good, **body})

    assert response.status_code == 400
    assert says in " ".join(response.json()["errors"][field])
    assert not IntegrationToken.objects.exists()


def test_two_live_tokens_of_a_user_cannot_share_a_name(personas):
    make_token(personas.alice)
    with pytest.raises(ValidationError) as refused:
        make_token(personas.alice)
    assert "already have a token named" in refused.value.message_dict["name"][0]


def test_a_user_cannot_see_or_revoke_anothers_token(personas, api, login):
    token, key = make_token(personas.alice)

    assert api(personas.bob).get(f"/api/v1/integration-tokens/{token.pk}/").status_code == 404
    assert api(personas.bob).delete(f"/api/v1/integration-tokens/{token.pk}/").status_code == 404
    page = login(personas.bob).post(reverse("integrations:token_revoke", args=[token.pk]))
    assert page.status_code == 404
    assert client_with(key).get("/api/v1/accounts/").status_code == 200

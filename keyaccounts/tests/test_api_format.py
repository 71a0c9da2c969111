"""`?format=` of a format the API does not offer answers 406 naming it, not 404 "Not
found." (which says the record is missing); `?format=json` and no format answer JSON."""

import pytest


@pytest.mark.parametrize("format", ["xml", "csv", "api", "x" * 300])
def test_a_format_not_offered_is_406_naming_it(personas, api, format):
    client = api(personas.alice)
    url = f"/api/v1/accounts/{personas.account.pk}/"
    response = client.get(url, {"format": format})
    assert response.status_code == 406
    body = response.json()
    assert body["code"] == "not_acceptable"
    assert f"The format “{format}” is not offered" in body["detail"]
    assert "format=json" in body["detail"]
    assert client.get(url, {"format": "json"}).json()["id"] == personas.account.pk


def test_a_list_and_the_schema_keep_their_formats(personas, api):
    client = api(personas.alice)
    assert client.get("/api/v1/accounts/", {"format": "xml"}).status_code == 406
    assert client.get("/api/v1/accounts/", {"format": "json"}).status_code == 200
    assert client.get("/api/v1/accounts/").status_code == 200
    assert client.get("/api/v1/schema/", {"format": "json"}).status_code == 200
    assert client.get("/api/v1/schema/", {"format": "yaml"}).status_code == 200


def test_a_record_not_visible_is_still_404_whatever_the_format(personas, api):
    from accounts.tests.factories import AccountFactory

    hidden = AccountFactory(owner=personas.charlie)
    response = api(personas.alice).get(f"/api/v1/accounts/{hidden.pk}/", {"format": "json"})
    assert response.status_code == 404


def test_a_type_the_accept_header_refuses_is_not_answered(personas, api):
    client = api(personas.alice)
    url = f"/api/v1/accounts/{personas.account.pk}/"
    refused = client.get(url, HTTP_ACCEPT="application/json;q=0, text/html")
    assert refused.status_code == 406
    assert client.get(url, HTTP_ACCEPT="application/json;q=0.5, text/html").status_code == 200
    assert client.get(url, HTTP_ACCEPT="*/*").status_code == 200
    assert client.get(url, HTTP_ACCEPT="application/json; q=1").status_code == 200

"""An external ID held by a record the caller cannot see says the same whether that
record is live or in the recycle bin: the API and the pages name neither, so nobody
learns that a record they cannot see was deleted."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.tests.factories import AccountFactory, ContactFactory


@pytest.fixture
def holders(personas):
    hidden_account = AccountFactory(owner=personas.charlie)
    live = ContactFactory(account=hidden_account, external_id="held-live")
    binned = ContactFactory(account=hidden_account, external_id="held-binned")
    services.contact_delete(contact=binned, by=personas.charlie)
    return live, binned


def external_id_errors(response) -> list[str]:
    assert response.status_code == 400, response.content
    return response.json()["errors"]["external_id"]


def test_the_api_says_the_same_of_a_hidden_live_and_a_hidden_binned_holder(personas, api, holders):
    client = api(personas.alice)
    said = {}
    for key in ("held-live", "held-binned"):
        body = {"account": personas.account.pk, "name": "Probe", "external_id": key}
        said[key, "post"] = external_id_errors(client.post("/api/v1/contacts/", body))
        said[key, "put"] = external_id_errors(
            client.put(
                f"/api/v1/contacts/external/{key}/",
                {"account": personas.account.pk, "name": "Probe"},
            )
        )
    assert said["held-live", "post"] == said["held-binned", "post"]
    assert said["held-live", "put"] == said["held-binned", "put"]
    for messages in said.values():
        assert not any("recycle bin" in message for message in messages), said


def test_a_page_says_the_same_of_both(personas, login, holders):
    client = login(personas.alice)
    url = reverse("accounts:contact_create", args=[personas.account.pk])
    pages = {}
    for key in ("held-live", "held-binned"):
        response = client.post(url, {"name": "Probe", "external_id": key})
        assert response.status_code == 200
        pages[key] = response.context["form"].errors.get("external_id")
    assert pages["held-live"] and pages["held-live"] == pages["held-binned"], pages


def test_who_may_restore_the_holder_is_told_it_is_in_the_recycle_bin(personas, api, holders):
    live, binned = holders
    body = {"account": live.account_id, "name": "Probe", "external_id": "held-binned"}
    response = api(personas.charlie).post("/api/v1/contacts/", body)
    assert "recycle bin" in external_id_errors(response)[0]

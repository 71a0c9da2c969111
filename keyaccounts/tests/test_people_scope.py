"""Whom one may name (issue 12): the API and the imports accept only the people of the
user's own sales teams (`accounts.selectors.users_pickable_by`, as the pages' people
pickers), a superuser anyone active; another team's person gets the very message an id
or a name nobody has gets, so input never confirms who exists."""

import datetime

import pytest
from django.utils import timezone, translation

from accounts.models import Contact
from accounts.selectors import users_pickable_by
from accounts.tests.factories import ContactFactory
from keyaccounts.tests.imports_files import csv_file
from keyaccounts.tests.test_imports import problems, run, statuses
from visits.models import Visit

pytestmark = pytest.mark.django_db

NOBODY = 987654321


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def test_the_pickable_people_are_the_teams_of_the_user(personas):
    p = personas
    assert set(users_pickable_by(p.alice)) == {p.alice, p.bob, p.carol, p.manager}
    assert set(users_pickable_by(p.manager)) == {p.alice, p.bob, p.carol, p.manager}
    assert p.charlie in users_pickable_by(p.admin)
    assert p.other_manager in users_pickable_by(p.admin)


def contact_with_owner(client, personas, owner_id, name="Wu Lei"):
    return client.post(
        "/api/v1/contacts/",
        {"account": personas.account.pk, "name": name, "relationship_owner": owner_id},
        format="json",
    )


def test_the_api_refuses_another_teams_person_as_it_refuses_a_missing_id(personas, api):
    client = api(personas.alice)
    stranger = contact_with_owner(client, personas, personas.charlie.pk)
    missing = contact_with_owner(client, personas, NOBODY)

    assert stranger.status_code == missing.status_code == 400
    stranger_message = stranger.json()["errors"]["relationship_owner"]
    missing_message = missing.json()["errors"]["relationship_owner"]
    assert stranger_message == [
        m.replace(str(NOBODY), str(personas.charlie.pk)) for m in missing_message
    ]
    assert not Contact.objects.filter(name="Wu Lei").exists()


def test_a_rep_and_a_manager_name_the_people_of_their_team(personas, api):
    assert contact_with_owner(api(personas.alice), personas, personas.carol.pk).status_code == 201
    # Another person (a second Wu Lei at the account would be a likely duplicate).
    response = contact_with_owner(api(personas.manager), personas, personas.bob.pk, "Zhou Min")
    assert response.status_code == 201
    assert response.json()["relationship_owner"] == personas.bob.pk


def test_a_superuser_names_anyone(personas, api):
    response = contact_with_owner(api(personas.admin), personas, personas.charlie.pk)
    assert response.status_code == 201, response.json()


def test_a_visits_attendee_from_another_team_is_refused_like_a_missing_one(personas, api):
    client = api(personas.alice)
    body = {
        "account": personas.account.pk,
        "status": "done",
        "occurred_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
    }
    stranger = client.post("/api/v1/visits/", {**body, "attendees": [personas.charlie.pk]})
    missing = client.post("/api/v1/visits/", {**body, "attendees": [NOBODY]})

    assert stranger.status_code == missing.status_code == 400
    assert str(stranger.json()["errors"]["attendees.0"]).replace(
        str(personas.charlie.pk), "ID"
    ) == str(missing.json()["errors"]["attendees.0"]).replace(str(NOBODY), "ID")
    assert not Visit.objects.exists()


def test_a_value_the_record_already_has_stays_valid_when_sent_back(personas, api):
    # The relationship owner was set by someone who could (an admin); alice may send the
    # contact back untouched, but not name charlie anew on another contact.
    contact = ContactFactory(account=personas.account, relationship_owner=personas.charlie)
    client = api(personas.alice)
    url = f"/api/v1/contacts/{contact.pk}/"
    body = client.get(url).json()
    response = client.put(url, {**body, "title": "CIO"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["relationship_owner"] == personas.charlie.pk
    other = ContactFactory(account=personas.account)
    url = f"/api/v1/contacts/{other.pk}/"
    response = client.patch(url, {"relationship_owner": personas.charlie.pk}, format="json")
    assert response.status_code == 400


def test_an_import_refuses_another_teams_person_as_it_refuses_a_missing_name(personas):
    rows = [
        ["Name", "Industry", "Owner"],
        ["Stranger Co", "Finance", "charlie"],
        ["Nobody Co", "Finance", "nobody"],
    ]
    result = run("accounts", csv_file(rows), personas.manager)

    assert statuses(result) == [(2, "error"), (3, "error")]
    (stranger,) = problems(result, 2)
    (missing,) = problems(result, 3)
    assert (
        stranger[2]
        == "Nobody of your sales teams has the username, email address or name “charlie”."
    )
    assert (
        missing[2] == "Nobody of your sales teams has the username, email address or name “nobody”."
    )
    assert stranger[3] == missing[3]


def test_a_manager_imports_for_his_team_and_a_superuser_for_anyone(personas):
    rows = [["Name", "Industry", "Owner"], ["Team Co", "Finance", "bob"]]
    assert statuses(run("accounts", csv_file(rows), personas.manager)) == [(2, "create")]
    rows = [["Name", "Industry", "Owner"], ["West Co", "Finance", "charlie"]]
    assert statuses(run("accounts", csv_file(rows), personas.admin)) == [(2, "create")]

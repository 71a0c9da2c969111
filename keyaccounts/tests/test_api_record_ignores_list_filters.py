"""A record named by its id is that record, among those the caller may see, whatever a
list's filters in the query string say (`SyncViewSetMixin.filter_queryset`): they are
the list's, and the schema documents none on a record. Visibility is not a filter: a
record the caller may not see answers 404 however it is asked."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        {"grade": "Z"},  # not a grade: the list answers 400
        {"industry": "not-an-industry"},
        {"name": "somebody else", "q": "nothing matches this"},  # the list would be empty
        {"owner": "999999", "ordering": "-name"},
    ],
)
def test_a_record_is_answered_whatever_the_list_s_filters_say(personas, api, query):
    client = api(personas.alice)
    path = f"/api/v1/accounts/{personas.account.pk}/"
    response = client.get(path, query)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == personas.account.pk
    assert response["ETag"] == client.get(path)["ETag"]


def test_the_list_still_reads_its_filters(personas, api):
    client = api(personas.alice)
    assert client.get("/api/v1/accounts/", {"grade": "Z"}).status_code == 400
    listed = client.get("/api/v1/accounts/", {"q": "nothing matches this"})
    assert listed.status_code == 200 and listed.json()["results"] == []


def test_a_record_the_caller_may_not_see_answers_404_with_or_without_filters(personas, api):
    client = api(personas.alice)
    path = f"/api/v1/accounts/{personas.charlies_account.pk}/"
    for query in ({}, {"owner": str(personas.charlie.pk)}, {"q": "Charlie"}):
        assert client.get(path, query).status_code == 404, query
    assert client.patch(path, {"name": "Mine now"}, format="json").status_code == 404


def test_a_change_to_a_record_is_not_refused_for_a_list_s_parameter(personas, api):
    client = api(personas.alice)
    path = f"/api/v1/accounts/{personas.account.pk}/?grade=Z&q=nothing"
    version = client.get(f"/api/v1/accounts/{personas.account.pk}/").json()["version"]
    response = client.patch(
        path, {"name": "Renamed Co"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Renamed Co"


def test_reading_a_record_makes_no_filter_form(personas, api, monkeypatch):
    from django_filters import FilterSet

    made = []
    original = FilterSet.__init__

    def counting(self, *args, **kwargs):
        made.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(FilterSet, "__init__", counting)
    client = api(personas.alice)
    assert client.get(f"/api/v1/accounts/{personas.account.pk}/").status_code == 200
    assert made == []
    assert client.get("/api/v1/accounts/").status_code == 200
    assert made == ["AccountFilter"]

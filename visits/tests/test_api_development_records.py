"""/api/v1/development-records/: the development records (大客户开发记录) through the API
keep the pages' rules: who sees them, who deletes them, who reviews them, and that a
reviewed record is locked. The sync contract itself is tested for every record type in
keyaccounts/tests/test_api_sync_contract.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from keyaccounts.models import Tombstone
from visits.models import DevelopmentRecord
from visits.tests.factories import DevelopmentRecordFactory, PlannedVisitFactory, VisitFactory

pytestmark = pytest.mark.django_db

PATH = "/api/v1/development-records/"


def url(record, action: str = "") -> str:
    return f"{PATH}{record.pk}/{action + '/' if action else ''}"


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def reviewed(record, by) -> DevelopmentRecord:
    DevelopmentRecord.objects.filter(pk=record.pk).update(reviewed_by=by, reviewed_on=days_ago(1))
    record.refresh_from_db()
    return record


# --- who sees a record ---------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("alice", 200),
        ("bob", 200),
        ("manager", 200),
        ("admin", 200),
        ("carol", 404),
        ("charlie", 404),
        ("other_manager", 404),
    ],
)
def test_a_record_is_seen_by_those_who_see_its_account_and_404_for_the_others(
    personas, api, who, status
):
    record = DevelopmentRecordFactory(account=personas.account)

    response = api(getattr(personas, who)).get(url(record))
    listed = api(getattr(personas, who)).get(PATH).json()["results"]

    assert response.status_code == status
    assert (record.pk in [row["id"] for row in listed]) == (status == 200)


def test_another_teams_rep_can_neither_change_delete_nor_review_a_record(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    charlie = api(personas.charlie)

    answers = [
        charlie.patch(url(record), {"remarks": "mine now"}).status_code,
        charlie.delete(url(record)).status_code,
        charlie.post(url(record, "review")).status_code,
    ]

    assert answers == [404, 404, 404]
    record.refresh_from_db()
    assert (record.version, record.remarks, record.reviewed_on) == (1, "", None)


def test_a_record_cannot_be_kept_for_an_account_one_cannot_see(personas, api):
    response = api(personas.charlie).post(
        PATH, {"account": personas.account.pk, "started_on": days_ago(10).isoformat()}
    )

    assert response.status_code == 400
    assert "account" in response.json()["errors"]
    assert not DevelopmentRecord.objects.exists()


# --- create and change ---------------------------------------------------------------


def test_a_new_record_is_prepared_by_its_creator_today_and_counts_the_visits_in_its_period(
    personas, api
):
    now = timezone.now()
    VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=5))
    VisitFactory(
        account=personas.account,
        occurred_at=now - datetime.timedelta(days=10),
        duration_minutes=30,
    )
    VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=40))
    PlannedVisitFactory(account=personas.account)
    VisitFactory(account=AccountFactory(owner=personas.alice))  # another account

    response = api(personas.bob).post(
        PATH, {"account": personas.account.pk, "started_on": days_ago(30).isoformat()}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["ETag"] == '"1"'
    assert body["prepared_by"] == personas.bob.pk
    assert body["prepared_on"] == timezone.localdate().isoformat()
    assert (body["result"], body["is_archived"], body["closed_on"]) == ("in_progress", False, None)
    assert (body["reviewed_by"], body["reviewed_on"]) == (None, None)
    # The two recorded visits of the last 30 days: 60 minutes (the factory's) and 30.
    assert (body["contact_count"], body["total_minutes"]) == (2, 90)


def test_a_result_closes_the_record_today_and_needs_the_why(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    client = api(personas.alice)

    without_why = client.patch(url(record), {"result": "success"}, HTTP_IF_MATCH='"1"')
    with_why = client.patch(
        url(record),
        {"result": "success", "summary": "The CIO chose us over two rivals"},
        HTTP_IF_MATCH='"1"',
    )

    assert without_why.status_code == 400
    assert "summary" in without_why.json()["errors"]
    assert with_why.status_code == 200, with_why.json()
    body = with_why.json()
    assert (body["version"], with_why["ETag"]) == (2, '"2"')
    assert (body["result"], body["is_archived"]) == ("success", True)
    assert body["closed_on"] == timezone.localdate().isoformat()


def test_a_change_naming_an_old_version_answers_412_and_changes_nothing(personas, api):
    record = DevelopmentRecordFactory(account=personas.account, remarks="first")
    client = api(personas.alice)
    client.patch(url(record), {"remarks": "second"}, HTTP_IF_MATCH='"1"')

    stale = client.patch(url(record), {"remarks": "stale"}, HTTP_IF_MATCH='"1"')

    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    record.refresh_from_db()
    assert (record.version, record.remarks) == (2, "second")


def test_the_totals_follow_a_change_of_the_period(personas, api):
    VisitFactory(
        account=personas.account,
        occurred_at=timezone.now() - datetime.timedelta(days=20),
        duration_minutes=50,
    )
    record = DevelopmentRecordFactory(account=personas.account, started_on=days_ago(30))
    client = api(personas.alice)
    assert client.get(url(record)).json()["contact_count"] == 1

    response = client.patch(url(record), {"started_on": days_ago(10).isoformat()})

    assert response.status_code == 200
    assert (response.json()["contact_count"], response.json()["total_minutes"]) == (0, 0)


def test_a_reviewed_record_sent_back_as_read_changes_nothing_and_is_no_error(personas, api):
    record = reviewed(DevelopmentRecordFactory(account=personas.account), personas.manager)
    client = api(personas.alice)
    read = client.get(url(record))
    entries = DevelopmentRecord.history.filter(id=record.pk).count()

    put = client.put(url(record), read.json(), format="json", HTTP_IF_MATCH=read["ETag"])
    patch = client.patch(url(record), {"remarks": read.json()["remarks"]}, format="json")

    assert (put.status_code, put["ETag"]) == (200, read["ETag"])
    assert (patch.status_code, patch["ETag"]) == (200, read["ETag"])
    assert DevelopmentRecord.history.filter(id=record.pk).count() == entries
    record.refresh_from_db()
    assert record.version == read.json()["version"]


def test_a_reviewed_record_sent_back_in_a_bulk_request_is_unchanged(personas, api):
    """The bulk endpoint's echo of a reviewed record: "unchanged", as a PUT answers 200
    (it answered 500, and a bulk job stopped there, saying the lines before were not
    written though they were)."""
    record = reviewed(
        DevelopmentRecordFactory(account=personas.account, external_id="dev-24"), personas.manager
    )
    item = {"external_id": "dev-24", "account": personas.account.pk}
    item["started_on"] = record.started_on.isoformat()
    client = api(personas.alice)
    for query in ("", "?atomic=true"):
        response = client.post(f"{PATH}bulk/{query}", [item], format="json")
        assert response.status_code == 200, response.content
        [result] = response.json()["results"]
        assert (result["status"], result["id"], result["version"]) == (
            "unchanged",
            record.pk,
            record.version,
        )
    changed = client.post(f"{PATH}bulk/", [{**item, "remarks": "afterthought"}], format="json")
    [result] = changed.json()["results"]
    assert (result["status"], result["code"]) == ("error", "protected")


def test_a_reviewed_record_can_no_longer_be_changed(personas, api):
    record = reviewed(DevelopmentRecordFactory(account=personas.account), personas.manager)

    response = api(personas.alice).patch(url(record), {"remarks": "afterthought"})

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert "can no longer be changed" in response.json()["detail"]
    record.refresh_from_db()
    assert (record.version, record.remarks) == (1, "")


def test_review_fields_cannot_be_written_directly(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)

    response = api(personas.alice).patch(
        url(record),
        {"reviewed_by": personas.alice.pk, "reviewed_on": "2026-01-01", "prepared_by": 1},
    )

    assert response.status_code == 200
    record.refresh_from_db()
    assert (record.reviewed_by, record.reviewed_on) == (None, None)
    assert record.prepared_by == personas.alice


# --- delete --------------------------------------------------------------------------


def test_delete_moves_the_record_to_the_recycle_bin_and_tells_the_changes_feed(personas, api):
    record = DevelopmentRecordFactory(account=personas.account, external_id="ERP-DEV-1")
    client = api(personas.alice)
    cursor = client.get(f"{PATH}changes/").json()["next_cursor"]

    response = client.delete(url(record), HTTP_IF_MATCH='"1"')

    assert response.status_code == 204
    assert client.get(url(record)).status_code == 404
    assert record.pk not in [row["id"] for row in client.get(PATH).json()["results"]]
    kept = DevelopmentRecord.all_objects.get(pk=record.pk)
    assert kept.deleted_at is not None
    assert kept.deletion.deleted_by == personas.alice
    feed = client.get(f"{PATH}changes/", {"since": cursor}).json()
    assert feed["results"] == []
    assert [(row["id"], row["external_id"]) for row in feed["deleted"]] == [
        (record.pk, "ERP-DEV-1")
    ]
    assert Tombstone.objects.filter(model="visits.developmentrecord", object_id=record.pk).exists()


def test_a_reviewed_record_is_kept_for_good_delete_answers_409(personas, api):
    record = reviewed(DevelopmentRecordFactory(account=personas.account), personas.manager)

    response = api(personas.manager).delete(url(record))

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert DevelopmentRecord.objects.filter(pk=record.pk).exists()


def test_only_who_prepared_it_or_a_manager_deletes_a_record(personas, api):
    alices, other = (DevelopmentRecordFactory(account=personas.account) for _ in range(2))

    by_bob = api(personas.bob).delete(url(alices))
    by_manager = api(personas.manager).delete(url(other))

    assert by_bob.status_code == 403
    assert by_bob.json()["code"] == "permission_denied"
    assert DevelopmentRecord.objects.filter(pk=alices.pk).exists()
    assert by_manager.status_code == 204
    assert not DevelopmentRecord.objects.filter(pk=other.pk).exists()


def test_a_deleted_record_is_restored_with_its_id_and_a_new_version(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    client = api(personas.alice)
    client.delete(url(record))
    cursor = client.get(f"{PATH}changes/").json()["next_cursor"]

    response = client.post(url(record, "restore"))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["version"], response["ETag"]) == (record.pk, 3, '"3"')
    assert client.get(url(record)).status_code == 200
    feed = client.get(f"{PATH}changes/", {"since": cursor}).json()
    assert [row["id"] for row in feed["results"]] == [record.pk]
    again = api(personas.manager).post(url(record, "restore"))
    assert (again.status_code, again.json()["code"]) == (409, "not_deleted")


def test_another_teams_rep_cannot_restore_a_record(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    api(personas.alice).delete(url(record))

    response = api(personas.charlie).post(url(record, "restore"))

    assert response.status_code == 404
    assert not DevelopmentRecord.objects.filter(pk=record.pk).exists()


# --- review --------------------------------------------------------------------------


def test_the_manager_of_the_preparing_reps_team_reviews_the_record(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)

    response = api(personas.manager).post(url(record, "review"), HTTP_IF_MATCH='"1"')

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["reviewed_by"], body["reviewed_on"]) == (
        personas.manager.pk,
        timezone.localdate().isoformat(),
    )
    assert (body["version"], response["ETag"]) == (2, '"2"')
    record.refresh_from_db()
    assert (record.reviewed_by, record.version) == (personas.manager, 2)


def test_the_review_carries_the_managers_comment(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    response = api(personas.manager).post(
        url(record, "review"), {"comment": "Meet the decider sooner."}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["review_comment"] == "Meet the decider sooner."
    rep_sees = api(personas.alice).get(url(record)).json()
    assert rep_sees["review_comment"] == "Meet the decider sooner."


def test_a_review_comment_too_long_is_refused_by_its_field(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    response = api(personas.manager).post(
        url(record, "review"), {"comment": "x" * 2001}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["comment"]
    record.refresh_from_db()
    assert (record.reviewed_on, record.version) == (None, 1)


@pytest.mark.parametrize(
    "who, status",
    [("alice", 403), ("bob", 403), ("admin", 403), ("carol", 404), ("other_manager", 404)],
)
def test_no_one_else_reviews_a_record(personas, api, who, status):
    record = DevelopmentRecordFactory(account=personas.account)

    response = api(getattr(personas, who)).post(url(record, "review"))

    assert response.status_code == status
    record.refresh_from_db()
    assert (record.reviewed_by, record.version) == (None, 1)


def test_a_record_is_reviewed_once(personas, api):
    record = reviewed(DevelopmentRecordFactory(account=personas.account), personas.manager)

    response = api(personas.manager).post(url(record, "review"))

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert response.json()["detail"] == "This record was already reviewed."


def test_a_review_naming_an_old_version_answers_412_and_reviews_nothing(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    api(personas.alice).patch(url(record), {"remarks": "changed after the manager read it"})

    response = api(personas.manager).post(url(record, "review"), HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    record.refresh_from_db()
    assert (record.reviewed_on, record.version) == (None, 2)


def test_a_review_sent_twice_with_one_idempotency_key_answers_the_first_answer(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    client = api(personas.manager)

    first = client.post(url(record, "review"), HTTP_IDEMPOTENCY_KEY="review-1", HTTP_IF_MATCH='"1"')
    retry = client.post(url(record, "review"), HTTP_IDEMPOTENCY_KEY="review-1", HTTP_IF_MATCH='"1"')

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    record.refresh_from_db()
    assert record.version == 2


# --- lists: filters, ordering, query count -------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"result": "failure"}, {"lost"}),
        ({"reviewed": "true"}, {"reviewed"}),
        ({"reviewed": "false"}, {"open", "lost", "other_account"}),
        ({"prepared_after": "2026-03-01"}, {"reviewed", "other_account"}),
        ({"prepared_before": "2026-02-28"}, {"open", "lost"}),
        ({"prepared_by": "bob"}, {"lost"}),
        ({"account": "other"}, {"other_account"}),
    ],
)
def test_development_record_filters(personas, api, query, expected):
    other = AccountFactory(owner=personas.alice)
    records = {
        "open": DevelopmentRecordFactory(
            account=personas.account, prepared_on=datetime.date(2026, 1, 10)
        ),
        "lost": DevelopmentRecordFactory(
            account=personas.account,
            prepared_by=personas.bob,
            prepared_on=datetime.date(2026, 2, 28),
            started_on=datetime.date(2026, 1, 15),
            result="failure",
            closed_on=datetime.date(2026, 2, 28),
            summary="No budget this year",
        ),
        "reviewed": reviewed(
            DevelopmentRecordFactory(
                account=personas.account, prepared_on=datetime.date(2026, 3, 1)
            ),
            personas.manager,
        ),
        "other_account": DevelopmentRecordFactory(
            account=other, prepared_on=datetime.date(2026, 4, 1)
        ),
    }
    DevelopmentRecordFactory(account=personas.charlies_account)
    named = {"bob": personas.bob.pk, "other": other.pk}
    query = {key: named.get(value, value) for key, value in query.items()}

    response = api(personas.alice).get(PATH, query)

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        records[name].pk for name in expected
    }


@pytest.mark.parametrize(
    "query", [{"reviewed": "maybe"}, {"result": "won"}, {"prepared_after": "soon"}]
)
def test_a_filter_value_that_makes_no_sense_answers_400(personas, api, query):
    response = api(personas.alice).get(PATH, query)

    assert response.status_code == 400
    assert set(query) <= set(response.json()["errors"])


def test_the_list_is_newest_prepared_first_unless_ordered_otherwise(personas, api):
    dates = [datetime.date(2026, 1, day) for day in (5, 20, 12)]
    records = [
        DevelopmentRecordFactory(account=personas.account, prepared_on=day, started_on=day)
        for day in dates
    ]
    client = api(personas.alice)

    default = [row["id"] for row in client.get(PATH).json()["results"]]
    by_start = [row["id"] for row in client.get(PATH, {"ordering": "started_on"}).json()["results"]]

    assert default == [records[1].pk, records[2].pk, records[0].pk]
    assert by_start == [records[0].pk, records[2].pk, records[1].pk]


def test_a_list_of_records_costs_the_same_queries_at_2_and_20_records(
    personas, api, django_assert_max_num_queries
):
    client = api(personas.alice)
    VisitFactory(account=personas.account)

    def make(count: int) -> None:
        for _ in range(count):
            DevelopmentRecordFactory(account=personas.account)

    make(2)
    with CaptureQueriesContext(connection) as at_two:
        response = client.get(PATH)
    assert len(response.json()["results"]) == 2

    make(18)
    with django_assert_max_num_queries(len(at_two)):
        response = client.get(PATH)
    assert len(response.json()["results"]) == 20
    assert {row["contact_count"] for row in response.json()["results"]} == {1}


def test_the_schema_documents_the_development_records_endpoint(api):
    schema = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    paths = schema["paths"]
    assert {
        "/api/v1/development-records/",
        "/api/v1/development-records/{id}/",
        "/api/v1/development-records/{id}/review/",
        "/api/v1/development-records/changes/",
        "/api/v1/development-records/external/{external_id}/",
    } <= set(paths)
    review = paths["/api/v1/development-records/{id}/review/"]["post"]
    assert {"If-Match", "Idempotency-Key"} <= {p["name"] for p in review["parameters"]}
    assert {"200", "403", "404", "412"} <= set(review["responses"])
    assert "409" in paths["/api/v1/development-records/{id}/"]["delete"]["responses"]

"""/api/v1/visits/: logging visits through the API keeps the pages' rules."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AccountFactory, ContactFactory
from visits.models import Visit
from visits.tests.factories import PlannedVisitFactory, VisitFactory

pytestmark = pytest.mark.django_db


def test_a_recorded_visit_gets_its_follow_up_due_a_week_later(personas, api):
    contact = ContactFactory(account=personas.account)
    occurred = timezone.now() - datetime.timedelta(hours=2)

    response = api(personas.alice).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "done",
            "occurred_at": occurred.isoformat(),
            "contacts": [contact.pk],
            "attendees": [personas.bob.pk],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == personas.alice.pk
    assert body["contacts"] == [contact.pk]
    assert body["attendees"] == [personas.bob.pk]
    expected_due = timezone.localdate(occurred) + datetime.timedelta(days=7)
    assert body["follow_up_due"] == expected_due.isoformat()


def test_a_recorded_visit_needs_its_date_and_not_in_the_future(personas, api):
    client = api(personas.alice)

    undated = client.post("/api/v1/visits/", {"account": personas.account.pk, "status": "done"})
    future = client.post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "done",
            "occurred_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
        },
    )

    assert undated.status_code == future.status_code == 400
    assert "occurred_at" in undated.json()["errors"]
    assert "occurred_at" in future.json()["errors"]
    assert not Visit.objects.exists()


def test_a_future_recorded_time_is_refused_with_the_other_fields_problems_at_once(personas, api):
    """A phone's outbox sends the visit as typed: every problem comes back in one answer
    (the time in the future beside a negative duration), not one per attempt."""
    answer = api(personas.alice).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "done",
            "occurred_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
            "duration_minutes": -30,
        },
    )
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert set(errors) == {"occurred_at", "duration_minutes"}
    assert errors["occurred_at"] == [
        "A recorded visit cannot be in the future. Plan it instead, or correct the date."
    ]
    # A planned visit may be in the future: the same time is no problem there.
    planned = api(personas.alice).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "planned",
            "planned_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
            "occurred_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
            "duration_minutes": -30,
        },
    )
    assert set(planned.json()["errors"]) == {"duration_minutes"}
    assert not Visit.objects.exists()


def test_contacts_met_must_be_of_the_visits_account(personas, api):
    other = AccountFactory(owner=personas.alice)
    stranger = ContactFactory(account=other)

    response = api(personas.alice).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "planned",
            "planned_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
            "contacts": [stranger.pk],
        },
    )

    assert response.status_code == 400
    assert "contacts" in response.json()["errors"]


def test_contacts_one_cannot_see_are_refused_like_unknown_ones(personas, api):
    hidden = ContactFactory(account=personas.charlies_account)

    response = api(personas.alice).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "planned",
            "planned_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
            "contacts": [hidden.pk],
        },
    )

    assert response.status_code == 400
    assert "No contact with the id" in " ".join(response.json()["errors"]["contacts.0"])


def test_each_refused_id_is_named_by_its_place_in_the_list(personas, api):
    """docs/api.md, Errors: `contacts.1`, as a deal's parts are named."""
    met = ContactFactory(account=personas.account)
    hidden = ContactFactory(account=personas.charlies_account)
    body = {
        "account": personas.account.pk,
        "status": "planned",
        "planned_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
        "contacts": [met.pk, 99999999, hidden.pk],
        "attendees": [personas.alice.pk, 88888888],
    }
    response = api(personas.alice).post("/api/v1/visits/", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"contacts.1", "contacts.2", "attendees.1"}, errors
    assert errors["contacts.1"] == [
        "No contact with the id 99999999 that you can see: send the id of one you can see."
    ]
    # One they cannot see is said as one nobody has.
    assert errors["contacts.2"] == [
        f"No contact with the id {hidden.pk} that you can see: send the id of one you can see."
    ]
    assert not Visit.objects.exists()


def test_a_visit_cannot_be_logged_at_an_account_one_cannot_see(personas, api):
    response = api(personas.charlie).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "planned",
            "planned_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
        },
    )

    assert response.status_code == 400
    assert "account" in response.json()["errors"]


def test_patching_other_fields_keeps_the_contacts_and_attendees(personas, api):
    contact = ContactFactory(account=personas.account)
    visit = PlannedVisitFactory(account=personas.account)
    visit.contacts.set([contact])
    visit.attendees.set([personas.bob])

    response = api(personas.alice).patch(f"/api/v1/visits/{visit.pk}/", {"purpose": "Pilot"})

    assert response.status_code == 200
    assert response.json()["contacts"] == [contact.pk]
    assert response.json()["attendees"] == [personas.bob.pk]


def test_reading_answers_the_contacts_and_attendees_a_write_answers(personas, api):
    """The read actions (list, record, changes feed) read the contacts and attendees as
    plain lists of ids (keyaccounts.api.serializers.listed); a write reads them through
    the visit. Both answer the same: a contact in the recycle bin left out, the order."""
    from accounts.services import contact_delete

    met = [ContactFactory(account=personas.account, name=name) for name in ("Zhao", "Qian")]
    binned = ContactFactory(account=personas.account, name="Sun")
    visit = PlannedVisitFactory(account=personas.account)
    visit.contacts.set([*met, binned])
    visit.attendees.set([personas.carol, personas.bob])
    contact_delete(contact=binned, by=personas.alice)
    client = api(personas.alice)

    written = client.patch(f"/api/v1/visits/{visit.pk}/", {"purpose": "Pilot"}).json()
    assert sorted(written["contacts"]) == sorted(c.pk for c in met)
    assert sorted(written["attendees"]) == sorted([personas.bob.pk, personas.carol.pk])
    assert client.get(f"/api/v1/visits/{visit.pk}/").json() == written
    listed = client.get("/api/v1/visits/").json()["results"]
    assert [row for row in listed if row["id"] == visit.pk] == [written]
    fed = client.get("/api/v1/visits/changes/").json()["results"]
    entry = next(row for row in fed if row["id"] == visit.pk)
    assert {k: v for k, v in entry.items() if k in written} == written
    # A read after a write answers what was written.
    client.patch(f"/api/v1/visits/{visit.pk}/", {"contacts": [met[0].pk], "attendees": []})
    again = client.get(f"/api/v1/visits/{visit.pk}/").json()
    assert (again["contacts"], again["attendees"]) == ([met[0].pk], [])


def test_the_follow_up_is_read_only_here(personas, api):
    visit = VisitFactory(account=personas.account)

    response = api(personas.alice).patch(
        f"/api/v1/visits/{visit.pk}/",
        {"followed_up_on": "2020-01-01", "follow_up_feedback": "typed by hand"},
    )

    assert response.status_code == 200
    assert response.json()["followed_up_on"] is None
    assert response.json()["follow_up_feedback"] == ""


def at(year, month, day) -> datetime.datetime:
    return datetime.datetime(year, month, day, 10, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status": "planned"}, {"planned"}),
        ({"occurred_after": "2026-01-10T00:00:00Z"}, {"recent"}),
        ({"occurred_before": "2026-01-10T00:00:00Z"}, {"old"}),
    ],
)
def test_visit_filters(personas, api, query, expected):
    visits = {
        "planned": PlannedVisitFactory(account=personas.account),
        "recent": VisitFactory(account=personas.account, occurred_at=at(2026, 1, 20)),
        "old": VisitFactory(account=personas.account, occurred_at=at(2026, 1, 2)),
    }
    VisitFactory(account=personas.charlies_account)

    response = api(personas.alice).get("/api/v1/visits/", query)

    assert {r["id"] for r in response.json()["results"]} == {visits[k].pk for k in expected}


def test_visits_filter_by_account_and_owner(personas, api):
    visit = VisitFactory(account=personas.account)
    client = api(personas.manager)

    by_account = client.get("/api/v1/visits/", {"account": personas.account.pk}).json()
    by_owner = client.get("/api/v1/visits/", {"owner": personas.bob.pk}).json()

    assert [r["id"] for r in by_account["results"]] == [visit.pk]
    assert by_owner["results"] == []


def test_a_list_of_visits_costs_the_same_queries_at_any_page_size(personas, api):
    for _ in range(50):
        visit = VisitFactory(account=personas.account)
        visit.contacts.set([ContactFactory(account=personas.account)])
        visit.attendees.set([personas.bob])
    client = api(personas.alice)
    client.get("/api/v1/visits/")

    counts = []
    for size in (2, 50):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/visits/", {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(captured))

    assert counts[0] == counts[1]


# --- a visit's follow-up through the API (the phone's outbox sends it this way) ---------


def follow_up_url(visit) -> str:
    return f"/api/v1/visits/{visit.pk}/follow-up/"


@pytest.fixture
def recorded(personas):
    return VisitFactory(
        account=personas.account,
        owner=personas.alice,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
    )


def test_the_follow_up_is_logged_through_the_api_once_with_its_key(personas, api, recorded):
    client = api(personas.alice)
    today = timezone.localdate()
    body = {"followed_up_on": str(today), "follow_up_method": "visit", "follow_up_feedback": "好"}
    key = {"HTTP_IDEMPOTENCY_KEY": "phone-outbox-1"}

    first = client.post(follow_up_url(recorded), body, format="json", **key)
    again = client.post(follow_up_url(recorded), body, format="json", **key)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()  # the retry replays the first answer
    assert first.json()["followed_up_on"] == str(today)
    recorded.refresh_from_db()
    assert (recorded.followed_up_on, recorded.follow_up_method) == (today, "visit")
    assert recorded.follow_up_feedback == "好" and recorded.followed_up_by == personas.alice
    # Logged already: a new request (another key, or none) is refused, nothing changed.
    other = client.post(follow_up_url(recorded), {**body, "follow_up_feedback": "x"}, format="json")
    assert other.status_code == 409 and other.json()["code"] == "protected"
    recorded.refresh_from_db()
    assert recorded.follow_up_feedback == "好"


def test_a_planned_visit_says_it_cannot_be_followed_up_before_what_the_body_lacks(personas, api):
    planned = VisitFactory(
        account=personas.account,
        owner=personas.alice,
        status="planned",
        occurred_at=None,
        planned_at=timezone.now() + datetime.timedelta(days=1),
    )
    response = api(personas.alice).post(follow_up_url(planned), {}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Only a visit that took place can be followed up."
    planned.refresh_from_db()
    assert planned.followed_up_on is None


def test_a_bad_follow_up_is_refused_on_its_field(personas, api, recorded):
    client = api(personas.alice)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    cases = [
        ({"followed_up_on": str(tomorrow), "follow_up_feedback": "ok"}, "followed_up_on"),
        (
            {"followed_up_on": str(timezone.localdate()), "follow_up_feedback": " "},
            "follow_up_feedback",
        ),
        ({"follow_up_feedback": "ok"}, "followed_up_on"),
        ({"followed_up_on": "2026-13-01", "follow_up_feedback": "ok"}, "followed_up_on"),
        (
            {"followed_up_on": str(timezone.localdate()), "follow_up_feedback": "a\x00b"},
            "follow_up_feedback",
        ),
        (
            {
                "followed_up_on": str(timezone.localdate()),
                "follow_up_feedback": "ok",
                "follow_up_method": "fax",
            },
            "follow_up_method",
        ),
    ]
    for body, field in cases:
        response = client.post(follow_up_url(recorded), body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"], (body, response.json())
    recorded.refresh_from_db()
    assert recorded.followed_up_on is None


def test_a_follow_up_of_a_visit_not_seen_or_not_recorded_is_refused(personas, api, recorded):
    assert api(personas.charlie).post(follow_up_url(recorded), {}, format="json").status_code == 404
    planned = PlannedVisitFactory(account=personas.account, owner=personas.alice)
    response = api(personas.alice).post(
        follow_up_url(planned),
        {"followed_up_on": str(timezone.localdate()), "follow_up_feedback": "ok"},
        format="json",
    )
    assert response.status_code == 400
    stale = api(personas.alice).post(
        follow_up_url(recorded),
        {"followed_up_on": str(timezone.localdate()), "follow_up_feedback": "ok"},
        format="json",
        HTTP_IF_MATCH=f'"{recorded.version + 1}"',
    )
    assert stale.status_code == 412


def test_a_visit_sent_by_the_outbox_of_another_user_is_refused(personas, login, api):
    """The app's outbox (signed in by the session) names who typed it: another user
    signed in on the device is refused; a token client is its token's user."""
    body = {"account": personas.account.pk, "status": "done", "occurred_at": "2026-11-30T10:00"}
    session = login(personas.alice)

    def post(client, typed_by):
        return client.post(
            "/api/v1/visits/", body, content_type="application/json", HTTP_X_OUTBOX_USER=typed_by
        )

    refused = post(session, str(personas.bob.pk))
    assert refused.status_code == 403 and Visit.objects.count() == 0
    assert post(session, str(personas.alice.pk)).status_code == 201
    assert Visit.objects.get().owner == personas.alice
    token = api(personas.alice).post(
        "/api/v1/visits/", body, format="json", HTTP_X_OUTBOX_USER=str(personas.bob.pk)
    )
    assert token.status_code == 201 and Visit.objects.count() == 2


def test_a_form_token_the_page_saved_already_is_no_second_visit(personas, login, api):
    """The outbox sends a kept form under "form:<its token>": if the form reached the
    server after all, the API answers 409 already_saved and creates nothing."""
    token = "0123456789abcdef0123456789abcdef"
    page = login(personas.alice)
    saved = page.post(
        f"/accounts/{personas.account.pk}/visits/new/",
        {
            "occurred_at": "2026-11-30T10:00",
            "method": "in_person",
            "customer_attitude": "neutral",
            "form_token": token,
        },
    )
    assert saved.status_code == 302, saved.context["form"].errors
    assert Visit.objects.count() == 1
    again = api(personas.alice).post(
        "/api/v1/visits/",
        {"account": personas.account.pk, "status": "done", "occurred_at": "2026-11-30T10:00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"form:{token}",
    )
    assert again.status_code == 409 and again.json()["code"] == "already_saved"
    assert Visit.objects.count() == 1


def test_a_follow_up_is_due_within_a_week_of_the_visit(personas, api):
    """The seeds' rule (拜访后一周内回访): a due date later than a week after the visit
    would keep it from ever being overdue, in my week, the bell and the compliance
    figures."""
    occurred = timezone.now() - datetime.timedelta(hours=2)
    day = timezone.localdate(occurred)
    body = {"account": personas.account.pk, "status": "done", "occurred_at": occurred.isoformat()}
    client = api(personas.alice)

    late = client.post("/api/v1/visits/", {**body, "follow_up_due": "9998-12-31"})
    last = client.post(
        "/api/v1/visits/", {**body, "follow_up_due": (day + datetime.timedelta(days=7)).isoformat()}
    )

    assert late.status_code == 400, late.content
    latest = (day + datetime.timedelta(days=7)).isoformat()
    assert late.json()["errors"]["follow_up_due"] == [
        f"Follow up within a week of the visit: by {latest} at the latest."
    ]
    assert last.status_code == 201, last.content
    assert Visit.objects.count() == 1


def test_a_follow_up_stored_later_than_a_week_stays_when_the_visit_is_edited(personas, api):
    """One written before the rule was checked (an earlier import, say) is no new choice:
    the visit's other changes are saved."""
    visit = VisitFactory(account=personas.account, owner=personas.alice)
    far = timezone.localdate(visit.occurred_at) + datetime.timedelta(days=30)
    Visit.objects.filter(pk=visit.pk).update(follow_up_due=far)

    response = api(personas.alice).patch(f"/api/v1/visits/{visit.pk}/", {"place": "Their plant"})

    assert response.status_code == 200, response.content
    assert Visit.objects.get(pk=visit.pk).follow_up_due == far


def test_a_visit_lasts_a_week_at_most(personas, api):
    client = api(personas.alice)
    body = {
        "account": personas.account.pk,
        "status": "planned",
        "planned_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
    }

    too_long = client.post("/api/v1/visits/", {**body, "duration_minutes": 99999999999999})
    a_week = client.post("/api/v1/visits/", {**body, "duration_minutes": 7 * 24 * 60})

    assert too_long.status_code == 400
    assert "duration_minutes" in too_long.json()["errors"]
    assert a_week.status_code == 201, a_week.content


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_sent_without_a_key_is_logged_in_its_own_transaction(personas, api):
    """Outside a test's transaction, as a server runs it: the follow-up locks the visit
    in the service's own transaction (no Idempotency-Key, so none around it). The lock
    is PostgreSQL's: SQLite takes none, so there this only shows the follow-up logged."""
    done = VisitFactory(
        account=personas.account,
        owner=personas.alice,
        occurred_at=timezone.now() - datetime.timedelta(days=1),
    )
    body = {"follow_up_feedback": "好", "followed_up_on": str(timezone.localdate())}

    response = api(personas.alice).post(follow_up_url(done), body, format="json")

    assert response.status_code == 200, response.content
    done.refresh_from_db()
    assert done.follow_up_feedback == "好"


# --- colleagues typed by name (a phone's outbox: no signal to look them up) ---------------


def post_visit(client, **fields):
    return client.post(
        "/api/v1/visits/",
        {
            "status": "done",
            "occurred_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
            **fields,
        },
        format="json",
    )


def test_colleagues_typed_by_name_join_the_attendees_as_the_forms_picker_finds_them(personas, api):
    response = post_visit(
        api(personas.alice),
        account=personas.account.pk,
        attendees=[personas.bob.pk],
        attendee_names=["Ben Bao", "carol"],  # bob again by his name; carol by username
    )
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["attendees"]) == sorted([personas.bob.pk, personas.carol.pk])
    assert "attendee_names" not in response.json()  # write-only: what was typed is resolved


def test_a_typed_name_of_nobody_pickable_is_refused_on_its_field_and_nothing_is_saved(
    personas, api
):
    """Charlie is of another team: named like a stranger, as the form's picker does."""
    response = post_visit(
        api(personas.alice),
        account=personas.account.pk,
        attendee_names=["Charlie Wang; carol", "没有这个人"],
    )
    assert response.status_code == 400
    assert response.json()["errors"]["attendee_names"] == [
        "Nobody of your teams is called “Charlie Wang”: pick someone from the list.",
        "Nobody of your teams is called “没有这个人”: pick someone from the list.",
    ]
    assert not Visit.objects.exists()


def test_a_typed_name_several_colleagues_share_is_refused_as_ambiguous(personas, api):
    from accounts.tests.factories import UserFactory

    UserFactory(username="cchen2", sales_team=personas.east, first_name="Cara", last_name="Chen")
    response = post_visit(api(personas.alice), account=personas.account.pk, attendee_names=["Chen"])
    assert response.status_code == 400
    assert response.json()["errors"]["attendee_names"] == [
        "Several people of your teams match “Chen”: pick the one you mean from the list."
    ]


def test_a_change_with_typed_names_keeps_the_visits_attendees_and_adds_them(personas, api):
    visit = VisitFactory(account=personas.account, owner=personas.alice)
    visit.attendees.set([personas.bob])
    response = api(personas.alice).patch(
        f"/api/v1/visits/{visit.pk}/", {"attendee_names": ["Carol Chen"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert sorted(response.json()["attendees"]) == sorted([personas.bob.pk, personas.carol.pk])


@pytest.mark.parametrize("set_based", [True, False])
def test_a_bulk_item_takes_colleagues_typed_by_name_too(personas, api, settings, set_based):
    settings.BULK_SET_BASED = set_based
    occurred = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    item = {"account": personas.account.pk, "status": "done", "occurred_at": occurred}
    response = api(personas.alice).post(
        "/api/v1/visits/bulk/",
        [
            {**item, "external_id": "V-1", "attendee_names": ["Ben Bao"]},
            {**item, "external_id": "V-2", "attendee_names": ["nobody at all"]},
        ],
        format="json",
    )
    assert response.status_code == 200, response.json()
    first, second = response.json()["results"]
    assert first["status"] == "created", first
    assert list(Visit.objects.get(external_id="V-1").attendees.all()) == [personas.bob]
    assert second["status"] == "error"
    assert "attendee_names" in second["errors"]
    assert not Visit.objects.filter(external_id="V-2").exists()


def test_a_long_colleagues_box_is_taken_as_the_forms_picker_takes_it(personas, api):
    """Ten addresses in one box (over 300 characters): each name is held to the
    picker's bound, not the whole text."""
    names = ";".join([personas.bob.email, personas.carol.email] * 10)
    assert len(names) > 300
    response = post_visit(api(personas.alice), account=personas.account.pk, attendee_names=[names])
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["attendees"]) == sorted([personas.bob.pk, personas.carol.pk])


def test_a_typed_name_of_nobody_is_said_with_the_other_fields_problems(personas, api):
    """A phone's outbox learns every problem at once: the future time and the colleague."""
    response = post_visit(
        api(personas.alice),
        account=personas.account.pk,
        occurred_at=(timezone.now() + datetime.timedelta(days=2)).isoformat(),
        attendee_names=["没有这个人"],
    )
    assert response.status_code == 400
    assert {"occurred_at", "attendee_names"} <= set(response.json()["errors"])

"""Development records (大客户开发记录): derived contacts and totals, review, archive."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AccountFactory, ContactFactory, TeamMemberFactory
from visits.models import DevelopmentRecord, DevelopmentResult
from visits.tests.factories import DevelopmentRecordFactory, PlannedVisitFactory, VisitFactory

pytestmark = pytest.mark.django_db

LIST = reverse("visits:record_list")


def days(n):
    return datetime.timedelta(days=n)


def at_noon(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


# --- creating and editing ------------------------------------------------------------------


def test_a_record_starts_from_the_accounts_first_visit_and_is_prepared_by_the_user(personas, login):
    today = timezone.localdate()
    VisitFactory(account=personas.account, occurred_at=at_noon(today - days(40)))
    VisitFactory(account=personas.account, occurred_at=at_noon(today - days(10)))
    url = reverse("visits:record_create", args=[personas.account.pk])
    client = login(personas.alice)
    assert client.get(url).context["form"].initial["started_on"] == today - days(40)
    response = client.post(
        url, {"started_on": (today - days(40)).isoformat(), "result": "in_progress"}
    )
    record = DevelopmentRecord.objects.get()
    assert response["Location"] == record.get_absolute_url()
    assert (record.prepared_by, record.prepared_on) == (personas.alice, today)
    assert record.account == personas.account


def test_a_result_needs_a_summary_of_why(personas, login):
    url = reverse("visits:record_create", args=[personas.account.pk])
    response = login(personas.alice).post(
        url,
        {"started_on": timezone.localdate().isoformat(), "result": "failure", "remarks": "Kept"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["summary"]
    assert "Kept" in response.content.decode()
    assert not DevelopmentRecord.objects.exists()


def test_a_development_cannot_end_before_it_started(personas, login):
    today = timezone.localdate()
    response = login(personas.alice).post(
        reverse("visits:record_create", args=[personas.account.pk]),
        {
            "started_on": today.isoformat(),
            "closed_on": (today - days(5)).isoformat(),
            "result": "in_progress",
        },
    )
    # On the end date, in words: not the database constraint's name as a form-wide error.
    assert response.context["form"].errors == {
        "closed_on": ["The development cannot end before it started."]
    }
    assert "development_ends_after_it_starts" not in response.content.decode()
    assert not DevelopmentRecord.objects.exists()


def test_a_development_cannot_start_or_end_in_the_future_on_the_page_or_the_api(
    personas, login, api
):
    today = timezone.localdate()
    later = (today + days(30)).isoformat()
    page = login(personas.alice).post(
        reverse("visits:record_create", args=[personas.account.pk]),
        {"started_on": later, "result": "in_progress", "remarks": "Kept"},
    )
    sent = api(personas.alice).post(
        "/api/v1/development-records/",
        {
            "account": personas.account.pk,
            "started_on": (today - days(30)).isoformat(),
            "closed_on": later,
            "result": "success",
            "summary": "Signed",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert page.context["form"].errors == {
        "started_on": [
            f"The development cannot start in the future (today is {today.isoformat()}): "
            "give the day it started."
        ]
    }
    assert "Kept" in page.content.decode()
    assert sent.status_code == 400
    assert sent.json()["errors"] == {
        "closed_on": [
            f"The development cannot end in the future (today is {today.isoformat()}): give "
            "the day it ended, or keep it in progress."
        ]
    }
    assert not DevelopmentRecord.objects.exists()


def test_a_record_saved_before_the_rule_with_a_future_start_can_still_be_changed(personas, api):
    record = DevelopmentRecordFactory(account=personas.account)
    later = timezone.localdate() + days(30)
    DevelopmentRecord.objects.filter(pk=record.pk).update(started_on=later)

    changed = api(personas.alice).patch(
        f"/api/v1/development-records/{record.pk}/", {"remarks": "Kept"}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    record.refresh_from_db()
    assert (record.remarks, record.started_on) == ("Kept", later)


def test_an_odd_date_is_a_form_error(personas, login):
    response = login(personas.alice).post(
        reverse("visits:record_create", args=[personas.account.pk]),
        {"started_on": "31/02/2026", "result": "in_progress"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["started_on"]


def test_closing_with_a_result_sets_the_end_date_to_today(personas, login):
    record = DevelopmentRecordFactory(account=personas.account)
    response = login(personas.alice).post(
        reverse("visits:record_edit", args=[record.pk]),
        {
            "started_on": record.started_on.isoformat(),
            "result": "success",
            "summary": "The decider backed us",
            "version": record.version,
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.result == DevelopmentResult.SUCCESS
    assert record.closed_on == timezone.localdate()


# --- derived contacts and totals -------------------------------------------------------------


def test_the_contacts_and_totals_come_from_the_visits_in_the_period(personas, login):
    today = timezone.localdate()
    record = DevelopmentRecordFactory(
        account=personas.account, started_on=today - days(30), closed_on=today - days(2)
    )
    wang = ContactFactory(account=personas.account, name="王芳")
    inside = [
        VisitFactory(
            account=personas.account,
            occurred_at=at_noon(today - days(30)),
            duration_minutes=90,
            next_steps="Send a quote",
            talking_points="Needs",
            customer_attitude="supporter",
        ),
        VisitFactory(
            account=personas.account, occurred_at=at_noon(today - days(10)), duration_minutes=45
        ),
        VisitFactory(
            account=personas.account, occurred_at=at_noon(today - days(2)), duration_minutes=None
        ),
    ]
    inside[0].contacts.set([wang])
    # Outside the period, not recorded, or another account: none of them count.
    VisitFactory(account=personas.account, occurred_at=at_noon(today - days(31)))
    VisitFactory(account=personas.account, occurred_at=at_noon(today - days(1)))
    PlannedVisitFactory(account=personas.account, planned_at=at_noon(today - days(5)))
    VisitFactory(account=AccountFactory(owner=personas.alice), occurred_at=at_noon(today))

    response = login(personas.alice).get(record.get_absolute_url())
    # Counted by hand: three visits, 90 + 45 + (none) minutes.
    assert response.context["contacts"] == inside
    assert response.context["totals"] == {"contact_count": 3, "total_minutes": 135}
    html = response.content.decode()
    assert '<dd data-total="contacts">3</dd>' in html
    assert '<dd data-total="minutes">2 h 15 min</dd>' in html
    for text in ["王芳", "Send a quote", "Needs", "Supporter"]:
        assert text in html

    listed = login(personas.alice).get(LIST).context["page"].object_list[0]
    assert (listed.contact_count, listed.total_minutes) == (3, 135)


def test_an_open_record_counts_the_visits_up_to_today(personas, login):
    record = DevelopmentRecordFactory(account=personas.account)
    VisitFactory(account=personas.account, duration_minutes=30)
    VisitFactory(account=personas.account, duration_minutes=20)
    totals = login(personas.alice).get(record.get_absolute_url()).context["totals"]
    assert totals == {"contact_count": 2, "total_minutes": 50}


# --- review -------------------------------------------------------------------------------


def review(client, record):
    return client.post(reverse("visits:record_review", args=[record.pk]), follow=True)


def closed_record(personas, **fields):
    return DevelopmentRecordFactory(
        account=personas.account, result="failure", summary="Lost on price", **fields
    )


def test_the_manager_of_the_preparing_reps_team_reviews_the_record(personas, login):
    record = closed_record(personas)
    client = login(personas.manager)
    assert "Mark as reviewed" in client.get(record.get_absolute_url()).content.decode()
    response = review(client, record)
    assert "Record marked as reviewed." in response.content.decode()
    record.refresh_from_db()
    assert (record.reviewed_by, record.reviewed_on) == (personas.manager, timezone.localdate())


def test_reviewing_a_record_still_in_progress_warns_that_it_locks_it(personas, login):
    """The manager is told before the review locks a development still going on; a
    closed one says nothing of it."""
    going = DevelopmentRecordFactory(account=personas.account, result="in_progress")
    client = login(personas.manager)
    page = client.get(going.get_absolute_url()).content.decode()
    assert "data-review-in-progress" in page
    assert "This development is still in progress. A review locks the record" in page
    closed = client.get(closed_record(personas).get_absolute_url()).content.decode()
    assert "data-review-in-progress" not in closed


def test_the_managers_comment_reaches_the_rep_and_stays_in_the_history(personas, login):
    record = closed_record(personas)
    client = login(personas.manager)
    client.post(
        reverse("visits:record_review", args=[record.pk]),
        {"comment": "  Good work on the coach; next time meet the decider earlier.  "},
    )
    record.refresh_from_db()
    assert record.review_comment == "Good work on the coach; next time meet the decider earlier."
    page = login(personas.alice).get(record.get_absolute_url()).content.decode()
    assert "next time meet the decider earlier." in page.split("data-review-comment>")[1]
    assert "Mark as reviewed" not in page
    latest = record.history.order_by("-history_id").first()
    assert latest.review_comment == record.review_comment
    assert latest.history_user == personas.manager


def test_a_comment_too_long_comes_back_as_typed_and_reviews_nothing(personas, login):
    record = closed_record(personas)
    too_long = "很好。" * 700  # 2,100 characters
    response = login(personas.manager).post(
        reverse("visits:record_review", args=[record.pk]), {"comment": too_long}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert too_long in page  # nothing typed is lost
    assert "at most 2000 characters" in page
    record.refresh_from_db()
    assert (record.reviewed_on, record.review_comment) == (None, "")


@pytest.mark.parametrize("who", ["alice", "bob", "admin"])
def test_nobody_else_can_review_and_nothing_changes(personas, login, who):
    record = closed_record(personas)
    client = login(getattr(personas, who))
    page = client.get(record.get_absolute_url()).content.decode()
    assert "Mark as reviewed" not in page
    response = review(client, record)
    assert "Only the manager of" in response.content.decode()
    record.refresh_from_db()
    assert record.reviewed_on is None and record.reviewed_by is None


def test_a_record_of_a_manager_of_their_own_team_is_reviewed_by_a_superuser(personas, login):
    """No one on the team stands above its manager: the sales director (a superuser)
    reviews their record, which the page says; it never waits for nobody."""
    record = closed_record(personas, prepared_by=personas.manager)
    own = login(personas.manager)
    page = own.get(record.get_absolute_url()).content.decode()
    assert "Mark as reviewed" not in page
    assert "Waiting for review by an administrator (the sales director)" in page
    assert "Only an administrator (the sales director)" in review(own, record).content.decode()

    director = login(personas.admin)
    awaiting = director.get(reverse("visits:team")).context["awaiting"]
    assert record.pk in {r.pk for r in awaiting}
    assert "Mark as reviewed" in director.get(record.get_absolute_url()).content.decode()
    assert "Record marked as reviewed." in review(director, record).content.decode()
    record.refresh_from_db()
    assert record.reviewed_by == personas.admin


def test_a_record_whose_team_manager_left_is_reviewed_by_a_superuser(personas, login):
    record = closed_record(personas)  # alice's: her team's manager would review it
    personas.manager.is_active = False
    personas.manager.save(update_fields=["is_active"])
    director = login(personas.admin)
    assert record.pk in {r.pk for r in director.get(reverse("visits:team")).context["awaiting"]}
    assert "Record marked as reviewed." in review(director, record).content.decode()


def test_another_teams_manager_does_not_even_see_the_record(personas, login):
    record = closed_record(personas)
    response = login(personas.other_manager).post(reverse("visits:record_review", args=[record.pk]))
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.reviewed_on is None


def test_a_manager_who_sees_the_account_through_a_teammate_still_cannot_review(personas, login):
    TeamMemberFactory(account=personas.account, user=personas.charlie)  # West sees it now
    record = closed_record(personas)
    client = login(personas.other_manager)
    assert "Mark as reviewed" not in client.get(record.get_absolute_url()).content.decode()
    assert "Only the manager of" in review(client, record).content.decode()
    record.refresh_from_db()
    assert record.reviewed_on is None


def test_review_is_a_post_only_action(personas, login):
    record = closed_record(personas)
    url = reverse("visits:record_review", args=[record.pk])
    assert login(personas.manager).get(url).status_code == 405


def test_a_reviewed_record_is_locked(personas, login):
    record = closed_record(personas, reviewed_by=personas.manager, reviewed_on=timezone.localdate())
    client = login(personas.alice)
    page = client.get(record.get_absolute_url()).content.decode()
    assert "A reviewed record is locked" in page
    assert reverse("visits:record_edit", args=[record.pk]) not in page
    response = client.get(reverse("visits:record_edit", args=[record.pk]), follow=True)
    assert "can no longer be changed" in response.content.decode()
    client.post(
        reverse("visits:record_edit", args=[record.pk]),
        {"started_on": record.started_on.isoformat(), "result": "success", "summary": "Rewritten"},
    )
    record.refresh_from_db()
    assert (record.result, record.summary) == ("failure", "Lost on price")
    # Nor can it be reviewed twice.
    response = review(login(personas.manager), record)
    assert "already reviewed" in response.content.decode()


def test_there_is_no_way_to_delete_a_reviewed_record(personas, login):
    """The only delete page moves an unreviewed record to the recycle bin; a reviewed one
    offers none and refuses one (keyaccounts/tests/test_recycle_bin_pages.py)."""
    from visits import urls

    deletes = [p.name for p in urls.urlpatterns if "delete" in str(p.pattern) or "remove" in p.name]
    assert deletes == ["delete", "record_delete"]  # a visit's, a record's: to the recycle bin
    record = closed_record(personas, reviewed_by=personas.manager, reviewed_on=timezone.localdate())
    html = login(personas.alice).get(record.get_absolute_url()).content.decode()
    assert "recycle bin" not in html and "delete" not in html.lower().split("<main", 1)[1]


# --- the list: filters, search, archive -------------------------------------------------------


def names(response):
    return sorted(r.account.name for r in response.context["page"].object_list)


@pytest.fixture
def archive(personas):
    today = timezone.localdate()
    a = AccountFactory(name="Steel Works", owner=personas.alice)
    b = AccountFactory(name="Harbour Logistics", owner=personas.alice)
    c = AccountFactory(name="City Hospital", owner=personas.alice)
    DevelopmentRecordFactory(account=a, result="in_progress")
    DevelopmentRecordFactory(
        account=b,
        result="failure",
        summary="The evaluator preferred a rival's integration",
        closed_on=today,
    )
    DevelopmentRecordFactory(
        account=c,
        result="success",
        summary="Pilot convinced them",
        remarks="Reference customer",
        closed_on=today,
        reviewed_by=personas.manager,
        reviewed_on=today,
    )
    DevelopmentRecordFactory(account=personas.charlies_account)


def test_the_list_shows_every_visible_record_archived_failures_included(personas, login, archive):
    assert names(login(personas.alice).get(LIST)) == [
        "City Hospital",
        "Harbour Logistics",
        "Steel Works",
    ]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"result": "failure"}, ["Harbour Logistics"]),
        ({"reviewed": "yes"}, ["City Hospital"]),
        ({"reviewed": "no"}, ["Harbour Logistics", "Steel Works"]),
        ({"q": "harbour"}, ["Harbour Logistics"]),
        ({"q": "rival"}, ["Harbour Logistics"]),  # the summary of why
        ({"q": "reference"}, ["City Hospital"]),  # the remarks
        ({"q": "Charlie"}, []),  # never another team's records
        # Texts too short for a trigram (most Chinese searches): the remarks and a
        # summary ("Reference", "preferred"), a summary ("convinced"), a name, nothing.
        ({"q": "fe"}, ["City Hospital", "Harbour Logistics"]),
        ({"q": "sp"}, ["City Hospital"]),
        ({"q": "nv"}, ["City Hospital"]),
        ({"q": "z"}, []),
    ],
)
def test_the_list_filters_and_searches(personas, login, archive, query, expected):
    assert names(login(personas.alice).get(LIST, query)) == expected


@pytest.mark.parametrize("text", ["fe", "harbour", "rival", "Customer", "st"])
@pytest.mark.parametrize("bound", ["NAMED_UP_TO", "RECORD_IDS_UP_TO"])
def test_a_superusers_search_finds_the_same_records_either_way(
    personas, login, archive, monkeypatch, text, bound
):
    """A superuser's search reads ids first; past NAMED_UP_TO named accounts or
    RECORD_IDS_UP_TO records it is one condition over the list: the same records either
    way, and the same as a rep's search finds among theirs."""
    from visits import filters

    client = login(personas.admin)
    as_ids = names(client.get(LIST, {"q": text}))
    monkeypatch.setattr(filters, bound, 0)
    assert names(client.get(LIST, {"q": text})) == as_ids
    assert as_ids  # each text finds a record
    alices = names(login(personas.alice).get(LIST, {"q": text}))
    assert set(alices) <= set(as_ids) and alices


def test_the_list_filters_by_account_from_the_account_page(personas, login, archive):
    steel = personas.alice.owned_accounts.get(name="Steel Works")
    assert names(login(personas.alice).get(LIST, {"account": steel.pk})) == ["Steel Works"]


def test_the_list_filters_by_an_account_typed_by_name(personas, login, archive):
    client = login(personas.alice)
    assert names(client.get(LIST, {"account": "", "account_name": "steel works"})) == [
        "Steel Works"
    ]
    response = client.get(LIST, {"account": "", "account_name": "Charlie"})
    [error] = response.context["filter"].errors["account"]
    assert error.startswith("None of your accounts is called “Charlie”")


@pytest.mark.parametrize(
    "query",
    [{"result": "bogus"}, {"reviewed": "maybe"}, {"account": "abc"}, {"page": "abc"}],
)
def test_odd_filters_give_a_page_never_an_error(personas, login, archive, query):
    assert login(personas.alice).get(LIST, query).status_code == 200


def test_a_hidden_account_cannot_be_used_as_a_filter(personas, login, archive):
    response = login(personas.alice).get(LIST, {"account": personas.charlies_account.pk})
    assert response.status_code == 200
    assert response.context["filter"].errors


def make_records(owner, n):
    for _ in range(n):
        account = AccountFactory(owner=owner)
        DevelopmentRecordFactory(account=account)
        VisitFactory(account=account)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_runs_the_same_number_of_queries_for_2_or_25_records(personas, login):
    client = login(personas.manager)
    make_records(personas.alice, 2)
    few = count_queries(client, LIST)
    make_records(personas.bob, 23)
    assert count_queries(client, LIST) == few
    assert count_queries(client, f"{LIST}?result=in_progress&reviewed=no&q=Customer") == few
    # A superuser's search reads the ids of the accounts it names and of the records it
    # finds first (visits.filters): two queries more, for 2 or 25 records.
    admin = login(personas.admin)
    searched = f"{LIST}?q=Customer"
    assert count_queries(admin, searched) == count_queries(admin, LIST) + 2

"""The review meeting and follow-up imports: rows create and then find their review
(external ID, else account and period), a second run of the same file changes nothing,
the services' rules refuse a row with a problem naming its cell, a rep reaches only the
accounts they see, Chinese headers and labels are read."""

import datetime

import pytest
from django.utils import timezone, translation

from keyaccounts.imports.engine import run_import
from keyaccounts.imports.kinds import KINDS
from keyaccounts.imports.reading import read_table
from keyaccounts.tests.imports_files import csv_file
from visits.reviews import services
from visits.reviews.models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from visits.reviews.tests.factories import ReviewMeetingFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "Account",
    "Meeting date",
    "Period kind",
    "Status",
    "Place",
    "Held on",
    "Customer feedback",
    "About our people",
    "Agreed changes",
    "Satisfaction",
    "External ID",
]


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def run(key: str, content: bytes, by, *, dry_run=False):
    kind = KINDS[key]
    table = read_table(content, header_score=kind.header_index().score)
    mapping = kind.header_index().recognise(table.headers)
    assert all(mapping), (table.headers, mapping)
    return run_import(kind=kind, table=table, mapping=mapping, by=by, dry_run=dry_run)


def statuses(result) -> list[str]:
    return [row.status for row in result.rows]


def problems(result) -> list[tuple]:
    return [
        (row.row, p.column, p.value, p.message, p.expected)
        for row in result.rows
        for p in row.problems
    ]


def history_count() -> int:
    return ReviewMeeting.history.count() + ReviewFollowUp.history.count()


def test_reviews_and_follow_ups_import_then_reimport_changes_nothing(personas):
    name = personas.account.name
    reviews = csv_file(
        [
            HEADERS,
            [name, "2024-03-10 14:00", "year", "held", "Head office", "2024-03-10",
             "Deliveries on time", "Bob answers fast", "Monthly report", "4", "RV-1"],
            [name, "2030-05-20", "", "", "Plant 2", "", "", "", "", "", ""],
        ]
    )  # fmt: skip
    result = run("reviews", reviews, personas.alice)
    assert statuses(result) == ["create", "create"], problems(result)
    held = ReviewMeeting.objects.get(external_id="RV-1")
    assert (held.status, held.period_label, held.satisfaction) == ("held", "2024", 4)
    assert held.scheduled_by == personas.alice
    assert held.said_about_our_people == "Bob answers fast"
    assert held.history.count() == 1
    later = ReviewMeeting.objects.get(period_start=datetime.date(2030, 1, 1))
    # An ungraded account is reviewed yearly (the service's default by grade).
    assert (later.status, later.period_kind, later.place) == ("scheduled", "year", "Plant 2")
    assert timezone.localtime(later.scheduled_for).date() == datetime.date(2030, 5, 20)

    follow_ups = csv_file(
        [
            ["Account", "Review", "What", "Owner", "Due", "Done on", "Note", "External ID"],
            ["", "RV-1", "Monthly delivery report", "bob", "2024-04-30", "2024-04-28", "", "F-1"],
            [name, "2024", "Introduce the new service engineer", "", "2024-06-30", "", "", ""],
        ]
    )
    result = run("review_follow_ups", follow_ups, personas.alice)
    assert statuses(result) == ["create", "create"], problems(result)
    by_what = {f.what: f for f in held.follow_ups.all()}
    assert by_what["Monthly delivery report"].owner == personas.bob
    assert by_what["Monthly delivery report"].done_on == datetime.date(2024, 4, 28)
    assert by_what["Introduce the new service engineer"].owner == personas.alice
    assert all(f.account_id == personas.account.pk for f in by_what.values())

    versions = dict(ReviewMeeting.objects.values_list("pk", "version"))
    versions.update(ReviewFollowUp.objects.values_list("pk", "version"))
    entries = history_count()
    assert statuses(run("reviews", reviews, personas.alice)) == ["unchanged", "unchanged"]
    assert statuses(run("review_follow_ups", follow_ups, personas.alice)) == [
        "unchanged",
        "unchanged",
    ]
    assert history_count() == entries
    now = dict(ReviewMeeting.objects.values_list("pk", "version"))
    now.update(ReviewFollowUp.objects.values_list("pk", "version"))
    assert now == versions
    assert ReviewMeeting.objects.count() == 2 and ReviewFollowUp.objects.count() == 2

    # Found by account and period (no external ID): updated, not duplicated.
    moved = csv_file([["Account", "Meeting date", "Place"], [name, "2030-06-02 10:00", "Online"]])
    assert statuses(run("reviews", moved, personas.alice)) == ["update"]
    later.refresh_from_db()
    assert (later.place, later.version) == ("Online", versions[later.pk] + 1)
    assert ReviewMeeting.objects.count() == 2


def test_preview_names_row_column_value_and_what_is_expected(personas):
    name = personas.account.name
    content = csv_file(
        [
            HEADERS,
            [name, "soon", "", "", "", "", "", "", "", "", ""],
            [name, "2024-03-10", "", "held", "", "2024-03-10", "", "", "", "", ""],
            [name, "2023-03-10", "", "held", "", "2023-03-10", "Fine", "", "", "7", ""],
            [name, "2031-03-10", "", "held", "", "2099-01-01", "Fine", "", "", "", ""],
            [name, "2032-03-10", "fortnight", "", "", "", "", "", "", "", ""],
        ]
    )
    result = run("reviews", content, personas.alice, dry_run=True)
    assert statuses(result) == ["error"] * 5
    found = problems(result)
    assert found[0][:3] == (2, "Meeting date", "soon")
    assert "is not a date" in found[0][3] and found[0][4]
    assert found[1][:3] == (3, "Customer feedback", "")
    assert "what the customer said" in found[1][3]
    assert found[2][:3] == (4, "Satisfaction", "7")
    assert "not one of the choices" in found[2][3] and "Very satisfied" in found[2][4]
    assert found[3][:3] == (5, "Held on", "2099-01-01")
    assert "cannot be held in the future" in found[3][3]
    assert found[4][:3] == (6, "Period kind", "fortnight")
    assert "Half-year" in found[4][4]
    assert ReviewMeeting.objects.count() == 0

    follow_ups = csv_file(
        [
            ["Account", "Review", "What", "Owner", "Due"],
            [name, "2019", "Report", "", "2024-01-01"],
            [name, "2024", "Report", "nobody", "2024-01-01"],
        ]
    )
    result = run("review_follow_ups", follow_ups, personas.alice, dry_run=True)
    assert statuses(result) == ["error", "error"]
    found = problems(result)
    assert found[0][:3] == (2, "Review", "2019")
    assert "has no review meeting" in found[0][3]
    assert found[1][:3] == (3, "Owner", "nobody")


def test_a_rep_cannot_import_for_an_account_they_cannot_see(personas):
    hidden = ReviewMeetingFactory(
        account=personas.charlies_account,
        status=ReviewStatus.HELD,
        held_on=datetime.date(2024, 3, 10),
        scheduled_for=timezone.make_aware(datetime.datetime(2024, 3, 10, 10)),
        external_id="WEST-1",
    )
    content = csv_file(
        [
            ["Account", "Meeting date", "External ID"],
            [personas.charlies_account.name, "2030-01-10", ""],
            [personas.account.name, "2030-01-10", "WEST-1"],
        ]
    )
    result = run("reviews", content, personas.alice)
    assert statuses(result) == ["error", "error"]
    found = problems(result)
    assert found[0][1] == "Account" and "No account you can see" in found[0][3]
    assert found[1][1] == "External ID" and "No review meeting you can see" in found[1][3]
    follow_ups = csv_file([["Review", "What", "Due"], ["WEST-1", "Spy", "2024-05-01"]])
    result = run("review_follow_ups", follow_ups, personas.alice)
    assert statuses(result) == ["error"]
    assert "No review meeting you can see" in problems(result)[0][3]
    assert ReviewMeeting.objects.count() == 1 and not ReviewFollowUp.objects.exists()
    # Charlie, who sees the account, imports its follow-up; he cannot give it to Alice.
    ok = csv_file([["Review", "What", "Due"], ["WEST-1", "Report", "2024-05-01"]])
    assert statuses(run("review_follow_ups", ok, personas.charlie)) == ["create"]
    assert hidden.follow_ups.get().owner == personas.charlie


def test_chinese_headers_and_labels(personas):
    name = personas.account.name
    content = csv_file(
        [
            ["客户名称", "会议日期", "回顾周期", "状态", "地点", "召开日期", "客户评价",
             "对销售人员的意见", "约定改进", "满意度"],
            [name, "2024年9月3日", "半年度", "已召开", "客户总部", "2024-09-03", "交货及时",
             "销售响应快", "每月报告", "非常满意"],
        ]
    )  # fmt: skip
    result = run("reviews", content, personas.alice)
    assert statuses(result) == ["create"], problems(result)
    review = ReviewMeeting.objects.get()
    assert (review.period_kind, review.period_label) == ("half", "2024 H2")
    assert (review.status, review.satisfaction, review.place) == ("held", 5, "客户总部")
    assert (review.said_about_us, review.agreed_changes) == ("交货及时", "每月报告")
    # The period as a Chinese page and file name it (2024年下半年), or as 2024 H2.
    follow_ups = csv_file(
        [["客户名称", "回顾会议", "事项", "负责人", "截止日期"],
         [name, "2024年下半年", "每月发送交货报告", "bob", "2024-10-31"],
         [name, "2024 H2", "季度拜访", "bob", "2024-11-30"]]
    )  # fmt: skip
    assert statuses(run("review_follow_ups", follow_ups, personas.alice)) == ["create", "create"]
    assert {f.owner for f in review.follow_ups.all()} == {personas.bob}


def test_one_live_review_per_account_and_period(personas):
    name = personas.account.name
    services.review_schedule(
        by=personas.alice,
        account=personas.account,
        scheduled_for=timezone.make_aware(datetime.datetime(2030, 3, 1, 10)),
        external_id="RV-OLD",
    )
    content = csv_file(
        [
            ["Account", "Meeting date", "External ID"],
            [name, "2030-09-01", "RV-NEW"],  # the period's review has another ID
            [name, "2031-02-01", "RV-A"],
            [name, "2031-03-01", "RV-B"],  # the same period as the row above
        ]
    )
    result = run("reviews", content, personas.alice)
    assert statuses(result) == ["error", "create", "error"]
    found = problems(result)
    assert found[0][:3] == (2, "Meeting date", "2030-09-01")
    assert "already has a review for 2030 (2030-03-01)" in found[0][3]
    assert "RV-OLD" in found[0][3]
    assert found[1][0] == 4 and "already has a review for 2031 (2031-02-01)" in found[1][3]
    assert ReviewMeeting.objects.count() == 1  # an error writes nothing

    # Moving a review by its external ID into a taken period is refused too.
    services.review_schedule(
        by=personas.alice,
        account=personas.account,
        scheduled_for=timezone.make_aware(datetime.datetime(2031, 3, 1, 10)),
        external_id="RV-2031",
    )
    move = csv_file([["Account", "Meeting date", "External ID"], [name, "2030-12-01", "RV-2031"]])
    result = run("reviews", move, personas.alice)
    assert statuses(result) == ["error"]
    assert "already has a review for 2030" in problems(result)[0][3]

    # A cancelled review frees its period.
    old = ReviewMeeting.objects.get(external_id="RV-OLD")
    services.review_cancel(review=old, by=personas.alice)
    again = csv_file([["Account", "Meeting date", "External ID"], [name, "2030-09-01", "RV-NEW"]])
    assert statuses(run("reviews", again, personas.alice)) == ["create"]
    assert statuses(run("reviews", again, personas.alice)) == ["unchanged"]


def test_an_a_account_is_reviewed_half_yearly_by_default(personas):
    from .factories import graded_a

    graded_a(personas.account)
    content = csv_file([["Account", "Meeting date"], [personas.account.name, "2030-08-15"]])
    assert statuses(run("reviews", content, personas.alice)) == ["create"]
    review = ReviewMeeting.objects.get()
    assert (review.period_kind, review.period_label) == ("half", "2030 H2")


def test_the_upload_page_says_attendees_are_not_imported(login, personas):
    from django.urls import reverse

    page = login(personas.alice).get(reverse("imports:upload", args=["reviews"]))
    assert page.status_code == 200
    assert "Who attended, on both sides, is not imported" in page.content.decode()
    page = login(personas.alice).get(reverse("imports:upload", args=["review_follow_ups"]))
    assert page.status_code == 200


def test_a_held_review_is_not_rescheduled_and_minutes_make_a_scheduled_one_held(personas):
    name = personas.account.name
    scheduled = services.review_schedule(
        by=personas.alice,
        account=personas.account,
        scheduled_for=timezone.make_aware(datetime.datetime(2024, 5, 6, 14, 30)),
        external_id="RV-S",
    )
    from visits.models import Notification, NotificationKind

    reminder = Notification.objects.create(
        recipient=personas.alice,
        kind=NotificationKind.REVIEW_DUE,
        object_key=f"review:{scheduled.pk}",
        due_date=datetime.date(2024, 5, 6),
        account=personas.account,
    )
    # A date alone on the meeting's own day keeps its time; the minutes make it held.
    minutes = csv_file(
        [["External ID", "Account", "Meeting date", "Held on", "Customer feedback", "满意度"],
         ["RV-S", name, "2024-05-06", "2024-05-06", "Good service", "满意"]]
    )  # fmt: skip
    result = run("reviews", minutes, personas.alice)
    assert statuses(result) == ["update"], problems(result)
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.satisfaction) == ("held", 4)
    assert timezone.localtime(scheduled.scheduled_for).time() == datetime.time(14, 30)
    reminder.refresh_from_db()
    assert reminder.read_at is not None  # held: its reminder is settled, as the service does
    assert statuses(run("reviews", minutes, personas.alice)) == ["unchanged"]
    moved = csv_file([["External ID", "Account", "Meeting date"], ["RV-S", name, "2024-06-01"]])
    result = run("reviews", moved, personas.alice)
    assert statuses(result) == ["error"]
    assert problems(result)[0][1] == "Meeting date"
    assert "Only a scheduled review can be rescheduled" in problems(result)[0][3]
    back = csv_file([["External ID", "Account", "Status"], ["RV-S", name, "Scheduled"]])
    result = run("reviews", back, personas.alice)
    assert statuses(result) == ["error"] and problems(result)[0][1] == "Status"
    # A follow-up goes to someone who sees the account.
    carol = csv_file([["Review", "What", "Owner", "Due"], ["RV-S", "Call", "carol", "2024-06-01"]])
    result = run("review_follow_ups", carol, personas.alice)
    assert statuses(result) == ["error"]
    assert problems(result)[0][1] == "Owner" and "cannot see" in problems(result)[0][3]
    early = csv_file([["Review", "What", "Due"], ["RV-S", "Call", "2024-05-01"]])
    result = run("review_follow_ups", early, personas.alice)
    assert problems(result)[0][1:3] == ("Due", "2024-05-01")

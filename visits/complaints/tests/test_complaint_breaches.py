"""A breach of the service level notifies the assignee and escalates to the manager,
exactly once per breach, through the one reminder scan."""

import pytest
from django.test import override_settings

from accounts.tests.factories import policy_set
from visits.complaints import services
from visits.models import Notification, NotificationKind
from visits.reminders import notification_path, notification_text, reminders_scan

from .helpers import at, grade, record

pytestmark = pytest.mark.django_db
CALENDAR = dict(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=[], WORKDAY_EXTRA_WORKDAYS=[])
K = NotificationKind


def rows():
    return sorted(
        (n.kind, n.recipient.username, n.object_key, n.due_date.isoformat())
        for n in Notification.objects.filter(object_key__startswith="complaint:")
    )


@pytest.fixture
def complaint(personas):
    grade(personas.account, "A")
    policy_set(levels={"A": (1, 3)})
    return record(personas)  # Friday 10:00: answer by Monday 10:00, resolve by Wednesday


@override_settings(**CALENDAR)
def test_one_notification_and_one_escalation_per_breach(personas, complaint):
    key = f"complaint:{complaint.pk}"
    assert reminders_scan(now=at(2026, 11, 30, 9)) == 0  # not due yet
    assert reminders_scan(now=at(2026, 11, 30, 11)) == 2
    assert reminders_scan(now=at(2026, 11, 30, 12)) == 0  # the second scan adds nothing
    assert rows() == [
        (K.COMPLAINT_ESCALATION, "manager", key, "2026-11-30"),
        (K.COMPLAINT_RESPONSE_BREACH, "alice", key, "2026-11-30"),
    ]
    # Answered late, not resolved by Wednesday: the resolution's breach and escalation.
    services.complaint_respond(by=personas.alice, complaint=complaint, response="Sorry")
    assert reminders_scan(now=at(2026, 12, 2, 11)) == 2
    assert reminders_scan(now=at(2026, 12, 2, 11)) == 0
    assert rows() == [
        (K.COMPLAINT_ESCALATION, "manager", key, "2026-11-30"),
        (K.COMPLAINT_ESCALATION, "manager", f"{key}:resolution", "2026-12-02"),
        (K.COMPLAINT_RESOLUTION_BREACH, "alice", f"{key}:resolution", "2026-12-02"),
        (K.COMPLAINT_RESPONSE_BREACH, "alice", key, "2026-11-30"),
    ]


@override_settings(**CALENDAR)
def test_a_reopened_complaint_breached_again_is_a_new_breach(personas, complaint):
    reminders_scan(now=at(2026, 11, 30, 11))
    services.complaint_resolve(
        by=personas.alice, complaint=complaint, resolution="Fixed", now=at(2026, 11, 30, 12)
    )
    services.complaint_reopen(
        by=personas.alice, complaint=complaint, reason="Broke again", now=at(2026, 12, 1, 10)
    )
    assert reminders_scan(now=at(2026, 12, 1, 12)) == 0
    assert reminders_scan(now=at(2026, 12, 2, 11)) == 2  # the new answer deadline
    assert reminders_scan(now=at(2026, 12, 2, 11)) == 0
    breaches = Notification.objects.filter(kind=K.COMPLAINT_RESPONSE_BREACH)
    assert sorted(n.due_date.isoformat() for n in breaches) == ["2026-11-30", "2026-12-02"]


@override_settings(**CALENDAR)
def test_the_escalation_goes_to_the_assignees_manager_and_only_active_people(personas, complaint):
    services.complaint_assign(by=personas.alice, complaint=complaint, assignee=personas.bob)
    personas.bob.is_active = False
    personas.bob.save()
    assert reminders_scan(now=at(2026, 11, 30, 11)) == 1
    assert rows() == [
        (K.COMPLAINT_ESCALATION, "manager", f"complaint:{complaint.pk}", "2026-11-30")
    ]


@override_settings(**CALENDAR)
def test_no_breach_for_a_complaint_in_the_recycle_bin(personas, complaint):
    services.complaint_delete(by=personas.alice, complaint=complaint)
    assert reminders_scan(now=at(2026, 12, 9)) == 0


@override_settings(**CALENDAR)
def test_the_scan_of_one_account_sees_only_its_complaints(personas, complaint):
    assert reminders_scan(now=at(2026, 11, 30, 11), account_ids=[personas.charlies_account.pk]) == 0
    assert reminders_scan(now=at(2026, 11, 30, 11), account_ids=[personas.account.pk]) == 2


@override_settings(**CALENDAR)
def test_the_notifications_read_and_point_to_the_complaint(personas, complaint):
    reminders_scan(now=at(2026, 12, 3))
    for notification in Notification.objects.select_related("account"):
        assert notification_path(notification) == f"/complaints/{complaint.pk}/"
        assert personas.account.name in notification_text(notification)
    escalations = Notification.objects.filter(kind=K.COMPLAINT_ESCALATION)
    texts = {notification_text(n) for n in escalations.select_related("account")}
    assert any("not resolved" in text for text in texts)
    assert any("not answered" in text for text in texts)


@override_settings(**CALENDAR)
def test_the_reminder_list_links_a_breach_to_its_complaint(personas, complaint, login):
    from django.urls import reverse

    reminders_scan(now=at(2026, 11, 30, 11))
    html = login(personas.alice).get(reverse("visits:notifications")).content.decode()
    assert f'href="{reverse("complaints:detail", args=[complaint.pk])}"' in html
    assert "was not answered in time" in html

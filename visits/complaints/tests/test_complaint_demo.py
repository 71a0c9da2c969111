"""The demo's complaints: one breached for rep1 (the scan escalates it), one answered,
one closed with the customer's confirmation; a second run adds nothing."""

import io

import pytest
from django.core.management import call_command

from visits.complaints.demo import create_demo_complaints
from visits.complaints.models import Complaint, ComplaintStatus
from visits.models import Notification, NotificationKind
from visits.reminders import reminders_scan

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_breached_and_a_closed_complaint_of_rep1():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "1 breached, 1 open and 1 closed complaints" in out.getvalue()
    complaints = Complaint.objects.filter(account__owner__username="rep1")
    assert sorted(complaints.values_list("status", flat=True)) == [
        ComplaintStatus.ANSWERED,
        ComplaintStatus.CLOSED,
        ComplaintStatus.OPEN,
    ]
    reminders_scan()
    escalated = Notification.objects.filter(
        kind=NotificationKind.COMPLAINT_ESCALATION, recipient__username="manager"
    )
    assert escalated.exists()
    assert create_demo_complaints(seed=0) == {"breached": 0, "open": 0, "closed": 0}

"""Complaints told as the sync contract tests tell every synced type
(keyaccounts/tests/api_records.py)."""

import datetime

from django.utils import timezone


def make_complaint(p, **fields):
    from visits.complaints.services import complaint_create

    fields.setdefault("account", p.account)
    fields.setdefault("subject", "Late delivery")
    fields.setdefault("received_at", timezone.now() - datetime.timedelta(hours=1))
    return complaint_create(by=p.admin, **fields)


def complaint_record_types(RecordType) -> list:
    from visits.complaints.models import Complaint
    from visits.complaints.selectors import complaints_visible_to

    return [
        RecordType(
            name="complaints",
            model=Complaint,
            make=make_complaint,
            payload=lambda p: {
                "account": p.account.pk,
                "subject": "Wrong spare parts",
                "severity": "high",
                "channel": "phone",
            },
            change={"follow_up": "Call the plant manager on Friday"},
            field="follow_up",
            visible_to=complaints_visible_to,
        ),
    ]


def complaint_records(account, tag: str) -> dict:
    """A complaint at `account` (recorded by its owner), for the tests that fill every
    synced type under an account."""
    from visits.complaints.services import complaint_create

    complaint = complaint_create(
        by=account.owner,
        account=account,
        subject=f"Complaint {tag}",
        received_at=timezone.now() - datetime.timedelta(hours=1),
        external_id=f"{tag}-C",  # the feed tests name a type by its initial
    )
    return {"complaints": complaint.pk}

"""A resolved complaint, for the route walk's world (every action's form shows for it:
close and reopen; respond/resolve are refused by status, never a 500)."""

import datetime

from django.utils import timezone


def add_complaint(records, *, rep, team: str) -> None:
    from visits.complaints.services import complaint_create, complaint_resolve

    complaint = complaint_create(
        by=rep,
        account=records.account,
        subject=f"{team}: late delivery",
        contact=records.contact,
        received_at=timezone.now() - datetime.timedelta(days=10),
        external_id=f"{team}-cp",
    )
    records.complaint = complaint_resolve(by=rep, complaint=complaint, resolution="Redelivered")

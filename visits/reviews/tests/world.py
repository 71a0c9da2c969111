"""A held review meeting with a follow-up, for the route walk's world."""

import datetime

from django.utils import timezone


def add_review(records, *, rep, team: str) -> None:
    from visits.reviews.services import follow_up_create, review_record_minutes, review_schedule

    review = review_schedule(
        by=rep,
        account=records.account,
        scheduled_for=timezone.now() - datetime.timedelta(hours=2),
        external_id=f"{team}-rv",
    )
    records.review = review_record_minutes(
        review=review,
        by=rep,
        held_on=timezone.localdate(),
        contacts=[records.contact],
        attendees=[rep],
        said_about_us="Deliveries on time.",
    )
    records.review_follow_up = follow_up_create(
        review=records.review,
        by=rep,
        what="Send the delivery report",
        owner=rep,
        due_on=timezone.localdate() + datetime.timedelta(days=7),
        external_id=f"{team}-rf",
    )

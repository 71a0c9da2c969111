"""Records the import templates' example rows refer to (keyaccounts.tests.test_imports_pages)."""

import datetime

from django.utils import timezone


def example_review(account):
    """The held review the follow-up import's example row names ("2025" at ERP-0001)."""
    from visits.reviews.tests.factories import ReviewMeetingFactory

    return ReviewMeetingFactory(
        account=account,
        scheduled_for=timezone.make_aware(datetime.datetime(2025, 3, 10, 14)),
        status="held",
        held_on=datetime.date(2025, 3, 10),
        said_about_us="Deliveries on time.",
    )

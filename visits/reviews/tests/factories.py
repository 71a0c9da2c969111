import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from visits.reviews.models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from visits.reviews.periods import PeriodKind, period_of


class ReviewMeetingFactory(factory.django.DjangoModelFactory):
    """A review scheduled a week from now, in the year's period."""

    class Meta:
        model = ReviewMeeting

    account = factory.SubFactory(AccountFactory)
    scheduled_by = factory.LazyAttribute(lambda r: r.account.owner)
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    period_kind = PeriodKind.YEAR
    period_start = factory.LazyAttribute(
        lambda r: period_of(r.period_kind, timezone.localdate(r.scheduled_for)).start
    )
    status = ReviewStatus.SCHEDULED


class ReviewFollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewFollowUp

    review = factory.SubFactory(
        ReviewMeetingFactory,
        status=ReviewStatus.HELD,
        held_on=factory.LazyFunction(timezone.localdate),
        scheduled_for=factory.LazyFunction(timezone.now),
    )
    account = factory.LazyAttribute(lambda f: f.review.account)
    what = "Send the service report"
    owner = factory.LazyAttribute(lambda f: f.review.account.owner)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))


def graded_a(account) -> None:
    """`account` graded A by the risk table (a review every half-year)."""
    from decimal import Decimal

    from scoring.models import AccountScore
    from scoring.services import active_model

    AccountScore.objects.create(
        account=account,
        score=Decimal("90"),
        computed_grade="A",
        grade="A",
        closing="later",
        model=active_model(),
        computed_at=timezone.now(),
    )

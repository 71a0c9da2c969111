import io

import pytest
from django.core.management import call_command

from visits.reviews.models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from visits.reviews.selectors import accounts_missing_review

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_held_and_a_scheduled_review_and_a_missing_one():
    from django.utils import timezone

    from accounts.models import User

    options = {
        "accounts": 30,
        "contacts": 120,
        "visits": 90,
        "opportunities": 45,
        "reps": 4,
        "teams": 2,
    }
    call_command("seed_demo", stdout=io.StringIO(), **options)
    rep1 = User.objects.get(username="rep1")
    reviews = ReviewMeeting.objects.filter(account__owner=rep1)
    assert reviews.filter(status=ReviewStatus.HELD).count() == 1
    assert reviews.filter(status=ReviewStatus.SCHEDULED).count() == 1
    assert ReviewFollowUp.objects.count() == 2
    manager = User.objects.get(username="manager")
    assert accounts_missing_review(user=manager, today=timezone.localdate()).exists()
    call_command("seed_demo", stdout=io.StringIO(), **options)  # twice: nothing more
    assert ReviewMeeting.objects.count() == 2

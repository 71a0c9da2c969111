import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from visits.models import (
    DevelopmentRecord,
    Notification,
    NotificationKind,
    Visit,
    VisitMethod,
    VisitStatus,
)


class VisitFactory(factory.django.DjangoModelFactory):
    """A recorded visit yesterday; its follow-up due a week after it."""

    class Meta:
        model = Visit

    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda v: v.account.owner)
    status = VisitStatus.DONE
    method = VisitMethod.IN_PERSON
    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    duration_minutes = 60
    follow_up_due = factory.LazyAttribute(
        lambda v: (
            timezone.localdate(v.occurred_at) + datetime.timedelta(days=7)
            if v.occurred_at
            else None
        )
    )


class PlannedVisitFactory(VisitFactory):
    status = VisitStatus.PLANNED
    occurred_at = None
    duration_minutes = None
    planned_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))


class DevelopmentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DevelopmentRecord

    account = factory.SubFactory(AccountFactory)
    prepared_by = factory.LazyAttribute(lambda r: r.account.owner)
    started_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    prepared_on = factory.LazyFunction(timezone.localdate)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    visit = factory.SubFactory(VisitFactory)
    account = factory.LazyAttribute(lambda n: n.visit.account)
    recipient = factory.LazyAttribute(lambda n: n.visit.owner)
    kind = NotificationKind.FOLLOW_UP_DUE
    object_key = factory.LazyAttribute(lambda n: f"visit:{n.visit.pk}")
    due_date = factory.LazyAttribute(lambda n: n.visit.follow_up_due)

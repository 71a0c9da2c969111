"""A new record's form suggests what the record usually is: the values the form sets for
a new one, not the blank record's own (None, or a model default such as a year's review),
which the form's `initial` already held."""

import datetime

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_a_new_complaint_goes_to_the_accounts_owner_and_was_received_now(personas, login):
    page = login(personas.bob).get(f"/accounts/{personas.account.pk}/complaints/new/")
    form = page.context["form"]

    assert form["assignee"].value() == personas.account.owner_id == personas.alice.pk
    received = form["received_at"].value().replace(tzinfo=None)  # the box's local time
    assert abs(received - timezone.localtime().replace(tzinfo=None)) < datetime.timedelta(minutes=2)


def test_a_new_invoice_is_issued_today(personas, login):
    page = login(personas.alice).get(f"/accounts/{personas.account.pk}/receivables/new/")
    assert page.context["form"]["issued_on"].value() == timezone.localdate()


def test_a_review_of_an_a_account_is_half_yearly_by_default(personas, login):
    from visits.reviews.tests.factories import graded_a

    graded_a(personas.account)
    page = login(personas.alice).get(f"/accounts/{personas.account.pk}/reviews/new/")
    assert page.context["form"]["period_kind"].value() == "half"

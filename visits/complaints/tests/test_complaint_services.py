"""The closed loop: deadlines from the service level by grade (working days), who may
do what, and the transitions open → answered → resolved → closed (with the customer's
confirmation) → reopened."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from accounts.tests.factories import ContactFactory, policy_set
from keyaccounts.exceptions import ApplicationError
from visits.complaints import services
from visits.complaints.models import Complaint, ComplaintStatus

from .helpers import at, grade, record

pytestmark = pytest.mark.django_db
CALENDAR = dict(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=[], WORKDAY_EXTRA_WORKDAYS=[])


@override_settings(**CALENDAR)
def test_an_a_account_answers_in_one_working_day_and_resolves_in_five(personas):
    grade(personas.account, "A")
    policy_set(levels={"A": (1, 5)})
    complaint = record(personas)
    # Friday 10:00 + 1 working day: Monday 10:00 (the weekend does not count).
    assert complaint.respond_by == at(2026, 11, 30)
    assert complaint.resolve_by == at(2026, 12, 4)
    assert (complaint.service_grade, complaint.respond_days, complaint.resolve_days) == ("A", 1, 5)
    assert complaint.assignee == personas.alice  # the owner by default
    assert complaint.status == ComplaintStatus.OPEN


@override_settings(TIME_ZONE="Asia/Shanghai", WORKDAY_HOLIDAYS=["2026-11-30"])
def test_a_holiday_moves_the_deadline(personas):
    grade(personas.account, "A")
    policy_set(levels={"A": (1, 5)})
    complaint = record(personas)
    assert complaint.respond_by == at(2026, 12, 1)
    assert complaint.resolve_by == at(2026, 12, 7)


@override_settings(**CALENDAR)
def test_ungraded_is_served_as_d_and_the_version_is_kept(personas):
    policy = policy_set(levels={"D": (3, 10)})
    complaint = record(personas)
    assert complaint.service_grade == ""
    assert complaint.policy_version == policy.version
    assert complaint.respond_by == at(2026, 12, 2)
    # A later policy does not move a promise already made.
    policy_set(levels={"D": (1, 2)})
    complaint.refresh_from_db()
    assert complaint.respond_by == at(2026, 12, 2)


def test_the_assignee_is_on_the_account_team(personas):
    with pytest.raises(ValidationError) as error:
        record(personas, assignee=personas.carol)
    assert "account team" in str(error.value.message_dict["assignee"])
    assert record(personas, assignee=personas.bob).assignee == personas.bob


def test_the_contact_is_of_the_same_account(personas):
    stranger = ContactFactory(account=personas.charlies_account)
    with pytest.raises(ValidationError) as error:
        record(personas, contact=stranger)
    assert "contact" in error.value.message_dict


def test_nobody_records_a_complaint_at_an_account_they_cannot_see(personas):
    with pytest.raises(ApplicationError) as error:
        record(personas, by=personas.charlie)
    assert error.value.code == "not_found"


def test_the_loop_closes_only_when_the_customer_confirms(personas):
    contact = ContactFactory(account=personas.account, name="Zhang Wei")
    complaint = record(personas, contact=contact)
    with pytest.raises(ApplicationError, match="only a resolved complaint is closed"):
        services.complaint_close(by=personas.bob, complaint=complaint, confirmation_note="ok")
    services.complaint_respond(by=personas.bob, complaint=complaint, response="We are on it.")
    assert complaint.status == ComplaintStatus.ANSWERED
    with pytest.raises(ApplicationError, match="only an open complaint is answered"):
        services.complaint_respond(by=personas.bob, complaint=complaint, response="Again")
    services.complaint_resolve(
        by=personas.alice, complaint=complaint, resolution="Parts replaced, credit note."
    )
    assert complaint.status == ComplaintStatus.RESOLVED
    assert complaint.resolution_working_days is not None
    with pytest.raises(ValidationError) as error:
        services.complaint_close(by=personas.alice, complaint=complaint)
    assert "confirmed_by_contact" in error.value.message_dict
    services.complaint_close(by=personas.alice, complaint=complaint, confirmed_by_contact=contact)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.confirmed_by_contact == contact and complaint.closed_by == personas.alice


def test_a_contact_of_another_account_cannot_confirm(personas):
    complaint = record(personas)
    services.complaint_resolve(by=personas.alice, complaint=complaint, resolution="Done")
    stranger = ContactFactory(account=personas.charlies_account)
    with pytest.raises(ValidationError):
        services.complaint_close(
            by=personas.alice, complaint=complaint, confirmed_by_contact=stranger
        )


@override_settings(**CALENDAR)
def test_reopen_starts_a_new_clock(personas):
    grade(personas.account, "A")
    policy_set(levels={"A": (1, 5)})
    complaint = record(personas)
    with pytest.raises(ApplicationError, match="only a resolved or closed complaint"):
        services.complaint_reopen(by=personas.alice, complaint=complaint, reason="x")
    services.complaint_resolve(
        by=personas.alice, complaint=complaint, resolution="Done", now=at(2026, 11, 30, 16)
    )
    assert complaint.resolution_working_days == Decimal("1.25")
    services.complaint_close(
        by=personas.alice, complaint=complaint, confirmation_note="Purchasing head, phone",
        now=at(2026, 12, 1),
    )  # fmt: skip
    with pytest.raises(ValidationError):
        services.complaint_reopen(by=personas.alice, complaint=complaint, reason="  ")
    services.complaint_reopen(
        by=personas.bob, complaint=complaint, reason="Same fault again", now=at(2026, 12, 2)
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPEN
    assert complaint.reopened_count == 1
    assert complaint.respond_by == at(2026, 12, 3)
    assert complaint.resolve_by == at(2026, 12, 9)
    assert complaint.confirmed_at is None and complaint.resolved_at is None
    # The history keeps the earlier resolution.
    assert Complaint.history.filter(id=complaint.pk, resolution="Done").exists()


def test_who_may_reassign(personas):
    complaint = record(personas)
    with pytest.raises(ApplicationError) as error:
        services.complaint_assign(by=personas.bob, complaint=complaint, assignee=personas.bob)
    assert error.value.code == "permission_denied"
    services.complaint_assign(by=personas.manager, complaint=complaint, assignee=personas.bob)
    assert complaint.assignee == personas.bob
    # Now bob is the assignee: he may hand it back.
    services.complaint_assign(by=personas.bob, complaint=complaint, assignee=personas.alice)
    with pytest.raises(ValidationError):
        services.complaint_assign(by=personas.manager, complaint=complaint, assignee=personas.carol)


def test_an_edit_cannot_change_the_status(personas):
    complaint = record(personas)
    with pytest.raises(ApplicationError, match="status"):
        services.complaint_update(by=personas.alice, complaint=complaint, status="closed")


def test_a_historical_closed_complaint_needs_its_resolution_and_confirmation(personas):
    with pytest.raises(ValidationError):
        record(personas, status="closed", resolution="Refunded")
    complaint = record(
        personas, status="closed", resolution="Refunded", confirmation_note="Buyer, by email"
    )
    assert complaint.status == ComplaintStatus.CLOSED


def test_delete_and_restore(personas):
    complaint = record(personas)
    with pytest.raises(ApplicationError):
        services.complaint_delete(by=personas.bob, complaint=complaint)
    services.complaint_delete(by=personas.alice, complaint=complaint)
    assert not Complaint.objects.filter(pk=complaint.pk).exists()
    services.complaint_restore(by=personas.alice, complaint=complaint)
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_merges_carry_complaints_to_the_survivor(personas):
    from accounts.services import account_merge, contact_merge
    from accounts.tests.factories import AccountFactory

    zhang = ContactFactory(account=personas.account, name="Zhang Wei")
    twin = ContactFactory(account=personas.account, name="Zhang Wei (2)")
    complaint = record(personas, contact=twin)
    contact_merge(by=personas.manager, survivor=zhang, merged=twin, values={})
    complaint.refresh_from_db()
    assert complaint.contact == zhang
    other = AccountFactory(owner=personas.alice, name="Alice's Customer Co Twin")
    elsewhere = record(personas, account=other)
    account_merge(by=personas.manager, survivor=personas.account, merged=other, values={})
    elsewhere.refresh_from_db()
    assert elsewhere.account == personas.account

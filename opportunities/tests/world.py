"""A pending approval of a closing move, for the route walk's world."""

from opportunities.models import StageApproval


def add_approval(records, *, rep) -> None:
    from opportunities.tests.factories import default_stages

    records.approval = StageApproval.objects.create(
        opportunity=records.deal,
        to_stage=default_stages()["negotiation"],
        requested_by=rep,
        risk="Over its credit limit",
        reason="A payment plan is agreed",
    )

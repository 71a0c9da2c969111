"""The approval gate: a closing move at an account whose money is at risk needs a
manager's approval with a reason (opportunities/approvals.py, scoring's money gate)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.timeline import record_timeline
from opportunities import approvals, gates, services
from opportunities.models import ApprovalStatus, ExitCriterion, StageApproval
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.models import MonthlySales
from visits.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages(db):
    return default_stages()


def month(back: int) -> datetime.date:
    first = timezone.localdate().replace(day=1)
    for _ in range(back):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


def over_limit(account):
    """¥200 owed, limit ¥100; none overdue (this month's sales)."""
    account.credit_limit = Decimal(100)
    account.save()
    MonthlySales.objects.create(account=account, month=month(0), sales=200, receivables=200)


def deal_at_bid(personas, stages, account=None):
    """A deal of alice's in the bid stage, its bid outcomes ticked: ready to move on."""
    deal = OpportunityFactory(
        account=account or personas.account, stage=stages["bid"], probability=60
    )
    for criterion in stages["bid"].criteria.all():
        services.criterion_set(
            opportunity=deal, criterion=criterion, checked=True, by=personas.alice
        )
    deal.refresh_from_db()
    return deal


def test_closing_stages_are_won_and_the_one_before_it(stages):
    assert gates.closing_stage_ids() == {stages["negotiation"].pk, stages["won"].pk}


def test_a_rep_is_refused_with_the_reason(personas, stages):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    with pytest.raises(ApplicationError) as refused:
        services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
        )
    assert refused.value.code == "approval_required"
    assert refused.value.message == (
        "Alice's Customer Co is over its credit limit (¥200 owed, limit ¥100): "
        "a manager must approve this move."
    )
    deal.refresh_from_db()
    assert deal.stage == stages["bid"]


def test_money_over_90_days_also_gates_and_other_moves_do_not(personas, stages):
    account = personas.account
    MonthlySales.objects.create(account=account, month=month(8), sales=50, receivables=50)
    deal = deal_at_bid(personas, stages)
    with pytest.raises(ApplicationError, match="over 90 days overdue"):
        services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
        )
    # Back to an earlier stage, or lost: no gate.
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["solution"], by=personas.alice
    )
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["lost"], by=personas.alice, close_reason="Price"
    )


def test_an_account_without_money_risk_moves_freely(personas, stages):
    deal = deal_at_bid(personas, stages)
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
    )
    assert deal.stage == stages["negotiation"]
    assert not StageApproval.objects.exists()


def test_request_approve_moves_and_the_history_shows_the_reason(personas, stages):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    approval = approvals.approval_request(
        opportunity=deal,
        to_stage=stages["negotiation"],
        by=personas.alice,
        reason="They agreed to pay ¥150 by Friday",
    )
    assert approval.status == ApprovalStatus.PENDING
    assert "over its credit limit" in approval.risk
    asked = Notification.objects.get(kind="approval_requested")
    assert (asked.recipient, asked.account) == (personas.manager, personas.account)
    # Still refused while waiting; a second request is refused too.
    with pytest.raises(ApplicationError):
        services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
        )
    with pytest.raises(ApplicationError) as again:
        approvals.approval_request(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="x"
        )
    assert again.value.code == "approval_pending"
    # Only a manager of the team decides.
    for outsider in (personas.bob, personas.other_manager):
        with pytest.raises(ApplicationError):
            approvals.approval_approve(approval=approval, by=outsider)

    approvals.approval_approve(approval=approval, by=personas.manager, note="OK, watch it")

    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by) == (ApprovalStatus.APPROVED, personas.manager)
    told = Notification.objects.get(kind="approval_decided")
    assert told.recipient == personas.alice
    entries = record_timeline(deal, user=personas.manager)
    part = [e for e in entries if e.object_type == "opportunities.stageapproval"]
    assert [e.action for e in part] == ["changed", "created"]
    created = {c.field: c.new_display for c in part[1].changes}
    assert created["reason"] == "They agreed to pay ¥150 by Friday"
    decided = {c.field: c.new_display for c in part[0].changes}
    assert decided["status"] == "Approved"
    assert decided["decision_note"] == "OK, watch it"
    # The move itself is in the deal's history too, after the approval.
    assert any(
        c.field == "stage" and c.new_display == str(stages["negotiation"])
        for e in entries
        for c in e.changes
    )


def test_a_manager_moves_with_a_reason_and_the_approval_is_recorded(personas, stages):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    with pytest.raises(ApplicationError) as refused:
        services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.manager
        )
    assert refused.value.extra["can_approve"] is True
    services.opportunity_move_stage(
        opportunity=deal,
        to_stage=stages["negotiation"],
        by=personas.manager,
        approval_reason="Guaranteed by the parent company",
    )
    assert deal.stage == stages["negotiation"]
    approval = StageApproval.objects.get()
    assert approval.status == ApprovalStatus.APPROVED
    assert approval.requested_by == approval.decided_by == personas.manager
    assert approval.reason == "Guaranteed by the parent company"


def test_a_rep_giving_a_reason_is_still_refused(personas, stages):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    with pytest.raises(ApplicationError):
        services.opportunity_move_stage(
            opportunity=deal,
            to_stage=stages["negotiation"],
            by=personas.alice,
            approval_reason="I say so",
        )
    assert not StageApproval.objects.exists()


def test_rejected_needs_a_note_and_keeps_the_deal(personas, stages):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    approval = approvals.approval_request(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="Please"
    )
    with pytest.raises(ApplicationError):
        approvals.approval_reject(approval=approval, by=personas.manager, note=" ")
    approvals.approval_reject(approval=approval, by=personas.manager, note="Collect first")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.REJECTED
    deal.refresh_from_db()
    assert deal.stage == stages["bid"]
    with pytest.raises(ApplicationError):
        services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
        )
    with pytest.raises(ApplicationError) as decided:
        approvals.approval_approve(approval=approval, by=personas.manager)
    assert decided.value.code == "approval_decided"


def test_a_request_read_before_another_decided_it_is_not_decided_again(personas, stages):
    """Two managers open the same request; one rejects it. The other's approve, on the
    request as they read it, is refused: the state is read again (under a row lock on
    PostgreSQL, so that the two at the same moment cannot both decide)."""
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    approval = approvals.approval_request(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="Please"
    )
    as_read = StageApproval.objects.get(pk=approval.pk)
    approvals.approval_reject(approval=approval, by=personas.manager, note="Collect first")

    with pytest.raises(ApplicationError) as decided:
        approvals.approval_approve(approval=as_read, by=personas.manager)

    assert decided.value.code == "approval_decided"
    deal.refresh_from_db()
    assert deal.stage == stages["bid"]
    assert StageApproval.objects.get(pk=approval.pk).status == ApprovalStatus.REJECTED


# --- pages ----------------------------------------------------------------------------------


def test_the_move_page_sends_the_rep_to_request_approval(personas, stages, login):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    client = login(personas.alice)
    moved = client.post(
        reverse("opportunities:move", args=[deal.pk]), {"stage": stages["negotiation"].pk}
    )
    assert moved.status_code == 302
    assert reverse("opportunities:approval_request", args=[deal.pk]) in moved["Location"]
    page = client.get(moved["Location"])
    html = page.content.decode()
    assert "Request approval" in html and "over its credit limit" in html
    # Only the stages a move needs approval for: negotiation and won, not where it is.
    offered = list(page.context["form"].fields["stage"].queryset)
    assert offered == [stages["negotiation"], stages["won"]]
    empty = client.post(moved["Location"], {"stage": stages["negotiation"].pk})
    assert empty.status_code == 200
    assert "Say why the deal should move" in empty.content.decode()
    asked = client.post(
        moved["Location"], {"stage": stages["negotiation"].pk, "reason": "Payment plan"}
    )
    assert asked.status_code == 302
    approval = StageApproval.objects.get()
    # The manager's list, the deal's section with the forms, the notification's link.
    manager = login(personas.manager)
    listed = manager.get(reverse("opportunities:approvals")).content.decode()
    assert "Payment plan" in listed
    detail = manager.get(deal.get_absolute_url()).content.decode()
    assert 'id="approvals"' in detail and "Approve and move" in detail
    note = Notification.objects.get(kind="approval_requested")
    assert manager.get(reverse("opportunities:approval", args=[approval.pk])).status_code == 302
    assert str(approval.pk) in approvals.approval_path(note)
    done = manager.post(reverse("opportunities:approval_decide", args=[approval.pk, "approve"]))
    assert done.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]
    # The rep sees the status, without the forms; another team sees nothing.
    rep = login(personas.alice).get(deal.get_absolute_url()).content.decode()
    assert "Approved" in rep and "Approve and move" not in rep
    outsider = login(personas.charlie)
    assert outsider.get(reverse("opportunities:approval", args=[approval.pk])).status_code == 404
    assert (
        outsider.post(
            reverse("opportunities:approval_decide", args=[approval.pk, "reject"]),
            {"note": "no"},
        ).status_code
        == 404
    )


def test_outcomes_ticked_on_the_move_page_are_saved_when_the_move_waits_for_approval(
    personas, stages, login
):
    """The rep ticks the bid's outcomes and moves: the move needs a manager's approval,
    the ticks are saved meanwhile, and the approved move needs nothing ticked again."""
    from opportunities.models import CriterionCheck

    over_limit(personas.account)
    deal = OpportunityFactory(account=personas.account, stage=stages["bid"], probability=60)
    outcomes = list(stages["bid"].criteria.values_list("pk", flat=True))
    client = login(personas.alice)
    moved = client.post(
        reverse("opportunities:move", args=[deal.pk]),
        {"stage": stages["negotiation"].pk, "version": deal.version, "ticked": outcomes},
    )
    assert moved.status_code == 302
    assert reverse("opportunities:approval_request", args=[deal.pk]) in moved["Location"]
    assert set(
        CriterionCheck.objects.filter(opportunity=deal).values_list("criterion_id", flat=True)
    ) == set(outcomes)
    deal.refresh_from_db()
    assert deal.stage == stages["bid"]
    asked = client.post(
        moved["Location"], {"stage": stages["negotiation"].pk, "reason": "Payment plan"}
    )
    assert asked.status_code == 302
    approval = StageApproval.objects.get()
    done = login(personas.manager).post(
        reverse("opportunities:approval_decide", args=[approval.pk, "approve"])
    )
    assert done.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]


def test_a_manager_approves_and_moves_on_the_request_page(personas, stages, login):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    client = login(personas.manager)
    url = reverse("opportunities:approval_request", args=[deal.pk])
    assert "Approve and move" in client.get(url).content.decode()
    client.post(url, {"stage": stages["negotiation"].pk, "reason": "Guarantee signed"})
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]


# --- the API ---------------------------------------------------------------------------------


def test_api_move_answers_409_then_request_and_approve(personas, stages, api):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    rep = api(personas.alice)
    refused = rep.patch(f"/api/v1/opportunities/{deal.pk}/", {"stage": stages["negotiation"].pk})
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "approval_required"
    assert "over its credit limit" in body["approval_reason"]
    assert body["errors"]["stage"] == [body["detail"]]

    bad = rep.post("/api/v1/approvals/", {"opportunity": deal.pk, "to_stage": 99999})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) >= {"to_stage", "reason"}
    asked = rep.post(
        "/api/v1/approvals/",
        {"opportunity": deal.pk, "to_stage": stages["negotiation"].pk, "reason": "Plan"},
    )
    assert asked.status_code == 201, asked.json()
    aid = asked.json()["id"]
    assert asked.json()["status"] == "pending"
    again = rep.post(
        "/api/v1/approvals/",
        {"opportunity": deal.pk, "to_stage": stages["negotiation"].pk, "reason": "Plan"},
    )
    assert again.status_code == 409 and again.json()["code"] == "approval_pending"

    assert rep.post(f"/api/v1/approvals/{aid}/approve/").status_code == 403
    assert api(personas.charlie).post(f"/api/v1/approvals/{aid}/approve/").status_code == 404
    listed = api(personas.manager).get("/api/v1/approvals/?status=pending").json()
    assert [row["id"] for row in listed["results"]] == [aid]
    approved = api(personas.manager).post(f"/api/v1/approvals/{aid}/approve/", {"note": "ok"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]


def test_api_requests_and_decisions_retried_with_their_idempotency_key_replay(
    personas, stages, api
):
    """A phone that lost the answer sends again: the same request, not approval_pending;
    the same decision, not approval_decided."""
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    rep, manager = api(personas.alice), api(personas.manager)
    body = {"opportunity": deal.pk, "to_stage": stages["negotiation"].pk, "reason": "Plan"}

    asked = rep.post("/api/v1/approvals/", body, HTTP_IDEMPOTENCY_KEY="ask-1")
    asked_again = rep.post("/api/v1/approvals/", body, HTTP_IDEMPOTENCY_KEY="ask-1")
    aid = asked.json()["id"]
    approved = manager.post(f"/api/v1/approvals/{aid}/approve/", {}, HTTP_IDEMPOTENCY_KEY="ok-1")
    approved_again = manager.post(
        f"/api/v1/approvals/{aid}/approve/", {}, HTTP_IDEMPOTENCY_KEY="ok-1"
    )

    assert (asked.status_code, asked_again.status_code) == (201, 201)
    assert asked_again.json() == asked.json()
    assert asked["Location"] == f"/api/v1/approvals/{aid}/"
    assert StageApproval.objects.filter(opportunity=deal).count() == 1
    assert (approved.status_code, approved_again.status_code) == (200, 200)
    assert approved_again["Idempotent-Replayed"] == "true"
    assert approved_again.json()["status"] == "approved"
    # Without the key, a second decision is refused as before.
    again = manager.post(f"/api/v1/approvals/{aid}/approve/", {})
    assert again.status_code == 409 and again.json()["code"] == "approval_decided"


def test_api_approvals_list_refuses_an_empty_or_unknown_status(personas, api):
    client = api(personas.manager)
    for value in ("", "bogus"):
        answer = client.get("/api/v1/approvals/", {"status": value})
        assert answer.status_code == 400, value
        assert answer.json()["errors"] == {
            "status": ["Give one of: pending, approved, rejected, withdrawn."]
        }


def test_the_schema_documents_the_approvals_status_filter_keys_and_conflicts(api):
    schema = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    approvals = schema["paths"]["/api/v1/approvals/"]
    (status,) = [p for p in approvals["get"]["parameters"] if p["name"] == "status"]
    assert sorted(status["schema"]["enum"]) == ["approved", "pending", "rejected", "withdrawn"]
    for path in ("/api/v1/approvals/", "/api/v1/approvals/{id}/approve/"):
        post = schema["paths"][path]["post"]
        assert "409" in post["responses"]
        assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
    error = schema["components"]["schemas"]["Error"]["properties"]
    assert {"approval_reason", "can_approve", "pending_approval"} <= set(error)


def test_api_reject_needs_a_note(personas, stages, api):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    aid = (
        api(personas.alice)
        .post(
            "/api/v1/approvals/",
            {"opportunity": deal.pk, "to_stage": stages["negotiation"].pk, "reason": "Plan"},
        )
        .json()["id"]
    )
    manager = api(personas.manager)
    refused = manager.post(f"/api/v1/approvals/{aid}/reject/", {"note": "  "})
    assert refused.status_code == 400
    # The API's one error shape: the message on the field to mend, no key of its own.
    assert refused.json() == {
        "detail": "Say why the move is rejected, so the rep knows what to do.",
        "code": "invalid",
        "errors": {"note": ["Say why the move is rejected, so the rep knows what to do."]},
    }
    assert manager.post(f"/api/v1/approvals/{aid}/reject/", {"note": "No"}).status_code == 200


# --- imports and new deals -----------------------------------------------------------------


def run_import(kind, rows, by):
    from keyaccounts.tests.imports_files import csv_file, import_file

    return import_file(kind, csv_file(rows), by)


def test_an_import_cannot_move_a_deal_past_the_gate_without_approval(personas, stages):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    deal.external_id = "D-9"
    deal.save()
    rows = [
        ["Account", "External ID", "Name", "Amount", "Expected close date", "Stage"],
        [personas.account.name, "D-9", deal.name, 500000, "2030-06-30", "Negotiation"],
    ]
    result = run_import("opportunities", rows, personas.alice)
    [row] = result.rows
    assert row.status == "error"
    assert "over its credit limit" in row.problems[0].message
    deal.refresh_from_db()
    assert deal.stage == stages["bid"]
    # Approved on the deal's page: the same file goes through.
    approval = approvals.approval_request(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="Plan"
    )
    approvals.approval_reject(approval=approval, by=personas.manager, note="Not yet")
    assert run_import("opportunities", rows, personas.alice).rows[0].status == "error"
    StageApproval.objects.create(
        opportunity=deal,
        to_stage=stages["negotiation"],
        requested_by=personas.alice,
        reason="Plan",
        status=ApprovalStatus.APPROVED,
        decided_by=personas.manager,
    )
    assert run_import("opportunities", rows, personas.alice).rows[0].status == "update"
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]


def test_an_import_reads_the_gate_only_when_a_row_moves_a_deal_to_a_closing_stage(personas, stages):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    deal.external_id = "D-9"
    deal.save()
    header = ["Account", "External ID", "Name", "Amount", "Expected close date", "Stage"]
    stays = [personas.account.name, "D-9", deal.name, 400000, "2030-06-30", "Bid"]
    moves = [personas.account.name, "D-9", deal.name, 400000, "2030-06-30", "Negotiation"]

    def gate_reads(row):
        with CaptureQueriesContext(connection) as queries:
            result = run_import("opportunities", [header, row], personas.alice)
        reads = [q["sql"] for q in queries if "scoring_monthlysales" in q["sql"]]
        return result.rows[0], reads

    row, reads = gate_reads(stays)
    assert row.status == "update" and reads == []  # the amount only: no money read
    row, reads = gate_reads(moves)
    assert row.status == "error" and "over its credit limit" in row.problems[0].message
    assert reads  # the move to a closing stage read the account's money


def outcomes_before(stage) -> list[ExitCriterion]:
    """Every exit criterion of the open stages before `stage`: what opening a deal there
    ticks in the same write."""
    return list(
        ExitCriterion.objects.filter(
            stage__order__lt=stage.order, stage__is_won=False, stage__is_lost=False
        )
    )


def test_a_deal_cannot_be_opened_as_won_at_an_account_at_risk(personas, stages):
    over_limit(personas.account)
    with pytest.raises(ApplicationError) as refused:
        services.opportunity_create(
            by=personas.alice,
            account=personas.account,
            stage=stages["won"],
            checked_criteria=outcomes_before(stages["won"]),
            name="Done deal",
            amount=100,
            expected_close_date=timezone.localdate(),
            close_reason="Signed",
        )
    assert refused.value.code == "approval_required"


def test_a_deal_cannot_be_opened_at_the_closing_stage_at_an_account_at_risk(personas, stages):
    over_limit(personas.account)
    fields = dict(name="Straight to talks", amount=100, expected_close_date=timezone.localdate())
    with pytest.raises(ApplicationError) as refused:
        services.opportunity_create(
            by=personas.alice,
            account=personas.account,
            stage=stages["negotiation"],
            checked_criteria=outcomes_before(stages["negotiation"]),
            **fields,
        )
    assert refused.value.code == "approval_required"
    # An earlier stage opens as usual.
    opened = services.opportunity_create(
        by=personas.alice,
        account=personas.account,
        stage=stages["bid"],
        checked_criteria=outcomes_before(stages["bid"]),
        **fields,
    )
    assert opened.stage == stages["bid"]


def test_an_approval_lets_the_deal_in_once(personas, stages):
    """Approved, moved to negotiation, moved back: going to negotiation again needs a new
    approval — the money risk may have changed since."""
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    approval = approvals.approval_request(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="Paid soon"
    )
    approvals.approval_approve(approval=approval, by=personas.manager, note="OK")
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]
    services.opportunity_move_stage(opportunity=deal, to_stage=stages["bid"], by=personas.alice)
    deal.refresh_from_db()
    with pytest.raises(ApplicationError) as refused:
        services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
        )
    assert refused.value.code == "approval_required"


def test_terms_and_limit_come_in_by_the_account_import_in_chinese(personas):
    rows = [
        ["客户名称", "账期", "信用额度"],
        [personas.account.name, 45, "1,000,000"],
    ]
    result = run_import("accounts", rows, personas.alice)
    assert [r.status for r in result.rows] == ["update"], [
        (p.column, p.message) for r in result.rows for p in r.problems
    ]
    personas.account.refresh_from_db()
    assert personas.account.payment_terms_days == 45
    assert personas.account.credit_limit == Decimal(1000000)


def test_the_deal_page_warns_and_my_week_lists_what_waits(personas, stages, login):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    html = login(personas.alice).get(deal.get_absolute_url()).content.decode()
    assert 'data-flag="money"' in html and "Request approval" in html
    assert "over its credit limit" in html
    approvals.approval_request(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="Plan"
    )
    week = login(personas.manager).get(reverse("visits:my_week")).content.decode()
    assert 'id="approvals-waiting"' in week and deal.name in week
    other = login(personas.other_manager).get(reverse("visits:my_week")).content.decode()
    assert 'id="approvals-waiting"' not in other


def test_the_deal_section_costs_the_same_with_more_requests(
    personas, stages, django_assert_num_queries
):
    from django.test import RequestFactory

    from opportunities.approval_views import deal_approvals_section

    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    request = RequestFactory().get("/")
    request.user = personas.manager

    def make(n):
        for i in range(n):
            StageApproval.objects.create(
                opportunity=deal,
                to_stage=stages["won"] if i % 2 else stages["negotiation"],
                requested_by=personas.alice,
                reason=f"Plan {i}",
                status=ApprovalStatus.REJECTED,
            )

    make(1)
    deal = type(deal).objects.select_related("account", "stage").get(pk=deal.pk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert deal_approvals_section(request, opportunity=deal)["rows"]
    make(8)
    with CaptureQueriesContext(connection) as many:
        assert len(deal_approvals_section(request, opportunity=deal)["rows"]) == 9
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_manager_decides_the_requests_of_their_teams_deals_or_accounts(personas, stages):
    """Pending for a manager: requests on deals owned by someone of a team they manage,
    or at an account owned by someone of it; not another team's, and a rep decides
    none."""
    from accounts.tests.factories import AccountFactory

    over_limit(personas.account)
    own = deal_at_bid(personas, stages)  # alice's deal at alice's account
    theirs = AccountFactory(name="Charlie's second", owner=personas.charlie)
    over_limit(theirs)
    # Charlie's (West) deal at alice's (East) account: East's manager decides it by the
    # account; a deal of West's at West's account: not East's manager's.
    by_account = deal_at_bid(personas, stages)
    by_account.owner = personas.charlie
    by_account.save()
    elsewhere = deal_at_bid(personas, stages, account=theirs)
    elsewhere.owner = personas.charlie
    elsewhere.save()
    asked = [
        approvals.approval_request(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.admin, reason="r"
        )
        for deal in (own, by_account, elsewhere)
    ]
    assert list(approvals.pending_for_manager(personas.manager)) == asked[:2]
    assert list(approvals.pending_for_manager(personas.admin)) == asked
    assert asked[2] in approvals.pending_for_manager(personas.other_manager)
    assert asked[0] not in approvals.pending_for_manager(personas.other_manager)
    assert not approvals.pending_for_manager(personas.alice).exists()
    # The first few, read by their ids first (a manager's week, the approvals list): the
    # same requests in the same order.
    for who in (personas.manager, personas.admin, personas.other_manager, personas.alice):
        for limit in (1, 2, 5):
            assert approvals.first_pending_for_manager(who, limit=limit) == list(
                approvals.pending_for_manager(who)[:limit]
            ), (who, limit)


def test_the_first_pending_requests_are_their_ids_then_their_rows_with_what_they_show(
    personas, stages
):
    """No request waiting: one statement for the ids (after the manager probe), none for
    rows; some: one more, and each row carries its deal, account, stages and who asked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    over_limit(personas.account)
    with CaptureQueriesContext(connection) as none_waiting:
        assert approvals.first_pending_for_manager(personas.manager, limit=6) == []
    deal = deal_at_bid(personas, stages)
    asked = approvals.approval_request(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.admin, reason="r"
    )
    with CaptureQueriesContext(connection) as some_waiting:
        (row,) = approvals.first_pending_for_manager(personas.manager, limit=6)
        shown = (
            row.opportunity.account.name,
            row.opportunity.stage.key,
            row.to_stage.key,
            row.requested_by.username,
        )
    assert row == asked
    assert shown == (deal.account.name, "bid", "negotiation", personas.admin.username)
    assert len(some_waiting.captured_queries) == len(none_waiting.captured_queries) + 1


def deal_in_negotiation(personas, stages):
    """A deal of alice's in negotiation, every outcome up to won ticked: ready to win."""
    deal = deal_at_bid(personas, stages)
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
    )
    for criterion in stages["negotiation"].criteria.all():
        services.criterion_set(
            opportunity=deal, criterion=criterion, checked=True, by=personas.alice
        )
    deal.refresh_from_db()
    return deal


def test_a_won_close_waiting_for_approval_keeps_its_reason_and_the_approval_closes_it(
    personas, stages, login
):
    """The rep closes as won and is sent to ask a manager: what they typed comes along,
    is kept on the request, and the manager's approval closes the deal with it."""
    deal = deal_in_negotiation(personas, stages)
    over_limit(personas.account)
    rep = login(personas.alice)
    closed = rep.post(
        reverse("opportunities:close", args=[deal.pk]),
        {"stage": stages["won"].pk, "close_reason": "Signed contract, 3 years"},
    )
    assert closed.status_code == 302
    page = rep.get(closed["Location"]).content.decode()
    assert "Signed contract, 3 years</textarea>" in page
    asked = rep.post(
        closed["Location"],
        {
            "stage": stages["won"].pk,
            "reason": "Paid ¥150 on Monday",
            "close_reason": "Signed contract, 3 years",
        },
    )
    assert asked.status_code == 302
    approval = StageApproval.objects.get()
    assert approval.close_reason == "Signed contract, 3 years"
    manager = login(personas.manager)
    assert "Signed contract, 3 years" in manager.get(deal.get_absolute_url()).content.decode()
    manager.post(reverse("opportunities:approval_decide", args=[approval.pk, "approve"]))
    deal.refresh_from_db()
    assert (deal.stage, deal.close_reason) == (stages["won"], "Signed contract, 3 years")


def test_an_approval_asked_without_why_it_was_won_says_the_deal_can_move_now(
    personas, stages, login
):
    deal = deal_in_negotiation(personas, stages)
    over_limit(personas.account)
    approval = approvals.approval_request(
        opportunity=deal, to_stage=stages["won"], by=personas.alice, reason="Paid"
    )
    approvals.approval_approve(approval=approval, by=personas.manager)
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]  # won needs its reason: the rep closes it
    page = login(personas.alice).get(deal.get_absolute_url()).content.decode()
    assert "A manager approved the move to Won: the deal can move now." in page
    assert "Request approval</a>" not in page


def test_a_move_without_its_outcomes_is_refused_for_them_before_any_approval(personas, stages):
    """Asked first for the money, a manager would approve a move the deal could not
    make: the missing outcomes are said first, and no request is made."""
    over_limit(personas.account)
    deal = OpportunityFactory(account=personas.account, stage=stages["bid"], probability=60)
    for ask in (
        lambda: services.opportunity_move_stage(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice
        ),
        lambda: approvals.approval_request(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="x"
        ),
    ):
        with pytest.raises(ApplicationError) as refused:
            ask()
        assert refused.value.code == "exit_criteria_missing"
    assert not StageApproval.objects.exists()


def test_an_edit_that_moves_the_deal_with_its_parts_says_the_outcomes_first(personas, stages):
    over_limit(personas.account)
    deal = OpportunityFactory(account=personas.account, stage=stages["bid"], probability=60)
    with pytest.raises(ApplicationError) as refused:
        services.opportunity_update(
            opportunity=deal,
            by=personas.alice,
            stage=stages["negotiation"],
            competitors=[{"name": "Rival", "threat": "high", "strengths": "", "weaknesses": ""}],
        )
    assert refused.value.code == "exit_criteria_missing"


def test_the_risk_of_a_request_is_read_in_the_readers_language(personas, stages, api):
    from django.utils import translation

    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    with translation.override("en"):
        approval = approvals.approval_request(
            opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="x"
        )
    with translation.override("zh-hans"):
        assert approval.risk_shown == (
            "Alice's Customer Co 超出信用额度（欠款 ¥200，额度 ¥100）：此推进须经主管批准。"
        )
    with translation.override("en"):
        assert approval.risk_shown == approval.risk
    answer = api(personas.manager).get(
        f"/api/v1/approvals/{approval.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "超出信用额度" in answer.json()["risk"]


def test_a_request_the_deal_moved_past_is_withdrawn_and_cannot_be_approved(personas, stages):
    """Approved later, a request to negotiate would move a won deal back, and a request
    to win a deal closed as lost meanwhile would win it: once the deal has moved past
    the stage asked for, or closed, the request is no longer needed."""
    deal = deal_in_negotiation(personas, stages)
    over_limit(personas.account)
    win = approvals.approval_request(
        opportunity=deal,
        to_stage=stages["won"],
        by=personas.alice,
        reason="Paid",
        close_reason="Signed",
    )
    services.opportunity_move_stage(
        opportunity=deal, to_stage=stages["lost"], by=personas.alice, close_reason="Budget cut"
    )
    win.refresh_from_db()
    assert win.status == ApprovalStatus.WITHDRAWN
    with pytest.raises(ApplicationError) as refused:
        approvals.approval_approve(approval=win, by=personas.manager)
    assert refused.value.code == "approval_decided"
    deal.refresh_from_db()
    assert (deal.stage, deal.close_reason) == (stages["lost"], "Budget cut")


def test_approving_the_win_withdraws_the_request_to_negotiate(personas, stages):
    over_limit(personas.account)
    deal = deal_at_bid(personas, stages)
    for criterion in stages["negotiation"].criteria.all():
        services.criterion_set(
            opportunity=deal, criterion=criterion, checked=True, by=personas.alice
        )
    negotiate = approvals.approval_request(
        opportunity=deal, to_stage=stages["negotiation"], by=personas.alice, reason="x"
    )
    manager_move = StageApproval.objects.filter(pk=negotiate.pk)
    approvals.approval_approve(approval=negotiate, by=personas.manager)
    deal.refresh_from_db()
    assert deal.stage == stages["negotiation"]
    win = approvals.approval_request(
        opportunity=deal, to_stage=stages["won"], by=personas.alice, reason="y", close_reason="z"
    )
    # A stale pending request for an earlier stage (made before the move) is withdrawn
    # when the deal passes it, and refused if a manager tries it.
    stale = StageApproval.objects.create(
        opportunity=deal, to_stage=stages["negotiation"], risk="r", requested_by=personas.alice,
        reason="old",
    )  # fmt: skip
    approvals.approval_approve(approval=win, by=personas.manager)
    deal.refresh_from_db()
    assert deal.stage == stages["won"]
    stale.refresh_from_db()
    assert stale.status == ApprovalStatus.WITHDRAWN
    assert manager_move.get().status == ApprovalStatus.APPROVED

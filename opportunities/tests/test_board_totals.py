"""The whole company's board totals, kept from the change feed (opportunities/board_totals.py).

Property: after any sequence of changes to deals and accounts — through the services the
pages, the API and imports call — the kept totals are what summing the deals now gives,
told here in plain Python over the rows, independently of the code under test; however
many changes come between two views (the kept totals catch up on all of them at once).
Then: the board of a superuser shows them, and with a filter sums the deals it shows; a
new feed epoch and a burst of changes count everything again; the command reports and
repairs totals that drifted."""

import datetime
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from accounts.services import account_delete, account_merge, account_restore
from keyaccounts.exceptions import ApplicationError
from keyaccounts.feed.reader import feed_state
from keyaccounts.recyclebin.services import purge_expired
from opportunities import board_totals
from opportunities.models import BoardCounted, BoardTotal, Opportunity, Stage
from opportunities.services import (
    opportunity_delete,
    opportunity_move_stage,
    opportunity_restore,
    opportunity_update,
)
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

names = itertools.count(1)
TODAY = datetime.date(2026, 12, 3)
WINDOW = TODAY - datetime.timedelta(days=90)


def expected(closed_since) -> dict[tuple, tuple]:
    """The board's totals by (stage, currency), summed here over plain rows: the live
    deals of live accounts, won and lost ones closed before `closed_since` left out."""
    live_accounts = set(Account.objects.values_list("pk", flat=True))
    closing = set(Stage.objects.filter(is_won=True).values_list("pk", flat=True)) | set(
        Stage.objects.filter(is_lost=True).values_list("pk", flat=True)
    )
    sums = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    rows = Opportunity.all_objects.values_list(
        "account_id", "deleted_at", "stage_id", "currency", "closed_on", "amount", "probability"
    )
    for account, deleted, stage, currency, closed, amount, probability in rows:
        if deleted is not None or account not in live_accounts:
            continue
        if stage in closing and closed is not None and closed < closed_since:
            continue
        row = sums[stage, currency]
        row[0] += 1
        row[1] += amount
        row[2] += amount * probability
    return {key: tuple(value) for key, value in sums.items()}


def kept(closed_since) -> dict[tuple, tuple]:
    rows = board_totals.whole_company(closed_since=closed_since, stages=list(Stage.objects.all()))
    return {
        (row["stage_id"], row["currency"]): (row["deals"], row["total"], row["weighted_total"])
        for row in rows
        if row["deals"]
    }


def assert_kept_equals_the_deals() -> None:
    for closed_since in (WINDOW, None):
        assert kept(closed_since) == expected(closed_since or datetime.date.min)
    assert board_totals.differences() == []


KINDS = [
    "new_deal",
    "change_amount",
    "change_currency",
    "move_stage",
    "delete_deal",
    "restore_deal",
    "delete_account",
    "restore_account",
    "merge_accounts",
    "erase_deal",
    "purge_bin",
]


def apply(kind: str, choose, admin) -> None:
    """Make one change of `kind`; `choose(rows)` picks one of the rows there are now."""
    accounts = list(Account.objects.order_by("pk"))
    deals = list(Opportunity.objects.filter(account__deleted_at__isnull=True).order_by("pk"))
    stages = list(Stage.objects.order_by("order"))
    if kind == "new_deal" and accounts:
        OpportunityFactory(
            account=choose(accounts),
            stage=(stage := choose(stages)),
            amount=choose([Decimal("0.00"), Decimal("1234.56"), Decimal("99999999.99")]),
            currency=choose(["CNY", "USD"]),
            probability=choose([0, 35, 100]),
            closed_on=choose([None, TODAY, WINDOW - datetime.timedelta(days=1), WINDOW])
            if stage.is_won or stage.is_lost
            else None,
        )
    elif kind == "change_amount" and deals:
        opportunity_update(
            opportunity=choose(deals),
            by=admin,
            amount=choose([Decimal("10.00"), Decimal("77777.77")]),
            probability=choose([5, 60]),
        )
    elif kind == "change_currency" and deals:
        opportunity_update(opportunity=choose(deals), by=admin, currency=choose(["CNY", "EUR"]))
    elif kind == "move_stage" and deals:
        opportunity_move_stage(
            opportunity=choose(deals), to_stage=choose(stages), by=admin, close_reason="test"
        )
    elif kind == "delete_deal" and deals:
        opportunity_delete(opportunity=choose(deals), by=admin)
    elif kind == "restore_deal":
        binned = list(Opportunity.all_objects.filter(deleted_at__isnull=False).order_by("pk"))
        if binned:
            opportunity_restore(opportunity=choose(binned), by=admin)
    elif kind == "delete_account" and accounts:
        account_delete(account=choose(accounts), by=admin)
    elif kind == "restore_account":
        binned = list(Account.all_objects.filter(deleted_at__isnull=False).order_by("pk"))
        if binned:
            account_restore(account=choose(binned), by=admin)
    elif kind == "merge_accounts" and len(accounts) > 1:
        survivor, merged = choose(accounts), choose(accounts)
        account_merge(survivor=survivor, merged=merged, by=admin, values={"owner": merged.owner})
    elif kind == "erase_deal" and deals:
        choose(deals).delete()  # outright, as an admin's delete would: only its tombstone
    elif kind == "purge_bin":
        purge_expired(now=timezone.now() + datetime.timedelta(days=1), days=0)


@settings(
    max_examples=30,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_kept_totals_always_equal_the_deals_summed_now(personas, data):
    def choose(rows):
        return data.draw(st.sampled_from(rows)) if rows else None

    default_stages()
    with transaction.atomic():
        for account in (personas.account, personas.charlies_account):
            OpportunityFactory(account=account)
        board_totals.refresh()  # counted from here on by the change feed
        for _step in range(data.draw(st.integers(min_value=1, max_value=10), label="steps")):
            kind = data.draw(st.sampled_from(KINDS), label="change")
            try:
                with transaction.atomic():
                    apply(kind, choose, personas.admin)
            except (ApplicationError, ValidationError):
                pass  # refused by a business rule (exit criteria, a merge of one account)
            if data.draw(st.booleans(), label="look at the board now"):
                assert_kept_equals_the_deals()
        assert_kept_equals_the_deals()
        transaction.set_rollback(True)


def board_totals_shown(client) -> dict[str, int]:
    """Each column's deal count on the board page, by stage name."""
    response = client.get("/pipeline/")
    assert response.status_code == 200
    return {c.stage.name: c.count for c in response.context["open_columns"]} | {
        c.stage.name: c.count for c in response.context["closed_columns"]
    }


def test_a_superusers_board_shows_the_kept_totals_and_a_filtered_board_sums_its_deals(
    personas, login, django_assert_max_num_queries
):
    stages = default_stages()
    qualify = stages["qualify"]
    client = login(personas.admin)
    board_totals_shown(client)  # counted from the start
    for _ in range(3):
        OpportunityFactory(account=personas.account, stage=qualify, amount=100)
    OpportunityFactory(account=personas.charlies_account, stage=qualify, amount=5)

    # The writes since the last view are counted when the board is shown, at a cost
    # that does not grow with the company's deals.
    with django_assert_max_num_queries(30):
        assert board_totals_shown(client)[qualify.name] == 4
    assert BoardCounted.objects.count() == 4
    response = client.get("/pipeline/")
    (column,) = [c for c in response.context["open_columns"] if c.stage == qualify]
    assert [(t.currency, t.amount) for t in column.totals] == [("CNY", Decimal("305.00"))]

    # Filtered to one owner: the deals the board shows, summed now.
    response = client.get("/pipeline/", {"owner": personas.charlie.pk})
    (column,) = [c for c in response.context["open_columns"] if c.stage == qualify]
    assert column.count == 1
    assert [(t.currency, t.amount) for t in column.totals] == [("CNY", Decimal("5.00"))]

    # A deal in the recycle bin leaves the kept totals at the next view.
    opportunity_delete(opportunity=Opportunity.objects.first(), by=personas.admin)
    assert board_totals_shown(client)[qualify.name] == 3


def test_a_rep_and_a_manager_read_their_own_deals_not_the_kept_totals(personas, login):
    qualify = default_stages()["qualify"]
    OpportunityFactory(account=personas.account, stage=qualify)
    OpportunityFactory(account=personas.charlies_account, stage=qualify)
    assert board_totals_shown(login(personas.alice))[qualify.name] == 1
    assert board_totals_shown(login(personas.manager))[qualify.name] == 1
    assert not BoardTotal.objects.exists()  # nobody who sees everything looked yet


def test_a_new_feed_epoch_counts_everything_again(personas):
    default_stages()
    OpportunityFactory(account=personas.account)
    assert board_totals.refresh() == 1  # the first refresh counts every deal
    assert board_totals.refresh() == 0
    # Rows changed under the totals without a change number (SQL): not seen …
    Opportunity.objects.update(amount=Decimal("42.00"))
    assert board_totals.refresh() == 0
    assert board_totals.differences() != []
    # … until the database is another installation's (restored from a backup).
    state = feed_state()
    state.epoch = "restored"
    state.save()
    assert board_totals.refresh() == 1
    assert board_totals.differences() == []


def test_more_changes_than_a_refresh_takes_are_counted_from_scratch(personas, monkeypatch):
    default_stages()
    board_totals.refresh()
    monkeypatch.setattr(board_totals, "REBUILD_ABOVE", 2)
    for _ in range(3):
        OpportunityFactory(account=personas.account)
    BoardCounted.objects.create(
        deal_id=999999, stage_id=1, currency="CNY", amount=1, weighted=1
    )  # a stray row a deal-by-deal refresh would never look at
    assert board_totals.refresh() == 3
    assert not BoardCounted.objects.filter(deal_id=999999).exists()
    assert board_totals.differences() == []


def test_the_command_reports_drifted_totals_and_counts_them_again(personas, capsys):
    default_stages()
    OpportunityFactory(account=personas.account, amount=Decimal("10.00"))
    call_command("rebuild_board_totals", "--check")
    assert "board totals match the deals" in capsys.readouterr().out

    Opportunity.objects.update(amount=Decimal("11.00"))  # behind the feed's back
    with pytest.raises(CommandError) as refused:
        call_command("rebuild_board_totals", "--check")
    assert refused.value.returncode == 1
    assert "kept (1, Decimal('10.00')" in capsys.readouterr().out

    call_command("rebuild_board_totals")
    assert "counted again: 1 deals" in capsys.readouterr().out
    call_command("rebuild_board_totals", "--check")

"""Migration 0004 keeps the invoice numbers stored full-width before the form kept them
half-width, as a change a sync client reads, with its history; a number that would then
be a second live invoice of the same account is left for a person to resolve."""

import datetime
from decimal import Decimal

import pytest

from keyaccounts.changeseq import next_change_seq
from keyaccounts.tests.migrating import latest, migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("receivables", "0003_amounts_kept_exactly")]
AFTER = [("receivables", "0004_invoice_numbers_half_width")]


def stored_before(apps, account_id: int, number: str, **fields) -> int:
    """An invoice as the schema before 0004 stored it (the model's own checks not run):
    its id."""
    return (
        apps.get_model("receivables", "Receivable")
        .objects.create(
            account_id=account_id,
            invoice_number=number,
            issued_on=datetime.date(2026, 10, 1),
            due_on=datetime.date(2026, 10, 31),
            amount=Decimal("100"),
            change_seq=next_change_seq(),
            **fields,
        )
        .pk
    )


def test_full_width_numbers_are_kept_half_width_as_a_change(personas):
    account_id, other_id = personas.account.pk, personas.charlies_account.pk
    try:
        apps = migrate(BEFORE)

        def invoice(account, number, **fields):
            return stored_before(apps, account, number, **fields)

        full = invoice(account_id, "ＦＰ２０２６１２０１ ")
        plain = invoice(account_id, "FP-7")
        clash = invoice(account_id, "ＦＰ－７")  # FP-7 is live already
        other = invoice(other_id, "ＦＰ－７")  # another account's: no clash
        binned = invoice(
            account_id,
            "ＦＰ－７",
            deleted_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        )

        last = next_change_seq()
        apps = migrate(AFTER)
        Receivable = apps.get_model("receivables", "Receivable")
        History = apps.get_model("receivables", "HistoricalReceivable")
        stored = {row.pk: row for row in Receivable.objects.all()}
        assert stored[full].invoice_number == "FP20261201"
        assert stored[other].invoice_number == "FP-7"
        assert stored[binned].invoice_number == "FP-7"  # the bin holds no live number
        assert stored[clash].invoice_number == "ＦＰ－７"  # one invoice twice: left to a person
        assert stored[plain].invoice_number == "FP-7"
        for pk in (full, other, binned):
            assert stored[pk].version == 2
            assert stored[pk].change_seq > last  # after every number there was: in the feed
            entry = History.objects.get(id=pk)
            assert entry.history_type == "~"
            assert entry.invoice_number == stored[pk].invoice_number
            assert entry.history_change_reason == "invoice number kept half-width"
        for pk in (clash, plain):
            assert (stored[pk].version, History.objects.filter(id=pk).count()) == (1, 0)
        assert len({stored[pk].change_seq for pk in (full, other, binned)}) == 3
    finally:
        latest()


def test_a_number_that_grows_past_the_column_half_width_is_left_as_it_is(personas):
    """NFKC can lengthen a number ("№" is "No", "㈱" is "(株)"): a stored number of 64
    characters (the column's length) that would become 65 is left for a person, as the
    form would refuse it (on PostgreSQL the migration failed: value too long)."""
    try:
        number = "№" + "1" * 63
        pk = stored_before(migrate(BEFORE), personas.account.pk, number)
        apps = migrate(AFTER)
        Receivable = apps.get_model("receivables", "Receivable")
        assert Receivable.objects.get(pk=pk).invoice_number == number
    finally:
        latest()

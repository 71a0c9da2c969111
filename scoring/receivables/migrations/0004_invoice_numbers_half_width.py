"""Invoice numbers typed full-width before the form kept them half-width (ＦＰ２０２６１２０１
is FP20261201): stored as `Receivable.clean_fields` now keeps them, NFKC and stripped.

Each one changed is a change like any other: its version grows, it takes a new change
number (a sync client reads it in the changes feed) and its history gets an entry
("system task", with the reason). A number whose half-width form another live invoice of
the same account already has is left as it is: the two are one invoice twice, which a
person resolves (deletes one), not a migration; so is one NFKC would make longer than
its column ("№" is "No"), which the form would refuse."""

import unicodedata

from django.db import migrations
from django.utils import timezone

REASON = "invoice number kept half-width"


def half_width(apps, schema_editor):
    Receivable = apps.get_model("receivables", "Receivable")
    HistoricalReceivable = apps.get_model("receivables", "HistoricalReceivable")
    using = schema_editor.connection.alias
    rows = Receivable.objects.using(using).order_by("pk")
    changed = [
        (row, kept)
        for row in rows.iterator()
        if (kept := unicodedata.normalize("NFKC", row.invoice_number).strip())
        != row.invoice_number
    ]
    if not changed:
        return
    from keyaccounts.changeseq import next_change_seq

    taken = {
        (account, number)
        for account, number in rows.filter(deleted_at__isnull=True).values_list(
            "account_id", "invoice_number"
        )
    }
    now = timezone.now()
    history_fields = [
        field.attname
        for field in HistoricalReceivable._meta.concrete_fields
        if not field.name.startswith("history_") and field.name != "origin"
    ]
    longest = Receivable._meta.get_field("invoice_number").max_length
    for row, kept in changed:
        if len(kept) > longest:
            continue  # "№" is "No": a number grown past its column, left for a person
        if row.deleted_at is None:
            if (row.account_id, kept) in taken:
                continue
            taken.discard((row.account_id, row.invoice_number))
            taken.add((row.account_id, kept))
        row.invoice_number = kept
        row.version += 1
        row.change_seq = next_change_seq(using=using)
        row.updated_at = now
        row.save(update_fields=["invoice_number", "version", "change_seq", "updated_at"])
        HistoricalReceivable.objects.using(using).create(
            **{name: getattr(row, name) for name in history_fields},
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
            history_user=None,
            origin="system",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0003_amounts_kept_exactly"),
        ("keyaccounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(half_width, migrations.RunPython.noop)]

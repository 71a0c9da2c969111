"""What a merge of two accounts carries over of scoring (accounts/merge_hooks.py): the
merged account's assessment when the survivor has none, and its monthly sales — sales
booked to either record are the company's: a month both have adds up. Its scores and
grade history stay with it; the survivor is rescored as any saved account is."""

from accounts import merge_hooks

from .models import Assessment, MonthlySales


def move_assessment_and_sales(*, survivor, merged, **merge) -> None:
    if not Assessment.objects.filter(account=survivor).exists():
        Assessment.objects.filter(account=merged).update(account=survivor)
    theirs = {row.month: row for row in MonthlySales.objects.filter(account=survivor)}
    added, moved, gone = [], [], []
    for row in MonthlySales.objects.filter(account=merged):
        if row.month in theirs:
            into = theirs[row.month]
            into.sales += row.sales
            into.receivables += row.receivables
            added.append(into)
            gone.append(row.pk)
        else:
            row.account = survivor
            moved.append(row)
    MonthlySales.objects.filter(pk__in=gone).delete()
    MonthlySales.objects.bulk_update(added, ["sales", "receivables"])
    MonthlySales.objects.bulk_update(moved, ["account"])


def register() -> None:
    merge_hooks.on_account_merge(move_assessment_and_sales)

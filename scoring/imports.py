"""The monthly sales import type: checked and written by `scoring.sales`, the same code as
the sales page, as one batch. Registered from `ScoringConfig.ready()`."""

from django.utils.translation import gettext_lazy

from accounts.selectors import is_manager
from keyaccounts.imports.columns import ACCOUNT_ALIASES, model_columns
from keyaccounts.imports.engine import RowResult
from keyaccounts.imports.kinds import CREATE, ERROR, UNCHANGED, UPDATE, Kind, register
from keyaccounts.imports.reading import BadCell, cell_text

from . import sales
from .models import MonthlySales


class MonthlySalesKind(Kind):
    """Monthly sales and receivables: checked and written by `scoring.sales`, the same
    code as the sales page, as one batch (the rows are upserted, not saved one by one)."""

    key = "monthly_sales"
    label = gettext_lazy("Monthly sales and receivables")
    key_groups = (("account",), ("month",), ("sales",))

    model = MonthlySales

    def allowed(self, user) -> bool:
        # As on the sales page: managers import the figures.
        return bool(user.is_active) and is_manager(user)

    def make_columns(self):
        return model_columns(
            self.model,
            ["account", "month", "sales", "receivables"],
            aliases={
                "account": ACCOUNT_ALIASES,
                "month": ["月", "年月", "Period"],
                "sales": ["销售额", "销售收入", "Sales"],
                "receivables": ["应收账款", "应收", "Receivables"],
            },
            account={"kind": "text"},
            month={"kind": "month"},
            receivables={"required": False},
        )

    def example(self, user):
        return {"account": "ERP-0001", "month": "2025-03", "sales": 128000, "receivables": 35000}

    def prepare(self, ctx, rows):
        pass

    checked_as_batch = True

    def run_batch(self, rows, *, by, dry_run, describe):
        """`scoring.sales` checks the rows as it does for `import_sales`, then upserts the
        changed ones, all or none (a month holding what is stored: unchanged)."""

        entries, results = [], {}
        for row in rows:
            entry, bad = {"row": row.number}, []
            for key in sales.COLUMNS:
                raw = row.raw.get(key)
                if isinstance(raw, BadCell):
                    bad.append(describe(row, key, raw.message, raw.expected))
                elif key == "month" and hasattr(raw, "year"):
                    entry[key] = f"{raw:%Y-%m}"
                else:
                    entry[key] = cell_text(raw).strip()
            if bad:
                results[row.number] = RowResult(row.number, ERROR, problems=bad)
            else:
                entries.append(entry)
        # Checked as a dry run first: the file goes in only when no row has an error.
        checked = sales.sales_import(rows=entries, by=by, dry_run=True)
        row_at = {row.number: row for row in rows}
        statuses = {sales.CREATED: CREATE, sales.UNCHANGED: UNCHANGED, sales.UPDATED: UPDATE}
        for checked_row in checked.rows:
            number = checked_row.row
            if checked_row.errors:
                problems = [
                    describe(row_at[number], key, message) for key, message in checked_row.errors
                ]
                results[number] = RowResult(number, ERROR, problems=problems)
                continue
            label = f"{checked_row.account_name} · {checked_row.month:%Y-%m}"
            results[number] = RowResult(number, statuses[checked_row.status], record=label)
        if not dry_run and all(result.status != ERROR for result in results.values()):
            sales.sales_import(rows=entries, by=by, dry_run=False)
        return results


def register_kinds() -> None:
    register(MonthlySalesKind())

"""The dashboard's tables as one workbook: a sheet per section of `/dashboard/`
(`/dashboard/export/`, `views.dashboard_export_view`).

The numbers are `scoring.dashboard.figures`', computed over the same accounts as the page (the
user's visible ones, `account_list`, narrowed by the same filter form), so the file
and the page cannot disagree. Counts and amounts are number cells, shares percentages,
months date cells.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.scope import ScopeForm, filter_accounts
from accounts.selectors import account_list
from keyaccounts.db_router import replica_reads
from keyaccounts.exports.writers import add_sheet, new_workbook

from . import figures as dashboard
from .figures import grade_label

MONEY = "#,##0.00"
SHARE = "0.0%"
MONTH = "yyyy-mm"


def _money_columns(first: int, last: int) -> dict[int, str]:
    return dict.fromkeys(range(first, last), MONEY)


def _grades_sheet(workbook, grades):
    rows = [[grade_label(tile["grade"]), tile["count"]] for tile in grades]
    rows.append([_("Total"), sum(tile["count"] for tile in grades)])
    add_sheet(workbook, _("Accounts by grade"), [_("Grade"), _("Accounts")], rows)


def _pipeline_sheet(workbook, pipeline):
    headers = [_("Grade")]
    for stage in [*pipeline["stages"], None]:
        name = str(stage) if stage is not None else _("Total")
        headers += [
            _("%(stage)s: deals") % {"stage": name},
            _("%(stage)s: amount (CNY)") % {"stage": name},
        ]
    rows = []
    for row in pipeline["rows"]:
        cells = [grade_label(row["grade"])]
        for cell in row["cells"]:
            cells += [cell["count"], cell["amount"]]
        rows.append([*cells, row["count"], row["amount"]])
    totals = [_("Total")]
    for total in pipeline["totals"]:
        totals += [total["count"], total["amount"]]
    rows.append([*totals, pipeline["count"], pipeline["amount"]])
    amounts = {index: MONEY for index in range(2, len(headers), 2)}
    add_sheet(workbook, _("ABCD pipeline"), headers, rows, number_formats=amounts)


def _forecast_sheet(workbook, forecast):
    headers = [_("Close month"), *map(grade_label, dashboard.GRADE_KEYS), _("Total")]
    rows = []
    for month in forecast["months"]:
        label = month["month"] if month["month"] is not None else _("Overdue")
        by_grade = [month["by_grade"][grade] for grade in dashboard.GRADE_KEYS]
        rows.append([label, *by_grade, month["total"]])
    rows.append(
        [
            _("Total"),
            *(forecast["by_grade"][grade] for grade in dashboard.GRADE_KEYS),
            forecast["total"],
        ]
    )
    add_sheet(
        workbook,
        _("Weighted forecast"),
        headers,
        rows,
        number_formats={0: MONTH, **_money_columns(1, len(headers))},
    )


def _movement_sheet(workbook, movement):
    directions = {"up": _("upgraded"), "new": _("first graded"), "down": _("downgraded")}
    rows = [
        [
            grade_label(move["from"]),
            grade_label(move["to"]),
            directions[move["direction"]],
            move["count"],
        ]
        for move in movement
    ]
    add_sheet(
        workbook,
        _("Grade movement since last week"),
        [_("From"), _("To"), _("Change"), _("Accounts")],
        rows,
    )


def _gaps_sheet(workbook, gaps):
    rows = [
        [
            " + ".join(row["grades"]),
            row["accounts"],
            row["no_decider"],
            row["no_coach"],
            row["lapsed"],
        ]
        for row in gaps
    ]
    add_sheet(
        workbook,
        _("Coverage gaps"),
        [_("Grade"), _("Accounts"), _("No decider"), _("No coach"), _("Lapsed")],
        rows,
    )


def _compliance_sheet(workbook, compliance):
    rows = [
        [str(row["rep"]), row["rep"].get_username(), row["settled"], row["on_time"], row["share"]]
        for row in compliance["rows"]
    ]
    rows.append([_("All"), None, compliance["settled"], compliance["on_time"], compliance["share"]])
    add_sheet(
        workbook,
        _("Follow-up compliance"),
        [_("Rep"), _("Username"), _("Settled"), _("On time"), _("Share on time")],
        rows,
        number_formats={4: SHARE},
    )


def _concentration_sheet(workbook, concentration):
    rows = [
        [
            label,
            part["total"],
            part["top1"],
            part["top1_share"],
            part["top5"],
            part["top5_share"],
        ]
        for label, part in (
            (_("Sales, last 12 months"), concentration["sales"]),
            (_("Receivables"), concentration["receivables"]),
        )
    ]
    add_sheet(
        workbook,
        _("Concentration"),
        [
            "",
            _("Total"),
            _("Top 1"),
            _("Top 1, share"),
            _("Top 5"),
            _("Top 5, share"),
        ],
        rows,
        number_formats={1: MONEY, 2: MONEY, 3: SHARE, 4: MONEY, 5: SHARE},
    )


def dashboard_workbook(user, data, *, now: datetime.datetime | None = None) -> Workbook:
    """The workbook of `user`'s dashboard with the filters in `data` (the page's query
    string): the accounts by grade, the pipeline (grade × stage), the weighted forecast,
    grade movement, coverage gaps, follow-up compliance and concentration. A constant
    number of queries, as the page."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    workbook = new_workbook()
    with replica_reads(user):
        visible = account_list(user=user)
        form = ScopeForm(data or None, accounts=visible, user=user)
        filters = form.active_filters()
        accounts = filter_accounts(visible, **filters)
        reps = dashboard.reps_in_scope(user, team=filters.get("team"), owner=filters.get("owner"))
        _grades_sheet(workbook, dashboard.grade_distribution(accounts))
        _pipeline_sheet(workbook, dashboard.pipeline(accounts, dashboard.open_stages()))
        _forecast_sheet(workbook, dashboard.forecast(accounts, today))
        _movement_sheet(workbook, dashboard.grade_movement(accounts, now))
        _gaps_sheet(workbook, dashboard.coverage_gaps(accounts, now))
        _compliance_sheet(workbook, dashboard.compliance(reps, today, accounts=accounts))
        _concentration_sheet(workbook, dashboard.concentration(accounts, today))
    return workbook

"""The managers' dashboard (`/dashboard/`): the numbers of scoring.dashboard.figures, each linked to
exactly what it counts: the open deals behind the pipeline and the forecast
(`/dashboard/deals/`), the visits behind the follow-up figures, the account list narrowed
to the accounts behind the others.

Everyone signed in has one: a manager over the accounts of their teams, a rep over their
own, both through the visibility rule (`account_list`). The page runs the same
number of queries whatever the number of accounts. It reads the replica when there is one
(keyaccounts/db_router.py).
"""

from urllib.parse import urlencode

from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe

from accounts.scope import ScopeForm, filter_accounts
from accounts.selectors import account_list
from keyaccounts import sections
from keyaccounts.db_router import replica_view
from keyaccounts.exports.views import xlsx_response
from keyaccounts.exports.writers import save_workbook
from keyaccounts.paging import keyset_page
from keyaccounts.snapshots import services as snapshots
from visits.context_processors import header as header_context
from visits.selectors import (
    COMPLIANCE_STATES,
    COMPLIANCE_VISIT_ORDER,
    FOLLOW_UP_WINDOW,
)

from ..inputs import MONEY, amount_in_cny
from . import compliance
from . import figures as dashboard
from .deals import deals_behind_link
from .workbook import dashboard_workbook

# Rows a page of the visits behind a compliance figure; of the deals behind a pipeline
# or forecast figure.
VISITS_PAGE_SIZE = 25
DEALS_PAGE_SIZE = 25
DEALS_ORDER = ("expected_close_date", "pk")  # the deals page's, and its export's


def _list_url(filters: dict, *params: tuple[str, object]) -> str:
    """The account list narrowed by the dashboard's active filters and by `params`
    (a param replaces a filter of the same name)."""
    names = {name for name, _value in params}
    query = [(name, value) for name, value in filters.items() if name not in names]
    query = urlencode([*query, *params])
    return f"{reverse('accounts:list')}?{query}" if query else reverse("accounts:list")


# The figures' template: what a snapshot keeps (keyaccounts/snapshots/).
BODY = "scoring/includes/dashboard_body.html"


@replica_view
def dashboard_view(request):
    """The dashboard: the filters, and the figures as of a moment at most SNAPSHOT_SECONDS
    ago (keyaccounts/snapshots/: adding up a whole company's accounts takes seconds, and a
    manager opens this page many times a day). `?refresh=1` computes them now, then
    answers with the same page without it."""
    visible = account_list(user=request.user)
    form = ScopeForm(request.GET or None, accounts=visible, user=request.user)
    filters = form.active_filters()
    # The page header's figures (one query, lazy), shared with the figures below: a
    # manager's import link there reads the same flag.
    header = header_context(request)["header"]
    figures = snapshots.page_figures(
        request,
        name="dashboard",
        template=BODY,
        params=filters,
        compute=lambda: _figures(request, visible, form, filters, header=header),
    )
    if figures.redirect_to:
        return redirect(figures.redirect_to)
    return render(
        request,
        "scoring/dashboard.html",
        {
            "header": header,
            "form": form,
            "filters": filters,
            "snapshot": figures.shown,
            "refresh_url": figures.refresh_url,
        },
    )


def _figures(request, visible, form, filters: dict, *, header) -> str:
    """Every figure of the dashboard, rendered (templates/scoring/includes/dashboard_body.html)."""
    now = timezone.now()
    today = timezone.localdate(now)
    accounts = filter_accounts(visible, **filters)

    def url(*params):
        return _list_url(filters, *params)

    grades = dashboard.grade_distribution(accounts)
    for tile in grades:
        tile["label"] = dashboard.grade_label(tile["grade"])
        tile["url"] = url(("grade", tile["grade"]))

    def deals(*params):
        return _deals_url(filters, *params)

    pipeline = dashboard.pipeline(accounts, dashboard.open_stages())
    for row in pipeline["rows"]:
        row["label"] = dashboard.grade_label(row["grade"])
        row["url"] = deals(("grade", row["grade"]))
        for cell in row["cells"]:
            cell["url"] = deals(("grade", row["grade"]), ("stage", cell["stage"].key))
    for total in pipeline["totals"]:
        total["url"] = deals(("stage", total["stage"].key))
    pipeline["url"] = deals()

    forecast = dashboard.forecast(accounts, today)
    for month in forecast["months"]:
        month["cells"] = [
            {
                "grade": grade,
                "amount": month["by_grade"][grade],
                "url": deals(("month", month["key"]), ("grade", grade)),
            }
            for grade in dashboard.GRADE_KEYS
        ]
        month["url"] = deals(("month", month["key"]))

    movement = dashboard.grade_movement(accounts, now)
    for move in movement:
        move["from_label"] = dashboard.grade_label(move["from"])
        move["to_label"] = dashboard.grade_label(move["to"])
        move["url"] = url(("moved", dashboard.moved_key(move)))

    gaps = dashboard.coverage_gaps(accounts, now)
    for row in gaps:
        grades_param = [("grade", grade) for grade in row["grades"]]
        row["label"] = " + ".join(row["grades"])
        row["urls"] = {
            "accounts": url(*grades_param),
            **{
                gap: url(*grades_param, ("gap", gap))
                for gap in ("no_decider", "no_coach", "lapsed")
            },
        }

    reps = dashboard.reps_in_scope(
        request.user, team=filters.get("team"), owner=filters.get("owner")
    )
    compliance = dashboard.compliance(reps, today, accounts=accounts)
    for row in compliance["shown"]:
        # The reps in scope are people of the user's teams: the account list's owner
        # filter takes each of them.
        row["url"] = url(("owner", row["rep"].pk))
        row["urls"] = {
            state: _compliance_url(filters, rep=row["rep"].pk, state=state)
            for state in COMPLIANCE_STATES
        }
    for total in compliance["teams"]:
        # A team's reps: the dashboard narrowed to the team; its visits, the same.
        team = {**filters, "team": total["team"].pk}
        total["url"] = f"{reverse('scoring:dashboard')}?{urlencode(team)}#compliance"
        total["urls"] = {state: _compliance_url(team, state=state) for state in COMPLIANCE_STATES}
    compliance["late"] = compliance["settled"] - compliance["on_time"]
    compliance["urls"] = {
        state: _compliance_url(filters, state=state) for state in COMPLIANCE_STATES
    }

    forecast["totals"] = [
        {"amount": forecast["by_grade"][grade], "url": deals(("month", "window"), ("grade", grade))}
        for grade in dashboard.GRADE_KEYS
    ]
    forecast["url"] = deals(("month", "window"))

    concentration = dashboard.concentration(accounts, today)
    concentration["rows"] = [
        {
            **concentration[key],
            "key": key,
            "label": label,
            "url1": url(("top", f"{key}1")),
            "url5": url(("top", f"{key}5")),
        }
        for key, label in (
            ("sales", _("Sales, last 12 months")),
            ("receivables", _("Receivables")),
            ("overdue", _("Overdue receivables")),
        )
    ]

    grade_names = {grade: dashboard.grade_label(grade) for grade in dashboard.GRADE_KEYS}
    charts = {
        "pipeline": {
            "labels": [grade_names[row["grade"]] for row in pipeline["rows"]],
            "datasets": [
                {
                    "key": stage.key,
                    "label": str(stage),
                    "data": [float(row["cells"][i]["amount"]) for row in pipeline["rows"]],
                }
                for i, stage in enumerate(pipeline["stages"])
            ],
        },
        "forecast": {
            "labels": [
                _("Overdue") if month["month"] is None else month["key"]
                for month in forecast["months"]
            ],
            "datasets": [
                {
                    "key": grade,
                    "label": grade_names[grade],
                    "data": [float(month["by_grade"][grade]) for month in forecast["months"]],
                }
                for grade in dashboard.GRADE_KEYS
            ],
        },
        "concentration": {
            "labels": [_("Top 1"), _("Top 5")],
            "datasets": [
                {
                    "key": key,
                    "label": label,
                    "data": [
                        round((concentration[key]["top1_share"] or 0) * 100, 1),
                        round((concentration[key]["top5_share"] or 0) * 100, 1),
                    ],
                }
                for key, label in (
                    ("sales", _("Sales")),
                    ("receivables", _("Receivables")),
                    ("overdue", _("Overdue")),
                )
            ],
        },
    }
    return render_to_string(
        BODY,
        {
            "is_manager": header["is_manager"],
            "grades": grades,
            "accounts_total": sum(tile["count"] for tile in grades),
            "pipeline": pipeline,
            "forecast": forecast,
            "movement": movement,
            "gaps": gaps,
            "compliance": compliance,
            "concentration": concentration,
            # What the apps above add: complaints, reviews due, overdue money, groups …
            "sections": sections.render_context("dashboard", request, filters=filters, form=form),
            "charts": charts,
            "all_url": url(),
        },
    )


def _compliance_url(filters: dict, **params) -> str:
    """The visits behind a figure of the compliance table, with the dashboard's filters."""
    query = urlencode([*filters.items(), *params.items()])
    return f"{reverse('scoring:compliance_visits')}?{query}"


@replica_view
def compliance_visits_view(request):
    """The visits behind a figure of the dashboard's follow-up compliance: the same
    accounts in view and reps in scope (the dashboard's filters), narrowed by `rep` (one
    of those reps; another answers 404) and `state` (settled, on time, late): read by
    `compliance.visits_behind_link`, as its export reads them."""
    today = timezone.localdate()
    found = compliance.visits_behind_link(request.user, request.GET, today=today)
    if found.wrong_in("rep"):
        raise Http404  # not one of the user's reps (or not a number)
    wrong_state = found.wrong_in("state")
    filters, state, rep, since = found.filters, found.state, found.rep, found.since
    visits = found.visits
    page = keyset_page(request, visits, COMPLIANCE_VISIT_ORDER, size=VISITS_PAGE_SIZE, count=True)
    titles = compliance.STATE_TITLES
    # A state the link cannot name is said with what each it can name lists (the key is
    # what the link carries; the title, in the reader's language, what it means).
    opening, closing = pgettext("punctuation", " ("), pgettext("punctuation", ")")
    states = pgettext("punctuation", ", ").join(
        f"“{key}”{opening}{titles[key]}{closing}" for key in COMPLIANCE_STATES
    )
    # Its export link: the dashboard's filters that apply, the figure's rep and state.
    chosen = [("rep", rep.pk)] if rep is not None else []
    export = urlencode([*filters.items(), *chosen, ("state", state)])
    return render(
        request,
        "scoring/compliance_visits.html",
        {
            "page": page,
            "query": page.query,
            "export_query": "" if wrong_state else export,
            # A state it cannot read names no list: the table's own name heads the page.
            "title": _("Follow-up compliance") if wrong_state else titles[state],
            "state": state,
            "wrong_state": request.GET.get("state") if wrong_state else None,
            "states": states,
            "rep": rep,
            "since": since,
            "days": dashboard.COMPLIANCE_DAYS,
            "window": FOLLOW_UP_WINDOW,
            "dashboard_url": (
                f"{reverse('scoring:dashboard')}?{urlencode(filters)}#compliance"
                if filters
                else f"{reverse('scoring:dashboard')}#compliance"
            ),
        },
    )


def _deals_url(filters: dict, *params: tuple[str, object]) -> str:
    """The open deals behind a number of the pipeline or the forecast, with the
    dashboard's filters."""
    return f"{reverse('scoring:dashboard_deals')}?{urlencode([*filters.items(), *params])}"


@replica_view
def dashboard_deals_view(request):
    """The open deals behind a number of the dashboard's ABCD pipeline (`grade`,
    `stage`) or weighted forecast (`month`, `grade`): the same accounts in view (the
    dashboard's filters), the deals counted as the figure counts them
    (`deals.deals_behind_link`). A value that cannot be read lists nothing and says why:
    the other values alone would list other deals than the number's."""
    today = timezone.localdate()
    found = deals_behind_link(request.user, request.GET, today=today)
    filters, wrong = found.filters, found.wrong
    grade, stage, month = found.grade, found.stage, found.month
    months = found.number.months
    deals = found.deals
    totals = deals.aggregate(
        in_cny=Coalesce(Sum(amount_in_cny()), Value(dashboard.ZERO), output_field=MONEY),
        weighted_in_cny=Coalesce(
            Sum(amount_in_cny() * F("probability") / 100, output_field=MONEY),
            Value(dashboard.ZERO),
            output_field=MONEY,
        ),
    )
    deals = deals.select_related("account", "stage", "owner")
    page = keyset_page(request, deals, DEALS_ORDER, size=DEALS_PAGE_SIZE, count=True)
    what = []
    if grade == dashboard.UNGRADED:
        what.append(dashboard.grade_label(grade))
    elif grade in dashboard.GRADE_KEYS:
        what.append(_("Grade %(grade)s") % {"grade": grade})
    if stage is not None:
        what.append(str(stage))
    if month == "overdue":
        what.append(_("Expected to close before this month"))
    elif month == "window":
        what.append(_("Expected to close by the end of %(month)s") % {"month": months[-2]})
    elif month:
        what.append(_("Expected to close in %(month)s") % {"month": month})
    if not what:
        what.append(
            _("Nothing listed: the link has a value that cannot be read")
            if wrong
            else _("All open deals")
        )
    anchor = "#forecast" if "month" in request.GET else "#pipeline"
    return render(
        request,
        "scoring/dashboard_deals.html",
        {
            "page": page,
            "query": page.query,
            "what": what,
            "filters": found.scope.described(),
            "wrong": wrong,
            "amount": totals["in_cny"],
            "weighted": totals["weighted_in_cny"],
            "forecast": "month" in request.GET,
            "dashboard_url": (
                f"{reverse('scoring:dashboard')}?{urlencode(filters)}{anchor}"
                if filters
                else f"{reverse('scoring:dashboard')}{anchor}"
            ),
        },
    )


@require_safe
def dashboard_export_view(request):
    """The dashboard's tables as one workbook (`workbook.py`), over the page's filters."""
    workbook = dashboard_workbook(request.user, request.GET)
    return xlsx_response(
        save_workbook(workbook), f"dashboard-{timezone.localdate().isoformat()}.xlsx"
    )


urlpatterns = [
    path("dashboard/", dashboard_view, name="dashboard"),
    path("dashboard/export/", dashboard_export_view, name="dashboard_export"),
    path("dashboard/follow-ups/", compliance_visits_view, name="compliance_visits"),
    path("dashboard/deals/", dashboard_deals_view, name="dashboard_deals"),
]

"""The win/loss analytics page (`/analytics/`) and the deals behind each of its numbers
(`/analytics/deals/`). Both read the replica when there is one."""

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Industry
from keyaccounts.db_router import replica_view
from keyaccounts.paging import keyset_page
from keyaccounts.snapshots import services as snapshots
from opportunities.models import Stage

from . import selectors
from .deals import deals_behind_link
from .forms import REASON_SHOWN, AnalyticsForm

DEALS_PAGE_SIZE = 25
DEALS_ORDER = ("-closed_on", "-pk")  # the deals page's, and its export's


def _scope_params(scope: selectors.Scope) -> list[tuple[str, object]]:
    params = [("start", scope.start.isoformat()), ("end", scope.end.isoformat())]
    if scope.team:
        params.append(("team", scope.team))
    if scope.owner:
        params.append(("owner", scope.owner))
    return params


def _deals_url(scope, *params) -> str:
    return f"{reverse('scoring:analytics_deals')}?{urlencode([*_scope_params(scope), *params])}"


# The figures' template: what a snapshot keeps (keyaccounts/snapshots/).
BODY = "scoring/includes/analytics_body.html"


@replica_view
def analytics_view(request):
    """The analytics for the period and filters chosen, as of a moment at most
    SNAPSHOT_SECONDS ago (keyaccounts/snapshots/: a whole company's year of stage changes
    takes seconds to walk). `?refresh=1` computes them now, then answers with the same
    page without it."""
    form = AnalyticsForm(request.GET or None, user=request.user)
    scope = form.scope()
    figures = snapshots.page_figures(
        request,
        name="analytics",
        template=BODY,
        params=dict(_scope_params(scope)),
        compute=lambda: _figures(request, scope),
    )
    if figures.redirect_to:
        return redirect(figures.redirect_to)
    return render(
        request,
        "scoring/analytics.html",
        {
            "form": form,
            "scope": scope,
            "snapshot": figures.shown,
            "refresh_url": figures.refresh_url,
        },
    )


def _figures(request, scope: selectors.Scope) -> str:
    """Every figure of the analytics, rendered (templates/scoring/includes/analytics_body.html)."""
    deals = selectors.decided_deals(request.user, scope)
    industries = dict(Industry.choices)

    overall = (selectors.win_loss_by(deals, None) or [None])[0]
    tables = []
    for key, title, rows, label in (
        ("industry", _("By industry"), selectors.win_loss_by(deals, "industry"), industries.get),
        ("grade", _("By the account's grade when decided"), selectors.win_loss_by(deals, "grade"),
         lambda g: g or _("Not graded then (decided before the account's first grade)")),
        ("competitor", _("By competitor in the deal"), selectors.win_loss_by_competitor(deals),
         str),
    ):  # fmt: skip
        for row in rows:
            row["label"] = label(row["key"]) or row["key"]
            row["url"] = _deals_url(scope, (key, row["key"]))
            row["won_url"] = _deals_url(scope, (key, row["key"]), ("outcome", "won"))
            row["lost_url"] = _deals_url(scope, (key, row["key"]), ("outcome", "lost"))
        rows.sort(key=lambda row: (-row["decided"], str(row["label"])))
        tables.append({"key": key, "title": title, "rows": rows})
    reasons = selectors.lost_reasons(deals)
    stages = list(Stage.objects.order_by("order"))
    funnel = selectors.stage_funnel(request.user, scope, stages)
    for row in funnel:
        row["url"] = _deals_url(scope, ("entered", row["stage"].key))
        row["moved_on_url"] = _deals_url(scope, ("entered", row["stage"].key), ("moved_on", 1))
    for row in reasons:
        reason = row["reason"] or ""
        long = len(reason) > REASON_SHOWN
        row["url"] = _deals_url(
            scope,
            ("outcome", "lost"),
            ("reason", reason[:REASON_SHOWN]),
            *(
                [("reason_end", reason[-REASON_SHOWN:]), ("reason_length", len(reason))]
                if long
                else []
            ),
        )
    forecast = selectors.forecast_accuracy(request.user, scope, timezone.localdate())
    for row in forecast:
        month = row["month"]
        row["forecast_url"] = _deals_url(scope, ("forecast_month", month.isoformat()))
        month_scope = selectors.Scope(
            start=month, end=selectors.month_end(month), team=scope.team, owner=scope.owner
        )
        row["won_url"] = _deals_url(
            month_scope,
            ("outcome", "won"),
            ("back_start", scope.start.isoformat()),
            ("back_end", scope.end.isoformat()),
        )
    chart = {
        "labels": [str(row["stage"]) for row in funnel],
        "datasets": [
            {
                "key": "conversion",
                "label": _("Moved on"),
                "data": [round((row["rate"] or 0) * 100, 1) for row in funnel],
            }
        ],
    }
    return render_to_string(
        BODY,
        {
            "scope": scope,
            "overall": overall,
            "all_url": _deals_url(scope),
            "won_url": _deals_url(scope, ("outcome", "won")),
            "lost_url": _deals_url(scope, ("outcome", "lost")),
            "tables": tables,
            "reasons": reasons,
            "funnel": funnel,
            "forecast": forecast,
            "chart": chart,
        },
    )


@replica_view
def analytics_deals_view(request):
    """The deals behind one number of the analytics (`deals_behind_link`)."""
    found = deals_behind_link(request.user, request.GET)
    form, scope, data, wrong = found.form, found.scope, found.data, found.wrong
    what = found.what
    deals = found.deals
    deals = deals.select_related("account", "stage", "owner")
    page = keyset_page(request, deals, DEALS_ORDER, size=DEALS_PAGE_SIZE, count=True)
    back = dict(_scope_params(scope))
    if data.get("back_start") and data.get("back_end"):
        back.update(start=data["back_start"].isoformat(), end=data["back_end"].isoformat())
    return render(
        request,
        "scoring/analytics_deals.html",
        {
            "form": form,
            "scope": scope,
            "page": page,
            "what": what,
            "back_query": urlencode(back),
            "wrong": wrong,
        },
    )


urlpatterns = [
    path("analytics/", analytics_view, name="analytics"),
    path("analytics/deals/", analytics_deals_view, name="analytics_deals"),
]

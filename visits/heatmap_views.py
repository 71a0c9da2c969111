"""The relationship heat-map page: /relationships/ (docs/dashboards.md)."""

from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from accounts.filters import AccountFilter, account_list_page
from accounts.models import Attitude, BuyingRole
from accounts.selectors import account_list_and_total, accounts_visible_to, is_manager
from keyaccounts.paging import PAGING_PARAMETERS
from keyaccounts.snapshots import services as snapshots

from . import heatmap

PAGE_SIZE = 25
# The rows' template: what a snapshot keeps (keyaccounts/snapshots/).
BODY = "visits/includes/heat_map_body.html"


def heat_map_view(request):
    """The heat-map: the account list's filters, and a page of accounts' buying centers
    as of a moment at most SNAPSHOT_SECONDS ago (keyaccounts/snapshots/, as the
    dashboard's figures: a manager reviews it many times a day, and its cells read every
    contact of the page, their visits and the account teams). A person's own save shows
    on their next view; `?refresh=1` computes it now, then answers with the same page
    without it."""
    # The filters' and the rows' links' query: the address without `refresh`.
    plain = snapshots.without_refresh(request)
    # The filters (grade, team, rep, industry, group …) on the form, read as the account
    # list reads them: a value it cannot read is left out and explained on the form. Its
    # queryset is not read here (the rows are: `_rows`).
    filterset = AccountFilter(
        plain.GET or None, queryset=accounts_visible_to(request.user), request=plain
    )
    figures = snapshots.page_figures(
        request,
        name="heat-map",
        template=BODY,
        # Every parameter: the filters, their order and the page's cursor.
        params={name: plain.GET.getlist(name) for name in plain.GET},
        compute=lambda: _rows(plain, filterset),
        # The first page of each filter is kept fresh in the background (as the
        # dashboard's); a later page is computed by its view when it is stale.
        refresh_ahead=not any(plain.GET.get(name) for name in PAGING_PARAMETERS),
    )
    if figures.redirect_to:
        return redirect(figures.redirect_to)
    return render(
        request,
        "visits/heat_map.html",
        {
            "filter": filterset,
            "attitudes": Attitude.choices,
            "snapshot": figures.shown,
            "refresh_url": figures.refresh_url,
        },
    )


def _rows(request, filterset) -> str:
    """A page of the accounts `filterset` keeps, with their cells, rendered (`BODY`)."""
    # The cells are read for the page's rows (`heatmap.heat_map_rows`): the list's flags
    # only filter, if asked (a coverage gap).
    # Of each account, what the page shows and its cells read: not the rest of its
    # columns, nor its score's contributions (a JSON document per row).
    visible, total = account_list_and_total(user=request.user, flags=False)
    visible = visible.only("name", "owner_id", "score__grade")
    if filterset.is_bound:
        filterset.form.is_valid()  # cleaned first (what `filterset.qs` does)
        accounts = filterset.filter_queryset(visible)
    else:
        accounts = visible
    # In the order the filters' "Sort by" asks for, by name without one.
    # Counted only when a filter narrows the person's accounts (`account_list_and_total`).
    # A link's place that no longer fits is said with the rows (kept with them), not as a
    # message: a view of the kept page would not say it.
    page = account_list_page(
        request, filterset, accounts, size=PAGE_SIZE, total=total, say_lost_place=False
    )
    return render_to_string(
        BODY,
        {
            "page": page,
            "rows": heatmap.heat_map_rows(page.object_list),
            "columns": [(role, BuyingRole(role).label) for role in heatmap.COLUMNS],
            # Who may add to an account team (its owner, a manager): the levels' links.
            "manages_teams": is_manager(request.user),
            # Where a person's page and a new contact come back to after saving: this
            # address (its query without `refresh`: the request's own may carry it).
            # A lost place comes back to the first page (what is shown), not to the
            # cursor that no longer fits.
            "back": page.first_url
            if page.place_lost
            else (f"{request.path}?{request.GET.urlencode()}" if request.GET else request.path),
        },
        request,
    )

"""The relationship heat-map page: /relationships/ (docs/dashboards.md)."""

from django.shortcuts import render

from accounts.filters import AccountFilter, account_list_page
from accounts.models import Attitude, BuyingRole
from accounts.selectors import account_list_and_total

from . import heatmap

PAGE_SIZE = 25


def heat_map_view(request):
    # The cells are read for the page's rows (`heatmap.heat_map_rows`): the list's flags
    # only filter, if asked (a coverage gap).
    # Of each account, what the page shows and its cells read: not the rest of its
    # columns, nor its score's contributions (a JSON document per row).
    visible, total = account_list_and_total(user=request.user, flags=False)
    visible = visible.only("name", "owner_id", "score__grade")
    filterset = AccountFilter(request.GET or None, queryset=visible, request=request)
    # The account list's filters (grade, team, rep, industry, group …), read as it reads
    # them: a value it cannot read is left out and explained on the form.
    accounts = filterset.qs if filterset.is_bound else visible
    # In the order the filters' "Sort by" asks for, by name without one.
    # Counted only when a filter narrows the person's accounts (`account_list_and_total`).
    page = account_list_page(request, filterset, accounts, size=PAGE_SIZE, total=total)
    rows = heatmap.heat_map_rows(page.object_list)
    columns = [(role, BuyingRole(role).label) for role in heatmap.COLUMNS]
    return render(
        request,
        "visits/heat_map.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "columns": columns,
            "attitudes": Attitude.choices,
            "covered_grades": heatmap.COVERED_GRADES,
        },
    )

"""The group page (`/accounts/<pk>/group/`, 集团客户): the companies of the group the
person sees, with their sales, receivables, buying-center and contact-rhythm flags, and the
group's roll-ups (grades, sales and receivables by month, open pipeline by grade × stage);
and the dashboard's "Groups" section. Every number links to the account list narrowed to
the group (`accounts.group_views.group_list_url`). Reads: `scoring.groups.rollup`.
"""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone

from accounts.group_tree import group_tree
from accounts.group_views import group_list_url
from accounts.models import Account
from accounts.scope import filter_accounts
from accounts.selectors import account_get_visible, account_list
from keyaccounts import sections
from keyaccounts.links import record_url

from ..selectors import with_sales
from .rollup import group_rollup, groups_in_view


def group_view(request, pk):
    """The group `pk` belongs to, from the highest company above it the user can see."""
    try:
        account = account_get_visible(user=request.user, pk=pk)
    except Account.DoesNotExist:
        raise Http404 from None
    now = timezone.now()
    today = timezone.localdate(now)
    group = group_tree(user=request.user, account=account, read=with_sales)
    rollup = group_rollup(group, now=now, today=today)
    root = group.root.pk

    def url(*params):
        return group_list_url(root, *params)

    for tile in rollup["grades"]:
        tile["url"] = url(("grade", tile["grade"]))
    pipeline = rollup["pipeline"]
    for row in pipeline["rows"]:
        for cell in row["cells"]:
            cell["url"] = url(("grade", row["grade"]), ("stage", cell["stage"].key))
    for total in pipeline["totals"]:
        total["url"] = url(("stage", total["stage"].key))
    sales_url = reverse("scoring:sales_list")
    for month in rollup["sales"]["months"]:
        month["url"] = f"{sales_url}?" + urlencode(
            [("group", root), ("month_from", month["key"]), ("month_to", month["key"])]
        )
    return render(
        request,
        "scoring/group.html",
        {
            "account": account,
            "group": group,
            "rollup": rollup,
            "pipeline": pipeline,
            "urls": {
                "all": url(),
                "lapsed": url(("gap", "lapsed")),
                "no_decider": url(("gap", "no_decider")),
                "no_coach": url(("gap", "no_coach")),
                "sales": url(("top", "sales5")),
                # The table's months, as each month's link carries its own.
                "months": f"{sales_url}?"
                + urlencode(
                    [("group", root)]
                    + (
                        [
                            ("month_from", rollup["sales"]["months"][0]["key"]),
                            ("month_to", rollup["sales"]["months"][-1]["key"]),
                        ]
                        if rollup["sales"]["months"]
                        else []
                    )
                ),
            },
        },
    )


def dashboard_groups_section(request, *, filters, form, **page_data):
    """The dashboard's "Groups": the groups among the accounts in view (the dashboard's
    filters applied), each linking to its group page. None when there is no group."""
    accounts = filter_accounts(account_list(user=request.user), **filters)
    found = groups_in_view(accounts, user=request.user, today=timezone.localdate())
    if not found["count"]:
        return None
    for entry in found["groups"]:
        entry["url"] = record_url("scoring:group", entry["root"].pk)
        entry["list_url"] = group_list_url(entry["root"].pk)
    return found


def register() -> None:
    sections.register(
        "dashboard",
        template="scoring/includes/dashboard_groups.html",
        context=dashboard_groups_section,
        order=60,
    )


urlpatterns = [
    path("accounts/<int:pk>/group/", group_view, name="group"),
]

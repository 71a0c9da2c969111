"""Group customers (集团客户) on the pages: the group page (`/accounts/<pk>/group/`), the
account page's "Part of … · N subsidiaries" section and the dashboard's "Groups".

Reads are in `accounts.group_rollup`, the tree and its rule in `accounts.groups`.
"""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from keyaccounts import sections
from keyaccounts.links import record_url
from keyaccounts.recyclebin.signals import before_purge

from .group_rollup import group_rollup, group_tree, groups_in_view
from .groups import descendant_ids
from .models import Account
from .scope import filter_accounts
from .selectors import account_get_visible, account_list, accounts_visible_to


def group_list_url(root_id: int, *params: tuple[str, object]) -> str:
    """The account list narrowed to the group of `root_id` (its visible accounts) and by
    `params`: what each number of the group page links to."""
    return f"{reverse('accounts:list')}?{urlencode([('group', root_id), *params])}"


def group_view(request, pk):
    """The group `pk` belongs to, from the highest company above it the user can see."""
    try:
        account = account_get_visible(user=request.user, pk=pk)
    except Account.DoesNotExist:
        raise Http404 from None
    now = timezone.now()
    today = timezone.localdate(now)
    group = group_tree(user=request.user, account=account)
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
        "accounts/group.html",
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
                "months": f"{sales_url}?" + urlencode([("group", root)]),
            },
        },
    )


def account_group_section(request, *, account, **page_data):
    """The account page's line: the parent company (named only when the user sees it;
    "(in the recycle bin)" when it is there) and how many subsidiaries, with the link to
    the group page. None for an account in no group. At most three queries."""
    parent = None
    parent_hidden = False
    if account.parent_id is not None:
        parent = (
            accounts_visible_to(request.user, deleted=True)
            .filter(pk=account.parent_id)
            .only("pk", "name", "deleted_at")
            .first()
        )
        parent_hidden = parent is None
    below = descendant_ids(account.pk)
    if account.parent_id is None and not below:
        return None
    seen = accounts_visible_to(request.user).filter(pk__in=below).count() if below else 0
    live = Account.objects.filter(pk__in=below).count() if below and seen != len(below) else seen
    return {
        "account": account,
        "parent": parent,
        "parent_hidden": parent_hidden,
        "subsidiaries": seen,
        "hidden": live - seen,
        "group_url": reverse("accounts:group", args=[account.pk]),
    }


def dashboard_groups_section(request, *, filters, form, **page_data):
    """The dashboard's "Groups": the groups among the accounts in view (the dashboard's
    filters applied), each linking to its group page. None when there is no group."""
    accounts = filter_accounts(account_list(user=request.user), **filters)
    found = groups_in_view(accounts, user=request.user, today=timezone.localdate())
    if not found["count"]:
        return None
    for entry in found["groups"]:
        entry["url"] = record_url("accounts:group", entry["root"].pk)
        entry["list_url"] = group_list_url(entry["root"].pk)
    return found


def _release_before_purge(sender, ids, **kwargs):
    if sender is Account:
        from .groups import release_subsidiaries

        release_subsidiaries(ids)


def register() -> None:
    sections.register(
        "account",
        template="accounts/includes/group_section.html",
        context=account_group_section,
        order=5,
    )
    sections.register(
        "dashboard",
        template="accounts/includes/dashboard_groups.html",
        context=dashboard_groups_section,
        order=60,
    )
    before_purge.connect(_release_before_purge, dispatch_uid="accounts-release-subsidiaries")

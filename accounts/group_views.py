"""Group customers (集团客户) on the account page: its "Part of … · N subsidiaries" section,
linking to the group page (`scoring/groups/views.py`, with the group's figures), and the
account list narrowed to a group (`group_list_url`). The tree is `accounts.group_tree`,
its rule `accounts.groups`.
"""

from urllib.parse import urlencode

from django.urls import reverse

from keyaccounts import sections
from keyaccounts.recyclebin.signals import before_purge

from .groups import descendant_ids
from .models import Account
from .selectors import accounts_visible_to


def group_list_url(root_id: int, *params: tuple[str, object]) -> str:
    """The account list narrowed to the group of `root_id` (its visible accounts) and by
    `params`: what each number of the group page links to."""
    return f"{reverse('accounts:list')}?{urlencode([('group', root_id), *params])}"


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
        "group_url": reverse("scoring:group", args=[account.pk]),
    }


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
    before_purge.connect(_release_before_purge, dispatch_uid="accounts-release-subsidiaries")

"""What visits adds to the account list (`keyaccounts.listfilters`): the coverage gap "no
contact within its rhythm", the same rule as the dashboard's lapsed accounts. Added from
`VisitsConfig.ready()`."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts import listfilters

from .selectors import accounts_with_lapsed_contact


def lapsed(accounts):
    """Accounts with no contact within their rhythm."""
    return accounts.filter(
        pk__in=accounts_with_lapsed_contact(user=None, now=timezone.now()).values("pk")
    )


def register() -> None:
    from accounts.filters import AccountFilter

    listfilters.add_choice(
        AccountFilter,
        "gap",
        ("lapsed", _("No contact within its rhythm")),
        lapsed,
        after="no_coach",
    )

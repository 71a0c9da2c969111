"""What review meetings add to the account list (`keyaccounts.listfilters`): the coverage
gap "no review in its period", the same rule as the managers' list of the A and B
accounts missing one (`selectors.accounts_missing_review`), so that list exports as
accounts. Added from `ReviewsConfig.ready()`."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts import listfilters

from .selectors import accounts_missing_review


def missing_review(accounts):
    """A and B accounts without a review scheduled or held in their period."""
    return accounts_missing_review(user=None, today=timezone.localdate(), accounts=accounts)


def register() -> None:
    from accounts.filters import AccountFilter

    listfilters.add_choice(
        AccountFilter,
        "gap",
        ("no_review", _("No review with the customer in its period (A and B)")),
        missing_review,
        after="lapsed",
    )

"""What scoring adds to the lists of the apps below it (`keyaccounts.listfilters`): the
account list's grade, grade moved this week, largest accounts and money risk; the
account grade of the pipeline board and of the accounts' and deals' APIs.

Each is the same rule as the dashboard's number it drills down from (`scoring.selectors`,
`scoring.money.risk`). Added from `ScoringConfig.ready()` (`register`).
"""

import django_filters
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from keyaccounts import listfilters

from .models import Grade
from .money.risk import MONEY_FILTER_CHOICES, money_filter
from .selectors import accounts_moved, grade_filter, top_accounts

UNGRADED = "none"  # the `grade` and `moved` value for an account not graded (yet)
GRADE_CHOICES = [*Grade.choices, (UNGRADED, _("Not graded yet"))]

# `top`: the N accounts with the most sales (last 12 months) or receivables.
TOP = {
    "sales5": ("sales_12m", 5),
    "sales1": ("sales_12m", 1),
    "receivables5": ("receivables", 5),
    "receivables1": ("receivables", 1),
    "overdue5": ("money_overdue", 5),
    "overdue1": ("money_overdue", 1),
}
TOP_CHOICES = [
    ("sales5", _("Top 5 by sales, last 12 months")),
    ("sales1", _("Top account by sales, last 12 months")),
    ("receivables5", _("Top 5 by receivables")),
    ("receivables1", _("Top account by receivables")),
    ("overdue5", _("Top 5 by overdue receivables")),
    ("overdue1", _("Top account by overdue receivables")),
]


def _grade_label(grade: str):
    return _("not graded") if grade == UNGRADED else grade


# `moved`: "B>A" = graded B a week ago and A now; "none>C" = first graded C this week.
MOVED_CHOICES = [
    (f"{before}>{after}", format_lazy("{} → {}", _grade_label(before), _grade_label(after)))
    for before, _label in GRADE_CHOICES
    for after, _label2 in GRADE_CHOICES
    if before != after
]


def by_grade(queryset, name, value):
    """Accounts of the grades in `value` ("none": not graded yet)."""
    return queryset.filter(grade_filter(value))


def by_account_grade(queryset, name, value):
    """Deals whose account has one of the grades in `value`."""
    return queryset.filter(grade_filter(value, prefix="account__"))


def by_move(queryset, name, value):
    before, after = ("" if grade == UNGRADED else grade for grade in value.split(">", 1))
    return accounts_moved(queryset, before, after)


def among_largest(queryset, name, value):
    """The largest accounts among `queryset`: it ranks within everything else the list
    is narrowed to, so it is added `last`."""
    by, n = TOP[value]
    return queryset.filter(pk__in=top_accounts(queryset, by=by, n=n).values("pk"))


def by_money_risk(queryset, name, value):
    return money_filter(queryset, value)


def _grades(label, method) -> django_filters.MultipleChoiceFilter:
    return django_filters.MultipleChoiceFilter(
        label=label,
        choices=GRADE_CHOICES,
        method=method,
        widget=forms.SelectMultiple(attrs={"size": len(GRADE_CHOICES)}),
    )


def register() -> None:
    from accounts.api.filters import AccountFilter as AccountApiFilter
    from accounts.filters import AccountFilter
    from opportunities.api.filters import OpportunityFilter as OpportunityApiFilter
    from opportunities.filters import OpportunityFilter

    listfilters.add(AccountFilter, "grade", _grades(_("Grade"), by_grade), after="region")
    listfilters.add(
        AccountFilter,
        "moved",
        django_filters.ChoiceFilter(
            label=_("Grade moved this week"), choices=MOVED_CHOICES, method=by_move
        ),
        after="gap",
    )
    listfilters.add(
        AccountFilter,
        "top",
        django_filters.ChoiceFilter(
            label=_("Largest accounts"), choices=TOP_CHOICES, method=among_largest
        ),
        after="moved",
        last=True,
    )
    # Money risk (scoring/money/risk.py): overdue, over 90 days overdue, over the credit limit.
    listfilters.add(
        AccountFilter,
        "money",
        django_filters.ChoiceFilter(
            label=_("Money risk"), choices=MONEY_FILTER_CHOICES, method=by_money_risk
        ),
        after="top",
    )
    listfilters.add(
        OpportunityFilter, "grade", _grades(_("Account grade"), by_account_grade), after="kind"
    )
    listfilters.add(
        AccountApiFilter,
        "grade",
        django_filters.MultipleChoiceFilter(
            choices=GRADE_CHOICES,
            method=by_grade,
            label=_("Grade; repeat for several (grade=A&grade=B); none: not graded yet"),
        ),
        after="region",
    )
    listfilters.add(
        OpportunityApiFilter,
        "account_grade",
        django_filters.MultipleChoiceFilter(
            choices=GRADE_CHOICES,
            method=by_account_grade,
            label=_("The account's grade; repeat for several; none: not graded yet"),
        ),
        after="expected_close_before",
    )

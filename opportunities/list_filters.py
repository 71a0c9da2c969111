"""What opportunities adds to the account list (`keyaccounts.listfilters`): accounts with
an open deal at a stage, or closing in a month. Added from `OpportunitiesConfig.ready()`."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from keyaccounts import listfilters

from .models import Opportunity, Stage


def open_deals():
    """Deals not closed yet (their stage is neither won nor lost)."""
    return Opportunity.objects.filter(stage__is_won=False, stage__is_lost=False)


def with_open_deal_at(queryset, name, value):
    return queryset.filter(Exists(open_deals().filter(account=OuterRef("pk"), stage__key=value)))


def with_open_deal_closing_in(queryset, name, value):
    first, last = value
    deals = open_deals().filter(account=OuterRef("pk"), expected_close_date__range=(first, last))
    return queryset.filter(Exists(deals))


def offer_open_stages(filterset, filter_) -> None:
    filter_.extra["choices"] = [
        (stage.key, str(stage))
        for stage in Stage.objects.filter(is_won=False, is_lost=False).order_by("order")
    ]


def register() -> None:
    from accounts.filters import AccountFilter, MonthFilter

    listfilters.add(
        AccountFilter,
        "stage",
        django_filters.ChoiceFilter(
            label=_("Has an open deal at stage"), choices=[], method=with_open_deal_at
        ),
        after="group",
        prepare=offer_open_stages,
    )
    listfilters.add(
        AccountFilter,
        "close_month",
        MonthFilter(
            label=_("Has an open deal closing in"),
            method=with_open_deal_closing_in,
            widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        ),
        after="stage",
    )

"""The account list's search and filters; the API's filters (api/filters.py) share the search."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Account, AccountStatus, Contact, Industry, User

GAP_CHOICES = [
    ("no_decider", _("No decider")),
    ("no_coach", _("No coach")),
]


def search_accounts(queryset, value: str):
    """The account search, for the list page and the API: name, region or external ID,
    or the name of one of its contacts."""
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(name__icontains=value)
        | Q(external_id__iexact=value)
        | Q(region__icontains=value)
        | Q(pk__in=Contact.objects.filter(name__icontains=value).values("account_id"))
    )


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AccountStatus.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    region = django_filters.ChoiceFilter(label=_("Region"), choices=[])
    gap = django_filters.ChoiceFilter(
        label=_("Buying center"), choices=GAP_CHOICES, method="filter_gap"
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[("name", "name"), ("updated_at", "updated"), ("region", "region")],
        field_labels={"name": _("Name"), "updated_at": _("Last updated"), "region": _("Region")},
    )

    class Meta:
        model = Account
        fields = ["q", "industry", "status", "owner", "region"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer only owners and regions among the accounts the user can already see.
        self.filters["owner"].queryset = User.objects.filter(
            pk__in=self.queryset.values("owner_id")
        ).order_by("username")
        regions = (
            self.queryset.exclude(region="")
            .order_by("region")
            .values_list("region", flat=True)
            .distinct()
        )
        self.filters["region"].extra["choices"] = [(r, r) for r in regions]

    def search(self, queryset, name, value):
        return search_accounts(queryset, value)

    def filter_gap(self, queryset, name, value):
        if value == "no_decider":
            return queryset.filter(has_decider=False)
        if value == "no_coach":
            return queryset.filter(has_coach=False)
        return queryset

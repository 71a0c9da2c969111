import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.filters import search_accounts
from accounts.groups import group_members
from accounts.models import Account, AccountStatus, BuyingRole, Contact, Industry
from keyaccounts.api.filters import BooleanFilter, IdFilter, SyncFilterSet
from keyaccounts.listfilters import SEARCH_MAX_LENGTH


class AccountFilter(SyncFilterSet):
    q = django_filters.CharFilter(
        max_length=SEARCH_MAX_LENGTH,
        method="search",
        label=_("Name, region, external ID or a contact's name"),
    )
    industry = django_filters.ChoiceFilter(choices=Industry.choices)
    status = django_filters.ChoiceFilter(choices=AccountStatus.choices)
    owner = IdFilter(field_name="owner_id", label=_("Owner's user id"))
    region = django_filters.CharFilter(field_name="region", label=_("Region (exact)"))
    group = IdFilter(
        method="filter_group",
        label=_("Account id: that account and its subsidiaries at any depth (those you see)"),
    )

    class Meta:
        model = Account
        # `grade` is added after `region` by scoring (scoring/list_filters.py).
        fields = ["q", "industry", "status", "owner", "region", "group", "updated_after"]

    def filter_group(self, queryset, name, value):
        return queryset.filter(pk__in=group_members(value))

    def search(self, queryset, name, value):
        return search_accounts(queryset, value)


class ContactFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    buying_role = django_filters.ChoiceFilter(choices=BuyingRole.choices)
    is_coach = BooleanFilter()
    is_active = BooleanFilter()

    class Meta:
        model = Contact
        fields = ["account", "buying_role", "is_coach", "is_active", "updated_after"]

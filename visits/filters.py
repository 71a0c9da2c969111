"""The development-record list's search and filters."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.picker import AccountPickerFilter
from accounts.search import name_holds
from accounts.selectors import accounts_visible_to, with_ids

from .models import DevelopmentRecord, DevelopmentResult

# The most records a search finds that are read as a list of ids (see `search`).
RECORD_IDS_UP_TO = 5000
REVIEWED_CHOICES = [("yes", _("Reviewed")), ("no", _("Not reviewed yet"))]


class DevelopmentRecordFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    result = django_filters.ChoiceFilter(label=_("Result"), choices=DevelopmentResult.choices)
    reviewed = django_filters.ChoiceFilter(
        label=_("Review"), choices=REVIEWED_CHOICES, method="filter_reviewed"
    )
    # Picked by name from the user's accounts (a text box with suggestions, never a list).
    account = AccountPickerFilter(
        label=_("Account"), queryset=lambda request: accounts_visible_to(request.user)
    )

    class Meta:
        model = DevelopmentRecord
        fields = ["q", "result", "reviewed", "account"]

    def __init__(self, *args, request, **kwargs):
        # Required: the account picker offers the accounts of `request.user`.
        super().__init__(*args, request=request, **kwargs)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Read as the ids of the matching records, each way through its own index: the
        # records of the accounts named so (their names' indexes, accounts 0006/0015) and
        # those whose summary or remarks hold the text (visits 0015). As one `OR` over
        # the join, a superuser's search read every record's account (42,000 records:
        # 300 ms), and with a subquery in it PostgreSQL guesses that half the records
        # pass and walks them all. Past RECORD_IDS_UP_TO matches (a short text in the
        # whole company) it stays that `OR`: the page's records then come soon in the
        # list's order.
        using = queryset.db
        named = Account.objects.filter(
            name_holds("name", value, using=using), deleted_at__isnull=True
        ).values("pk")
        text = name_holds("summary", value, using=using) | name_holds("remarks", value, using=using)
        base = queryset.order_by()
        of_named = base.filter(account__in=named).values_list("pk", flat=True)
        by_text = base.filter(text).values_list("pk", flat=True)
        found = list(of_named.union(by_text, all=True)[: RECORD_IDS_UP_TO + 1])
        if len(found) <= RECORD_IDS_UP_TO:
            return with_ids(queryset, sorted(set(found)))
        return queryset.filter(Q(account__in=named) | text)

    def filter_reviewed(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(reviewed_on__isnull=False)
        if value == "no":
            return queryset.filter(reviewed_on__isnull=True)
        return queryset

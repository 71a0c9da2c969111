"""The development-record list's search and filters."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.picker import AccountPickerFilter
from accounts.search import name_holds
from accounts.selectors import accounts_visible_to, with_ids
from keyaccounts.listfilters import SEARCH_MAX_LENGTH

from .models import DevelopmentRecord, DevelopmentResult

# The most accounts named, and records found, that a search reads as ids (see `search`).
NAMED_UP_TO = 2500
RECORD_IDS_UP_TO = 5000
REVIEWED_CHOICES = [("yes", _("Reviewed")), ("no", _("Not reviewed yet"))]


class DevelopmentRecordFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(max_length=SEARCH_MAX_LENGTH, label=_("Search"), method="search")
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
        # A superuser's search is read as the ids of the matching records, each way
        # through its own index: the records of the accounts named so (their names'
        # indexes, accounts 0006/0015) and those whose summary or remarks hold the text
        # (visits 0015). As one `OR` over the join it read every record's account (42,000
        # records: 300 ms for a text no record holds, 30 ms now), and with a subquery in
        # it PostgreSQL guesses that half the records pass and walks them all. A text in
        # more than NAMED_UP_TO accounts' names, or more than RECORD_IDS_UP_TO records (a
        # short text in the whole company), stays that `OR` over the join: the page's
        # records then come soon in the list's order (科技: 82 ms that way, 216 as ids).
        using = queryset.db
        many = Q(account__name__icontains=value) | Q(summary__icontains=value)
        many |= Q(remarks__icontains=value)
        if not self.request.user.is_superuser:
            # A rep's or a manager's records are those of their own accounts: the `OR`
            # reads them through those, never the whole company's names.
            return queryset.filter(many)
        named = Account.objects.filter(
            name_holds("name", value, using=using), deleted_at__isnull=True
        ).values_list("pk", flat=True)
        named_ids = list(named[: NAMED_UP_TO + 1])
        if len(named_ids) > NAMED_UP_TO:
            return queryset.filter(many)
        text = name_holds("summary", value, using=using) | name_holds("remarks", value, using=using)
        base = queryset.order_by()
        of_named = with_ids(base, named_ids, field="account_id").values_list("pk", flat=True)
        by_text = base.filter(text).values_list("pk", flat=True)
        found = list(of_named.union(by_text, all=True)[: RECORD_IDS_UP_TO + 1])
        if len(found) <= RECORD_IDS_UP_TO:
            return with_ids(queryset, sorted(set(found)))
        return queryset.filter(many)

    def filter_reviewed(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(reviewed_on__isnull=False)
        if value == "no":
            return queryset.filter(reviewed_on__isnull=True)
        return queryset

"""The recycle bin page's search and filters: type, who deleted, when."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.picker import UserPickerFilter
from accounts.selectors import users_pickable_by
from keyaccounts.listfilters import SEARCH_MAX_LENGTH, date_range_form

from .labels import TYPE_CHOICES
from .models import Deletion


class DeletionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        max_length=SEARCH_MAX_LENGTH, label=_("Search"), field_name="label", lookup_expr="icontains"
    )
    type = django_filters.ChoiceFilter(label=_("Type"), field_name="model", choices=TYPE_CHOICES)
    # Picked by name among the people of the user's teams (a text box, never a list).
    deleted_by = UserPickerFilter(
        label=_("Deleted by"), queryset=lambda request: users_pickable_by(request.user)
    )
    deleted_from = django_filters.DateFilter(
        label=_("Deleted on or after"),
        field_name="deleted_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    deleted_to = django_filters.DateFilter(
        label=_("Deleted on or before"),
        field_name="deleted_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Deletion
        fields = ["q", "type", "deleted_by", "deleted_from", "deleted_to"]
        form = date_range_form(
            "deleted_from",
            "deleted_to",
            _("The last day of deletion (%(end)s) is before the first (%(start)s)."),
        )

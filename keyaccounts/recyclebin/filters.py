"""The recycle bin page's search and filters: type, who deleted, when."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .labels import TYPE_CHOICES
from .models import Deletion


class DeletionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="label", lookup_expr="icontains")
    type = django_filters.ChoiceFilter(label=_("Type"), field_name="model", choices=TYPE_CHOICES)
    deleted_by = django_filters.ModelChoiceFilter(
        label=_("Deleted by"), queryset=User.objects.none()
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer only the people who deleted something the user can see in the bin.
        self.filters["deleted_by"].queryset = User.objects.filter(
            pk__in=self.queryset.values("deleted_by")
        ).order_by("first_name", "last_name", "username")

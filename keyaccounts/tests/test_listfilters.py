"""Filters that apps above add to the lists below them (keyaccounts/listfilters.py)."""

import django_filters
import pytest
from django.http import QueryDict

from accounts.models import Account
from accounts.tests.factories import AccountFactory
from keyaccounts import listfilters


def _filterset():
    class Listed(listfilters.AddedFilters, django_filters.FilterSet):
        name = django_filters.CharFilter(lookup_expr="icontains")
        region = django_filters.CharFilter()

        class Meta:
            model = Account
            fields = ["name", "region"]

    return Listed


def test_a_filter_added_stands_after_the_one_named_and_filters():
    Listed = _filterset()
    listfilters.add(
        Listed,
        "status",
        django_filters.CharFilter(method=lambda qs, name, value: qs.filter(status=value)),
        after="name",
    )
    assert list(Listed.base_filters) == ["name", "status", "region"]
    filterset = Listed(QueryDict("status=lost"), queryset=Account.objects.all())
    assert list(filterset.form.fields) == ["name", "status", "region"]
    assert filterset.is_valid()
    assert 'status" = ' in str(filterset.qs.query).replace("'", '"')


def test_adding_after_a_filter_that_is_not_there_is_refused():
    with pytest.raises(ValueError, match="no filter 'owner'"):
        listfilters.add(_filterset(), "x", django_filters.CharFilter(), after="owner")


@pytest.mark.django_db
def test_a_filter_added_last_narrows_after_every_other_filter():
    seen = []

    def first_two(queryset, name, value):
        seen.append(sorted(queryset.values_list("name", flat=True)))
        return queryset.filter(pk__in=queryset.order_by("name").values("pk")[:2])

    Listed = _filterset()
    listfilters.add(
        Listed, "top", django_filters.CharFilter(method=first_two), after="name", last=True
    )
    for name in ("A east", "B west", "C east", "D east"):
        AccountFactory(name=name, region=name.split()[1])
    filterset = Listed(QueryDict("top=2&region=east"), queryset=Account.objects.all())
    # "top" is declared before "region", yet ranks among the east accounts only.
    assert sorted(filterset.qs.values_list("name", flat=True)) == ["A east", "C east"]
    assert seen == [["A east", "C east", "D east"]]


def test_prepare_runs_for_each_filter_set_made():
    made = []

    def offer(filterset, filter_):
        made.append(filterset)
        filter_.extra["choices"] = [("x", "X")]

    Listed = _filterset()
    listfilters.add(
        Listed, "kind", django_filters.ChoiceFilter(choices=[]), after="region", prepare=offer
    )
    one, two = Listed(queryset=Account.objects.none()), Listed(queryset=Account.objects.none())
    assert made == [one, two]
    assert list(one.form.fields["kind"].choices) == [("", "---------"), ("x", "X")]
    # The class's own filter keeps no choice set for one request.
    assert Listed.base_filters["kind"].extra["choices"] == []


def test_a_choice_added_stands_after_the_one_named_and_narrows():
    def by_kind(queryset, name, value):
        return listfilters.narrowing(filterset.filters[name], value)(queryset)

    Listed = _filterset()
    listfilters.add(
        Listed,
        "kind",
        django_filters.ChoiceFilter(choices=[("a", "A"), ("c", "C")], method=by_kind),
        after="region",
    )
    listfilters.add_choice(Listed, "kind", ("b", "B"), lambda qs: qs.none(), after="a")
    filterset = Listed(QueryDict("kind=b"), queryset=Account.objects.all())
    assert [v for v, _label in filterset.form.fields["kind"].choices] == ["", "a", "b", "c"]
    assert filterset.is_valid()
    assert filterset.qs.query.is_empty()


def test_the_lists_take_the_filters_of_the_apps_above_in_their_places():
    from accounts.api.filters import AccountFilter as AccountApiFilter
    from accounts.filters import AccountFilter
    from opportunities.api.filters import OpportunityFilter as OpportunityApiFilter
    from opportunities.filters import OpportunityFilter

    assert list(AccountFilter.base_filters) == [
        *("q", "industry", "status", "owner", "region", "grade", "team", "group"),
        *("stage", "close_month", "gap", "moved", "top", "money", "ordering"),
    ]
    gaps = [value for value, _label in AccountFilter.base_filters["gap"].extra["choices"]]
    assert gaps == ["no_decider", "no_coach", "lapsed", "no_review", "key_person_left"]
    assert list(AccountApiFilter.base_filters) == [
        *("q", "industry", "status", "owner", "region", "grade", "group", "updated_after")
    ]
    assert list(OpportunityFilter.base_filters)[-1] == "grade"
    assert "account_grade" in OpportunityApiFilter.base_filters

"""What an export reads: a list's rows and the filters that chose them (the registry and
the apps' own export modules share it)."""

from collections.abc import Callable
from dataclasses import dataclass, field

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from accounts.picker import Picker


@dataclass
class Listing:
    """The rows of a list, in its order, and the FilterSets that chose them (or the plain
    forms that read a drill-down's link: the dashboard's and the analytics' deals)."""

    rows: QuerySet
    filtersets: list[django_filters.FilterSet | forms.Form] = field(default_factory=list)
    # What the columns read beside the rows, for each chunk of them read at once (the
    # heat-map's cells, `visits.heatmap.heat_map_rows`): a constant number of queries a
    # chunk, whatever its rows.
    prepare: Callable[[list], None] | None = None

    def parameters(self) -> set[str]:
        """The query parameters the filters read."""
        names = set()
        for filterset in self.filtersets:
            form = filterset if isinstance(filterset, forms.Form) else filterset.form
            for name, form_field in form.fields.items():
                names.add(name)
                if isinstance(form_field.widget, Picker):
                    names.add(f"{name}_name")  # the picker's text box: a name to look up
        return names

    def problems(self, data: QueryDict) -> list[str]:
        """What is wrong with `data` as filters: unknown parameters, unreadable values."""
        known = self.parameters()
        found = [
            _("Unknown filter “%(name)s”. Filters: %(known)s.")
            % {"name": name, "known": ", ".join(sorted(known)) or "–"}
            for name in sorted(set(data) - known)
        ]
        for filterset in self.filtersets:
            if filterset.is_bound and not filterset.is_valid():
                for name, errors in filterset.errors.items():
                    found += [f"{name}={data.get(name, '')!r}: {error}" for error in errors]
        return found

    def applied(self, data: QueryDict) -> QueryDict:
        """`data` without what the filters left out (`problems`: an unknown parameter, a
        value they cannot read): the filters that chose the rows, as a file names them."""
        known = self.parameters()
        kept = data.copy()
        refused = set(data) - known
        for filterset in self.filtersets:
            if filterset.is_bound and not filterset.is_valid():
                refused |= set(filterset.errors)
        for name in refused:
            kept.pop(name, None)
            kept.pop(f"{name}_name", None)  # a picker's text box goes with its value
        return kept

"""The open deals behind one number of the dashboard's ABCD pipeline or weighted forecast,
read from a link's values: the deals page (`views.dashboard_deals_view`) and its export
(`dashboard-deals`, scoring/exports.py) read them alike, so a file holds what the page
lists. A value no link gives lists nothing, its error said: the other values alone would
list other deals than the number's."""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import ScopeForm, filter_accounts
from accounts.selectors import account_list
from keyaccounts.formfields import choices_listed, choose_one_of, said_as_is
from opportunities.models import Stage

from . import figures


class DealsBehindForm(forms.Form):
    """The number a link names: a grade (GRADE_KEYS), an open stage (its key), a month of
    the forecast ("overdue", "YYYY-MM", "window"). Empty: not narrowed by it."""

    grade = forms.ChoiceField(label=gettext_lazy("Grade"), required=False)
    stage = forms.ChoiceField(label=gettext_lazy("Stage"), required=False)
    month = forms.ChoiceField(label=gettext_lazy("Close month"), required=False)

    def __init__(self, data=None, *, today: datetime.date, stages: list[Stage]):
        super().__init__(data)
        self.stages = {stage.key: stage for stage in stages}
        self.months = figures.forecast_month_keys(today)
        fields = self.fields
        # A value no link gives is refused with what it may be (keyaccounts.formfields
        # lists a choice's value and its label: "none (Ungraded)", "bid (Bid)").
        fields["grade"].choices = [
            ("", ""),
            *((key, figures.grade_label(key)) for key in figures.GRADE_KEYS),
        ]
        fields["stage"].choices = [("", ""), *((k, str(s)) for k, s in self.stages.items())]
        fields["month"].choices = [("", ""), *((key, key) for key in self.months)]
        fields["grade"].error_messages["invalid_choice"] = _("“%(value)s” is no grade.")
        fields["stage"].error_messages["invalid_choice"] = _(
            "“%(value)s” is no stage a deal is open in."
        )
        # Too many months to list one by one (formfields lists up to CHOICES_LISTED).
        fields["month"].error_messages["invalid_choice"] = _(
            "“%(value)s” is not a month of the forecast: overdue, window (all of them), or "
            "%(first)s to %(last)s."
        ) % {"value": "%(value)s", "first": self.months[1], "last": self.months[-2]}

    def clean(self):
        """A value given empty (`?grade=A&month=`: a link cut short) is no number's: it
        is refused as any value no link gives, not read as "not narrowed" — the deals of
        every month would be listed under the forecast's heading."""
        cleaned = super().clean()
        for name in ("grade", "stage", "month"):
            if name in self.data and not self.data.get(name) and name not in self.errors:
                field = self.fields[name]
                said = field.error_messages["invalid_choice"] % {"value": ""}
                if listed := choices_listed(field.choices):
                    said = choose_one_of(said, listed)
                self.add_error(name, said_as_is(said, code="invalid_choice"))
        return cleaned


@dataclass
class DealsBehind:
    """What a link asked for and the deals it lists (none when `wrong`)."""

    deals: QuerySet
    scope: ScopeForm
    number: DealsBehindForm
    filters: dict  # the dashboard's filters that apply (ScopeForm.active_filters)
    wrong: list[tuple[str, str]] = field(default_factory=list)  # (label, error)
    grade: str = ""
    stage: Stage | None = None
    month: str = ""

    @property
    def forms(self) -> list[forms.Form]:
        return [self.scope, self.number]


def deals_behind_link(user, data: QueryDict, *, today: datetime.date) -> DealsBehind:
    """The deals behind the number `data` names, of the accounts in the dashboard's view
    (its filters in `data`), counted as the figure counts them (`figures.deals_behind`).
    Not ordered; one query for the stages, one or two for the filters' choices."""
    visible = account_list(user=user)
    scope = ScopeForm(data or None, accounts=visible, user=user)
    filters = scope.active_filters()
    number = DealsBehindForm(data or None, today=today, stages=figures.open_stages())
    wrong = [
        (str(checked[name].label), error)
        for checked in (scope, number)
        if checked.is_bound and not checked.is_valid()
        for name, errors in checked.errors.items()
        for error in errors
    ]
    # What could be read, even beside a value that could not (the heading names it; the
    # list is empty then).
    chosen = number.cleaned_data if number.is_bound else {}
    found = DealsBehind(
        deals=figures.deals_behind(
            filter_accounts(visible, **filters),
            grade=chosen.get("grade") or None,
            stage=number.stages.get(chosen.get("stage") or ""),
            month=chosen.get("month") or None,
            today=today,
        ),
        scope=scope,
        number=number,
        filters=filters,
        wrong=wrong,
        grade=chosen.get("grade") or "",
        stage=number.stages.get(chosen.get("stage") or ""),
        month=chosen.get("month") or "",
    )
    if wrong:
        found.deals = found.deals.none()
    return found

"""The visits behind one figure of the dashboard's follow-up compliance, read from a
link's values: the page (`views.compliance_visits_view`) and its export
(`compliance-visits`, scoring/exports.py) read them alike, so a file holds what the page
lists. A rep who is none of the user's, or a state no link gives, lists nothing, its
error said (the page answers 404 for the rep, as a link to another's visits); a
dashboard filter it cannot read is left out, as on the dashboard."""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy

from accounts.scope import ScopeForm, filter_accounts
from accounts.selectors import account_list
from visits.selectors import COMPLIANCE_STATES, follow_up_compliance_visits

from . import figures
from .figures import COMPLIANCE_DAYS

STATE_TITLES = {
    "settled": gettext_lazy("Visits whose follow-up is settled"),
    "on_time": gettext_lazy("Visits followed up within 7 days"),
    "late": gettext_lazy("Visits followed up late or not at all"),
}


class VisitsBehindForm(forms.Form):
    """The figure a link names: a rep of the dashboard's (their id; empty: all of them)
    and a state (`COMPLIANCE_STATES`; empty: settled)."""

    rep = forms.ChoiceField(label=gettext_lazy("Rep"), required=False)
    state = forms.ChoiceField(
        label=gettext_lazy("Follow-up"),
        required=False,
        choices=[("", ""), *((key, STATE_TITLES[key]) for key in COMPLIANCE_STATES)],
    )

    def __init__(self, data=None, *, reps: list):
        super().__init__(data)
        self.reps = {str(rep.pk): rep for rep in reps}
        self.fields["rep"].choices = [("", ""), *((pk, str(rep)) for pk, rep in self.reps.items())]
        self.fields["rep"].error_messages["invalid_choice"] = gettext_lazy(
            "“%(value)s” is none of the reps whose follow-ups you see."
        )
        self.fields["state"].error_messages["invalid_choice"] = gettext_lazy(
            "“%(value)s” is no state a link names: settled, on_time or late."
        )

    def clean(self):
        """A state given empty (`?state=`: a link cut short) is no figure's: refused as
        any state no link gives, not read as "settled"."""
        cleaned = super().clean()
        if "state" in self.data and not self.data.get("state") and "state" not in self.errors:
            message = self.fields["state"].error_messages["invalid_choice"]
            self.add_error("state", forms.ValidationError(message, params={"value": ""}))
        return cleaned


@dataclass
class VisitsBehind:
    """What a link asked for and the visits it lists (none when `wrong`)."""

    visits: QuerySet
    scope: ScopeForm
    figure: VisitsBehindForm
    filters: dict  # the dashboard's filters that apply (ScopeForm.active_filters)
    since: datetime.date
    state: str = "settled"
    rep: object = None  # the rep chosen, or None for all of them
    wrong: list[tuple[str, str]] = field(default_factory=list)  # (label, error)

    @property
    def forms(self) -> list[forms.Form]:
        return [self.scope, self.figure]

    def wrong_in(self, name: str) -> bool:
        return self.figure.is_bound and name in self.figure.errors


def visits_behind_link(user, data: QueryDict, *, today: datetime.date) -> VisitsBehind:
    """The visits behind the figure `data` names (`rep`, `state`), of the accounts in
    the dashboard's view and its reps in scope (its filters in `data`), counted as the
    compliance table counts them. Newest first; with account and owner."""
    visible = account_list(user=user)
    scope = ScopeForm(data or None, accounts=visible, user=user)
    filters = scope.active_filters()
    reps = figures.reps_in_scope(user, team=filters.get("team"), owner=filters.get("owner"))
    figure = VisitsBehindForm(data or None, reps=reps)
    # A dashboard filter it cannot read is left out, as the dashboard leaves it out.
    wrong = [
        (str(figure[name].label), error)
        for name, errors in (figure.errors.items() if figure.is_bound else ())
        for error in errors
    ]
    chosen = figure.cleaned_data if figure.is_bound else {}
    rep = figure.reps.get(chosen.get("rep") or "")  # a choice: one of their ids, or ""
    state = chosen.get("state") or "settled"
    since = today - datetime.timedelta(days=COMPLIANCE_DAYS)
    visits = follow_up_compliance_visits(
        reps=[rep] if rep is not None else reps,
        since=since,
        today=today,
        accounts=filter_accounts(visible, **filters),
        state=state,
    )
    if wrong:
        visits = visits.none()
    return VisitsBehind(
        visits=visits,
        scope=scope,
        figure=figure,
        filters=filters,
        since=since,
        state=state,
        rep=rep,
        wrong=wrong,
    )

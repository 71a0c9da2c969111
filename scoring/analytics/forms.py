"""The analytics' scope: a period of decisions, a team, a rep."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Industry, User
from accounts.picker import UserPickerField
from accounts.selectors import teams_of, users_pickable_by
from keyaccounts.days import in_calendar
from opportunities.models import Stage
from scoring.models import Grade

from .selectors import NO_GRADE, Scope

DEFAULT_DAYS = 365
MAX_DAYS = 5 * 366


class AnalyticsForm(forms.Form):
    start = forms.DateField(
        label=_("Decided from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The first day of the period (default: a year ago)."),
    )
    end = forms.DateField(
        label=pgettext_lazy("the end of a period", "to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The last day of the period, included (default: today)."),
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    owner = UserPickerField(label=_("Rep"), required=False, queryset=User.objects.none())

    def __init__(self, data=None, *, user: User, today: datetime.date | None = None):
        super().__init__(data)
        self.today = today or timezone.localdate()
        self.fields["team"].choices = [("", _("All"))] + [
            (team.pk, team.name) for team in teams_of(user).order_by("name")
        ]
        self.fields["owner"].queryset = users_pickable_by(user)

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("start") or self.today - datetime.timedelta(days=DEFAULT_DAYS)
        end = cleaned.get("end") or self.today
        # A day out of the calendar's range is an error on its field (keyaccounts.days).
        if self.errors:
            return cleaned
        if start > end:
            self.add_error("end", _("The period must end on or after its first day."))
        elif (end - start).days > MAX_DAYS:
            self.add_error("start", _("Choose a period of at most five years."))
        return cleaned

    def scope(self) -> Scope:
        """The scope asked for; a value that is not valid is left out (its error shown)
        and the default used instead."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        errors = self.errors if self.is_bound else {}
        start = None if "start" in errors or "end" in errors else data.get("start")
        end = None if "start" in errors or "end" in errors else data.get("end")
        owner = None if "owner" in errors else data.get("owner")
        return Scope(
            start=start or self.today - datetime.timedelta(days=DEFAULT_DAYS),
            end=end or self.today,
            team=None if "team" in errors else data.get("team"),
            owner=owner.pk if owner else None,
        )


REASON_SHOWN = 100


class DealsBehindForm(forms.Form):
    """What narrows the deals behind one number of the analytics (its links): a value no
    link gives (a stage or month mistyped, a link from before a stage was renamed) is an
    error on its field, shown, and nothing is listed for it."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", ""), ("won", "won"), ("lost", "lost")]
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    grade = forms.ChoiceField(
        label=_("Grade when decided"),
        required=False,
        choices=[(NO_GRADE, _("Not graded")), *Grade.choices],
    )
    competitor = forms.CharField(label=_("Competitor"), required=False, max_length=200)
    entered = forms.ModelChoiceField(
        label=_("Stage entered"),
        required=False,
        queryset=Stage.objects.all(),
        to_field_name="key",
        error_messages={
            "invalid_choice": _("No stage has the key “%(value)s”: open the number again.")
        },
    )
    forecast_month = forms.CharField(label=_("Forecast month"), required=False, max_length=10)
    moved_on = forms.BooleanField(label=_("Moved on"), required=False)
    # A lost reason as `lost_reasons` groups them; a long one by its first and last
    # REASON_SHOWN characters and its length (an address has a limit).
    reason = forms.CharField(
        label=_("Why it was lost"), required=False, max_length=REASON_SHOWN, strip=False
    )
    reason_end = forms.CharField(
        label=_("Why it was lost"), required=False, max_length=REASON_SHOWN, strip=False
    )
    reason_length = forms.IntegerField(label=_("Why it was lost"), required=False, min_value=0)
    # The analytics' own period, when the number's is narrower (a month of it): where
    # "Back to the analytics" goes.
    back_start = forms.DateField(label=_("From"), required=False)
    back_end = forms.DateField(label=_("To"), required=False)

    def __init__(self, data=None):
        super().__init__(data)
        self.fields["industry"].choices = [("", ""), *Industry.choices]

    def clean_forecast_month(self):
        value = self.cleaned_data["forecast_month"].strip()
        if not value:
            return None
        try:
            month = datetime.date.fromisoformat(value[:7] + "-01")
        except ValueError:
            month = None
        if month is None or not in_calendar(month) or len(value) not in (7, 10):
            raise forms.ValidationError(
                _("“%(value)s” is not a month. Expected YYYY-MM, e.g. 2025-03."),
                params={"value": value},
                code="invalid",
            )
        return month

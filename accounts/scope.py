"""The accounts in view: the user's visible accounts narrowed by team, rep, industry and
region — the dashboard's filters, which the lists it drills down to take over unchanged
(the missing reviews, the compliance visits) and which the dashboard's sections apply
(complaints, reviews due, groups). The names are the account list's filter names, so a
drill-down link carries them over as they are.

They are about the account alone, so they stand here, with it: every app's page applies
them without importing the dashboard (`scoring.dashboard`).
"""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Industry, User
from .options import account_options
from .picker import UserPickerField
from .selectors import teams_of, users_pickable_by

FILTERS = ("team", "owner", "industry", "region")


class ScopeForm(forms.Form):
    """The teams the user is on or manages, a rep picked by name among the people of
    those teams (a text box, never a list), and the industries and regions of the
    accounts the user can see. At most three queries, whatever the number of people.

    The field names are the account list's filter names, so a drill-down link carries the
    dashboard's filters over unchanged.
    """

    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    owner = UserPickerField(label=_("Rep"), required=False, queryset=User.objects.none())
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, data=None, *, accounts: QuerySet, user: User):
        super().__init__(data)
        everyone = [("", _("All"))]
        teams = teams_of(user).order_by("name")
        self.fields["owner"].queryset = users_pickable_by(user)
        # The industries and regions among the user's accounts, kept (`accounts.options`).
        options = account_options(user=user, accounts=accounts)
        industries, regions = options.industries, options.regions
        self.fields["team"].choices = everyone + [(team.pk, team.name) for team in teams]
        self.fields["industry"].choices = everyone + [
            (value, label) for value, label in Industry.choices if value in industries
        ]
        self.fields["region"].choices = everyone + [(region, region) for region in regions]

    def active_filters(self) -> dict:
        """The filters that were given and are valid ({} when unbound). An invalid one is
        left out, and its error is shown on the form."""
        if not self.is_bound:
            return {}
        self.is_valid()
        found = {
            name: self.cleaned_data[name]
            for name in FILTERS
            if self.cleaned_data.get(name) not in (None, "")
        }
        if "owner" in found:
            found["owner"] = found["owner"].pk  # as the account list's `owner` takes it
        return found

    def described(self) -> list[tuple[str, str]]:
        """The active filters as a person reads them: (label, what was chosen), e.g.
        ("Team", "East"), ("Rep", "Amy Lin"): what a page drilled down to names."""
        found = self.active_filters()
        shown = []
        for name in FILTERS:
            if name not in found:
                continue
            field = self.fields[name]
            if name == "owner":
                user = self.cleaned_data["owner"]
                text = user.get_full_name() or user.username
            else:
                text = str(dict(field.choices).get(found[name], found[name]))
            shown.append((str(field.label), text))
        return shown


def filter_accounts(
    accounts: QuerySet,
    *,
    team: int | None = None,
    owner: int | None = None,
    industry: str | None = None,
    region: str | None = None,
) -> QuerySet:
    """`accounts` narrowed as the account list narrows them: `team` is the owner's sales
    team, `owner` the account's owner."""
    if team:
        accounts = accounts.filter(owner__sales_team_id=team)
    if owner:
        accounts = accounts.filter(owner_id=owner)
    if industry:
        accounts = accounts.filter(industry=industry)
    if region:
        accounts = accounts.filter(region=region)
    return accounts

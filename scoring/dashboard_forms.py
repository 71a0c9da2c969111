"""The dashboard's filters: team, rep, industry and region, offered from what the user sees."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Industry, User

FILTERS = ("team", "owner", "industry", "region")


class DashboardFilterForm(forms.Form):
    """Each choice comes from the accounts the user can see: the sales teams and the people
    owning them, their industries and regions. Three queries, whatever is chosen.

    The field names are the account list's filter names, so a drill-down link carries the
    dashboard's filters over unchanged.
    """

    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Rep"), required=False, coerce=int, empty_value=None)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, data=None, *, accounts: QuerySet):
        super().__init__(data)
        everyone = [("", _("All"))]
        owners = list(
            User.objects.filter(pk__in=accounts.order_by().values("owner_id"))
            .select_related("sales_team")
            .order_by("first_name", "last_name", "username")
        )
        teams = sorted(
            {owner.sales_team for owner in owners if owner.sales_team is not None},
            key=lambda team: team.name,
        )
        industries = set(accounts.order_by().values_list("industry", flat=True).distinct())
        regions = (
            accounts.exclude(region="")
            .order_by("region")
            .values_list("region", flat=True)
            .distinct()
        )
        self.owner_ids = {owner.pk for owner in owners}
        self.fields["team"].choices = everyone + [(team.pk, team.name) for team in teams]
        self.fields["owner"].choices = everyone + [(owner.pk, str(owner)) for owner in owners]
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
        return {
            name: self.cleaned_data[name]
            for name in FILTERS
            if self.cleaned_data.get(name) not in (None, "")
        }

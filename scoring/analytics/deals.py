"""The deals behind one number of the win/loss analytics, read from a link's values: the
deals page (`views.analytics_deals_view`) and its export (`analytics-deals`,
scoring/exports.py) read them alike, so a file holds what the page lists. A value no link
gives lists nothing, its error said: the defaults in its place would list other deals
than the number's."""

from dataclasses import dataclass

from django import forms
from django.db.models import QuerySet
from django.db.models.functions import Length, Trim
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Industry
from opportunities.models import Opportunity, OpportunityCompetitor
from opportunities.selectors import opportunities_visible_to

from . import selectors
from .forms import AnalyticsForm, DealsBehindForm
from .selectors import NO_GRADE


@dataclass
class DealsBehind:
    """What a link asked for and the deals it lists (none when `wrong`)."""

    deals: QuerySet
    form: AnalyticsForm
    narrow: DealsBehindForm
    scope: selectors.Scope
    data: dict  # the narrowing values read ({} when one cannot be read)
    wrong: list[tuple[str, str]]  # (label, error)
    what: str

    @property
    def forms(self) -> list[forms.Form]:
        return [self.form, self.narrow]


def deals_behind_link(user, get: QueryDict) -> DealsBehind:
    """The deals behind one number of the analytics: the same scope, narrowed by
    `outcome` (won, lost), `industry`, `grade` (when decided), `competitor`, or `entered`
    (a stage key: the deals that entered it in the period). Not ordered."""
    form = AnalyticsForm(get or None, user=user)
    scope = form.scope()
    narrow = DealsBehindForm(get or None)
    # A value that cannot be read lists nothing (its error shown): the defaults in its
    # place would list other deals than the number's.
    wrong = [
        (bound.label, error)
        for checked in (form, narrow)
        if checked.is_bound and not checked.is_valid()
        for name, errors in checked.errors.items()
        for bound in [checked[name]]
        for error in errors
    ]
    data = narrow.cleaned_data if narrow.is_bound and not wrong else {}
    if wrong:
        deals = Opportunity.objects.none()
        what = _("Nothing listed: the link has a value that cannot be read")
    elif month := data.get("forecast_month"):
        rows = selectors.forecast_at_start(user, scope, month)
        deals = opportunities_visible_to(user).filter(pk__in=rows.values("id"))
        what = _("In the forecast at the start of %(month)s") % {"month": month.strftime("%Y-%m")}
    elif (stage := data.get("entered")) and data.get("moved_on"):
        deals = selectors.deals_moving_on(user, scope, stage)
        what = _("Entered %(stage)s and moved on") % {"stage": stage}
    elif stage:
        deals = selectors.deals_entering(user, scope, stage)
        what = _("Entered %(stage)s") % {"stage": stage}
    else:
        deals = selectors.decided_deals(user, scope)
        said = [_("Decided")]  # the number's own words: "Lost · Against 华为"
        if data.get("outcome"):
            deals = deals.filter(won=data["outcome"] == "won")
            said = [_("Won") if data["outcome"] == "won" else pgettext("deal outcome", "Lost")]
        if "reason" in get:  # as `lost_reasons` groups them: "" for none written
            deals = deals.annotate(reason=Trim("close_reason"))
            shown, length = data.get("reason", ""), data.get("reason_length")
            if length is not None and length > len(shown):
                deals = deals.annotate(reason_length=Length("reason")).filter(
                    reason__startswith=shown,
                    reason__endswith=data.get("reason_end", ""),
                    reason_length=length,
                )
            else:
                deals = deals.filter(reason=shown)
            reason = shown + ("…" if length is not None and length > len(shown) else "")
            said.append(
                _("Why it was lost: “%(reason)s”") % {"reason": reason}
                if reason.strip()
                else _("No reason written")
            )
        if data.get("industry"):
            deals = deals.filter(account__industry=data["industry"])
            said.append(str(Industry(data["industry"]).label))
        if "grade" in get:
            grade = data.get("grade", NO_GRADE)
            deals = deals.annotate(grade_then=selectors.grade_when_decided()).filter(
                grade_then=grade
            )
            said.append(
                _("Not graded when decided")
                if grade == NO_GRADE
                else _("Grade %(grade)s when decided") % {"grade": grade}
            )
        if data.get("competitor"):
            deals = deals.filter(
                pk__in=OpportunityCompetitor.objects.filter(name=data["competitor"]).values(
                    "opportunity"
                )
            )
            said.append(_("Against %(competitor)s") % {"competitor": data["competitor"]})
        what = " · ".join(said)
    return DealsBehind(deals, form, narrow, scope, data, wrong, what)

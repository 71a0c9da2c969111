"""The account page's "Next best actions" section (下一步最佳行动), and each action's link
to the form that does it. Registered from `ScoringConfig.ready()`."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts import sections

from . import actions
from .selectors import account_advice

# What each action's link says: the form it opens.
DO_IT = {
    actions.FIND_DECIDER: _("Add the decider"),
    actions.MEET_DECIDER: _("Plan a visit with them"),
    actions.FIND_COACH: _("Add a coach"),
    actions.WIN_OVER: _("Plan a visit with them"),
    actions.ADVANCE_DEAL: _("Tick the criteria"),
    actions.RAISE_RELATIONSHIP: _("Plan a visit"),
    actions.FILL_ROLE: _("Add the contact"),
    actions.FOLLOW_UP: _("Log the follow-up"),
    actions.ANSWER_COMPLAINT: _("Open the complaint"),
    actions.COLLECT_MONEY: _("See the money"),
}


def action_url(account, action: actions.Action) -> str:
    """Where the action is done: the form, with what it concerns chosen already."""
    ids = action.ids
    plan = reverse("visits:create", args=[account.pk]) + "?status=planned"
    if action.kind == actions.FIND_DECIDER:
        return reverse("accounts:contact_create", args=[account.pk]) + "?role=decider"
    if action.kind in (actions.MEET_DECIDER, actions.WIN_OVER):
        return f"{plan}&contact={ids['contact']}"
    if action.kind == actions.FIND_COACH:
        return reverse("accounts:contact_create", args=[account.pk]) + "?coach=1"
    if action.kind == actions.FILL_ROLE:
        return reverse("accounts:contact_create", args=[account.pk]) + f"?role={ids['role']}"
    if action.kind == actions.ADVANCE_DEAL:
        return reverse("opportunities:detail", args=[ids["deal"]]) + "#criteria"
    if action.kind == actions.RAISE_RELATIONSHIP:
        return plan
    if action.kind == actions.FOLLOW_UP:
        return reverse("visits:detail", args=[ids["visit"]]) + "#follow-up"
    if action.kind == actions.ANSWER_COMPLAINT:
        return reverse("complaints:detail", args=[ids["complaint"]])
    return reverse("accounts:detail", args=[account.pk]) + "#money"


def account_next_actions_section(request, *, account, today=None, **page_data) -> dict:
    advice = account_advice(account, today=today or timezone.localdate())
    return {
        "account": account,
        "advice": advice,
        "rows": [
            {"action": action, "url": action_url(account, action), "label": DO_IT[action.kind]}
            for action in advice.actions
        ],
    }


def register() -> None:
    sections.register(
        "account",
        template="scoring/includes/next_actions_section.html",
        context=account_next_actions_section,
        order=5,
    )

"""The account page's "Next best actions" section (下一步最佳行动), and each action's link
to the form that does it. Registered from `ScoringConfig.ready()`."""

from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.selectors import accounts_visible_to
from keyaccounts import sections
from keyaccounts.snapshots import services as snapshots

from . import actions
from .selectors import account_advice, accounts_advice

# My week reads the advice of at most this many of the user's own accounts (the best
# graded first), and shows the MY_WEEK_SHOWN actions with the largest effect among them.
MY_WEEK_ACCOUNTS = 500
MY_WEEK_SHOWN = 5

# What each action's link says: the form it opens.
DO_IT = {
    actions.FIND_DECIDER: _("Add the decider"),
    actions.MEET_DECIDER: _("Plan a visit with them"),
    actions.FIND_COACH: _("Add a coach"),
    actions.WIN_OVER: _("Plan a visit with them"),
    actions.ADVANCE_DEAL: _("Tick the criteria"),
    actions.RAISE_RELATIONSHIP: _("Plan a visit"),
    actions.RATE_RELATIONSHIP: _("Rate the relationship"),
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
    if action.kind == actions.RATE_RELATIONSHIP:
        return reverse("scoring:account_assessment", args=[account.pk])
    if action.kind == actions.FOLLOW_UP:
        return reverse("visits:detail", args=[ids["visit"]]) + "#follow-up"
    if action.kind == actions.ANSWER_COMPLAINT:
        return reverse("complaints:detail", args=[ids["complaint"]])
    return reverse("accounts:detail", args=[account.pk]) + "#money"


def account_next_actions_section(
    request, *, account, today=None, contacts=None, **page_data
) -> dict:
    # The page's contacts (all of the account's, by name and id): not read again.
    advice = account_advice(account, today=today or timezone.localdate(), contacts=contacts)
    # A grade a manager pinned, as read with the page (`sections.related`: no query).
    score = account._state.fields_cache.get("score")
    pinned = score.grade if score is not None and score.pinned else None
    return {
        "account": account,
        "advice": advice,
        "pinned": pinned if pinned != advice.grade else None,
        "rows": [
            {"action": action, "url": action_url(account, action), "label": DO_IT[action.kind]}
            for action in advice.actions
        ],
    }


MY_WEEK_BODY = "scoring/includes/next_actions_my_week_body.html"


def my_week_next_actions_section(request, *, today=None, **page_data) -> dict | None:
    """My week's "Your best next actions": the five with the largest effect across the
    user's own accounts, each with its account and the link that does it.

    Working them out reads and re-scores every one of the rep's accounts (100 ms for a
    rep of 500 accounts, a third of the page): the rendered list is kept as a snapshot
    for its person (keyaccounts/snapshots/) and worked out again after they save
    anything, after SNAPSHOT_SECONDS, on another day, or on "Work them out now"
    (`?refresh=1`, which my week answers with a redirect to itself)."""
    today = today or timezone.localdate()
    figures = snapshots.page_figures(
        request,
        name="my_week_next_actions",
        params={"today": today.isoformat()},
        template=MY_WEEK_BODY,
        compute=lambda: _my_week_actions_html(request.user, today),
    )
    if not figures.shown.content:
        return None  # nothing to advise
    return {"snapshot": figures.shown, "refresh_url": figures.refresh_url}


def _my_week_actions_html(user, today) -> str:
    """The list, rendered (no request: nothing in it is the request's), or "" when there
    is nothing to advise. A constant number of queries however many accounts
    (`accounts_advice`)."""
    mine = accounts_visible_to(user).filter(owner=user)
    # The best graded first (the ungraded last, on every database).
    best_first = mine.order_by(F("score__grade").asc(nulls_last=True), "pk")
    names = dict(best_first.values_list("pk", "name")[:MY_WEEK_ACCOUNTS])
    ids = list(names)
    if not ids:
        return ""
    advice = accounts_advice(Account.objects.filter(pk__in=ids), today=today)
    found = [
        (action, pk, advice[pk]) for pk in ids if pk in advice for action in advice[pk].actions
    ]
    found.sort(key=lambda row: (-row[0].effect, actions.KINDS.index(row[0].kind), row[1]))
    rows = []
    for action, pk, account_advice_ in found[:MY_WEEK_SHOWN]:
        account = Account(pk=pk, name=names[pk])
        rows.append(
            {
                "action": action,
                "account": account,
                "advice": account_advice_,
                "url": action_url(account, action),
                "label": DO_IT[action.kind],
            }
        )
    if not rows:
        return ""
    return render_to_string(MY_WEEK_BODY, {"rows": rows})


def register() -> None:
    sections.register(
        "account",
        template="scoring/includes/next_actions_section.html",
        context=account_next_actions_section,
        order=5,
    )
    sections.register(
        "my_week",
        template="scoring/includes/next_actions_my_week.html",
        context=my_week_next_actions_section,
        order=5,
    )

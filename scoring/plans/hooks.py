"""What account plans add to other apps' pages and to the reminder scan, registered
from PlansConfig.ready(): the account page's and my week's sections, the overdue-action
reminder, the plan's advantages on its history page."""

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts import statements
from keyaccounts.paging import bounded_count

from . import selectors
from .models import AccountPlan, PlanAction, period_label

MY_WEEK_SHOWN = 20


# --- the account page -------------------------------------------------------------------


def account_section(request, *, account, today=None, **page):
    """The plan of the period holding today (progress, overdue actions, link), or an
    invitation to create one. Two queries."""
    today = today or timezone.localdate()
    plan = selectors.current_plan(account, today=today)
    kind, start = selectors.default_period(today)
    return {
        "account": account,
        "plan": plan,
        "progress": selectors.progress(plan, today=today) if plan else None,
        "period": period_label(start, kind),
    }


# --- my week ----------------------------------------------------------------------------


def my_week_section(request, *, today=None, **page):
    """The user's overdue plan actions and those due this week: the first 20 and how
    many there are. Two queries."""
    user = request.user
    today = today or timezone.localdate()
    # What the section shows of each (its plan only as the link's id): not every column
    # of the action, its plan and its account. Compiled once a day per process
    # (keyaccounts/statements.py): only the person's id differs from one view to the next.
    shown = statements.prepared_for(
        "my_week_plan_actions",
        user,
        lambda person: (
            selectors.actions_of(person, today=today, due="week")
            .select_related("account")
            .only("what", "due_on", "done_on", "plan_id", "account__name")
            .order_by(*selectors.ACTION_ORDER)[:MY_WEEK_SHOWN]
        ),
        variant=(today,),
    )
    if len(shown) < MY_WEEK_SHOWN:
        total = {"count": len(shown), "exact": True}
    else:
        total = bounded_count(selectors.actions_of(user, today=today, due="week"))
    overdue = 0
    for action in shown:
        action.state = action.status(today)
        overdue += action.state == "overdue"
    return {
        "actions": shown,
        "count": total["count"],
        "exact": total["exact"],
        "overdue_shown": overdue,
        "today": today,
    }


# --- reminders --------------------------------------------------------------------------


def overdue_actions_scan(*, now, today, account_ids) -> int:
    """PLAN_ACTION_OVERDUE to the action's owner, once per action and due date: an open
    live action of a live plan past its due date, whose owner is active."""
    from visits.models import Notification, NotificationKind
    from visits.reminders import insert_pages

    actions = PlanAction.objects.filter(
        done_on__isnull=True,
        due_on__lt=today,
        owner__is_active=True,
        plan__deleted_at__isnull=True,
        account__deleted_at__isnull=True,
    )
    if account_ids is not None:
        actions = actions.filter(account_id__in=list(account_ids))
    kind = NotificationKind.PLAN_ACTION_OVERDUE
    # The prefilter matches on the key; the unique constraint has the last word.
    exists = Notification.objects.filter(
        kind=kind,
        object_key=OuterRef("object_key"),
        due_date=OuterRef("due_on"),
        recipient=OuterRef("owner"),
    )
    rows = (
        actions.annotate(
            object_key=Concat(
                Value("planaction:"), Cast("pk", CharField()), output_field=CharField()
            )
        )
        .filter(~Exists(exists))
        .values_list("pk", "account_id", "owner_id", "due_on")
    )
    return insert_pages(
        rows,
        lambda pk, account_id, owner_id, due: Notification(
            kind=kind,
            object_key=f"planaction:{pk}",
            due_date=due,
            recipient_id=owner_id,
            account_id=account_id,
        ),
    )


def _action_pk(notification) -> str:
    return notification.object_key.partition(":")[2]


def overdue_text(notification) -> str:
    from visits.reminders import _date

    return _("An action of your account plan for %(account)s is overdue: it was due %(due)s.") % {
        "account": notification.account.name,
        "due": _date(notification.due_date),
    }


def overdue_path(notification) -> str:
    pk = _action_pk(notification)
    if pk.isdigit():
        return reverse("plans:action_detail", args=[int(pk)])
    return notification.account.get_absolute_url()


def register():
    from keyaccounts import sections
    from keyaccounts.history.timeline import PARTS, Part
    from visits.models import NotificationKind
    from visits.reminders import register_kind, register_scan

    sections.register(
        "account", template="plans/includes/account_section.html", context=account_section, order=30
    )
    sections.register(
        "my_week", template="plans/includes/my_week_section.html", context=my_week_section, order=30
    )
    register_scan(overdue_actions_scan)
    register_kind(NotificationKind.PLAN_ACTION_OVERDUE, text=overdue_text, path=overdue_path)
    # The plan import, beside the other types' (keyaccounts.imports.kinds).
    from keyaccounts.imports.kinds import KINDS

    from .imports import PlanActionKind, PlanKind

    KINDS.setdefault(PlanKind.key, PlanKind())
    KINDS.setdefault(PlanActionKind.key, PlanActionKind())
    PARTS.setdefault(AccountPlan._meta.label_lower, (Part("plans.PlanAdvantage", "plan", "kind"),))

"""What review meetings add to other pages (keyaccounts.sections): the account page,
my week and the dashboard. Each runs a constant number of queries."""

import datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from accounts.scope import filter_accounts
from accounts.selectors import accounts_visible_to
from keyaccounts import statements
from keyaccounts.paging import bounded_count

from . import selectors
from .models import ReviewStatus
from .periods import current_period_for_grade, period_kind_for_grade, reviewed_grades

MY_WEEK_DAYS = 14
SHOWN = 20


def account_section(request, *, account, today=None, **page_data):
    """The review of the account's current period: the next scheduled, else the last
    held; else an invitation to schedule one. One query (the account page has read the
    grade with the account: `score` selected), two otherwise."""
    today = today or timezone.localdate()
    if "score" in account._state.fields_cache:
        score = account._state.fields_cache["score"]
        grade = score.grade if score is not None else None
    else:
        grade = (
            account.__class__.all_objects.filter(pk=account.pk)
            .values_list("score__grade", flat=True)
            .first()
        )
    period = current_period_for_grade(grade, today)
    reviews = list(
        selectors.live_in_period(period)
        .filter(account=account)
        .exclude(status=ReviewStatus.CANCELLED)
        .order_by("scheduled_for", "pk")
    )
    held = [r for r in reviews if r.status == ReviewStatus.HELD]
    upcoming = [r for r in reviews if r.status == ReviewStatus.SCHEDULED]
    return {
        "account": account,
        "period": period,
        "grade": grade,
        "required": grade in reviewed_grades(),
        "review": upcoming[0] if upcoming else (held[-1] if held else None),
        "list_url": reverse("reviews:account_list", args=[account.pk]),
        "new_url": reverse("reviews:create", args=[account.pk]),
    }


def my_week_section(request, *, now=None, today=None, **page_data):
    """Reviews in the next 14 days the user owns or attends, and their open review
    follow-ups, overdue first. Four queries at most."""
    user = request.user
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    # What the section shows of each (the account's name and link, the review's when,
    # period and link; the follow-up's what, due date and link): not every column of
    # the account and the review, each compiled and read for nothing.
    # Each compiled once per process (keyaccounts/statements.py): only the person's id and
    # the moment differ from one view to the next.
    upcoming = statements.prepared_for(
        "my_week_reviews",
        user,
        lambda person, start, until: selectors.upcoming_reviews_between(
            user=person, start=start, until=until
        ).only("scheduled_for", "period_kind", "period_start", "account__name")[:SHOWN],
        values={"start": now, "until": now + datetime.timedelta(days=MY_WEEK_DAYS)},
    )
    shown = statements.prepared_for(
        "my_week_review_follow_ups",
        user,
        lambda person: (
            selectors.open_follow_ups_of(user=person)
            .select_related(None)
            .select_related("account")
            .only("what", "due_on", "done_on", "review_id", "account__name")[:SHOWN]
        ),
    )
    count = (
        len(shown)
        if len(shown) < SHOWN
        else bounded_count(selectors.open_follow_ups_of(user=user))["count"]
    )
    if not upcoming and not shown:
        return None
    return {
        "upcoming": upcoming,
        "follow_ups": shown,
        "follow_up_count": count,
        "today": today,
        "days": MY_WEEK_DAYS,
    }


def dashboard_section(request, *, filters=None, form=None, **page_data):
    """How many A and B accounts in the dashboard's scope have no review in their
    period, linking to them. One query (bounded count)."""

    filters = filters or {}
    today = timezone.localdate()
    scope = filter_accounts(accounts_visible_to(request.user), **filters)
    missing = selectors.accounts_missing_review(user=request.user, today=today, accounts=scope)
    counted = bounded_count(missing)
    query = urlencode(sorted(filters.items()))
    url = reverse("reviews:missing")
    return {
        "count": counted["count"],
        "exact": counted["exact"],
        "url": f"{url}?{query}" if query else url,
        "periods": [(grade, period_kind_for_grade(grade)) for grade in reviewed_grades()],
    }

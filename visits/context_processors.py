"""What the page header needs on every page, in one cheap query (none when anonymous):
the bell's unread reminders (this app's notifications) and whether the person manages a
team. Visits' because the bell is: `keyaccounts/` imports no app above it."""

from django.db import router
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.functional import SimpleLazyObject

from keyaccounts import statements

# The bell counts at most this many unread reminders and shows "99+" beyond: the count
# reads at most BELL_LIMIT + 1 rows, however many a manager has let pile up.
BELL_LIMIT = 99


def _header_query(user):
    """The bell's count and whether `user` manages a team, as one row."""
    from accounts.models import SalesTeam, User

    from .models import Notification
    from .selectors import notifications_of

    # The bell counts exactly what the notification list shows unread, up to one past
    # BELL_LIMIT (a LIMIT inside the count: the read stops there).
    first = notifications_of(user).filter(read_at__isnull=True).order_by().values("pk")
    unread = (
        Notification.objects.filter(pk__in=first[: BELL_LIMIT + 1])
        .order_by()
        .values(one=Value(1))
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        User.objects.filter(pk=user.pk)
        .annotate(
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
            # accounts.selectors.is_manager's rule, folded into the same query.
            manages=Exists(SalesTeam.objects.filter(manager=OuterRef("pk"))),
        )
        .values_list("unread", "manages")[:1]
    )


def _header(user) -> dict:
    from accounts.models import User

    if user.is_active:
        # Compiled once per process for everyone (keyaccounts/statements.py): only the
        # person's id differs, and compiling cost twice what the query does.
        def build(pk):
            return _header_query(User(pk=pk, is_superuser=user.is_superuser, is_active=True))

        row = statements.fetch_one(
            "header",
            build,
            ident=user.pk,
            using=router.db_for_read(User),
            variant=(user.is_superuser,),
        )
    else:
        row = _header_query(user).first()
    unread, manages = row or (0, False)
    return {
        "unread_notifications": min(unread, BELL_LIMIT),
        # More unread than the bell shows: it reads "99+".
        "unread_more": unread > BELL_LIMIT,
        "is_manager": user.is_superuser or bool(manages),
    }


def header(request) -> dict:
    """`header.unread_notifications` (the bell's count, at most BELL_LIMIT),
    `header.unread_more` (there are more) and `header.is_manager` (the Team link).
    Lazy: a page that never renders the header never runs the query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"header": SimpleLazyObject(lambda: _header(user))}

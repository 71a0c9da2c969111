"""What the page header needs on every page, in one cheap query (none when anonymous)."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import SimpleLazyObject


def _header(user) -> dict:
    from accounts.models import SalesTeam, User
    from visits.selectors import notifications_of

    # The bell counts exactly what the notification list shows unread.
    unread = (
        notifications_of(user)
        .filter(read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
            # accounts.selectors.is_manager's rule, folded into the same query.
            manages=Exists(SalesTeam.objects.filter(manager=OuterRef("pk"))),
        )
        .values("unread", "manages")
        .first()
    ) or {"unread": 0, "manages": False}
    return {
        "unread_notifications": row["unread"],
        "is_manager": user.is_superuser or row["manages"],
    }


def header(request) -> dict:
    """`header.unread_notifications` (the bell's count) and `header.is_manager` (the Team
    link). Lazy: a page that never renders the header never runs the query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"header": SimpleLazyObject(lambda: _header(user))}

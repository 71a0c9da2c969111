"""Reads. Every page, form, export and API gets accounts and contacts through here.

The visibility rule lives in `accounts_visible_to` and nowhere else: a rep sees the
accounts they own or are on the team of; a manager also sees those of the teams they
manage (owned by, or with on the team, a member of that team); a superuser sees all;
anyone else nothing. Objects outside it answer 404, never 403.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Account, AccountTeamMember, BuyingRole, Contact, SalesTeam, User


def accounts_visible_to(user, *, deleted: bool = False) -> QuerySet[Account]:
    """The accounts `user` may see. `deleted=True`: the same rule over the recycle bin
    too (live and deleted accounts), for the bin and restores."""
    rows = Account.all_objects if deleted else Account.objects
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return rows.none()
    if user.is_superuser:
        return rows.all()
    # A manager sees through the eyes of every member of the teams they manage. All of
    # it is subqueries: the rule adds no query of its own to a page.
    managed_members = User.objects.filter(sales_team__manager=user).values("pk")
    on_team = AccountTeamMember.objects.filter(Q(user=user) | Q(user__in=managed_members)).values(
        "account_id"
    )
    return rows.filter(Q(owner=user) | Q(owner__in=managed_members) | Q(pk__in=on_team))


def account_get_visible(*, user, pk, related: tuple[str, ...] = ()) -> Account:
    """The account if `user` may see it; Account.DoesNotExist otherwise (so: 404).

    `related`: more relations to select with it, e.g. ("score__model",) for its grade."""
    return accounts_visible_to(user).select_related("owner", *related).get(pk=pk)


def contacts_visible_to(user, *, deleted: bool = False) -> QuerySet[Contact]:
    rows = Contact.all_objects if deleted else Contact.objects
    return rows.filter(account__in=accounts_visible_to(user, deleted=deleted))


def account_list(*, user) -> QuerySet[Account]:
    """The visible accounts, annotated for list pages: a constant number of queries.

    Each carries its owner and its `score` (None when not graded yet: read the grade as
    `account.score.grade` in a template, which renders nothing then)."""
    active_contacts = Contact.objects.filter(account=OuterRef("pk"), is_active=True)
    return (
        accounts_visible_to(user)
        .select_related("owner", "score")
        .annotate(
            contact_count=Coalesce(
                Subquery(
                    active_contacts.order_by()
                    .values("account_id")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
            has_decider=Exists(active_contacts.filter(buying_role=BuyingRole.DECIDER)),
            has_coach=Exists(active_contacts.filter(is_coach=True)),
        )
    )


def users_managed_by(user) -> QuerySet[User]:
    return User.objects.filter(sales_team__manager=user, is_active=True)


def is_manager(user) -> bool:
    return user.is_superuser or SalesTeam.objects.filter(manager=user).exists()


def assignable_owners(user) -> QuerySet[User]:
    """Whom `user` may make the owner of an account: themselves, their teams' members."""
    if user.is_superuser:
        return User.objects.filter(is_active=True)
    return User.objects.filter(
        Q(pk=user.pk) | Q(sales_team__manager=user), is_active=True
    ).distinct()


def can_reassign(user, account: Account | None = None) -> bool:
    """Managers and superusers reassign accounts; reps keep what they own."""
    return is_manager(user)

"""Reads. Every page, form, export and API gets accounts and contacts through here.

The visibility rule is defined here and nowhere else (`VISIBILITY_WAYS`): a rep sees
the accounts they own or are on the team of; a manager also sees those of the teams
they manage (owned by, or with on the team, a member of that team); a superuser sees
all; anyone else nothing. Objects outside it answer 404, never 403.
`accounts_visible_to` answers it from the access table (`AccountAccess`, kept by
`accounts.access`); `accounts_visible_by_rule` evaluates it from scratch.
"""

from urllib.parse import urlencode

from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat
from django.urls import reverse

from keyaccounts import paging, statements

from .duplicates import (
    normalize_credit_code,
    normalize_email,
    normalize_name,
    normalize_phone,
    person_name_key,
)
from .models import Account, AccountAccess, AccountTeamMember, BuyingRole, Contact, SalesTeam, User
from .people_move import key_person_gap
from .search import name_holds

# The visibility rule: the ways a person comes to see an account, each as (model, path
# from a row to the person who sees, path from the row to the account). A manager sees
# through the eyes of every member of the teams they manage. Only active users who are
# not superusers see through these (a superuser sees every account, an inactive user
# none). `accounts_visible_by_rule` reads them for one user, `accounts.access` for many
# users or accounts at once: change the rule here and both follow.
VISIBILITY_WAYS = (
    (Account, "owner", "pk"),  # owns it
    (AccountTeamMember, "user", "account"),  # is on its team
    (Account, "owner__sales_team__manager", "pk"),  # manages its owner
    (AccountTeamMember, "user__sales_team__manager", "account"),  # manages one on its team
)


def accounts_visible_to(user, *, deleted: bool = False) -> QuerySet[Account]:
    """The accounts `user` may see. `deleted=True`: the same rule over the recycle bin
    too (live and deleted accounts), for the bin and restores.

    Answered from the access table: one join on its (user, account) index, whose row
    count PostgreSQL estimates well, instead of the rule's OR of subqueries."""
    rows = Account.all_objects if deleted else Account.objects
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return rows.none()
    if user.is_superuser:
        return rows.all()
    return rows.filter(access__user=user)


def visible_account_ids(user) -> QuerySet:
    """The ids of the live accounts `user` may see (`accounts_visible_to`), as a subquery
    for the records of those accounts (`of_visible_accounts`). For anyone but a
    superuser they come from the access table alone, by its `live` flag (the index
    `live_access_by_user`): a statement on an account's records does not join the
    accounts to leave out those in the recycle bin (PostgreSQL planned such a statement
    in 0.39 ms with that join, 0.13 without)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AccountAccess.objects.none().values("account_id")
    if user.is_superuser:
        return Account.objects.values("pk")
    return AccountAccess.objects.filter(user=user, live=True).values("account_id")


def of_visible_accounts(rows: QuerySet, user, *, deleted: bool = False, field: str = "account"):
    """`rows`, records of accounts (by their foreign key `field`), narrowed to those of
    the accounts `user` may see: live accounts by `visible_account_ids`; with
    `deleted=True` the recycle bin's too (`accounts_visible_to(user, deleted=True)`)."""
    if deleted:
        return rows.filter(**{f"{field}__in": accounts_visible_to(user, deleted=True)})
    return rows.filter(**{f"{field}_id__in": visible_account_ids(user)})


def sees_more_accounts_than(user, count: int) -> bool:
    """Whether `user` may see more than `count` accounts: a superuser always; anyone
    else by their access rows, read up to `count` + 1 (one index range, never a count
    of them all). Pages that read a user's records through their accounts ask it to
    choose that path only where it is the short one."""
    if getattr(user, "is_superuser", False):
        return True
    rows = AccountAccess.objects.filter(user=user).order_by().values("pk")[: count + 1]
    return rows.aggregate(n=Count("pk"))["n"] > count


def accounts_visible_by_rule(user, *, deleted: bool = False) -> QuerySet[Account]:
    """The accounts `user` may see, evaluated from the rule itself (`VISIBILITY_WAYS`),
    without the access table: what `accounts_visible_to` must always equal. For the
    access table's checks and tests; pages read `accounts_visible_to`."""
    rows = Account.all_objects if deleted else Account.objects
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return rows.none()
    if user.is_superuser:
        return rows.all()
    match = Q()
    for model, viewer, account in VISIBILITY_WAYS:
        match |= Q(pk__in=model._base_manager.filter(**{viewer: user}).values(account))
    return rows.filter(match)


def account_get_visible(*, user, pk, related: tuple[str, ...] = ()) -> Account:
    """The account if `user` may see it; Account.DoesNotExist otherwise (so: 404).

    `related`: more relations to select with it, e.g. ("score__model",) for its grade.
    Its statement is compiled once per process (`get_visible`): with the sections'
    relations selected it took longer to compile than to run."""
    return get_visible(
        "accounts.account_get_visible",
        lambda reader: accounts_visible_to(reader).select_related("owner", *related),
        user=user,
        pk=pk,
        variant=related,
    )


def get_visible(name: str, visible, *, user, pk, variant: tuple = ()):
    """The record `pk` of `visible(user)` (a record page's read: the rows `user` may
    see, with what the page selects), its model's DoesNotExist otherwise (so: 404).
    Compiled once per process under `name` (`keyaccounts.statements.prepared`), built
    for a user of the marker's id (a superuser as they are: their rule names no id);
    `variant`: whatever else shapes `visible`. Anyone not signed in or not active, or
    an id not an int, is answered by the ORM each time."""
    signed_in = getattr(user, "is_authenticated", False) and user.is_active
    if not signed_in or type(pk) is not int:
        return visible(user).get(pk=pk)
    superuser = user.is_superuser
    values = {"pk": pk} if superuser else {"pk": pk, "uid": user.pk}

    def build(pk, uid=None):
        reader = user if superuser else User(pk=uid, is_active=True, is_superuser=False)
        return visible(reader).filter(pk=pk).order_by()[:1]  # as `get` reads it

    found = statements.prepared(name, build, values=values, variant=(superuser, *variant))
    if not found:
        model = visible(user).model
        raise model.DoesNotExist(f"No visible {model._meta.verbose_name} matches the query.")
    return found[0]


def account_contacts(account: Account) -> list[Contact]:
    """The live contacts of `account` (one the caller may see) by name, each with whom it
    reports to and its relationship owner: the account page's buying center and contacts
    (compiled once per process: `keyaccounts.statements.prepared`)."""
    return statements.related_rows(
        "accounts.account_contacts",
        account,
        "contacts",
        lambda rows: rows.select_related("reports_to", "relationship_owner").order_by("name", "pk"),
    )


def account_team(account: Account) -> list[AccountTeamMember]:
    """The account team of `account` (one the caller may see), by role then user name,
    each member with their user (compiled once per process)."""
    return statements.related_rows(
        "accounts.account_team",
        account,
        "team_members",
        lambda rows: rows.select_related("user").order_by("role", "user__username"),
    )


def contacts_visible_to(user, *, deleted: bool = False) -> QuerySet[Contact]:
    rows = Contact.all_objects if deleted else Contact.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def team_members_visible_to(user) -> QuerySet[AccountTeamMember]:
    """The account team members of the accounts `user` may see (the team-member export)."""
    return of_visible_accounts(AccountTeamMember.objects.all(), user)


# Up to this many visible accounts, a list of them is read from the person's access rows
# first: see `listed_account_ids`.
LISTED_UP_TO = 1000


def listed_account_ids(user, *, up_to: int | None = None) -> list[int] | None:
    """The ids of the live accounts `user` may see (not those in the recycle bin: the
    access rows' `live` flag, through its partial index), read from their access rows
    when there are at most `up_to` (`LISTED_UP_TO`); None when there are more, for a
    superuser (every account) and for an inactive or anonymous user
    (`accounts_visible_to` answers none). Their number is how many accounts the person's
    unfiltered list has: it needs no count of its own (`account_list_and_total`).

    A page of a rep's accounts in name order is otherwise read by walking the name index
    of the whole company and probing the access table for each account: 26 of a rep's
    500 among 100,000 accounts took 8,600 probes (12–18 ms, and twice as many at twice
    the company). From the ids it reads the rep's own rows and sorts them (2 ms, the same
    at any size of the company). Beyond `up_to` the walk finds a page sooner."""
    if not _sees_by_access_rows(user):
        return None
    up_to = LISTED_UP_TO if up_to is None else up_to
    ids = list(
        AccountAccess.objects.filter(user=user, live=True)
        .order_by()
        .values_list("account_id", flat=True)[: up_to + 1]
    )
    return ids if len(ids) <= up_to else None


def unfiltered_account_count(user, ids: list[int] | None, *, up_to: int) -> int | None:
    """How many accounts `user`'s unfiltered list has, counted up to `up_to` + 1 (more
    than `up_to` counts `up_to` + 1, as `keyaccounts.paging.known_bounded` reads it),
    given the ids `listed_account_ids` read: their number; for a person with more live
    accounts than were listed, `LISTED_UP_TO` + 1 when that is already past `up_to`
    (nothing to count), otherwise their live access rows counted alone (the index
    `live_access_by_user`, never the accounts: for a manager at the benchmark's size,
    0.3 ms where the accounts joined to those rows took 4); None for a superuser (a list
    counts its rows) and for an inactive or anonymous user."""
    if ids is not None:
        return len(ids)
    if not _sees_by_access_rows(user):
        return None
    if LISTED_UP_TO >= up_to:
        return LISTED_UP_TO + 1
    return AccountAccess.objects.filter(user=user, live=True).order_by()[: up_to + 1].count()


def _sees_by_access_rows(user) -> bool:
    """Whether `user` sees what their access rows say: an active, signed-in person who
    is not a superuser (a superuser sees every account, anyone else none)."""
    return getattr(user, "is_authenticated", False) and user.is_active and not user.is_superuser


def with_ids(rows: QuerySet, ids: list[int], *, field: str = "pk") -> QuerySet:
    """`rows` whose `field` (their id, or a foreign key) is one of `ids`: on PostgreSQL as
    one array (its length known to the planner, and one parameter however many),
    elsewhere as a list."""
    if connections[rows.db].vendor == "postgresql":
        return rows.filter(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", (ids,))})
    return rows.filter(**{f"{field}__in": ids})


def account_list(*, user, flags: bool = True) -> QuerySet[Account]:
    """The visible accounts, annotated for list pages: `account_list_and_total`'s list."""
    return account_list_and_total(user=user, flags=flags)[0]


def account_list_and_total(*, user, flags: bool = True) -> tuple[QuerySet[Account], int | None]:
    """The visible accounts, annotated for list pages: a constant number of queries; and
    how many they are, up to the pages' bound (`keyaccounts.paging.COUNT_LIMIT`) + 1,
    when that is known without counting them (the person's live ids were read:
    `listed_account_ids`) or from the person's access rows alone
    (`unfiltered_account_count`); None for a superuser.

    Each carries its owner and its `score` (None when not graded yet: read the grade as
    `account.score.grade` in a template, which renders nothing then). For someone who
    sees a bounded number of accounts, read by their ids (`listed_account_ids`).

    `flags`: each row carries the list's flags (`contact_count`, `has_decider`,
    `has_coach`, `key_person_gap`). Without, the flags are aliases: the list's filters
    (`AccountFilter`'s coverage gaps) still filter on them, but no row computes them,
    and the owner is not joined (a page that shows neither: the heat-map)."""
    ids = listed_account_ids(user)
    visible = accounts_visible_to(user) if ids is None else with_ids(Account.objects.all(), ids)
    active_contacts = Contact.objects.filter(account=OuterRef("pk"), is_active=True)
    visible = visible.select_related("owner", "score") if flags else visible.select_related("score")
    # Of the score, not its contributions (the "why", a JSON document of 1–2 KB a row):
    # no list shows them, and each row would carry and decode them.
    visible = visible.defer("score__contributions")
    add = visible.annotate if flags else visible.alias
    rows = add(
        contact_count=Coalesce(
            Subquery(
                active_contacts.order_by().values("account_id").annotate(n=Count("pk")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        has_decider=Exists(active_contacts.filter(buying_role=BuyingRole.DECIDER)),
        has_coach=Exists(active_contacts.filter(is_coach=True)),
        # People move: a decider, evaluator or coach left and nobody fills the role.
        key_person_gap=key_person_gap(),
    )
    return rows, unfiltered_account_count(user, ids, up_to=paging.COUNT_LIMIT)


def users_managed_by(user) -> QuerySet[User]:
    return User.objects.filter(sales_team__manager=user, is_active=True)


def is_manager(user) -> bool:
    return user.is_superuser or SalesTeam.objects.filter(manager=user).exists()


def teams_of(user) -> QuerySet[SalesTeam]:
    """The sales teams `user` is on or manages; a superuser: every team; an inactive or
    anonymous user: none. What team filters offer."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return SalesTeam.objects.none()
    if user.is_superuser:
        return SalesTeam.objects.all()
    return SalesTeam.objects.filter(Q(pk=user.sales_team_id) | Q(manager=user))


def users_pickable_by(user) -> QuerySet[User]:
    """The people `user` may pick in a form or a filter (a colleague on a visit or a
    team, a contact's relationship owner, an owner filter): themselves and the active
    members and managers of the sales teams they are on or manage (`teams_of`); a
    superuser: every active user; an inactive or anonymous user: nobody.

    The people pickers (`accounts.picker`) suggest and accept only these, so nobody can
    list the company's users through them (issue 12)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return User.objects.none()
    people = User.objects.filter(is_active=True)
    if user.is_superuser:
        return people
    teams = teams_of(user).values("pk")
    return people.filter(
        Q(pk=user.pk)
        | Q(sales_team__in=teams)
        | Q(pk__in=SalesTeam.objects.filter(pk__in=teams).values("manager_id"))
    )


def _with_full_names(users: QuerySet[User]) -> QuerySet[User]:
    # A name either way round: "Carol Chen", and "陈卡罗" as Chinese names are written.
    return users.annotate(
        given_first=Concat("first_name", Value(" "), "last_name"),
        surname_first=Concat("last_name", "first_name"),
    )


def users_named(users: QuerySet[User], text: str) -> QuerySet[User]:
    """The people among `users` whose username, email or full name (either order) is
    `text`, case aside: whom a people picker takes a typed name for."""
    text = text.strip()
    if not text:
        return users.none()
    return _with_full_names(users).filter(
        Q(username__iexact=text)
        | Q(email__iexact=text)
        | Q(given_first__iexact=text)
        | Q(surname_first__iexact=text)
    )


def user_suggestions(users: QuerySet[User], query: str) -> QuerySet[User]:
    """The people among `users` (`users_pickable_by` or narrower) whose username, name
    (either order: "Carol Chen", "陈卡罗") or email holds `query`, those whose username
    or a name starts with it first: what a people picker suggests. Slice it."""
    query = query.strip()
    if not query:
        return users.none()
    starts = Q(username__istartswith=query) | Q(first_name__istartswith=query)
    starts |= Q(last_name__istartswith=query)
    return (
        _with_full_names(users)
        .filter(
            Q(username__icontains=query)
            | Q(given_first__icontains=query)
            | Q(surname_first__icontains=query)
            | Q(email__icontains=query)
        )
        .annotate(starts_with=Case(When(starts, then=Value(0)), default=Value(1)))
        .order_by("starts_with", "first_name", "last_name", "username")
        .only("pk", "username", "first_name", "last_name")
    )


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


# --- likely duplicates ------------------------------------------------------------------


def account_duplicates(
    *, name: str, credit_code: str | None = None, exclude_pk: int | None = None
) -> QuerySet[Account]:
    """Live accounts that are likely the same company: the same unified social credit
    code, or the same normalised name (accounts.duplicates.normalize_name).

    Over every account, not only the visible ones, on purpose: the caller shows the
    matches the user may see and only counts the others, so that nobody creates a
    second record of a customer another team already has."""
    key = normalize_name(name)
    code = normalize_credit_code(credit_code)
    match = Q()
    if key:  # a name of only a legal form ("有限公司") matches nothing
        match |= Q(name_key=key)
    if code:
        match |= Q(credit_code=code)
    if not match:
        return Account.objects.none()
    rows = Account.objects.filter(match)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.order_by("name", "pk")


def account_duplicates_in_bin(
    *, name: str, user: User, exclude_pk: int | None = None
) -> QuerySet[Account]:
    """Accounts in the recycle bin with the normalised name of `name` that `user` may
    restore (`recyclebin.selectors.deletions_visible_to`: who deleted it, a manager): a
    new account like one of them is most likely the deleted one made again, which a
    restore brings back with its contacts, visits, deals and history. A merged-away
    account is none (its survivor holds it), nor one the user may not restore (the bin
    is not theirs to learn of)."""
    from keyaccounts.recyclebin.selectors import deletions_visible_to

    key = normalize_name(name)
    if not key:
        return Account.objects.none()
    rows = Account.all_objects.filter(
        name_key=key,
        deleted_at__isnull=False,
        merged_into__isnull=True,
        deletion__in=deletions_visible_to(user),
    )
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.order_by("name", "pk")


def recycle_bin_url(record) -> str:
    """The recycle bin's page listing `record`'s deletion (searched by its name), where
    it is restored."""
    query = urlencode({"q": record.name, "type": record._meta.label_lower})
    return f"{reverse('recyclebin:bin')}?{query}"


def contact_duplicates(
    *,
    account: Account,
    phone: str = "",
    email: str = "",
    name: str = "",
    external_id: str | None = None,
    exclude_pk: int | None = None,
) -> list[tuple[Contact, str]]:
    """Live contacts of `account` with the same name, phone number or email address,
    each with what matched ("name", "phone" or "email"). Numbers compare by their digits
    without +86, so "+86 138-0013-8000" is "13800138000"; addresses compare without case;
    names without case and spaces ("张 伟" is "张伟"), and only when one of the two has no
    external ID (two people another system keys apart are told apart by a file too)."""
    if not person_name_key(name) and not normalize_phone(phone) and not normalize_email(email):
        return []
    rows = Contact.objects.filter(account=account).only(
        "pk", "account_id", "name", "phone", "email", "external_id"
    )
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return contacts_alike(
        rows.order_by("name", "pk"), phone=phone, email=email, name=name, external_id=external_id
    )


def contact_duplicates_of(contact: Contact) -> list[tuple[Contact, str]]:
    """`contact_duplicates` of a contact, by its own account, phone, email, name and
    external ID, itself left out."""
    return contact_duplicates(
        account=contact.account,
        phone=contact.phone,
        email=contact.email,
        name=contact.name,
        external_id=contact.external_id,
        exclude_pk=contact.pk,
    )


# What matched, for a likely duplicate in the recycle bin: one the user may restore
# (IN_RECYCLE_BIN), or one only whoever deleted it or a manager may (IN_RECYCLE_BIN_ASK).
IN_RECYCLE_BIN = "recycle_bin"
IN_RECYCLE_BIN_ASK = "recycle_bin_ask"


def binned_contacts(account_ids, *, user: User) -> QuerySet[Contact]:
    """The contacts of `account_ids` in the recycle bin, each with `restorable`: whether
    `user` may restore it (the bin's rule, `recyclebin.selectors.deletions_visible_to`:
    who deleted it, a manager). A merged-away contact is none (its survivor holds it).
    Call it only for accounts the user sees: they saw these contacts before they went."""
    from keyaccounts.recyclebin.selectors import deletions_visible_to

    return (
        Contact.all_objects.filter(
            account_id__in=account_ids,
            deleted_at__isnull=False,
            merged_into__isnull=True,
            deletion__restored_at__isnull=True,
            deletion__purged_at__isnull=True,
        )
        .annotate(restorable=Exists(deletions_visible_to(user).filter(pk=OuterRef("deletion_id"))))
        .only("pk", "account_id", "name", "phone", "email", "external_id")
    )


def bin_match(contact: Contact) -> str:
    """What a contact of `binned_contacts` is as a likely duplicate: one to restore, or
    one to ask whoever may to restore."""
    return IN_RECYCLE_BIN if contact.restorable else IN_RECYCLE_BIN_ASK


def contacts_in_bin_alike(contact: Contact, *, user: User) -> list[tuple[Contact, str]]:
    """Contacts of `contact`'s account in the recycle bin with its name, phone number or
    email address (`contacts_alike`), each with `bin_match`: a new contact like one of
    them is most likely the deleted one added again, which a restore brings back with
    the visits, deals and reviews that name them and their history. Whoever may not
    restore it (a rep on the team, when a manager deleted it) is told too, to ask: they
    see the account, and saw the contact before it went."""
    if not (
        person_name_key(contact.name)
        or normalize_phone(contact.phone)
        or normalize_email(contact.email)
    ):
        return []
    rows = binned_contacts([contact.account_id], user=user)
    if contact.pk is not None:
        rows = rows.exclude(pk=contact.pk)
    return [
        (other, bin_match(other))
        for other, _match in contacts_alike(
            rows.order_by("name", "pk"),
            phone=contact.phone,
            email=contact.email,
            name=contact.name,
            external_id=contact.external_id,
        )
    ]


def contacts_alike(
    contacts, *, phone: str = "", email: str = "", name: str = "", external_id: str | None = None
) -> list[tuple[Contact, str]]:
    """Those of `contacts` (in the order given) with the name, phone number or email
    address of `name` / `phone` / `email`, each with what matched: what makes two
    contacts of one account likely the same person, or two people a file naming one
    could not tell apart (`contact_duplicates` asks the database; an import passes the
    contacts it holds, without `name`: its rows find their contacts by name)."""
    phone, email, name = normalize_phone(phone), normalize_email(email), person_name_key(name)
    matches = []
    for contact in contacts:
        if phone and normalize_phone(contact.phone) == phone:
            matches.append((contact, "phone"))
        elif email and normalize_email(contact.email) == email:
            matches.append((contact, "email"))
        elif (
            name
            and person_name_key(contact.name) == name
            and not (external_id and contact.external_id)
        ):
            matches.append((contact, "name"))
    return matches


def likely_duplicates_of(record, *, user: User) -> tuple[list, int]:
    """The live records `record` (an account or a contact) is likely a duplicate of, by
    the rule a new one is checked against (`account_duplicates`, `contact_duplicates`):
    those `user` may see, in name order, and how many others there are (never named).
    Asked after a restore, which brings back a record without the new one's check."""
    if isinstance(record, Account):
        others = list(
            account_duplicates(
                name=record.name, credit_code=record.credit_code, exclude_pk=record.pk
            ).only("pk", "name", "credit_code")
        )
        visible = set(
            accounts_visible_to(user)
            .filter(pk__in=[o.pk for o in others])
            .values_list("pk", flat=True)
        )
    else:
        others = [contact for contact, _match in contact_duplicates_of(record)]
        # Of one account, which the reader sees (the restore was theirs).
        visible = {o.pk for o in others}
    shown = [o for o in others if o.pk in visible]
    return shown, len(others) - len(shown)


def merged_survivor(visible: QuerySet, pk):
    """The record a merged-away id now lives on, if it is among `visible` (a queryset of
    accounts or contacts from the selectors above); None otherwise. Merges keep one hop:
    merging a survivor away points everything merged into it at the new survivor."""
    survivor = (
        visible.model.all_objects.filter(pk=pk, merged_into__isnull=False)
        .values_list("merged_into", flat=True)
        .first()
    )
    return visible.filter(pk=survivor).first() if survivor is not None else None


def accounts_to_merge(*, user, account: Account, query: str = "") -> QuerySet[Account]:
    """The other accounts `user` sees that could be merged into `account`: its likely
    duplicates, or, with `query`, those whose name or credit code matches it."""
    visible = accounts_visible_to(user).exclude(pk=account.pk).select_related("owner")
    query = query.strip()
    if not query:
        duplicates = account_duplicates(name=account.name, credit_code=account.credit_code)
        return visible.filter(pk__in=duplicates.values("pk")).order_by("name", "pk")
    match = Q(name__icontains=query)
    if key := normalize_name(query):
        match |= Q(name_key__contains=key)
    if code := normalize_credit_code(query):
        match |= Q(credit_code=code)
    return visible.filter(match).order_by("name", "pk")


def account_suggestions(accounts: QuerySet[Account], query: str) -> QuerySet[Account]:
    """The accounts among `accounts` (a visibility selector's queryset) whose name holds
    `query`, those whose name starts with it first: what an account picker suggests as
    the user types. Slice it: a picker offers a handful, never the whole list. A text of
    one or two characters is found through the names' characters (`accounts.search`)."""
    query = query.strip()
    if not query:
        return accounts.none()
    starts = Case(When(name__istartswith=query, then=Value(0)), default=Value(1))
    return (
        accounts.filter(name_holds("name", query, using=accounts.db))
        .annotate(starts_with=starts)
        .order_by("starts_with", "name", "pk")
        .only("pk", "name")
    )

"""The people-move reminder (人事变动): a key person left and the role is unfilled.

One notification per leaving and recipient — the account's active owner and the owner's
active sales-team manager (when not the owner) — kind KEY_PERSON_LEFT, object
"contact:<pk>", due on the day they left (`Contact.left_on`): a scan run twice adds
nothing, and a contact who comes back and leaves again is a new leaving. The rule of
who counts is `accounts.people_move.left_key_people`, the one the account page, the
list's flag and the buying center use. Registered from `VisitsConfig.ready()`.
"""

from django.db.models import Case, CharField, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import BuyingRole
from accounts.people_move import left_key_people, left_key_people_kept
from keyaccounts.text import join_words

from .models import Notification, NotificationKind

KIND = NotificationKind.KEY_PERSON_LEFT


def key_person_left_scan(*, now, today, account_ids) -> int:
    """One read (a page of READ_CHUNK) of the left key people whose owner or manager has
    no reminder of this leaving yet, and one insert of both reminders (a conflict with
    an existing one is skipped): one query when there is nothing new."""
    from .reminders import READ_CHUNK, insert_new

    contacts = left_key_people().filter(account__owner__is_active=True)
    if account_ids is not None:
        contacts = contacts.filter(account_id__in=list(account_ids))
    manager = "account__owner__sales_team__manager"
    contacts = contacts.annotate(
        key=Concat(Value("contact:"), Cast("pk", CharField()), output_field=CharField()),
        manager_pk=Case(
            When(
                Q(**{f"{manager}__is_active": True}) & ~Q(**{manager: F("account__owner")}),
                then=F(manager),
            ),
            default=None,
        ),
    )

    def told(recipient):
        return Exists(
            Notification.objects.filter(
                kind=KIND,
                object_key=OuterRef("key"),
                due_date=OuterRef("left_on"),
                recipient=OuterRef(recipient),
            )
        )

    rows = contacts.filter(
        ~told("account__owner") | (Q(manager_pk__isnull=False) & ~told("manager_pk"))
    ).values_list("pk", "account_id", "account__owner_id", "manager_pk", "left_on")

    def make(pk, account_id, owner_pk, manager_pk, left_on):
        return [
            Notification(
                kind=KIND,
                object_key=f"contact:{pk}",
                due_date=left_on,
                recipient_id=recipient,
                account_id=account_id,
            )
            for recipient in (owner_pk, manager_pk)
            if recipient is not None
        ]

    created, after = 0, None
    while True:  # keyset pages by the contact's id, as `reminders.insert_pages` reads
        page = rows.order_by("pk")
        if after is not None:
            page = page.filter(pk__gt=after)
        batch = list(page[:READ_CHUNK])
        created += insert_new([n for row in batch for n in make(*row)])
        if len(batch) < READ_CHUNK:
            return created
        after = batch[-1][0]


def _contact_pk(notification) -> int | None:
    key = notification.object_key.removeprefix("contact:")
    return int(key) if key.isdigit() else None


ROLE_WORDS = {
    BuyingRole.DECIDER: lambda: _("decider"),
    BuyingRole.EVALUATOR: lambda: _("evaluator"),
    "coach": lambda: _("coach"),
}


# Where `key_person_left_prepare` leaves a notification's contact (None: none found).
LEFT_CONTACT = "_key_person_left"


def _left_contacts(pks) -> dict:
    """{contact id: the contact's name, roles and which of them are unfilled now} for
    those of `pks` who left a role nobody holds now: one query however many (the
    annotated query kept once per process, `left_key_people_kept`)."""
    return {
        row["pk"]: row
        for row in left_key_people_kept(binned=True)
        .filter(pk__in=list(pks))
        .values(
            "pk",
            "name",
            "buying_role",
            "is_coach",
            "decider_filled",
            "evaluator_filled",
            "coach_filled",
        )
    }


def key_person_left_prepare(notifications) -> None:
    """The contacts of a list's key-person reminders, read at once (one query)."""
    found = _left_contacts({_contact_pk(n) or 0 for n in notifications})
    for notification in notifications:
        setattr(notification, LEFT_CONTACT, found.get(_contact_pk(notification)))


def key_person_left_text(notification) -> str:
    """ "<name> (<role>) has left <account>: the <role> role is unfilled." Read with the
    list's others (`key_person_left_prepare`), else one query."""
    if hasattr(notification, LEFT_CONTACT):
        contact = getattr(notification, LEFT_CONTACT)
    else:
        pk = _contact_pk(notification) or 0
        contact = _left_contacts([pk]).get(pk)
    account = notification.account.name
    if contact is None:  # the role was filled since, or the contact is gone
        return _("A key person has left %(account)s (the role has been filled since).") % {
            "account": account
        }
    held = []
    if contact["buying_role"] in (BuyingRole.DECIDER, BuyingRole.EVALUATOR):
        held.append((contact["buying_role"], contact[f"{contact['buying_role']}_filled"]))
    if contact["is_coach"]:
        held.append(("coach", contact["coach_filled"]))
    role = join_words(str(ROLE_WORDS[r]()) for r, _filled in held)
    unfilled = join_words(str(ROLE_WORDS[r]()) for r, filled in held if not filled)
    return _("%(name)s (%(role)s) has left %(account)s: the %(unfilled)s role is unfilled.") % {
        "name": contact["name"],
        "role": role,
        "account": account,
        "unfilled": unfilled,
    }


def key_person_left_path(notification) -> str:
    return reverse("accounts:detail", args=[notification.account_id]) + "#buying-center"


def nudge(sender, account_ids, **kwargs) -> None:
    """A contact left: scan the reminders of its account once the save commits."""
    from keyaccounts.tasks import enqueue_on_commit

    from .tasks import reminders_for_account

    for account_id in sorted(account_ids):
        enqueue_on_commit(reminders_for_account, account_id)


def register() -> None:
    from accounts.people_move import contacts_left

    from .reminders import register_kind, register_scan

    register_scan(key_person_left_scan)
    register_kind(
        KIND,
        text=key_person_left_text,
        path=key_person_left_path,
        prepare=key_person_left_prepare,
    )
    contacts_left.connect(nudge, dispatch_uid="people-move-nudge")

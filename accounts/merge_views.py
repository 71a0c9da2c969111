"""Pages where a manager merges two accounts, or two contacts of one account.

Pick the other record, choose field by field which values the survivor keeps, confirm
(POST). Records outside the visibility rule answer 404; a user who sees them but may
not merge is told so on the record's page. The merge itself is
`services.account_merge` / `services.contact_merge`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError

from . import services
from .forms import MergeForm
from .models import Account, Contact
from .selectors import accounts_to_merge, contacts_visible_to, likely_duplicates_of
from .views import _visible_account, add_errors

# How many accounts the search lists; a longer list means a more precise query.
MERGE_CANDIDATES_SHOWN = 20


def restored_twins(record, user) -> tuple[list[dict], int]:
    """After `record` (an account or a contact) came back from the recycle bin: the live
    ones it is likely a duplicate of, each with its page and, for a manager, the merge
    page that keeps the live one and takes in the restored one (keyaccounts/recyclebin/
    restores.py)."""
    shown, hidden = likely_duplicates_of(record, user=user)
    may_merge = services.can_merge(user)
    twins = []
    for other in shown:
        if isinstance(record, Account):
            merge = reverse("accounts:merge_confirm", args=[other.pk, record.pk])
        else:
            merge = reverse(
                "accounts:contact_merge_confirm", args=[record.account_id, other.pk, record.pk]
            )
        twins.append(
            {
                "id": other.pk,
                "name": str(other),
                "url": other.get_absolute_url(),
                "merge_url": merge if may_merge else None,
            }
        )
    return twins, hidden


def _refuse_unless_allowed(request, record):
    """None if the user may merge; else the record's page with the reason."""
    if services.can_merge(request.user):
        return None
    messages.error(request, _("Only a manager can merge records: ask yours."))
    return redirect(record)


def _refuse_itself(request, survivor, merged, pick_url: str):
    """None for two records; for one record twice, the page to pick the other with the
    service's reason (no form that could only be refused)."""
    if survivor.pk != merged.pk:
        return None
    messages.error(request, _("A record cannot be merged with itself: choose another one."))
    return redirect(pick_url)


def _visible_contact(request, account, pk) -> Contact:
    contact = contacts_visible_to(request.user).filter(account=account, pk=pk).first()
    if contact is None:
        raise Http404
    return contact


def account_merge_pick_view(request, pk):
    account = _visible_account(request, pk)
    if refused := _refuse_unless_allowed(request, account):
        return refused
    # PostgreSQL refuses NUL in text: a search for one is a search for nothing.
    query = request.GET.get("q", "")[:200].replace("\x00", "")
    candidates = list(
        accounts_to_merge(user=request.user, account=account, query=query)[
            : MERGE_CANDIDATES_SHOWN + 1
        ]
    )
    return render(
        request,
        "accounts/merge_pick.html",
        {
            "account": account,
            "query": query,
            "candidates": candidates[:MERGE_CANDIDATES_SHOWN],
            "more": len(candidates) > MERGE_CANDIDATES_SHOWN,
        },
    )


def _merge_page(request, *, account, survivor, merged, merge, moving, swap_url):
    """The side-by-side choice of values, and the merge on a valid POST (`merge` is the
    type's merge service)."""
    # Two records of one name (the usual duplicate) are told apart by their numbers.
    survivor_label, merged_label = survivor.name, merged.name
    if survivor_label.strip().casefold() == merged_label.strip().casefold():
        survivor_label = f"{survivor.name.strip()} (#{survivor.pk})"
        merged_label = f"{merged.name.strip()} (#{merged.pk})"
    # Bound on every POST: two records alike in every field send no choice at all.
    data = request.POST if request.method == "POST" else None
    form = MergeForm(data, survivor=survivor, merged=merged, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            merge(survivor=survivor, merged=merged, by=request.user, values=form.values())
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(merged)s was merged into %(survivor)s; its old address leads here now.")
                % {"merged": merged_label, "survivor": survivor_label},
            )
            return redirect(survivor)
    return render(
        request,
        "accounts/merge_form.html",
        {
            "account": account,
            "survivor": survivor,
            "merged": merged,
            "survivor_label": survivor_label,
            "merged_label": merged_label,
            "form": form,
            "moving": moving,
            "swap_url": swap_url,
            "cancel_url": survivor.get_absolute_url(),
        },
    )


def account_merge_view(request, pk, other_pk):
    survivor = _visible_account(request, pk)
    merged = _visible_account(request, other_pk)
    if refused := _refuse_unless_allowed(request, survivor):
        return refused
    if refused := _refuse_itself(
        request, survivor, merged, reverse("accounts:merge", args=[survivor.pk])
    ):
        return refused
    return _merge_page(
        request,
        account=survivor,
        survivor=survivor,
        merged=merged,
        merge=services.account_merge,
        moving=[
            (_("Contacts"), merged.contacts.count()),
            (_("Visits"), merged.visits.count()),
            (_("Deals"), merged.opportunities.count()),
            (_("Development records"), merged.development_records.count()),
        ],
        swap_url=reverse("accounts:merge_confirm", args=[merged.pk, survivor.pk]),
    )


def contact_merge_pick_view(request, account_pk, pk):
    account = _visible_account(request, account_pk)
    contact = _visible_contact(request, account, pk)
    if refused := _refuse_unless_allowed(request, contact):
        return refused
    return render(
        request,
        "accounts/contact_merge_pick.html",
        {
            "account": account,
            "contact": contact,
            "candidates": account.contacts.exclude(pk=contact.pk).order_by("name", "pk"),
        },
    )


def contact_merge_view(request, account_pk, pk, other_pk):
    account = _visible_account(request, account_pk)
    survivor = _visible_contact(request, account, pk)
    merged = _visible_contact(request, account, other_pk)
    if refused := _refuse_unless_allowed(request, survivor):
        return refused
    pick = reverse("accounts:contact_merge", args=[account.pk, survivor.pk])
    if refused := _refuse_itself(request, survivor, merged, pick):
        return refused
    return _merge_page(
        request,
        account=account,
        survivor=survivor,
        merged=merged,
        merge=services.contact_merge,
        moving=[
            (_("Visits"), merged.visits.count()),
            (_("Deals"), merged.opportunity_roles.count()),
            (_("Reports"), merged.reports.count()),
        ],
        swap_url=reverse(
            "accounts:contact_merge_confirm", args=[account.pk, merged.pk, survivor.pk]
        ),
    )

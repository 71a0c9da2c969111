"""History pages (变更记录): one per record type, the same timeline page for each
(`history_page`); the account's and the contact's here, each other type's in its app's
views (a visit's, a deal's, a complaint's…).

Each finds its record through the type's visibility selector, the recycle bin included
(`deleted=True`): a record in the bin keeps a readable history for whoever may see it,
and anything outside the rule answers 404.
"""

from django.shortcuts import get_object_or_404, render

from accounts.selectors import accounts_visible_to, contacts_visible_to
from keyaccounts.paging import list_page

from .timeline import record_timeline

PAGE_SIZE = 50


def history_page(request, record):
    """The timeline of `record` (already checked visible), 50 entries a page. The
    timeline is read whole (each entry compares a row with the one before it), so its
    cost follows the record's history; the pages share the lists' links and cursors."""
    entries = record_timeline(record, user=request.user)
    page = list_page(request, entries, key=lambda entry: entry.sort_key, size=PAGE_SIZE)
    account = getattr(record, "account", None)
    return render(
        request,
        "history/timeline.html",
        {
            "record": record,
            "account": account,
            "crumb": _crumb(record, account),
            "kind": record._meta.verbose_name,
            # A record in the recycle bin has no page of its own to go back to.
            "record_url": None if record.is_deleted else record.get_absolute_url(),
            # A merged one's page leads to the record it was merged into (when visible).
            "merged_url": (
                record.get_absolute_url() if getattr(record, "merged_into_id", None) else None
            ),
            "page": page,
        },
    )


def _crumb(record, account) -> str:
    """The record in the breadcrumb after its account: a visit's or a record's name
    begins with its account's ("Acme · 2026-05-01"), said once ("2026-05-01")."""
    label = str(record)
    if account is not None and not account.is_deleted:
        head = f"{account} · "
        if label.startswith(head) and len(label) > len(head):
            return label[len(head) :]
    return label


def account_history_view(request, pk):
    account = get_object_or_404(accounts_visible_to(request.user, deleted=True), pk=pk)
    return history_page(request, account)


def contact_history_view(request, account_pk, pk):
    contact = get_object_or_404(
        contacts_visible_to(request.user, deleted=True).select_related("account"),
        account_id=account_pk,
        pk=pk,
    )
    return history_page(request, contact)

"""Complaints as a spreadsheet (keyaccounts.exports.registry): the list page's rows."""

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from keyaccounts.exports import registry
from keyaccounts.exports.columns import ACCOUNT_NAME, Column, RecordColumns
from keyaccounts.exports.listing import Listing

from .filters import ComplaintFilter
from .models import Complaint
from .selectors import COMPLAINT_ORDER, complaints_visible_to

COMPLAINTS = RecordColumns(
    Complaint,
    (
        # The complaint list: subject, account, severity, status, deadlines, assignee,
        # received; then the rest of the loop.
        Column("subject"),
        Column("account"),
        ACCOUNT_NAME,
        Column("severity"),
        Column("status"),
        Column("respond_by", importable=False),
        Column("resolve_by", importable=False),
        Column("assignee"),
        Column("received_at"),
        Column("channel"),
        Column("contact"),
        Column("description"),
        Column("response"),
        Column("responded_at", importable=False),
        Column("resolution"),
        Column("resolved_at", importable=False),
        Column("resolution_working_days", importable=False),
        Column("confirmation_note"),
        Column("confirmed_at", importable=False),
        Column("closed_at", importable=False),
        Column("reopened_count", importable=False),
        Column("follow_up"),
        Column("recorded_by", importable=False),
        Column("service_grade", importable=False),
        Column("external_id"),
    ),
)


def complaint_listing(request, data: QueryDict):

    queryset = complaints_visible_to(request.user)
    filterset = ComplaintFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs  # a value it cannot read is left out (the form says so)
    return Listing(rows.order_by(*COMPLAINT_ORDER), [filterset])


def register() -> None:
    registry.register(
        registry.ExportType("complaints", _("Complaints"), COMPLAINTS, complaint_listing),
        order=120,
    )

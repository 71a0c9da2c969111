"""The synced record types, told the same way, for the sync contract tests."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Account, Contact
from accounts.selectors import accounts_visible_to, contacts_visible_to
from accounts.tests.factories import AccountFactory, ContactFactory, TeamMemberFactory
from opportunities.models import Opportunity
from opportunities.selectors import opportunities_visible_to
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.plans.tests.api_records import plan_record_types
from scoring.receivables.tests.api_records import receivable_record_types
from visits.complaints.tests.api_records import complaint_record_types
from visits.models import DevelopmentRecord, Visit
from visits.selectors import development_records_visible_to, visits_visible_to
from visits.tests.factories import DevelopmentRecordFactory, VisitFactory


@dataclass(frozen=True)
class RecordType:
    name: str
    model: type
    make: Callable  # make(personas, **fields): a record alice (and bob) can see
    payload: Callable  # payload(personas): a body that creates one
    change: dict  # a PATCH body that changes one field
    field: str  # that field
    visible_to: Callable  # the selector: visible_to(user) -> QuerySet
    bulk: bool = True  # has POST bulk/ (account plans and their actions do not)

    @property
    def path(self) -> str:
        return f"/api/v1/{self.name}/"

    def url(self, record) -> str:
        return f"{self.path}{record.pk}/"

    def external_url(self, external_id: str) -> str:
        return f"{self.path}external/{external_id}/"

    def __str__(self):
        return self.name


def _account(personas, **fields) -> Account:
    account = AccountFactory(owner=personas.alice, **fields)
    TeamMemberFactory(account=account, user=personas.bob)
    return account


def _planned_at() -> str:
    return (timezone.now() + datetime.timedelta(days=3)).isoformat()


RECORD_TYPES = [
    RecordType(
        name="accounts",
        model=Account,
        make=_account,
        # Several tests create this account more than once (as alice and as bob, say):
        # on purpose, past the duplicate check (accounts/tests/test_duplicates.py).
        payload=lambda p: {
            "name": "Hangzhou Steel",
            "industry": "manufacturing",
            "confirm_duplicate": True,
        },
        # Not the name: several accounts renamed alike would be likely duplicates.
        change={"region": "浙江"},
        field="region",
        visible_to=accounts_visible_to,
    ),
    RecordType(
        name="contacts",
        model=Contact,
        make=lambda p, **kw: ContactFactory(account=p.account, **kw),
        payload=lambda p: {"account": p.account.pk, "name": "Wang Wei", "buying_role": "decider"},
        change={"title": "CIO"},
        field="title",
        visible_to=contacts_visible_to,
    ),
    RecordType(
        name="visits",
        model=Visit,
        make=lambda p, **kw: VisitFactory(account=p.account, **kw),
        payload=lambda p: {
            "account": p.account.pk,
            "status": "planned",
            "planned_at": _planned_at(),
            "purpose": "Present the solution",
        },
        change={"purpose": "Agree on the pilot"},
        field="purpose",
        visible_to=visits_visible_to,
    ),
    RecordType(
        name="opportunities",
        model=Opportunity,
        make=lambda p, **kw: OpportunityFactory(account=p.account, **kw),
        payload=lambda p: {
            "account": p.account.pk,
            "stage": default_stages()["qualify"].pk,
            "name": "ERP roll-out",
            "amount": "1200000.00",
            "expected_close_date": "2030-06-30",
        },
        change={"name": "ERP roll-out, phase 2"},
        field="name",
        visible_to=opportunities_visible_to,
    ),
    RecordType(
        name="development-records",
        model=DevelopmentRecord,
        make=lambda p, **kw: DevelopmentRecordFactory(account=p.account, **kw),
        payload=lambda p: {
            "account": p.account.pk,
            "started_on": (timezone.localdate() - datetime.timedelta(days=30)).isoformat(),
            "summary": "Met the CIO; the budget is approved",
        },
        change={"remarks": "Pilot agreed for the second quarter"},
        field="remarks",
        visible_to=development_records_visible_to,
    ),
]
RECORD_TYPES += plan_record_types(RecordType)  # scoring.plans (issue 13)
RECORD_TYPES += complaint_record_types(RecordType)  # visits.complaints (issue 13)
RECORD_TYPES += receivable_record_types(RecordType)  # scoring.receivables (invoices)
BULK_TYPES = [kind for kind in RECORD_TYPES if kind.bulk]


def changes_all(client, record_type: RecordType, *, since: str | None = None, limit: int = 100):
    """Follow next_cursor until has_more is false; return (pages, last cursor)."""
    pages = []
    while True:
        query = {"limit": limit, **({"since": since} if since is not None else {})}
        response = client.get(f"{record_type.path}changes/", query)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        since = body["next_cursor"]
        if not body["has_more"]:
            return pages, since

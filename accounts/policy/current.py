"""`current_policy()`: the active version of the service policy, as an immutable object.

One cheap query a call: the active version's four rows (a join on the partial unique
index of the active version); the object built from them is kept per process, keyed by
the version's id, and the keep is emptied when a version is saved. Within one web
request the answer is kept after the first call (`request_started` empties it), so a
page pays that query at most once, and the next
request of any process sees a version activated elsewhere. Outside a request (a Celery
task, a command, a test calling a selector) every call asks. With no active version
(a test database flushed of the migration's row) the defaults below apply, as v0.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save

from .models import GRADES, UNGRADED, GradePolicy, ServicePolicy

# The initial service levels (working days: respond, resolve) and discount ceilings (%).
DEFAULT_SERVICE_LEVELS = {"A": (1, 5), "B": (2, 10), "C": (3, 15), "D": (5, 20)}
DEFAULT_DISCOUNT_CEILINGS = {"A": "15", "B": "10", "C": "5", "D": "0"}


@dataclass(frozen=True)
class PolicyRow:
    grade: str
    contact_rhythm_days: int
    respond_working_days: int
    resolve_working_days: int
    discount_ceiling_percent: Decimal | None


@dataclass(frozen=True)
class Policy:
    """One version of the policy. `grade` is "A".."D"; None or anything else is D."""

    version: int
    pk: int | None
    by_grade: tuple[tuple[str, PolicyRow], ...]

    def row(self, grade: str | None) -> PolicyRow:
        rows = dict(self.by_grade)
        return rows.get(grade or UNGRADED) or rows[UNGRADED]

    def rows(self) -> list[PolicyRow]:
        return [row for _grade, row in self.by_grade]

    def contact_rhythm_days(self, grade: str | None) -> int:
        return self.row(grade).contact_rhythm_days

    def service_levels(self, grade: str | None) -> tuple[int, int]:
        row = self.row(grade)
        return row.respond_working_days, row.resolve_working_days

    def discount_ceiling(self, grade: str | None) -> Decimal | None:
        return self.row(grade).discount_ceiling_percent


def default_rows() -> list[PolicyRow]:
    """The policy before anyone set one: the rhythm from settings (the environment)."""
    rhythms = settings.CONTACT_RHYTHM_DAYS
    return [
        PolicyRow(
            grade=grade,
            contact_rhythm_days=rhythms.get(grade, rhythms.get(UNGRADED, 90)),
            respond_working_days=DEFAULT_SERVICE_LEVELS[grade][0],
            resolve_working_days=DEFAULT_SERVICE_LEVELS[grade][1],
            discount_ceiling_percent=Decimal(DEFAULT_DISCOUNT_CEILINGS[grade]),
        )
        for grade in GRADES
    ]


def _policy(version: int, pk: int | None, rows) -> Policy:
    return Policy(version=version, pk=pk, by_grade=tuple((row.grade, row) for row in rows))


FIELDS = (
    "grade",
    "contact_rhythm_days",
    "respond_working_days",
    "resolve_working_days",
    "discount_ceiling_percent",
)

_kept: dict[tuple[int, int], Policy] = {}
_lock = threading.Lock()
_request = threading.local()


def current_policy() -> Policy:
    """The active policy (see the module's doc for what it costs: one query)."""
    memo = getattr(_request, "policy", None)
    if memo is not None:
        return memo
    rows = list(
        GradePolicy.objects.filter(policy__is_active=True)
        .order_by("grade")
        .values_list("policy_id", "policy__version", *FIELDS)
    )
    if not rows:
        policy = _policy(0, None, default_rows())
    else:
        key = (rows[0][0], rows[0][1])
        policy = _kept.get(key)
        if policy is None:
            found = {row[2]: PolicyRow(*row[2:]) for row in rows}
            defaults = {row.grade: row for row in default_rows()}
            policy = _policy(key[1], key[0], [found.get(g) or defaults[g] for g in GRADES])
            with _lock:
                if len(_kept) > 16:
                    _kept.clear()
                _kept[key] = policy
    if getattr(_request, "active", False):
        _request.policy = policy
    return policy


def forget_policy(**kwargs) -> None:
    """Empty what this process keeps (a version saved or deleted; a test's reset)."""
    with _lock:
        _kept.clear()
    _request.policy = None


def _request_begins(**kwargs) -> None:
    _request.active = True
    _request.policy = None


def _request_ends(**kwargs) -> None:
    _request.active = False
    _request.policy = None


request_started.connect(_request_begins, dispatch_uid="policy_request_begins")
request_finished.connect(_request_ends, dispatch_uid="policy_request_ends")
for _model in (ServicePolicy, GradePolicy):
    post_save.connect(forget_policy, sender=_model, dispatch_uid=f"forget_policy_{_model.__name__}")
    post_delete.connect(
        forget_policy, sender=_model, dispatch_uid=f"forget_policy_{_model.__name__}_del"
    )

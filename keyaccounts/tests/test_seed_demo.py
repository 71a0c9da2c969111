"""seed_demo, the project's command: how its rows are written. COPY on PostgreSQL and
INSERT (SQLite's way) write the same rows; every synced record gets its own change
number, in the order of its rows, as the changes feed needs; the schema is left as it
was. What the data holds: accounts/tests/test_seed_demo.py, scoring/tests/test_demo.py."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import ForeignKey, Max

from accounts.models import (
    Account,
    AccountAccess,
    AccountCompetitor,
    AccountTeamMember,
    Contact,
    SalesTeam,
    User,
)
from keyaccounts import bulk
from keyaccounts.models import ChangeCounter
from opportunities.models import (
    CriterionCheck,
    ExitCriterion,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityTeamMember,
    Stage,
    StageChange,
)
from scoring.models import AccountScore, Assessment, GradeChange, MonthlySales
from visits.models import DevelopmentRecord, Visit

pytestmark = pytest.mark.django_db

SMALL = {"accounts": 30, "contacts": 120, "visits": 90, "opportunities": 45, "reps": 4, "teams": 2}
SYNCED = [Account, Contact, Visit, DevelopmentRecord, Opportunity]
SEEDED = [
    User,
    SalesTeam,
    *SYNCED,
    AccountCompetitor,
    AccountTeamMember,
    AccountAccess,
    Visit.contacts.through,
    Visit.attendees.through,
    StageChange,
    CriterionCheck,
    OpportunityContact,
    OpportunityTeamMember,
    OpportunityCompetitor,
    Assessment,
    MonthlySales,
    AccountScore,
    GradeChange,
]
# What says which row is which in two runs: never an id.
NATURAL_KEYS = {
    User: "username",
    SalesTeam: "name",
    Account: "external_id",
    Contact: "external_id",
    Visit: "external_id",
    Opportunity: "external_id",
    Stage: "key",
}
# The moment of writing, and what counts it: different in every run.
OF_THE_RUN = {"id", "created_at", "updated_at", "change_seq", "computed_at", "last_login"}


def seed(**options) -> None:
    call_command("seed_demo", stdout=io.StringIO(), **{**SMALL, **options})


def snapshot() -> dict:
    """Every seeded table as a Counter of its rows, each value as a person would
    compare it: a foreign key by the natural key of the row it points at."""
    keys = {
        model: dict(model._base_manager.values_list("pk", field))
        for model, field in NATURAL_KEYS.items()
    }
    keys[ExitCriterion] = {
        criterion.pk: f"{criterion.stage.key}: {criterion.name}"
        for criterion in ExitCriterion.objects.select_related("stage")
    }
    tables = {}
    for model in SEEDED:
        fields = [f for f in model._meta.concrete_fields if f.attname not in OF_THE_RUN]
        if model is GradeChange:
            # The first rescore's moment, and the history back-dated from it.
            fields = [f for f in fields if f.name != "changed_at"]
        rows = Counter()
        for row in model._base_manager.values_list(*(f.attname for f in fields)):
            rows[
                tuple(
                    keys[f.related_model].get(value, value)
                    if isinstance(f, ForeignKey) and f.related_model in keys
                    else json.dumps(value, sort_keys=True)  # the contributions
                    if isinstance(value, list | dict)
                    else value
                    for f, value in zip(fields, row, strict=True)
                )
            ] += 1
        tables[model._meta.label] = rows
    return tables


def forget_the_demo() -> None:
    """Delete what the seed made below its users and teams, as if it never ran: every
    soft-deletable type children first (development records, plans, reviews and complaints
    protect what they point at), as the recycle bin's purge does."""
    from keyaccounts.recyclebin.services import _children_first, soft_deletable_models

    Account.all_objects.update(parent=None)  # group customers: a parent is protected
    for model in _children_first(soft_deletable_models()):
        model.all_objects.all().delete()


def test_copy_and_insert_write_the_same_rows(require_postgres, monkeypatch):
    seed()
    by_copy = snapshot()
    assert all(by_copy.values()), [label for label, rows in by_copy.items() if not rows]
    forget_the_demo()
    monkeypatch.setattr(bulk, "USE_COPY", False)  # every row by INSERT, as on SQLite

    seed()

    by_insert = snapshot()
    assert {label: sum(rows.values()) for label, rows in by_insert.items()} == {
        label: sum(rows.values()) for label, rows in by_copy.items()
    }
    for label in by_copy:
        assert by_insert[label] == by_copy[label], label


def test_every_record_gets_its_own_change_number_in_the_order_of_its_rows():
    seed(accounts=12, contacts=50, visits=40, opportunities=20)
    read_up_to = max(
        model.all_objects.aggregate(last=Max("change_seq"))["last"] for model in SYNCED
    )
    seed(accounts=20, contacts=80, visits=60, opportunities=30)  # accounts 13 to 20 and theirs

    counter = ChangeCounter.objects.get().value
    every = []
    for model in SYNCED:
        numbers = list(model.all_objects.order_by("pk").values_list("change_seq", flat=True))
        assert numbers, model
        # In the order the rows were written, so the feed lists them as they came.
        assert all(a < b for a, b in zip(numbers, numbers[1:], strict=False)), model
        every += numbers
    assert len(set(every)) == len(every)
    assert 0 < min(every) and max(every) <= counter
    # A client that had read every change of the first run finds all the second run's
    # records after its cursor.
    new = Account.all_objects.filter(change_seq__gt=read_up_to)
    assert sorted(new.values_list("external_id", flat=True)) == [
        f"demo-account-{i:04d}" for i in range(13, 21)
    ]
    for model in [Contact, Visit, Opportunity]:
        rows = model.all_objects.filter(account__in=new)
        assert rows.exists(), model
        assert not rows.filter(change_seq__lte=read_up_to).exists(), model
        assert (
            not model.all_objects.exclude(account__in=new)
            .filter(change_seq__gt=read_up_to)
            .exists()
        ), model


def test_the_seed_leaves_every_foreign_key_as_it_was(require_postgres):
    def foreign_keys():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid),"
                " condeferrable, condeferred, convalidated"
                " FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = foreign_keys()

    seed(accounts=5, contacts=20, visits=10, opportunities=5)

    assert foreign_keys() == before
    assert Visit.objects.count() == 10

"""Statements compiled once per process (keyaccounts/statements.py): the header's bell
count and Team link are compiled once per kind of user and answer each person with their
own rows, as the notification list and the manager rule count them."""

import datetime
import zoneinfo

import pytest
from django.db.models import Value

from accounts.models import User
from accounts.selectors import is_manager
from keyaccounts import statements
from visits.context_processors import _header
from visits.models import Notification
from visits.selectors import notifications_of
from visits.tests.factories import NotificationFactory, VisitFactory

pytestmark = pytest.mark.django_db


def unread(user) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()


def test_the_header_is_compiled_once_and_answers_each_person_their_own(personas):
    statements._compiled.clear()
    visits = [VisitFactory(account=personas.account, owner=personas.alice) for _ in range(3)]
    for visit in visits:
        NotificationFactory(visit=visit)  # to alice, who logged them
    visit = visits[0]
    NotificationFactory(visit=visit, recipient=personas.manager)
    NotificationFactory(visit=VisitFactory(account=personas.charlies_account))  # charlie's
    people = [personas.alice, personas.bob, personas.charlie, personas.manager, personas.admin]
    headers = {user.username: _header(user) for user in people}
    # One statement for the people of sales teams, one for the superuser.
    assert sorted(key[1] for key in statements._compiled) == [(False,), (True,)]
    for user in people:
        assert headers[user.username] == {
            "unread_notifications": unread(user),
            "unread_more": False,
            "is_manager": user.is_superuser or is_manager(user),
        }, user.username
    assert [headers[name]["unread_notifications"] for name in ("alice", "bob", "charlie")] == [
        3,
        0,
        1,
    ]
    assert headers["manager"]["is_manager"] and not headers["alice"]["is_manager"]
    # Read since: the same statement counts what is unread now.
    Notification.objects.filter(recipient=personas.alice).update(read_at=visit.created_at)
    assert _header(personas.alice)["unread_notifications"] == 0
    assert len(statements._compiled) == 2


def test_an_inactive_person_is_answered_by_the_orm_and_nothing_is_kept(personas):
    statements._compiled.clear()
    gone = User.objects.get(pk=personas.bob.pk)
    gone.is_active = False
    assert _header(gone) == {"unread_notifications": 0, "unread_more": False, "is_manager": False}
    assert not statements._compiled


def test_a_query_that_does_not_depend_on_the_id_is_refused():
    with pytest.raises(ValueError, match="does not depend"):
        statements.fetch_one(
            "constant",
            lambda pk: User.objects.annotate(one=Value(1)).values_list("one")[:1],
            ident=1,
            using="default",
        )


def test_built_once_builds_each_key_once_and_forgets_when_a_setting_changes(settings):
    statements._built.clear()
    built = []

    def build(day):
        built.append(day)
        return f"built for {day}"

    assert statements.built_once(("test", 1), lambda: build(1)) == "built for 1"
    assert statements.built_once(("test", 1), lambda: build(1)) == "built for 1"
    assert statements.built_once(("test", 2), lambda: build(2)) == "built for 2"
    assert built == [1, 2]
    settings.CURRENCY_RATES_TO_CNY = {"CNY": "1"}  # any setting: built again
    statements.built_once(("test", 1), lambda: build(1))
    assert built == [1, 2, 1]
    # At most BUILT_LIMIT kept, the oldest dropped first.
    for day in range(statements.BUILT_LIMIT + 1):
        statements.built_once(("many", day), lambda day=day: day)
    assert len(statements._built) == statements.BUILT_LIMIT
    assert ("test", 1) not in statements._built and ("many", 0) not in statements._built
    assert statements.built_once(("many", 1), lambda: "again") == 1  # kept


# --- prepared: any queryset a page reads on every view, compiled once ---------------------


def _compiles(monkeypatch) -> list:
    """The statements Django compiles from here on (each outermost as_sql)."""
    from django.db.models.sql.compiler import SQLCompiler

    compiled, depth, original = [], [0], SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        depth[0] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                compiled.append(self.query.model)

    monkeypatch.setattr(SQLCompiler, "as_sql", as_sql)
    return compiled


def test_a_prepared_read_is_compiled_once_and_answers_each_value_its_own_rows(
    personas, monkeypatch, django_assert_num_queries
):
    """Model instances with their selected relations, as the ORM reads them, for each
    account; the second account's read compiles nothing and runs one statement."""
    from accounts.models import Contact
    from accounts.tests.factories import ContactFactory

    statements._prepared.clear()
    statements._built.clear()
    for account in (personas.account, personas.charlies_account):
        boss = ContactFactory(account=account, name="Boss")
        ContactFactory(account=account, name="Aide", reports_to=boss)

    def build(pk):
        return Contact.objects.filter(account_id=pk).select_related("reports_to").order_by("name")

    first = statements.prepared("test.contacts", build, values={"pk": personas.account.pk})
    assert first == list(build(personas.account.pk))
    compiled = _compiles(monkeypatch)
    with django_assert_num_queries(1):
        second = statements.prepared(
            "test.contacts", build, values={"pk": personas.charlies_account.pk}
        )
        assert [(c.name, c.reports_to and c.reports_to.name) for c in second] == [
            ("Aide", "Boss"),
            ("Boss", None),
        ]
    assert {c.account_id for c in second} == {personas.charlies_account.pk}
    assert second == list(build(personas.charlies_account.pk))
    # Only the checks of the test suite (VERIFY) compiled: one for each read above.
    assert compiled == [Contact, Contact]


def test_a_prepared_read_takes_dates_as_values_on_any_database(personas):
    """A date reaches the SQL as a parameter (text on SQLite): the kept statement answers
    each day's rows."""
    import datetime

    from visits.models import Visit

    statements._prepared.clear()
    statements._built.clear()
    day = datetime.date(2026, 3, 10)
    for offset in (-1, 0, 1):
        VisitFactory(account=personas.account, follow_up_due=day + datetime.timedelta(days=offset))

    def build(pk, day):
        rows = Visit.objects.filter(account_id=pk, follow_up_due__lt=day)
        return rows.order_by("follow_up_due").values_list("follow_up_due", flat=True)

    for asked, expected in [(day, 1), (day + datetime.timedelta(days=2), 3)]:
        found = statements.prepared(
            "test.due", build, values={"pk": personas.account.pk, "day": asked}
        )
        assert len(found) == expected and all(due < asked for due in found)


def test_a_prepared_read_takes_moments_as_values_on_any_database(personas, settings):
    """An aware moment reaches the SQL as a parameter (on SQLite as text, in UTC): the
    kept statement answers each moment's rows, a moment given in another time zone too,
    to the microsecond."""
    from visits.models import Visit

    statements._prepared.clear()
    statements._built.clear()
    at = datetime.datetime(2026, 3, 10, 9, 30, 0, 500, tzinfo=datetime.UTC)
    for offset in (-1, 0, 1):
        VisitFactory(account=personas.account, planned_at=at + datetime.timedelta(hours=offset))

    def build(pk, at):
        rows = Visit.objects.filter(account_id=pk, planned_at__lt=at)
        return rows.order_by("planned_at").values_list("planned_at", flat=True)

    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    asked = [
        (at, 1),
        (at + datetime.timedelta(microseconds=1), 2),
        ((at + datetime.timedelta(hours=2)).astimezone(shanghai), 3),
    ]
    for moment, expected in asked:
        found = statements.prepared(
            "test.planned", build, values={"pk": personas.account.pk, "at": moment}
        )
        assert len(found) == expected and all(planned < moment for planned in found)
    assert len([key for key in statements._prepared if key[0] == "test.planned"]) == 1


def test_a_prepared_read_refuses_what_it_cannot_keep(personas):
    statements._prepared.clear()
    statements._built.clear()
    with pytest.raises(ValueError, match="not as a parameter"):
        statements.prepared(
            "test.constant",
            lambda pk: User.objects.annotate(one=Value(1)).values_list("one"),
            values={"pk": 1},
        )
    with pytest.raises(TypeError, match="ids, dates and aware moments"):
        statements.prepared(
            "test.text", lambda name: User.objects.filter(username=name), values={"name": "bob"}
        )
    naive = datetime.datetime(2026, 3, 10, 9, 30)
    with pytest.raises(TypeError, match="ids, dates and aware moments"):
        statements.prepared(
            "test.naive", lambda at: User.objects.filter(last_login__lt=at), values={"at": naive}
        )
    with pytest.raises(ValueError, match="not a relation"):
        statements.prepared(
            "test.relation",
            lambda pk: User.objects.get(pk=personas.alice.pk).owned_accounts.filter(pk=pk),
            values={"pk": personas.account.pk},
        )


def test_the_suite_catches_a_shape_left_out_of_the_variant(personas):
    """What shapes the statement beyond its values must be in `variant`: under the test
    suite (VERIFY) a kept statement that differs from the ORM's for the real values fails
    the request instead of answering another query's rows."""
    statements._prepared.clear()
    statements._built.clear()
    assert statements.VERIFY
    shape = {"superusers": False}

    def build(pk):
        people = User.objects.filter(pk__gte=pk)
        return people.filter(is_superuser=True) if shape["superusers"] else people

    statements.prepared("test.shape", build, values={"pk": 1})
    shape["superusers"] = True
    with pytest.raises(AssertionError, match="variant"):
        statements.prepared("test.shape", build, values={"pk": 1})
    found = statements.prepared("test.shape", build, values={"pk": 1}, variant=(True,))
    assert found == [personas.admin]


def test_a_value_derived_from_another_is_refused_outside_the_test_suite_too(personas, monkeypatch):
    """A day counted from one value can meet another value's marker (the first of them
    plus one day is the second's): the statement is compiled again from markers spaced
    otherwise before it is kept, and refused when the two differ elsewhere than at the
    markers, whatever VERIFY says."""
    import datetime

    from visits.models import Visit

    statements._prepared.clear()
    statements._built.clear()
    monkeypatch.setattr(statements, "VERIFY", False)

    def build(pk, start, end):
        rows = Visit.objects.filter(account_id=pk, follow_up_due__gte=start)
        return rows.filter(follow_up_due__lt=end, followed_up_on__lt=start + datetime.timedelta(1))

    day = datetime.date(2026, 3, 10)
    with pytest.raises(ValueError, match="otherwise than as parameters"):
        statements.prepared(
            "test.derived",
            build,
            values={"pk": personas.account.pk, "start": day, "end": day + datetime.timedelta(7)},
        )
    assert not statements._prepared


def test_the_kept_query_is_not_changed_by_compiling_it(personas):
    """What is compiled is a copy: the kept query, shared by every thread and database
    alias, gains none of the joins compiling adds (two first calls at once on threads
    would otherwise undo each other's and keep a statement missing a join)."""
    from accounts.models import Contact

    statements._prepared.clear()
    statements._built.clear()

    def build(pk):
        return Contact.objects.filter(account_id=pk).select_related("reports_to")

    statements.prepared("test.joins", build, values={"pk": personas.account.pk})
    (marked,) = [kept for key, kept in statements._built.items() if key[1] == "test.joins"]
    # As built, never compiled: the reports_to join select_related adds is not in it.
    assert list(marked.query.alias_map) == list(build(personas.account.pk).query.alias_map)
    (compiler, *_rest) = next(iter(statements._prepared.values()))
    assert compiler.connection is None  # no thread's connection kept with it


def test_a_persons_own_read_is_kept_once_per_kind_of_person(personas):
    """`prepared_for`: each person reads their own rows (the accounts they own among
    those they see) through one kept statement for the people of sales teams and one for
    a superuser; someone no longer active is read by the ORM and nothing is kept."""
    from accounts.models import Account
    from accounts.selectors import accounts_visible_to

    statements._prepared.clear()
    statements._built.clear()
    Account.objects.filter(pk=personas.charlies_account.pk).update(owner=personas.admin)

    def own_ids(person):
        rows = accounts_visible_to(person).filter(owner=person).order_by("pk")
        return rows.values_list("pk", flat=True)

    people = [personas.alice, personas.bob, personas.charlie, personas.manager, personas.admin]
    for person in people:
        found = statements.prepared_for("test.mine", person, own_ids)
        assert found == list(own_ids(person)), person.username
    # Each reads their own: alice her account, the superuser the one given to them.
    assert statements.prepared_for("test.mine", personas.alice, own_ids) == [personas.account.pk]
    assert statements.prepared_for("test.mine", personas.admin, own_ids) == [
        personas.charlies_account.pk
    ]
    kinds = sorted(key[1][0] for key in statements._prepared if key[0] == "test.mine")
    assert kinds == [False, True]
    gone = User.objects.get(pk=personas.alice.pk)
    gone.is_active = False
    statements._prepared.clear()
    assert statements.prepared_for("test.mine", gone, own_ids) == []
    assert not statements._prepared


def test_the_least_recently_used_statement_goes_first(personas, monkeypatch):
    """Past the limit the statement used longest ago goes (and its built query), not
    the one kept first: a statement every view runs stays while yesterday's go."""
    statements._prepared.clear()
    statements._built.clear()
    monkeypatch.setattr(statements, "PREPARED_LIMIT", 2)
    monkeypatch.setattr(statements, "BUILT_LIMIT", 2)

    def own(name):
        return statements.prepared(
            name,
            lambda pk: User.objects.filter(pk=pk).values_list("pk", flat=True),
            values={"pk": personas.alice.pk},
        )

    assert own("test.first") == own("test.second") == [personas.alice.pk]
    own("test.first")  # used again: "second" is now the least recently used
    own("test.third")
    assert [key[0] for key in statements._prepared] == ["test.first", "test.third"]
    assert [key[1] for key in statements._built] == ["test.first", "test.third"]


def test_the_suite_checks_a_persons_read_against_the_reader_not_the_stand_in(personas):
    """A read that uses more of the person than their id and kind (here their username)
    is kept from the stand-in, which has none: the suite's check builds it for the reader
    themselves and fails."""
    statements._prepared.clear()
    statements._built.clear()

    def by_name(person):
        return User.objects.filter(pk=person.pk, username=person.username).values_list("pk")

    with pytest.raises(AssertionError, match="differs"):
        statements.prepared_for("test.by_name", personas.alice, by_name)

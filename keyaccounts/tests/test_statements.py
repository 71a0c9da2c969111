"""Statements compiled once per process (keyaccounts/statements.py): the header's bell
count and Team link are compiled once per kind of user and answer each person with their
own rows, as the notification list and the manager rule count them."""

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

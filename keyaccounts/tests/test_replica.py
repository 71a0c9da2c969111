"""Read-only work on a real PostgreSQL streaming replica (keyaccounts/db_router.py).

Needs DATABASE_URL and DATABASE_REPLICA_URL naming a primary and its streaming standby:
`.ci/replica.sh` (`make replica`, and a step of .ci/run) makes such a pair and runs these
tests on it. Elsewhere they skip; under CI they fail. The test database pytest creates on
the primary streams to the standby under the same name, and the `replica` connection reads
it there (its TEST MIRROR setting gives it that name and keeps its own host and port).

To tell the two databases apart, replay on the standby is paused: a row written on the
primary after that is on the primary only, so a page that does not show it read the
replica, and one that shows it read the primary. Each alias's queries are captured too.
"""

import re
import time
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Contact
from accounts.services import account_update
from accounts.tests.factories import ContactFactory
from keyaccounts.db_router import REPLICA, replica_reads
from keyaccounts.pytest_plugin import need

# "__all__": the replica alias when it is configured, and no error when it is not (the
# `replica` fixture then skips, or fails under CI).
pytestmark = [
    pytest.mark.replica,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE)\b|\bFOR (NO KEY )?UPDATE\b", re.I)


def scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_for_replay(timeout: float = 30) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    lsn = scalar(DEFAULT_DB_ALIAS, "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not scalar(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]):
        if time.monotonic() > deadline:
            pytest.fail(f"the standby did not replay up to {lsn} within {timeout:.0f} s")
        time.sleep(0.05)


@contextmanager
def replay_paused():
    """The standby stops applying the primary's changes (it still answers queries)."""
    wait_for_replay()
    scalar(REPLICA, "SELECT pg_wal_replay_pause()::text")
    deadline = time.monotonic() + 30
    while scalar(REPLICA, "SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline, "the standby did not pause its replay"
        time.sleep(0.05)
    try:
        yield
    finally:
        scalar(REPLICA, "SELECT pg_wal_replay_resume()::text")


@pytest.fixture
def replica(settings):
    need(
        REPLICA in connections.settings and connection.vendor == "postgresql",
        "needs a PostgreSQL streaming replica: DATABASE_URL and DATABASE_REPLICA_URL naming "
        "a primary and its standby (.ci/replica.sh makes a pair and runs these tests)",
    )
    in_recovery = scalar(REPLICA, "SELECT pg_is_in_recovery()")
    name = scalar(REPLICA, "SELECT current_database()")
    assert in_recovery, "DATABASE_REPLICA_URL names a server that is not a standby"
    assert name == connection.settings_dict["NAME"], (name, connection.settings_dict["NAME"])
    settings.REPLICA_READS = True
    cache.clear()
    yield connections[REPLICA]
    # A failed test must not leave the standby paused for the next one.
    scalar(REPLICA, "SELECT pg_wal_replay_resume()::text")
    cache.clear()


@contextmanager
def queries_on_each():
    """{alias: CaptureQueriesContext} for the primary and the replica."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        yield {DEFAULT_DB_ALIAS: primary, REPLICA: replica}


def tables_read(captured) -> set[str]:
    return {
        table
        for query in captured.captured_queries
        for table in re.findall(r'FROM "(\w+)"', query["sql"])
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def accounts_in_all(response) -> str:
    assert response.status_code == 200
    return re.search(r"(\d+) accounts? in all", response.content.decode()).group(1)


# --- pages and lists read the replica; the user who just saved reads the primary -------


def test_the_dashboard_reads_the_replica_except_for_the_user_who_just_saved(
    replica, personas, api, settings
):
    settings.READ_YOUR_WRITES_SECONDS = 60  # the window must not end in the middle
    manager, alice = signed_in(personas.manager), signed_in(personas.alice)
    # The East team's accounts: alice's one. She is about to save a second.
    assert accounts_in_all(manager.get("/dashboard/")) == "1"

    with replay_paused():
        saved = api(personas.alice).post(
            "/api/v1/accounts/", {"name": "Saved while the standby waits", "industry": "energy"}
        )
        assert saved.status_code == 201, saved.content

        # The manager saved nothing: their dashboard reads the replica, which has not
        # got the new account yet.
        with queries_on_each() as queries:
            assert accounts_in_all(manager.get("/dashboard/")) == "1"
        assert "accounts_account" in tables_read(queries[REPLICA])
        assert "accounts_account" not in tables_read(queries[DEFAULT_DB_ALIAS])

        # Alice just saved: her dashboard reads the primary and counts her new account.
        with queries_on_each() as queries:
            assert accounts_in_all(alice.get("/dashboard/")) == "2"
        assert len(queries[REPLICA]) == 0
        assert "accounts_account" in tables_read(queries[DEFAULT_DB_ALIAS])

        # Once her window has passed, she reads the replica like everyone else.
        settings.READ_YOUR_WRITES_SECONDS = 0
        with queries_on_each() as queries:
            assert accounts_in_all(alice.get("/dashboard/")) == "1"
        assert "accounts_account" in tables_read(queries[REPLICA])

    wait_for_replay()
    with queries_on_each() as queries:
        assert accounts_in_all(manager.get("/dashboard/")) == "2"
    assert "accounts_account" in tables_read(queries[REPLICA])


def test_api_lists_and_the_changes_feed_read_the_replica_and_miss_nothing(
    replica, personas, api, settings
):
    settings.READ_YOUR_WRITES_SECONDS = 60
    account = personas.account
    bob, alice = api(personas.bob), api(personas.alice)
    first = bob.get("/api/v1/accounts/changes/").json()
    assert [row["name"] for row in first["results"]] == [account.name]

    with replay_paused():
        renamed = alice.patch(f"/api/v1/accounts/{account.pk}/", {"name": "Renamed by Alice"})
        assert renamed.status_code == 200, renamed.content

        # Bob (on the account team) did not write: his list and feed come from the
        # replica, a moment behind: the old name, and no change after his cursor yet.
        with queries_on_each() as queries:
            listed = bob.get("/api/v1/accounts/").json()["results"]
            behind = bob.get("/api/v1/accounts/changes/", {"since": first["next_cursor"]})
        assert [row["name"] for row in listed] == [account.name]
        assert behind.json()["results"] == []
        assert behind.json()["next_cursor"] == first["next_cursor"]
        assert "accounts_account" in tables_read(queries[REPLICA])
        assert "accounts_account" not in tables_read(queries[DEFAULT_DB_ALIAS])

        # Alice wrote: her list is read on the primary and shows her change.
        with queries_on_each() as queries:
            mine = alice.get("/api/v1/accounts/").json()["results"]
        assert [row["name"] for row in mine] == ["Renamed by Alice"]
        assert len(queries[REPLICA]) == 0

    # The standby catches up; Bob's next page, from the same cursor, brings the change.
    wait_for_replay()
    caught_up = bob.get("/api/v1/accounts/changes/", {"since": first["next_cursor"]}).json()
    assert [row["name"] for row in caught_up["results"]] == ["Renamed by Alice"]
    assert caught_up["next_cursor"] != first["next_cursor"]


# --- writes never go to the replica -----------------------------------------------------


def test_the_router_never_sends_a_write_to_the_replica(replica, personas):
    wait_for_replay()
    with CaptureQueriesContext(replica) as on_replica:
        with replica_reads() as alias:
            assert alias == REPLICA
            account = Account.objects.get(pk=personas.account.pk)
            assert account._state.db == REPLICA  # read on the replica ...
            account.name = "Saved from a replica read"
            account.save()  # ... saved on the primary
            account_update(
                account=Account.objects.get(pk=account.pk), by=personas.alice, industry="energy"
            )
            contact = ContactFactory(account=account, name="Added in a replica scope")
            Contact.objects.filter(pk=contact.pk).update(title="Buyer")
            Account.objects.filter(pk=account.pk).update(website="https://example.com")

    assert on_replica.captured_queries, "the reads went to the replica"
    assert [q["sql"] for q in on_replica.captured_queries if WRITES.search(q["sql"])] == []
    stored = Account.objects.using(DEFAULT_DB_ALIAS).get(pk=account.pk)
    assert (stored.name, stored.industry, stored.website) == (
        "Saved from a replica read",
        "energy",
        "https://example.com",
    )
    assert Contact.objects.using(DEFAULT_DB_ALIAS).get(pk=contact.pk).title == "Buyer"


def test_the_standby_refuses_a_write_so_a_misrouted_one_could_not_pass_silently(replica):
    from django.db import DatabaseError

    with pytest.raises(DatabaseError, match="read-only"):
        scalar(REPLICA, "CREATE TABLE keyaccounts_not_here (id int) ")

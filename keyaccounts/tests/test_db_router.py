"""The replica router's rules, without a replica (keyaccounts/db_router.py).

What a real streaming replica does with them — a page that reads it, a writer who does
not — is tested in test_replica.py. Here "a replica is configured" is pretended
(`replica_configured`), and what is checked is where the router would send each read
and write, which views open a replica scope, and when a user is marked as a writer.
"""

import pytest
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connection, router, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import Account
from accounts.tests.factories import AccountFactory
from keyaccounts import db_router
from keyaccounts.db_router import REPLICA, replica_reads, wrote_recently
from keyaccounts.unchanged import same_as_stored
from visits.models import Visit


@pytest.fixture
def with_replica(monkeypatch):
    """As if DATABASE_REPLICA_URL were set; the cache starts empty."""
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    yield
    cache.clear()


# --- where reads and writes go --------------------------------------------------------


def test_without_a_replica_a_replica_scope_reads_the_primary():
    with replica_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert router.db_for_read(Account) == DEFAULT_DB_ALIAS


def test_outside_a_scope_everything_reads_and_writes_the_primary(with_replica):
    assert router.db_for_read(Account) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Visit) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Account) == DEFAULT_DB_ALIAS


def test_inside_a_scope_data_reads_go_to_the_replica_writes_never(with_replica):
    with replica_reads() as alias:
        assert alias == REPLICA
        assert router.db_for_read(Account) == REPLICA
        assert router.db_for_read(Visit) == REPLICA
        assert router.db_for_write(Account) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Visit) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Account) == DEFAULT_DB_ALIAS


def test_sessions_and_api_tokens_are_read_on_the_primary_even_in_a_scope(with_replica):
    # A session or token made a moment ago may not have reached the replica yet.
    with replica_reads():
        assert router.db_for_read(Session) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Token) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_on_the_primary_reads_the_primary(with_replica):
    with replica_reads():
        assert router.db_for_read(Account) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Account) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Account) == REPLICA


def test_the_replica_is_never_migrated():
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "accounts", model_name="account")
    assert not router.allow_migrate(REPLICA, "accounts", model_name="account")


@pytest.mark.django_db
def test_a_record_read_from_the_replica_is_saved_and_deleted_on_the_primary(personas):
    # Django remembers where a row came from (`_state.db`); a save must ask the router,
    # which answers the primary, instead of writing back where the row was read. Here
    # there is no replica alias at all, so a write sent to it would raise.
    account = Account.objects.get(pk=AccountFactory(owner=personas.alice).pk)
    account._state.db = REPLICA
    assert same_as_stored(account) is True

    account.name = "Renamed on the primary"
    account.save()

    assert Account.objects.get(pk=account.pk).name == "Renamed on the primary"
    account._state.db = REPLICA
    account.delete()
    assert not Account.all_objects.filter(pk=account.pk).exists()


# --- read-your-writes ------------------------------------------------------------------


@pytest.mark.django_db
def test_after_a_successful_post_the_user_reads_the_primary_and_others_the_replica(
    with_replica, personas, login
):
    response = login(personas.alice).post(reverse("visits:notifications_read_all"))
    assert response.status_code == 302

    assert wrote_recently(personas.alice)
    assert not wrote_recently(personas.bob)
    with replica_reads(personas.alice) as alias:
        assert alias == DEFAULT_DB_ALIAS
    with replica_reads(personas.bob) as alias:
        assert alias == REPLICA


@pytest.mark.django_db
def test_the_mark_lasts_read_your_writes_seconds(
    with_replica, personas, login, settings, monkeypatch
):
    settings.READ_YOUR_WRITES_SECONDS = 5
    clock = [1_000_000.0]
    monkeypatch.setattr(db_router, "_now", lambda: clock[0])

    login(personas.alice).post(reverse("visits:notifications_read_all"))
    clock[0] += 4.9
    assert wrote_recently(personas.alice)
    clock[0] += 0.2
    assert not wrote_recently(personas.alice)


@pytest.mark.django_db
def test_an_api_write_marks_the_tokens_user(with_replica, personas, api):
    response = api(personas.bob).post("/api/v1/accounts/", {"name": "B", "industry": "energy"})
    assert response.status_code == 201, response.content

    assert wrote_recently(personas.bob)
    assert not wrote_recently(personas.alice)


@pytest.mark.django_db
def test_gets_refusals_and_anonymous_posts_mark_nobody(with_replica, personas, login, client):
    alice = login(personas.alice)
    alice.get(reverse("scoring:dashboard"))
    missing = alice.post(reverse("visits:notification_read", args=[999999]))
    assert missing.status_code == 404
    client.logout()
    failed_login = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert failed_login.status_code == 200

    assert not wrote_recently(personas.alice)


@pytest.mark.django_db
def test_without_a_replica_the_middleware_leaves_the_cache_alone(personas, login, monkeypatch):
    from django.core.cache import cache

    touched = []
    monkeypatch.setattr(cache, "set", lambda *args, **kwargs: touched.append(args))

    login(personas.alice).post(reverse("visits:notifications_read_all"))

    assert touched == []


@pytest.mark.django_db
def test_a_cache_that_does_not_answer_reads_as_just_saved(with_replica, personas, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)

    assert wrote_recently(personas.alice)
    with replica_reads(personas.alice) as alias:
        assert alias == DEFAULT_DB_ALIAS


# --- which views read the replica ------------------------------------------------------


def scopes_of_queries(client, method, url, data=None) -> set[str]:
    """The replica scope (`_reads_from`) each SQL query of one request ran in.

    The test's own transaction keeps the router on the primary (a rule tested above), so
    the queries run; the scope they ran in says whether the view opted in."""
    seen = set()

    def record(execute, sql, params, many, context):
        seen.add(db_router._reads_from.get())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = getattr(client, method)(url, data or {})
    assert response.status_code < 400, (url, response.status_code)
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/pipeline/",
        "/api/v1/accounts/",
        "/api/v1/accounts/changes/",
        "/api/v1/contacts/",
        "/api/v1/visits/",
        "/api/v1/development-records/",
        "/api/v1/opportunities/",
        "/api/v1/opportunities/changes/",
    ],
)
def test_read_only_pages_and_api_lists_read_in_a_replica_scope(
    with_replica, personas, login, api, url
):
    client = api(personas.manager) if url.startswith("/api/") else login(personas.manager)

    assert REPLICA in scopes_of_queries(client, "get", url)


@pytest.mark.django_db
def test_pages_that_write_and_single_records_read_the_primary(with_replica, personas, login, api):
    account = personas.account
    pages = login(personas.alice)
    assert scopes_of_queries(pages, "get", f"/accounts/{account.pk}/") == {DEFAULT_DB_ALIAS}
    assert scopes_of_queries(pages, "get", f"/accounts/{account.pk}/edit/") == {DEFAULT_DB_ALIAS}
    client = api(personas.bob)
    assert scopes_of_queries(client, "get", f"/api/v1/accounts/{account.pk}/") == {DEFAULT_DB_ALIAS}
    assert scopes_of_queries(
        client, "post", "/api/v1/accounts/", {"name": "C", "industry": "energy"}
    ) == {DEFAULT_DB_ALIAS}


# --- settings ----------------------------------------------------------------------------

PRIMARY_URL = "postgres://app@127.0.0.1:5432/keyaccounts"
REPLICA_URL = "postgres://app@10.0.0.12:5433/keyaccounts"


def test_database_replica_url_adds_a_replica_that_tests_read_under_the_test_name():
    from keyaccounts.tests.test_settings_env import manage

    show = (
        "from django.conf import settings; r = settings.DATABASES['replica']; "
        "print(r['HOST'], r['PORT'], r['NAME'], r['TEST']['MIRROR'], settings.DATABASE_ROUTERS)"
    )
    run = manage(
        "shell",
        "-c",
        show,
        DATABASE_URL=PRIMARY_URL,
        DATABASE_REPLICA_URL=REPLICA_URL,
        REDIS_URL="redis://127.0.0.1:6379/13",
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[-2] == (
        "10.0.0.12 5433 keyaccounts default ['keyaccounts.db_router.ReplicaRouter']"
    )


def test_a_replica_without_a_shared_cache_refuses_to_start():
    from keyaccounts.tests.test_settings_env import manage

    run = manage("check", DATABASE_URL=PRIMARY_URL, DATABASE_REPLICA_URL=REPLICA_URL)

    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and "REDIS_URL" in run.stderr


def test_a_replica_must_be_postgresql_like_the_primary():
    from keyaccounts.tests.test_settings_env import manage

    run = manage(
        "check",
        DATABASE_URL=PRIMARY_URL,
        DATABASE_REPLICA_URL="sqlite:///replica.sqlite3",
        REDIS_URL="redis://127.0.0.1:6379/13",
    )

    assert run.returncode != 0
    assert "DATABASE_REPLICA_URL must name a PostgreSQL replica" in run.stderr

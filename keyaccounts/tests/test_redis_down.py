"""Redis stopped: every page and API call still answers, and a save answers success
exactly when it was saved (docs/reliability.md).

The app is pointed at a Redis of the test's own (cache, broker and result store, as
REDIS_URL does in production), which the test kills with SIGKILL. Each test commits for
real (transactional), so the work that runs after a commit — the nudges to the queue —
runs as it does in production, against the dead Redis.
"""

import datetime
import io
import logging

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import Account
from keyaccounts import cache as resilient_cache
from keyaccounts import tasks as keyaccounts_tasks
from keyaccounts.celery import app
from keyaccounts.db_router import mark_write, wrote_recently
from keyaccounts.imports.models import ImportJob, ImportStatus
from keyaccounts.tests.imports_files import csv_file
from scoring.models import RescoreRequest
from visits.forms import DATETIME_FORMAT
from visits.models import Visit

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _forget_connections() -> None:
    """Drop the Celery app's pooled broker connections and its result store, so the next
    publish uses whatever the configuration says now."""
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def app_on_redis(settings, redis_server):
    """The app as production runs it with REDIS_URL: cache, broker and result store on
    `redis_server`, tasks published (not run inline)."""
    url = redis_server.url
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "keyaccounts.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "keyaccounts",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = url, url, False
    _forget_connections()
    resilient_cache._down_until.clear()
    keyaccounts_tasks._broker_down_until.clear()
    caches["default"]._fallback.clear()  # no throttle count of an earlier test
    try:
        yield redis_server
    finally:
        app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved
        _forget_connections()
        resilient_cache._down_until.clear()
        keyaccounts_tasks._broker_down_until.clear()


@pytest.fixture
def redis_killed(app_on_redis):
    """Redis answered (the cache really wrote to it), then died."""
    cache.set("probe", "shared")
    assert redis.Redis.from_url(app_on_redis.url).get("keyaccounts:1:probe") is not None
    app_on_redis.stop()
    return app_on_redis


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def assert_nudges_failed_on_the_broker(caplog) -> None:
    """Every nudge that was tried failed on the dead broker (refused at once), not on a
    result store retrying for 20 s; the rest were skipped without trying."""
    tried = [r for r in caplog.records if r.getMessage().startswith("could not enqueue")]
    assert tried, caplog.text
    for record in tried:
        assert record.exc_info and isinstance(record.exc_info[1], BrokerError), record.exc_info


def visit_data() -> dict:
    occurred = timezone.localtime(timezone.now() - datetime.timedelta(hours=3))
    return {
        "occurred_at": occurred.strftime(DATETIME_FORMAT),
        "duration_minutes": "45",
        "method": "in_person",
        "place": "Their office",
        "talking_points": "Budget for next year",
        "customer_views": "Wants a pilot first",
        "customer_attitude": "supporter",
        "next_steps": "Send the pilot proposal",
        "follow_up_due": "",
    }


def test_saving_a_visit_in_a_page_answers_success_and_saves_it_once(
    personas, login, redis_killed, caplog
):
    caplog.set_level(logging.WARNING)
    client = login(personas.alice)

    response = client.post(reverse("visits:create", args=[personas.account.pk]), visit_data())

    visit = Visit.objects.get()  # exactly one
    assert response.status_code == 302
    assert response["Location"] == visit.get_absolute_url()
    assert client.get(response["Location"]).status_code == 200
    # The rescore waits in the database for the periodic run; the reminder scan makes the
    # follow-up's reminder on its next run.
    assert RescoreRequest.objects.filter(account=personas.account).exists()
    assert_nudges_failed_on_the_broker(caplog)
    assert any("reminders_for_account" in r.getMessage() for r in warnings_of(caplog))


def test_saving_an_account_in_a_page_answers_success_and_saves_it_once(
    personas, login, redis_killed, caplog
):
    caplog.set_level(logging.WARNING)
    client = login(personas.carol)

    response = client.post(
        reverse("accounts:create"),
        {
            "name": "华东精密制造",
            "industry": "manufacturing",
            "region": "华东",
            "status": "prospect",
            "credit_rating": "AA",
        },
    )

    account = Account.objects.get(name="华东精密制造")  # exactly one
    assert response.status_code == 302
    assert response["Location"] == account.get_absolute_url()
    assert client.get(response["Location"]).status_code == 200
    assert RescoreRequest.objects.filter(account=account).exists()
    messages = [r.getMessage() for r in warnings_of(caplog)]
    assert any("rescore_pending" in m for m in messages), messages
    assert_nudges_failed_on_the_broker(caplog)


def test_the_api_answers_token_list_and_create(personas, api, redis_killed, caplog):
    caplog.set_level(logging.WARNING)

    token = api().post("/api/v1/auth/token/", {"username": "alice", "password": "pw-for-tests"})
    assert token.status_code == 200, token.content
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    listed = client.get("/api/v1/accounts/")
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == ["Alice's Customer Co"]

    created = client.post("/api/v1/accounts/", {"name": "Redis-less Co", "industry": "technology"})
    assert created.status_code == 201, created.content
    assert Account.objects.filter(name="Redis-less Co").count() == 1
    assert client.get(f"/api/v1/accounts/{created.json()['id']}/").status_code == 200
    # The throttle's counts went to this process's memory, and said so.
    messages = [r.getMessage() for r in warnings_of(caplog)]
    assert any(m.startswith("the shared cache (Redis) did not answer") for m in messages), messages


def test_the_api_still_throttles_per_process_while_redis_is_down(
    personas, api, redis_killed, settings
):
    settings.API_THROTTLE_RATE = "3/min"
    client = api(personas.alice)

    answers = [client.get("/api/v1/accounts/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_the_rate_limit_headers_count_in_redis(personas, api, app_on_redis, settings):
    settings.API_THROTTLE_RATE = "5/min"
    client = api(personas.alice)

    answers = [client.get("/api/v1/accounts/") for _ in range(2)]

    assert [a["RateLimit-Remaining"] for a in answers] == ["4", "3"]
    assert all(a["RateLimit-Limit"] == "5" for a in answers)
    shared = redis.Redis.from_url(app_on_redis.url)
    assert shared.exists(f"keyaccounts:1:throttle_user_{personas.alice.pk}")


def test_the_rate_limit_headers_still_come_while_redis_is_down(
    personas, api, redis_killed, settings
):
    settings.API_THROTTLE_RATE = "3/min"
    client = api(personas.alice)

    answers = [client.get("/api/v1/accounts/") for _ in range(4)]

    assert [(a.status_code, a["RateLimit-Remaining"]) for a in answers] == [
        (200, "2"),
        (200, "1"),
        (200, "0"),
        (429, "0"),
    ]
    assert answers[-1]["RateLimit-Reset"] == answers[-1]["Retry-After"]


def test_an_import_says_to_try_again_later_and_saves_nothing(personas, login, redis_killed):
    client = login(personas.alice)
    file = io.BytesIO(csv_file([["Name", "Industry"], ["Sunrise Foods", "Retail"]]))
    file.name = "book.csv"
    uploaded = client.post(reverse("imports:upload", args=["accounts"]), {"file": file})
    assert uploaded.status_code == 302
    job = ImportJob.objects.get()
    mapping = {f"column_{n}": key or "" for n, key in enumerate(job.mapping)}

    answer = client.post(reverse("imports:map", args=[job.pk]), mapping)  # queues a preview

    assert answer.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "The background queue did not answer. Try again in a while." in page
    assert not Account.objects.filter(name="Sunrise Foods").exists()


def test_the_cache_uses_redis_again_once_it_is_back(app_on_redis, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="keyaccounts.cache")
    monkeypatch.setattr(resilient_cache, "RETRY_AFTER_SECONDS", 0.0)  # retry at each call
    app_on_redis.stop()
    cache.set("during", "kept in this process")
    assert cache.get("during") == "kept in this process"

    app_on_redis.start()
    cache.set("after", "shared")

    assert redis.Redis.from_url(app_on_redis.url).get("keyaccounts:1:after") is not None
    assert cache.get("during") is None  # the process's own memory is left behind
    messages = [r.getMessage() for r in caplog.records]
    # One warning for the outage however often Redis was tried, one when it is back.
    assert len([m for m in messages if "did not answer" in m]) == 1, messages
    assert messages[-1] == "the shared cache (Redis) answers again"


def test_with_redis_down_every_user_reads_the_primary(personas, redis_killed, settings):
    settings.READ_YOUR_WRITES_SECONDS = 60
    mark_write(personas.alice)  # only this process's memory holds it

    assert wrote_recently(personas.alice)
    assert wrote_recently(personas.bob)  # no mark anywhere: still the primary


def test_the_health_check_stays_200_and_names_what_is_down(client, redis_killed, settings):
    settings.HEALTHZ_TOKEN = "monitor"  # the details: for a monitor's token (or staff)
    response = client.get("/healthz/", HTTP_X_HEALTHZ_TOKEN="monitor")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["status"] == "ok"
    assert body["cache"] == {"status": "down", "shared": False}
    assert body["broker"]["status"] == "down"


def test_the_health_check_reports_the_queues_while_redis_answers(client, app_on_redis, settings):
    redis.Redis.from_url(app_on_redis.url).rpush("scoring", "a", "b")
    settings.HEALTHZ_TOKEN = "monitor"

    body = client.get("/healthz/", HTTP_X_HEALTHZ_TOKEN="monitor").json()

    assert body["status"] in ("ok", "degraded")  # beat has not run in this test: unknown
    assert body["cache"] == {"status": "ok", "shared": True}
    queues = {queue.name: 0 for queue in django_settings.CELERY_TASK_QUEUES}
    assert body["broker"] == {"status": "ok", "queued": {**queues, "scoring": 2}}


def test_the_cache_keeps_one_redis_client_per_pool_and_thread(app_on_redis):
    """Django makes a `redis.Redis` for every call; `KeptClient` keeps one per connection
    pool of its cache object, which Django keeps per thread."""
    import threading

    mine = caches["default"]._cache
    assert isinstance(mine, resilient_cache.KeptClient)
    first = mine.get_client(write=True)
    cache.set("kept", 1)
    assert cache.get("kept") == 1
    assert mine.get_client(write=True) is first
    assert mine.get_client(write=False) is first  # one server: reads use the same pool
    others = []
    thread = threading.Thread(target=lambda: others.append(caches["default"]._cache))
    thread.start()
    thread.join()
    assert others[0] is not mine and others[0].get_client(write=True) is not first
    # Redis restarted: the kept client's pool connects again.
    app_on_redis.stop()
    app_on_redis.start()
    cache.set("again", 2)
    assert cache.get("again") == 2 and mine.get_client(write=True) is first

"""What each part the app depends on is doing: `GET /healthz/`, and the 503 answer given
while the database does not answer.

The report (docs/reliability.md):

    {"status": "ok" | "degraded" | "down",
     "database": {"status": "ok", "ms": 1.2},
     "cache":    {"status": "ok", "shared": true},
     "broker":   {"status": "ok", "queued": {"default": 0, "reminders": 0, ...}},
     "beat":     {"status": "ok", "last_run": "2026-...", "tasks": {name: {...}}}}

A part's status is `ok`, `down` (it does not answer), `inline` (the broker: no REDIS_URL,
tasks run in the web process), `late` or `unknown` (beat). `status` is `down` — HTTP
503 — only when the database does not answer, since nothing can be served then; a cache,
broker or beat that is down or late makes it `degraded`, still 200: pages and the API
keep answering (the cache falls back to process memory, nudges wait for the next
periodic run). No part's error text is shown (it may name hosts): only its type.

That report is for staff signed in and for a monitor that sends `HEALTHZ_TOKEN` in the
`X-Healthz-Token` header (`may_see_details`); anyone else gets `public(report)`: the
overall status and each part's `ok` or `degraded` (`down` or `late`), nothing more —

    {"status": "degraded", "database": {"status": "ok"}, "cache": {"status": "degraded"},
     "broker": {"status": "degraded"}, "beat": {"status": "ok"}}

The last beat run is recorded by the periodic tasks themselves: when a task named in
CELERY_BEAT_SCHEDULE ends in a worker, `record_periodic_run` (a Celery `task_postrun`
receiver) stores when and how in the cache — cheap, and lost with the cache, after which
a task reads `unknown` until its next run.
"""

import datetime
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

# What a 503 tells the client to wait before trying again (seconds): about what a
# PostgreSQL restart or failover takes.
DATABASE_RETRY_AFTER_SECONDS = 10
# A periodic task is `late` when its next run is this much overdue (at least).
LATE_AFTER = datetime.timedelta(minutes=2)
PROBE_TIMEOUT_SECONDS = 1


def is_database_unavailable(exc: BaseException | None) -> bool:
    """The database did not answer (refused, dropped, restarting) or gave up on a query
    it may answer on a retry (lock timeouts, serialisation failures): a 503 with
    Retry-After, not a 500."""
    return isinstance(exc, OperationalError | InterfaceError)


# --- the checks --------------------------------------------------------------------------


def check_database() -> dict:
    started = time.monotonic()
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure: the database is down
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1)}


def check_cache() -> dict:
    ping = getattr(cache, "ping", None)
    if ping is None:  # no REDIS_URL: each process has its own memory, by design
        return {"status": "ok", "shared": False}
    if ping():
        return {"status": "ok", "shared": True}
    # keyaccounts.cache.ResilientRedisCache: answering from this process's memory.
    return {"status": "down", "shared": False}


def _broker_client():
    import redis

    from .celery import app

    url = str(app.conf.broker_url)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
    )


def check_broker() -> dict:
    from .celery import app

    if app.conf.task_always_eager:
        return {"status": "inline"}
    client = _broker_client()
    if client is None:
        return {"status": "unknown"}
    try:
        with client:
            pipe = client.pipeline(transaction=False)
            for queue in settings.CELERY_TASK_QUEUES:
                pipe.llen(queue.name)
            lengths = pipe.execute()
    except Exception as exc:  # noqa: BLE001 - any failure: the broker is down
        return {"status": "down", "error": type(exc).__name__}
    queued = {queue.name: n for queue, n in zip(settings.CELERY_TASK_QUEUES, lengths, strict=True)}
    return {"status": "ok", "queued": queued}


# --- periodic tasks: recorded by the worker, read by the check ------------------------------


def _run_key(task_name: str) -> str:
    return f"keyaccounts:periodic-run:{task_name}"


def periodic_task_names() -> set[str]:
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def record_periodic_run(sender=None, task=None, state=None, **kwargs) -> None:
    """Celery `task_postrun`: a task named in the beat schedule ended in this process
    (sent by beat, or `rescore_pending` nudged by a save); remember when and how. Never
    raises: the record is a courtesy to the health check."""
    name = getattr(task or sender, "name", None)
    if name not in periodic_task_names():
        return
    try:
        cache.set(_run_key(name), {"at": timezone.now().isoformat(), "state": state}, timeout=None)
    except Exception:  # noqa: BLE001
        logger.warning("could not record the run of %s", name, exc_info=True)


def connect() -> None:
    from celery.signals import task_postrun

    task_postrun.connect(record_periodic_run, dispatch_uid="keyaccounts-periodic-run")


def check_beat() -> dict:
    from celery.schedules import maybe_schedule, schedule

    from .celery import app

    if app.conf.task_always_eager:
        return {"status": "inline"}  # no beat without a broker (make run scans instead)
    tasks, last_runs = {}, []
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        name = entry["task"]
        record = cache.get(_run_key(name))
        if not record:
            tasks[name] = {"status": "unknown"}
            continue
        at = datetime.datetime.fromisoformat(record["at"])
        last_runs.append(at)
        every = maybe_schedule(entry["schedule"], app=app)
        grace = max(LATE_AFTER, every.run_every) if isinstance(every, schedule) else LATE_AFTER
        overdue = -every.remaining_estimate(timezone.localtime(at))
        late = overdue > grace
        tasks[name] = {
            "status": "late" if late else "ok",
            "last_run": at.isoformat(),
            "last_state": record.get("state"),
        }
    statuses = {task["status"] for task in tasks.values()}
    status = "late" if "late" in statuses else ("unknown" if statuses == {"unknown"} else "ok")
    report = {"status": status, "tasks": tasks}
    if last_runs:
        report["last_run"] = max(last_runs).isoformat()
    return report


# --- who sees what ----------------------------------------------------------------------

DEGRADED_PARTS = ("down", "late")


def public(body: dict) -> dict:
    """What anyone may read: the overall status and each part's `ok` or `degraded` — no
    timings, queue lengths, task names, times or error types, which tell an attacker how
    busy the system is and what runs it."""
    return {
        name: (
            value
            if name == "status"
            else {"status": "degraded" if value["status"] in DEGRADED_PARTS else "ok"}
        )
        for name, value in body.items()
    }


def may_see_details(request) -> bool:
    """A monitor sending `HEALTHZ_TOKEN` as `X-Healthz-Token`, or staff signed in (while
    the database that holds sessions answers: else the public report)."""
    expected = settings.HEALTHZ_TOKEN
    given = request.headers.get("X-Healthz-Token", "")
    if expected and hmac.compare_digest(given.encode(), expected.encode()):
        return True
    user = getattr(request, "user", None)
    try:
        return bool(user is not None and user.is_active and user.is_staff)
    except Exception as exc:
        if is_database_unavailable(exc):
            return False
        raise


def report() -> tuple[dict, int]:
    """The health report and its HTTP status."""
    parts = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
    }
    parts["beat"] = check_beat()
    if parts["database"]["status"] != "ok":
        status = "down"
    elif any(part["status"] in ("down", "late") for part in parts.values()):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, **parts}, 503 if status == "down" else 200

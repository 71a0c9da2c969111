"""Settings for the test suite: the same as production's shape, faster where it is safe."""

import os

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Mails stay in memory (pytest's `mailoutbox`). A Celery worker subprocess cannot share
# that memory, so a test may give it another backend through TEST_EMAIL_BACKEND (not
# EMAIL_BACKEND: a developer's real SMTP setting must never reach the tests).
EMAIL_BACKEND = os.environ.get(
    "TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Live-server request threads would otherwise keep connections open past the test
# run, and PostgreSQL then refuses to drop the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
if "replica" in DATABASES:  # noqa: F405
    DATABASES["replica"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Each test run keeps its cache (and so the API's throttle counts) to itself, even when
# REDIS_URL is set; the throttle is high enough that the suite never meets it, and the
# tests of throttling lower it themselves.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
API_THROTTLE_RATE = "100000/min"
API_ANON_THROTTLE_RATE = "100000/min"
# A queued rescore runs a second after the change (a real worker's tests wait for it).
SCORING_RESCORE_DELAY_SECONDS = 1
# The suite reads the primary only: most tests write inside a transaction that no replica
# can see. The replica's own tests (keyaccounts/tests/test_replica.py) turn this on.
REPLICA_READS = False
# Pages compute their figures on every view: the tests of what the dashboard counts, and
# of what it costs in queries, see each change at once. The snapshots' own tests
# (keyaccounts/snapshots/tests/) turn them on.
SNAPSHOT_SECONDS = 0

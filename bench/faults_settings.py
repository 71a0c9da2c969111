"""Settings of every process bench/faults.py starts (gunicorn, the Celery worker and beat).

`bench.settings` (DEBUG off) with the broker and cache on the run's own Redis (REDIS_URL,
as in production) and one difference: reminder emails go to files, one per message sent
(`visits/tests/slow_email_backend.py`, in $TEST_EMAIL_DIR, each taking
$TEST_EMAIL_DELAY seconds like a mail server), so the run can count each reminder's
sends by its Message-ID and tell a duplicate apart.
"""

from bench.settings import *  # noqa: F403

EMAIL_BACKEND = "visits.tests.slow_email_backend.EmailBackend"
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405

"""Settings of the gunicorn server that test_database_outage.py starts: production's
(`keyaccounts.settings` with DEBUG off: persistent connections with health checks, the
503 handler), except that static files are found without collectstatic's manifest."""

from keyaccounts.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

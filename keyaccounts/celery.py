"""The Celery app. Configuration comes from Django settings prefixed CELERY_."""

import os

from celery import Celery

from keyaccounts import celery_compat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyaccounts.settings")

# kombu 5.7's Redis transport can end a worker at a Redis restart: guarded (celery_compat).
celery_compat.apply()

# Every task's base: a message redelivered while it still runs elsewhere waits for it.
app = Celery("keyaccounts", task_cls="keyaccounts.tasks:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="keyaccounts.ping")
def ping() -> str:
    """Answer "pong": sent through the broker, it proves a worker is alive and consuming."""
    return "pong"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "keyaccounts.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from keyaccounts.events import record_changed

        from . import schema  # noqa: F401  (the integration token in the OpenAPI schema)
        from .outbox import write_outbox

        record_changed.connect(write_outbox, dispatch_uid="integrations-outbox")
        # The owner's notification when a day of failures disables a webhook is the
        # reminders' (visits/webhook_notices.py, on `signals.webhook_disabled`).

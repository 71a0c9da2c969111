from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "keyaccounts.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from keyaccounts.events import record_changed
        from visits.reminders import register_kind

        from . import schema  # noqa: F401  (the integration token in the OpenAPI schema)
        from .delivery import KIND_DISABLED, disabled_notification_path, disabled_notification_text
        from .outbox import write_outbox

        record_changed.connect(write_outbox, dispatch_uid="integrations-outbox")
        # The owner's notification when a day of failures disables a webhook.
        register_kind(
            KIND_DISABLED, text=disabled_notification_text, path=disabled_notification_path
        )

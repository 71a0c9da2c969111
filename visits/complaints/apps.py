from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "visits.complaints"
    label = "complaints"
    verbose_name = _("Complaints in a closed loop")

    def ready(self):
        # Register reminder scans/kinds (visits.reminders) and page sections
        # (keyaccounts.sections) here.
        pass

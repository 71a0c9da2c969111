from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "visits.complaints"
    label = "complaints"
    verbose_name = _("Complaints in a closed loop")

    def ready(self):
        from . import imports, reminders, sections

        reminders.register()
        sections.register()
        imports.register()

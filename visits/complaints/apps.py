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
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()

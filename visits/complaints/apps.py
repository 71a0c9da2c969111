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
        from . import exports

        exports.register()  # the complaints' export type (keyaccounts/exports/)
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()
        # The API's record types (keyaccounts/api/records.py).
        from keyaccounts.api import records

        from .api.views import ComplaintViewSet

        records.register("complaints", ComplaintViewSet, basename="complaint", order=70)
        # The recycle bin's restores (keyaccounts/recyclebin/restores.py).
        from keyaccounts.recyclebin import restores

        from .models import Complaint
        from .services import complaint_restore

        restores.register(Complaint, lambda record, by: complaint_restore(complaint=record, by=by))

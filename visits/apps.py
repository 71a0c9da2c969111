from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self):
        from keyaccounts.imports.writing import records_imported

        from .models import Visit
        from .services import visits_imported

        records_imported.connect(visits_imported, sender=Visit, dispatch_uid="visits-imported")
        # The planned attendances follow every write of a visit and of its attendees.
        from . import attendance

        attendance.connect()
        # People move (人事变动): the key-person-left reminder and its nudge.
        from . import people_move

        people_move.register()
        # The bell's notice when a day of failures disables a webhook.
        from . import webhook_notices

        webhook_notices.register()
        # The account page's visits card.
        from . import sections

        sections.register()
        # The account brief's planned visit, last visits, follow-ups and "last met".
        from . import brief

        brief.register()
        # The account list's coverage gap "no contact within its rhythm".
        from . import list_filters

        list_filters.register()
        # The visits' import type (keyaccounts/imports/).
        from . import imports

        imports.register_kinds()
        # The visits', development records' and reminders' export types.
        from . import exports

        exports.register()
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()
        # The API's record types (keyaccounts/api/records.py).
        from keyaccounts.api import records

        from .api.views import DevelopmentRecordViewSet, VisitViewSet

        records.register("visits", VisitViewSet, basename="visit", order=30)
        records.register(
            "development-records",
            DevelopmentRecordViewSet,
            basename="development-record",
            order=40,
        )
        # The recycle bin's restores (keyaccounts/recyclebin/restores.py).
        from keyaccounts.recyclebin import restores

        from .models import DevelopmentRecord, Visit
        from .services import development_record_restore, visit_restore

        restores.register(Visit, lambda record, by: visit_restore(visit=record, by=by))
        restores.register(
            DevelopmentRecord, lambda record, by: development_record_restore(record=record, by=by)
        )

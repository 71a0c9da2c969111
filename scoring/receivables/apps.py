from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "scoring.receivables"
    label = "receivables"
    verbose_name = _("Receivables (invoices)")

    def ready(self):
        from . import hooks, imports

        hooks.register()  # the pages' sections (hooks.py)
        imports.register()
        from . import exports

        exports.register()  # invoice receivables (keyaccounts/exports/)
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()
        # The API's record types (keyaccounts/api/records.py).
        from keyaccounts.api import records

        from .api.views import ReceivableViewSet

        records.register("receivables", ReceivableViewSet, basename="receivable", order=110)
        # The recycle bin's restores (keyaccounts/recyclebin/restores.py).
        from keyaccounts.recyclebin import restores

        from .models import Receivable
        from .services import receivable_restore

        restores.register(
            Receivable, lambda record, by: receivable_restore(receivable=record, by=by)
        )

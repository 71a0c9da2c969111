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
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "scoring.plans"
    label = "plans"
    verbose_name = _("Account plans")

    def ready(self):
        from .hooks import register

        register()
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()

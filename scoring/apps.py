from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self):
        from . import signals, tasks  # noqa: F401 - tasks: registered for publish by name

        signals.connect()

        from . import imports

        imports.register_kinds()  # monthly sales (keyaccounts/imports/)
        from . import exports

        exports.register()  # monthly sales (keyaccounts/exports/)

        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()

        from .money import sections as money_sections

        money_sections.register()

        from .advice import sections as advice_sections

        advice_sections.register()

        from .grade import card as grade_card

        grade_card.register()  # the account page's Grade card

        from . import list_filters

        list_filters.register()  # grade, moved, top, money on the lists below

        from .groups import views as group_views

        group_views.register()  # the dashboard's "Groups"

        from . import account_api

        account_api.register()  # /api/v1/accounts/{id}/grade/ and …/next-actions/

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities")

    def ready(self):
        from . import approval_views

        approval_views.register()
        # The deal page's discount against its grade's ceiling (service policy).
        from . import discount

        discount.register()
        # The account page's deals card.
        from . import sections

        sections.register()
        # The account list's open-deal filters (stage, closing month).
        from . import list_filters

        list_filters.register()
        # The deals' import type (keyaccounts/imports/).
        from . import imports

        imports.register_kinds()
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Deals")

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
        # The deals' export type (the board's cards).
        from . import exports

        exports.register()
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()
        # The API's record types (keyaccounts/api/records.py).
        from keyaccounts.api import records

        from .api.approvals import StageApprovalViewSet
        from .api.views import OpportunityViewSet, StageViewSet

        records.register("opportunities", OpportunityViewSet, basename="opportunity", order=80)
        records.register("stages", StageViewSet, basename="stage", order=120)
        records.register("approvals", StageApprovalViewSet, basename="stage-approval", order=140)
        # The recycle bin's restores (keyaccounts/recyclebin/restores.py).
        from keyaccounts.recyclebin import restores

        from .models import Opportunity
        from .services import opportunity_restore

        restores.register(
            Opportunity, lambda record, by: opportunity_restore(opportunity=record, by=by)
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "scoring.plans"
    label = "plans"
    verbose_name = _("Account plans")

    def ready(self):
        from .hooks import register

        register()
        from . import exports

        exports.register()  # plans and their actions (keyaccounts/exports/)
        # What a merge of two accounts (or contacts) carries over (accounts/merge_hooks.py).
        from . import merging

        merging.register()
        # The API's record types (keyaccounts/api/records.py).
        from keyaccounts.api import records

        from .api.views import AccountPlanViewSet, PlanActionViewSet

        records.register("plans", AccountPlanViewSet, basename="account-plan", order=90)
        records.register("plan-actions", PlanActionViewSet, basename="plan-action", order=100)
        # The recycle bin's restores (keyaccounts/recyclebin/restores.py).
        from keyaccounts.recyclebin import restores

        from .models import AccountPlan, PlanAction
        from .services import action_restore, plan_restore

        restores.register(AccountPlan, lambda record, by: plan_restore(plan=record, by=by))
        restores.register(PlanAction, lambda record, by: action_restore(action=record, by=by))

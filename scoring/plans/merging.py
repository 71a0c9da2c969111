"""What a merge of two accounts carries over of the account plans (accounts/merge_hooks.py):
the merged account's plans and their actions become the survivor's; two live plans for
one period cannot both be the survivor's: the user deletes one first."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from accounts import merge_hooks
from keyaccounts.exceptions import ApplicationError

from .models import AccountPlan, PlanAction


def move_plans(*, survivor, merged, relink, **merge) -> None:
    plans = AccountPlan.all_objects
    overlap = plans.filter(
        account=survivor,
        deleted_at__isnull=True,
        period_start__lte=OuterRef("period_end"),
        period_end__gte=OuterRef("period_start"),
    )
    clash = plans.filter(account=merged, deleted_at__isnull=True).filter(Exists(overlap)).first()
    if clash is not None:
        raise ApplicationError(
            _(
                "Both accounts have an account plan for %(period)s: move one of them to the "
                "recycle bin before merging."
            )
            % {"period": clash.period_label},
            code="invalid",
        )
    relink(list(plans.select_for_update().filter(account=merged)), account=survivor)
    actions = PlanAction.all_objects.select_for_update().filter(account=merged)
    relink(list(actions), account=survivor)


def register() -> None:
    merge_hooks.on_account_merge(move_plans)

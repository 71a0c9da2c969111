"""What a merge carries over of the deals (accounts/merge_hooks.py): the merged account's
deals become the survivor's; a merged contact's roles in deals become the survivor
contact's (a deal where both have one keeps the survivor's), each such deal a new version."""

from accounts import merge_hooks

from .models import Opportunity, OpportunityContact


def move_deals(*, survivor, merged, relink, **merge) -> None:
    deals = Opportunity.all_objects.select_for_update().filter(account=merged)
    relink(list(deals), account=survivor)


def move_deal_roles(*, survivor, merged, relink, **merge) -> None:
    roles = list(
        OpportunityContact.objects.filter(contact=merged).exclude(
            opportunity__in=OpportunityContact.objects.filter(contact=survivor).values(
                "opportunity"
            )
        )
    )
    relink(roles, contact=survivor)
    deals = Opportunity.all_objects.filter(pk__in={role.opportunity_id for role in roles})
    relink(list(deals.order_by("pk")))


def register() -> None:
    merge_hooks.on_account_merge(move_deals)
    merge_hooks.on_contact_merge(move_deal_roles)

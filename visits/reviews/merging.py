"""What a merge of two accounts carries over of the review meetings (accounts/
merge_hooks.py): the merged account's reviews and their follow-ups become the survivor's;
two live reviews of one period (the one-per-period rule) cannot both be the survivor's:
the user cancels or deletes one first."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts import merge_hooks
from keyaccounts.exceptions import ApplicationError

from .models import ReviewFollowUp, ReviewMeeting, ReviewStatus

LIVE = Q(deleted_at__isnull=True) & ~Q(status=ReviewStatus.CANCELLED)


def move_reviews(*, survivor, merged, relink, **merge) -> None:
    reviews = ReviewMeeting.all_objects
    same_period = reviews.filter(LIVE).filter(
        account=survivor,
        period_kind=OuterRef("period_kind"),
        period_start=OuterRef("period_start"),
    )
    clash = reviews.filter(LIVE).filter(account=merged).filter(Exists(same_period)).first()
    if clash is not None:
        raise ApplicationError(
            _(
                "Both accounts have a review meeting for %(period)s: cancel one of them or "
                "move it to the recycle bin before merging."
            )
            % {"period": clash.period_label},
            code="invalid",
        )
    relink(list(reviews.select_for_update().filter(account=merged)), account=survivor)
    follow_ups = ReviewFollowUp.all_objects.select_for_update().filter(account=merged)
    relink(list(follow_ups), account=survivor)


def register() -> None:
    merge_hooks.on_account_merge(move_reviews)

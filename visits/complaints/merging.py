"""What a merge carries over of the complaints (accounts/merge_hooks.py): the merged
account's complaints become the survivor's, and those a merged contact raised the
survivor contact's."""

from accounts import merge_hooks

from .models import Complaint


def move_complaints(*, survivor, merged, relink, **merge) -> None:
    complaints = Complaint.all_objects.select_for_update().filter(account=merged)
    relink(list(complaints), account=survivor)


def move_complainant(*, survivor, merged, relink, **merge) -> None:
    complained = Complaint.all_objects.filter(contact=merged).order_by("pk")
    relink(list(complained), contact=survivor)


def register() -> None:
    merge_hooks.on_account_merge(move_complaints)
    merge_hooks.on_contact_merge(move_complainant)

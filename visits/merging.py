"""What a merge carries over of the visits (accounts/merge_hooks.py): the merged account's
visits, development records and reminders become the survivor's; a merged contact's
place in visits becomes the survivor contact's, each such visit a new version."""

from django.db.models import Exists, OuterRef

from accounts import merge_hooks

from .models import DevelopmentRecord, Notification, Visit


def move_visits(*, survivor, merged, relink, **merge) -> None:
    for model in (Visit, DevelopmentRecord):
        rows = model.all_objects.select_for_update().filter(account=merged)
        relink(list(rows), account=survivor)
    # Reminders: a visit's move with its visit; one about the account itself becomes the
    # survivor's, unless the survivor has the same one already.
    Notification.objects.filter(account=merged).exclude(object_key=f"account:{merged.pk}").update(
        account=survivor
    )
    Notification.objects.filter(account=merged, object_key=f"account:{merged.pk}").exclude(
        Exists(
            Notification.objects.filter(
                account=survivor,
                object_key=f"account:{survivor.pk}",
                kind=OuterRef("kind"),
                due_date=OuterRef("due_date"),
                recipient=OuterRef("recipient"),
            )
        )
    ).update(account=survivor, object_key=f"account:{survivor.pk}")


def move_visit_contacts(*, survivor, merged, relink, **merge) -> None:
    links = Visit.contacts.through.objects
    both = links.filter(contact=survivor).values("visit_id")
    visit_ids = set(links.filter(contact=merged).values_list("visit_id", flat=True))
    links.filter(contact=merged, visit_id__in=both).delete()
    links.filter(contact=merged).update(contact=survivor)
    relink(list(Visit.all_objects.filter(pk__in=visit_ids).order_by("pk")))


def register() -> None:
    merge_hooks.on_account_merge(move_visits)
    merge_hooks.on_contact_merge(move_visit_contacts)

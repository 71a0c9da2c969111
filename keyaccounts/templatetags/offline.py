"""`{% outbox_labels %}`: the names of the fields the phone's outbox sends, in the page's
language, as JSON for static/js/outbox.js — a refusal names the field as the form does
("Took place", not `occurred_at`)."""

import json

from django import template
from django.utils.text import capfirst

register = template.Library()

# The fields of a visit and of its follow-up that a refusal may name.
SENT_FIELDS = [
    "account", "status", "contacts", "attendees", "planned_at", "occurred_at",
    "duration_minutes", "place", "method", "purpose", "preparation", "pre_visit_call_held",
    "talking_points", "customer_views", "customer_attitude", "next_steps", "follow_up_due",
    "followed_up_on", "follow_up_method", "follow_up_feedback",
]  # fmt: skip


@register.simple_tag
def outbox_labels() -> str:
    from visits.models import Visit

    return json.dumps(
        {name: str(capfirst(Visit._meta.get_field(name).verbose_name)) for name in SENT_FIELDS},
        ensure_ascii=False,
    )

"""`{% outbox_labels %}`: the names of the fields the phone's outbox sends, in the page's
language, as JSON for static/js/outbox.js — a refusal names the field as the form does
("Took place", not `occurred_at`)."""

import json
from functools import lru_cache

from django import template
from django.utils.text import capfirst
from django.utils.translation import get_language

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
    return _outbox_labels(get_language())


@lru_cache(maxsize=16)
def _outbox_labels(language: str | None) -> str:
    """Written once per language (the active one when called) and process: every page
    with the outbox carries them, and each is a translated verbose name."""
    from ..models import Visit

    labels = {name: str(capfirst(Visit._meta.get_field(name).verbose_name)) for name in SENT_FIELDS}
    # Colleagues typed by name are sent apart from those picked; a refusal of either
    # names the one field the form shows.
    labels["attendee_names"] = labels["attendees"]
    return json.dumps(labels, ensure_ascii=False)

"""How the recycle bin names what is in it, in the reader's language."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy, ngettext_lazy

from keyaccounts.text import words_and

# The record types that go to the recycle bin, as a person names them; the order of the
# "with 3 contacts, 2 visits and 1 deal" phrases.
TYPES = {
    "accounts.account": gettext_lazy("Account"),
    "accounts.contact": gettext_lazy("Contact"),
    "visits.visit": gettext_lazy("Visit"),
    "opportunities.opportunity": gettext_lazy("Deal"),
    "visits.developmentrecord": gettext_lazy("Development record"),
    "reviews.reviewmeeting": gettext_lazy("Review meeting"),  # 客户回顾会
    "reviews.reviewfollowup": gettext_lazy("Review follow-up"),  # 回顾会后续事项
    "plans.accountplan": gettext_lazy("Account plan"),  # 大客户计划
    "plans.planaction": gettext_lazy("Plan action"),  # 计划行动
    "complaints.complaint": gettext_lazy("Complaint"),  # 投诉
    "receivables.receivable": gettext_lazy("Invoice"),  # 发票
}
COUNTS = {
    "accounts.account": ngettext_lazy("%(count)d account", "%(count)d accounts", "count"),
    "accounts.contact": ngettext_lazy("%(count)d contact", "%(count)d contacts", "count"),
    "visits.visit": ngettext_lazy("%(count)d visit", "%(count)d visits", "count"),
    "opportunities.opportunity": ngettext_lazy("%(count)d deal", "%(count)d deals", "count"),
    "visits.developmentrecord": ngettext_lazy(
        "%(count)d development record", "%(count)d development records", "count"
    ),
    "reviews.reviewmeeting": ngettext_lazy(
        "%(count)d review meeting", "%(count)d review meetings", "count"
    ),
    "reviews.reviewfollowup": ngettext_lazy(
        "%(count)d review follow-up", "%(count)d review follow-ups", "count"
    ),
    "plans.accountplan": ngettext_lazy(
        "%(count)d account plan", "%(count)d account plans", "count"
    ),
    "plans.planaction": ngettext_lazy("%(count)d plan action", "%(count)d plan actions", "count"),
    "complaints.complaint": ngettext_lazy("%(count)d complaint", "%(count)d complaints", "count"),
    "receivables.receivable": ngettext_lazy("%(count)d invoice", "%(count)d invoices", "count"),
}
TYPE_CHOICES = list(TYPES.items())


def type_label(model_label: str) -> str:
    """The type as a person names it: "Contact" for accounts.contact."""
    return str(TYPES.get(model_label, model_label))


def along_counts(querysets: list[QuerySet]) -> dict[str, int]:
    """{model label: how many live rows} of the querysets a delete takes along (one
    COUNT each), as `Deletion.counts` will hold them."""
    counts = {}
    for queryset in querysets:
        n = queryset.filter(deleted_at__isnull=True).count()
        if n:
            label = queryset.model._meta.label_lower
            counts[label] = counts.get(label, 0) + n
    return counts


def along_text(counts: dict[str, int]) -> str:
    """What went along, in words: "3 contacts, 2 visits and 1 deal" ("" if nothing)."""
    phrases = [COUNTS[label] % {"count": counts[label]} for label in COUNTS if counts.get(label)]
    phrases += [f"{n} {label}" for label, n in counts.items() if n and label not in COUNTS]
    return words_and(phrases)

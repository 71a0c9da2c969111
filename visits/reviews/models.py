"""Review meetings with the customer (年度/半年度回顾) and the follow-ups they create.

Once a year (or half-year, for A accounts) we sit down with the customer: what they
think of our products and service, and of our people (seed 000 篇3: 及时关注并征求大客户
对销售人员以及其他相关人员的意见,及时调整相关人员), what we agree to change, and who
does what by when.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from keyaccounts.links import record_url
from keyaccounts.models import VersionedModel

from .periods import PeriodKind, period_label


class ReviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # 已安排
    HELD = "held", _("Held")  # 已召开
    CANCELLED = "cancelled", _("Cancelled")  # 已取消


class Satisfaction(models.IntegerChoices):
    VERY_SATISFIED = 5, _("Very satisfied")  # 非常满意
    SATISFIED = 4, _("Satisfied")  # 满意
    NEUTRAL = 3, _("Neither satisfied nor dissatisfied")  # 一般
    DISSATISFIED = 2, _("Dissatisfied")  # 不满意
    VERY_DISSATISFIED = 1, _("Very dissatisfied")  # 非常不满意


class ReviewMeeting(VersionedModel):
    """A review meeting with the customer for one period, scheduled and then held."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="review_meetings",
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        on_delete=models.PROTECT,
        related_name="scheduled_reviews",
    )
    period_kind = models.CharField(
        _("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.YEAR
    )
    period_start = models.DateField(_("period starts"))
    scheduled_for = models.DateTimeField(_("scheduled for"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ReviewStatus.choices,
        default=ReviewStatus.SCHEDULED,
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    # The minutes, once held.
    held_on = models.DateField(_("held on"), null=True, blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our attendees"),
        blank=True,
        related_name="attended_reviews",
    )
    contacts = models.ManyToManyField(
        Contact,
        verbose_name=_("the customer's attendees"),
        blank=True,
        related_name="review_meetings",
    )
    said_about_us = models.TextField(
        _("what the customer said about our products and service"), blank=True
    )
    said_about_our_people = models.TextField(
        _("what the customer said about our sales people and others serving them"), blank=True
    )
    agreed_changes = models.TextField(_("changes agreed"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("overall satisfaction"), choices=Satisfaction.choices, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    # Who attended on both sides is part of the review's history.
    _history_m2m_fields = ["contacts", "attendees"]

    class Meta:
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")
        ordering = ["-scheduled_for", "-pk"]
        indexes = [
            # An account's reviews, newest first (selectors.REVIEW_ORDER), and its period.
            models.Index(
                fields=["account", "scheduled_for", "id"],
                condition=Q(deleted_at__isnull=True),
                name="review_account_idx",
            ),
            # The reminder scan and my week: scheduled meetings by date.
            models.Index(
                fields=["scheduled_for", "id"],
                condition=Q(status="scheduled", deleted_at__isnull=True),
                name="review_scheduled_idx",
            ),
        ]
        constraints = [
            # One live review per account and period: a cancelled one frees the period.
            models.UniqueConstraint(
                fields=["account", "period_kind", "period_start"],
                condition=Q(deleted_at__isnull=True) & ~Q(status="cancelled"),
                name="one_live_review_per_account_period",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(held_on__isnull=False),
                name="held_review_has_a_date",
                violation_error_message=_("A review that was held needs the day it was held."),
            ),
        ]

    def __str__(self):
        when = timezone.localtime(self.scheduled_for) if self.scheduled_for else None
        label = f"{self.account} · {self.period_label}"
        return f"{label} · {when:%Y-%m-%d}" if when else label

    def get_absolute_url(self):
        return record_url("reviews:detail", self.pk)

    @property
    def period_label(self) -> str:
        return period_label(self.period_kind, self.period_start) if self.period_start else ""

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.SCHEDULED


class ReviewFollowUp(VersionedModel):
    """Something agreed at a review meeting: what, who on our side, by when."""

    review = models.ForeignKey(
        ReviewMeeting,
        verbose_name=_("review meeting"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    # The review's account, kept on the row: visibility, the changes feed and the
    # recycle bin read a record's account from its own `account` column.
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="review_follow_ups",
        editable=False,
    )
    what = models.CharField(_("what"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="review_follow_ups",
    )
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("review follow-up")
        verbose_name_plural = _("review follow-ups")
        ordering = ["due_on", "pk"]
        indexes = [
            # A person's open follow-ups by due date (my week).
            models.Index(
                fields=["owner", "due_on", "id"],
                condition=Q(done_on__isnull=True, deleted_at__isnull=True),
                name="review_fu_owner_open_idx",
            ),
        ]

    def __str__(self):
        return f"{self.what[:60]} · {self.due_on:%Y-%m-%d}" if self.due_on else self.what[:60]

    def save(self, *args, **kwargs):
        # The account is the review's, always (the admin and imports set only the review).
        if self.review_id is not None:
            self.account_id = self.review.account_id
        return super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{record_url('reviews:detail', self.review_id)}#follow-up-{self.pk}"

    def overdue_on(self, today) -> bool:
        return self.done_on is None and self.due_on < today

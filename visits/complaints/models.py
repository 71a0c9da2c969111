"""投诉闭环: a customer's complaint, answered and resolved within the service level of
the account's grade, and closed only when the customer confirms.

Status: open → answered → resolved → closed; resolved or closed → open again on reopen
(new deadlines from the reopening time). The deadlines `respond_by` / `resolve_by` are
working days (keyaccounts.workdays) from the policy of the account's grade
(accounts.policy); the grade, the policy version and the day counts that gave them are
stored with them, so a later change of the policy never moves a promise already made.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from keyaccounts.links import record_url
from keyaccounts.models import VersionedModel


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", _("Phone")  # 电话
    EMAIL = "email", _("Email")  # 邮件
    VISIT = "visit", _("In a visit")  # 拜访
    WECHAT = "wechat", _("WeChat")  # 微信
    LETTER = "letter", _("Letter")  # 信函
    OTHER = "other", _("Other")  # 其他


class ComplaintSeverity(models.TextChoices):
    LOW = "low", _("Low")  # 低
    MEDIUM = "medium", _("Medium")  # 中
    HIGH = "high", _("High")  # 高
    CRITICAL = "critical", _("Critical")  # 严重


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")  # 待答复
    ANSWERED = "answered", _("Answered")  # 已答复
    RESOLVED = "resolved", _("Resolved")  # 已解决
    CLOSED = "closed", _("Closed (customer confirmed)")  # 已关闭（客户确认）


# Not closed yet: the loop is still open until the customer confirms.
OPEN_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.ANSWERED, ComplaintStatus.RESOLVED)
# Still to be resolved: a resolution deadline can be breached.
UNRESOLVED_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.ANSWERED)


class Complaint(VersionedModel):
    """One complaint of a customer, handled in a closed loop."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        # Never deleted with its account but moved to the recycle bin with it
        # (`account_deleted_along`); only the purge removes both, children first.
        on_delete=models.CASCADE,
        related_name="complaints",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact who complained"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=ComplaintChannel.choices,
        default=ComplaintChannel.PHONE,
    )
    severity = models.CharField(
        _("severity"),
        max_length=20,
        choices=ComplaintSeverity.choices,
        default=ComplaintSeverity.MEDIUM,
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("what happened"), blank=True)
    received_at = models.DateTimeField(_("received"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="recorded_complaints",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
        help_text=_("Someone on the account team, or the account's owner."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.OPEN,
        db_index=True,
    )
    # The service level: deadlines and what gave them.
    respond_by = models.DateTimeField(_("answer due by"))
    resolve_by = models.DateTimeField(_("resolution due by"))
    service_grade = models.CharField(
        _("grade of the service level"),
        max_length=1,
        blank=True,
        help_text=_("The account's grade when the deadlines were set (empty: ungraded, as D)."),
    )
    policy_version = models.PositiveIntegerField(_("service policy version"), default=0)
    respond_days = models.PositiveSmallIntegerField(_("working days to answer"), default=0)
    resolve_days = models.PositiveSmallIntegerField(_("working days to resolve"), default=0)
    # The answer, the resolution and the customer's confirmation.
    response = models.TextField(_("answer to the customer"), blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution_working_days = models.DecimalField(
        _("working days to resolve it"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    confirmed_at = models.DateTimeField(_("customer confirmed"), null=True, blank=True)
    confirmed_by_contact = models.ForeignKey(
        Contact,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmation_note = models.CharField(
        _("confirmation"),
        max_length=300,
        blank=True,
        help_text=_("Who at the customer confirmed, and how (when not a contact on record)."),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reopened_at = models.DateTimeField(_("last reopened"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    reopen_reason = models.TextField(_("why it was reopened"), blank=True)
    follow_up = models.TextField(_("follow-up notes"), blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-pk"]
        indexes = [
            # The list's order (selectors.COMPLAINT_ORDER), read backwards.
            models.Index(
                fields=["received_at", "id"],
                condition=Q(deleted_at__isnull=True),
                name="complaint_list_idx",
            ),
            models.Index(fields=["account", "status"], name="complaint_account_status_idx"),
            models.Index(fields=["status", "respond_by"], name="complaint_respond_idx"),
            models.Index(fields=["status", "resolve_by"], name="complaint_resolve_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(confirmed_at__isnull=False),
                name="complaint_closed_only_when_confirmed",
                violation_error_message=_(
                    "A complaint is closed only once the customer has confirmed the fix."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.account} · {self.subject}"

    def get_absolute_url(self):
        return record_url("complaints:detail", self.pk)

    @property
    def clock_started_at(self):
        """When the current service-level clock started: the last reopening, else receipt."""
        return self.reopened_at or self.received_at

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

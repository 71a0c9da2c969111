"""Account plans (大客户计划): per key account and period, targets, the competitive
advantages we mean to build (seed 001 §3) with their evidence, and the actions that
carry the plan out, each with an owner on the account team and a due date."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from keyaccounts.amounts import amount_at_most
from keyaccounts.choices import ChoiceLabels
from keyaccounts.history.models import tracked
from keyaccounts.links import record_url
from keyaccounts.models import VersionedModel
from visits.reviews.periods import period_label as reviews_period_label


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")  # 年度
    HALF = "half", _("Half-year")  # 半年度


class Advantage(models.TextChoices):
    """The six competitive advantages of seed 001 §3 (建立大客户潜在的竞争优势)."""

    LOWER_COST = "lower_cost", _("Lower total purchase cost")  # 降低综合采购成本
    MORE_REVENUE = "more_revenue", _("More revenue for the customer")  # 增加收入
    LESS_WASTE = "less_waste", _("Less waste")  # 避免浪费
    EFFICIENCY = "efficiency", _("Higher efficiency")  # 提高工作效率
    SOLUTION = "solution", _("A real solution")  # 解决方案
    INTANGIBLE = "intangible", _("Intangible value")  # 无形价值


def factor_label(key: str) -> str:
    """A risk factor named by its key, in the reader's language: the label of the newest
    table that has it (a key of an older table too); the key itself if none has."""
    from scoring.models import Factor

    factor = Factor.objects.filter(key=key).order_by("-model_id").first()
    return str(factor) if factor is not None else key


def period_start_for(day: datetime.date, kind: str) -> datetime.date:
    """The start of the `kind` period holding `day`: Jan 1, or Jan 1 / Jul 1."""
    if kind == PeriodKind.HALF and day.month >= 7:
        return datetime.date(day.year, 7, 1)
    return datetime.date(day.year, 1, 1)


def period_end_for(start: datetime.date, kind: str) -> datetime.date:
    """The last day of the period starting on `start`."""
    if kind == PeriodKind.HALF and start.month == 1:
        return datetime.date(start.year, 6, 30)
    return datetime.date(start.year, 12, 31)


def period_label(start: datetime.date, kind: str) -> str:
    """ "2026", "2026 H1", "2026 H2" (2026年上半年 in Chinese): the reviews' periods'
    names, `visits.reviews.periods.period_label`."""
    return reviews_period_label(kind, start)


class AccountPlan(VersionedModel):
    """大客户计划: what we mean to achieve with a key account in a year or half-year."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,  # soft-deleted along with its account
        related_name="plans",
    )
    period_kind = models.CharField(
        _("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.YEAR
    )
    period_start = models.DateField(
        _("period starts"), help_text=_("January 1, or July 1 for the second half-year.")
    )
    # Derived from the start and the kind on every save: the progress reads months up to it.
    period_end = models.DateField(_("period ends"), editable=False)
    sales_target = models.DecimalField(
        _("sales target (CNY)"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0), amount_at_most],
        help_text=_("Our sales to the customer in the period, in CNY."),
    )
    share_target = models.DecimalField(
        _("share of their purchases target (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Our share of what the customer buys in our category, 0–100."),
    )
    summary = models.TextField(
        _("summary"), blank=True, help_text=_("Where we stand and what we want to reach.")
    )
    notes = models.TextField(_("notes"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("plan owner"),
        on_delete=models.PROTECT,
        related_name="account_plans",
    )

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        ordering = ["-period_start", "period_kind", "-id"]
        indexes = [
            models.Index(
                fields=["account", "period_start", "id"],
                condition=Q(deleted_at__isnull=True),
                name="plan_account_period_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_kind", "period_start"],
                condition=Q(deleted_at__isnull=True),
                name="one_live_plan_per_period",
                violation_error_message=_(
                    "This account already has a plan for this period: open it and change it."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.account} · {self.period_label}"

    def get_absolute_url(self):
        return record_url("plans:detail", self.account_id, self.pk)

    @property
    def period_label(self) -> str:
        if not self.period_start:
            return ""
        return period_label(self.period_start, self.period_kind)

    def clean(self):
        super().clean()
        if self.period_start:
            expected = period_start_for(self.period_start, self.period_kind)
            if self.period_start != expected:
                raise ValidationError(
                    {
                        "period_start": _(
                            "A year starts on January 1 and a half-year on January 1 or "
                            "July 1: %(date)s is neither."
                        )
                        % {"date": self.period_start.isoformat()}
                    }
                )
            self.period_end = period_end_for(self.period_start, self.period_kind)

    def save(self, *args, **kwargs):
        if self.period_start:
            self.period_end = period_end_for(self.period_start, self.period_kind)
        super().save(*args, **kwargs)


class PlanAdvantage(ChoiceLabels):
    """One of the six advantages the plan builds, with the evidence for it."""

    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="advantages"
    )
    kind = models.CharField(_("advantage"), max_length=20, choices=Advantage.choices)
    evidence = models.TextField(
        _("evidence"), help_text=_("What shows the customer gets it: figures, cases, words.")
    )

    history = tracked()

    class Meta:
        verbose_name = _("plan advantage")
        verbose_name_plural = _("plan advantages")
        ordering = ["plan", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind"], name="one_advantage_kind_per_plan"),
        ]

    def __str__(self):
        return self.get_kind_display()


class PlanAction(VersionedModel):
    """One thing to do for the plan: who, by when, and which risk factor it moves."""

    plan = models.ForeignKey(
        AccountPlan,
        verbose_name=_("plan"),
        on_delete=models.PROTECT,  # soft-deleted along with its plan
        related_name="actions",
    )
    # The plan's account, kept on the action for the visibility rule, the feed and
    # reminders (a plan never moves to another account).
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="plan_actions",
        editable=False,
    )
    what = models.CharField(_("what"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_actions",
        help_text=_("The account owner or someone on the account team."),
    )
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)
    factor_key = models.CharField(
        _("risk factor it moves"),
        max_length=40,
        blank=True,
        help_text=_("Optional: the factor of the risk-evaluation table this action improves."),
    )
    notes = models.TextField(_("notes"), blank=True)

    # How its history names the risk factor: by the table's label, not its key.
    history_display = {"factor_key": lambda key: factor_label(key)}

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["plan", "due_on", "id"],
                condition=Q(deleted_at__isnull=True),
                name="planaction_plan_idx",
            ),
            # My week and the reminder scan: an owner's open actions by due date.
            models.Index(
                fields=["owner", "due_on", "id"],
                condition=Q(deleted_at__isnull=True, done_on__isnull=True),
                name="planaction_owner_open_idx",
            ),
        ]

    def __str__(self):
        return self.what

    def get_absolute_url(self):
        return record_url("plans:detail", self.account_id, self.plan_id) + f"#action-{self.pk}"

    def status(self, today: datetime.date) -> str:
        if self.done_on:
            return "done"
        if self.due_on < today:
            return "overdue"
        return "open"

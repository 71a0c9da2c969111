"""Opportunities (商机): the deals worked at key accounts, and the stages they move through."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Account,
    AccountTeamRole,
    Attitude,
    BuyingRole,
    CompetitorAssessment,
    Contact,
)
from keyaccounts.choices import ChoiceLabels
from keyaccounts.history.models import tracked
from keyaccounts.links import record_url
from keyaccounts.models import VersionedModel

PROBABILITY = [MinValueValidator(0), MaxValueValidator(100)]


class BilingualName:
    """`name` in the reader's language: the Chinese name when the page is in Chinese."""

    def __str__(self):
        language = (get_language() or "").lower()
        if language.startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name


class Stage(BilingualName, models.Model):
    """A step of the sales process. Data, not code: managers may add, rename, reorder."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    default_probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), validators=PROBABILITY
    )
    is_won = models.BooleanField(_("closes the deal as won"), default=False)
    is_lost = models.BooleanField(_("closes the deal as lost"), default=False)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(is_won=True) & models.Q(is_lost=True)),
                name="stage_not_both_won_and_lost",
                violation_error_message=_("A stage cannot be both won and lost."),
            ),
        ]

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class ExitCriterion(BilingualName, models.Model):
    """A verifiable outcome that proves a stage is done (可验证的推进成果)."""

    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("outcome"), max_length=200)
    name_zh = models.CharField(_("Chinese wording"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("exit criterion")
        verbose_name_plural = _("exit criteria")
        ordering = ["stage__order", "order", "pk"]


class OpportunityKind(models.TextChoices):
    NEW_CUSTOMER = "new_customer", _("New customer")
    EXPANSION = "expansion", _("Existing customer: deeper or cross selling")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")


class BidResult(models.TextChoices):
    PENDING = "pending", _("Pending")
    WON = "won", _("Won the bid")
    LOST = "lost", _("Lost the bid")
    CANCELLED = "cancelled", _("Tender cancelled")


class Opportunity(VersionedModel):
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=OpportunityKind.choices,
        default=OpportunityKind.NEW_CUSTOMER,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        db_index=False,  # (owner, stage) in Meta.indexes reads by owner too
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Off the list price; the service policy sets a ceiling per grade."),
    )
    expected_close_date = models.DateField(_("expected close date"), db_index=True)
    # Indexed in the history too: the forecast as a month began (scoring.analytics).
    history_indexes = ("expected_close_date",)
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        db_index=False,  # (stage, expected_close_date) in Meta.indexes reads by stage too
    )
    probability = models.PositiveSmallIntegerField(_("probability (%)"), validators=PROBABILITY)
    # False: the probability follows the stage's default as the deal moves.
    probability_is_custom = models.BooleanField(_("probability set by hand"), default=False)
    tender_published_on = models.DateField(_("tender published"), null=True, blank=True)
    bid_submitted_on = models.DateField(_("bid submitted"), null=True, blank=True)
    bid_opened_on = models.DateField(_("bids opened"), null=True, blank=True)
    bid_result = models.CharField(
        _("bid result"), max_length=20, choices=BidResult.choices, blank=True
    )
    close_reason = models.TextField(
        _("why it was won or lost"), blank=True, help_text=_("Required to close the deal.")
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    description = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["expected_close_date", "pk"]
        indexes = [
            # A board column in its order (selectors.BOARD_ORDER): its first cards, or
            # the next after a cursor, read off the index and no further.
            models.Index(
                fields=["stage", "expected_close_date", "id"], name="deal_board_column_idx"
            ),
            models.Index(fields=["owner", "stage"]),
            # The deals decided in a period (win/loss analytics, the drill-downs): a
            # range of the closed ones, never every won or lost deal of the company.
            models.Index(
                fields=["closed_on", "id"],
                condition=models.Q(closed_on__isnull=False, deleted_at__isnull=True),
                name="deal_decided_idx",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return record_url("opportunities:detail", self.pk)


class OpportunityCompetitor(CompetitorAssessment):
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("deal"),
        on_delete=models.CASCADE,
        related_name="competitors",
    )

    history = tracked()

    class Meta:
        verbose_name = _("competitor in the deal")
        verbose_name_plural = _("competitors in the deal")
        ordering = ["opportunity", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "name"], name="one_entry_per_deal_competitor"
            ),
        ]

    def get_edit_url(self):
        return reverse("opportunities:competitor_edit", args=[self.opportunity_id, self.pk])

    def get_remove_url(self):
        return reverse("opportunities:competitor_remove", args=[self.opportunity_id, self.pk])


class OpportunityContact(ChoiceLabels):
    """A buying-center contact involved in this deal, with their role and stance in it."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("deal"),
        on_delete=models.CASCADE,
        related_name="contact_roles",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="opportunity_roles",
    )
    role = models.CharField(_("role in this deal"), max_length=20, choices=BuyingRole.choices)
    stance = models.CharField(
        _("stance on this deal"), max_length=20, choices=Attitude.choices, default=Attitude.UNKNOWN
    )

    history = tracked()

    class Meta:
        verbose_name = _("contact in the deal")
        verbose_name_plural = _("contacts in the deal")
        ordering = ["opportunity", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "contact"], name="one_role_per_deal_contact"
            ),
        ]

    def __str__(self):
        return f"{self.contact} ({self.get_role_display()})"


class OpportunityTeamMember(ChoiceLabels):
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("deal"),
        on_delete=models.CASCADE,
        related_name="team_members",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=AccountTeamRole.choices)

    history = tracked()

    class Meta:
        verbose_name = _("deal team member")
        verbose_name_plural = _("deal team members")
        ordering = ["opportunity", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "user"], name="one_role_per_deal_member"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class CriterionCheck(models.Model):
    """An exit criterion ticked for one opportunity: who confirmed the outcome, when."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("deal"),
        on_delete=models.CASCADE,
        related_name="criterion_checks",
    )
    criterion = models.ForeignKey(
        ExitCriterion, verbose_name=_("exit criterion"), on_delete=models.CASCADE, related_name="+"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("confirmed"), auto_now_add=True)

    history = tracked()

    class Meta:
        verbose_name = _("exit criterion met")
        verbose_name_plural = _("exit criteria met")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "criterion"], name="one_check_per_criterion"
            ),
        ]

    def __str__(self):
        return f"{self.opportunity} · {self.criterion}"


class StageChange(models.Model):
    """The stage history: who moved the deal, when, from where to where."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("deal"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [
            # A deal's history in time order: the funnel's walk (scoring/analytics), and
            # the deal page's timeline.
            models.Index(fields=["opportunity", "changed_at"], name="stagechange_deal_time_idx"),
        ]

    def __str__(self):
        return f"{self.opportunity}: {self.from_stage} → {self.to_stage}"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a manager")  # 待审批
    APPROVED = "approved", _("Approved")  # 已批准
    REJECTED = "rejected", _("Rejected")  # 已驳回
    # The deal moved on or closed before a manager decided: nothing left to approve.
    WITHDRAWN = "withdrawn", _("No longer needed")  # 已失效


class StageApproval(ChoiceLabels):
    """A manager's approval to move a deal to a closing stage or won at an account whose
    money is at risk (`opportunities.gates`): asked by the rep with a reason, decided by
    a manager of the owner's team with a note; a manager moving the deal records one
    approved at once. Its history is part of the deal's timeline."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("deal"),
        on_delete=models.CASCADE,
        related_name="approvals",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+"
    )
    # What the gate said when it was asked: the risk the manager is accepting, in the
    # asker's language (`risk`, as the API has always given it) and in each language
    # the product speaks ({"en": …, "zh-hans": …}: `risk_shown`, the reader's).
    risk = models.CharField(_("risk"), max_length=500, blank=True)
    risk_texts = models.JSONField(
        _("risk in each language"), default=dict, blank=True, editable=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("why the move should go ahead"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("manager's note"), blank=True)
    # A move to won asked by the rep who closed it: why it was won, so that the
    # approval moves the deal (a closed deal needs its reason).
    close_reason = models.TextField(_("why it was won"), blank=True)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)

    # The texts in each language are the request's own, not a change anyone made.
    history = tracked(excluded_fields=["risk_texts"])

    class Meta:
        verbose_name = _("stage approval")
        verbose_name_plural = _("stage approvals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "to_stage"],
                condition=models.Q(status="pending"),
                name="one_pending_approval_per_deal_stage",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="approval_status_idx"),
        ]

    def __str__(self):
        return f"{self.opportunity} → {self.to_stage} ({self.get_status_display()})"

    def get_absolute_url(self):
        return record_url("opportunities:detail", self.opportunity_id) + "#approvals"

    @property
    def risk_shown(self) -> str:
        """The risk in the active language (a request made before the texts were kept
        in each: as asked)."""
        return self.risk_texts.get(get_language() or "", "") or self.risk


# --- the whole company's board totals, kept (opportunities/board_totals.py) ------------


class BoardTotal(models.Model):
    """How many deals, and their amounts and probability-weighted amounts (amount ×
    probability, in per cent), of one stage and currency closed on one day (none: not
    closed), among every live deal of a live account: what the pipeline board of someone
    who sees the whole company adds up, kept as deals change (`board_totals.refresh`)
    instead of summed over every deal on each view."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    closed_on = models.DateField(null=True, blank=True)
    deals = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    weighted = models.DecimalField(max_digits=22, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("kept board total")
        verbose_name_plural = _("kept board totals")

    def __str__(self):
        return f"{self.stage_id} {self.currency} {self.closed_on or '-'}: {self.deals}"


class BoardCounted(models.Model):
    """A deal as it is counted in `BoardTotal` (a live deal of a live account): what its
    next change takes out of the totals before it adds the deal as it is then. Not a
    foreign key: a deal deleted outright is taken out by its tombstone."""

    deal_id = models.BigIntegerField(primary_key=True)
    stage_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    closed_on = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    weighted = models.DecimalField(max_digits=17, decimal_places=2)

    class Meta:
        verbose_name = _("counted deal")
        verbose_name_plural = _("counted deals")

    def __str__(self):
        return str(self.deal_id)


class BoardTotalsState(models.Model):
    """The one row that says up to which change number (`keyaccounts.models.
    next_change_seq`) the kept totals are counted, in which feed epoch (a database
    restored from a backup starts a new epoch: the totals are counted again)."""

    seq = models.BigIntegerField(default=0)
    epoch = models.CharField(max_length=40, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kept board totals' state")
        verbose_name_plural = _("kept board totals' state")

    def __str__(self):
        return f"{self.epoch}-{self.seq}"

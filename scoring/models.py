"""The customer risk-evaluation table (客户风险评估表) as data, and the grades it gives.

A `ScoringModel` is one version of the table: its factors (label, weight, source, bands
that turn the raw value into points) and the grade grid (time to close × score).
Versions are never edited in place: a change is saved as a new version, which becomes
the one active model, and every account is rescored. Each account's current result is
one `AccountScore` row (score, grade, the model version and every factor's
contribution); each change of grade is kept in `GradeChange`. A row's contributions hold
only what is the account's own (`engine.score`); the factors' labels, sources and weights
are read from the row's version (`scoring.specs.explained`).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from keyaccounts.amounts import amount_at_least, amount_at_most
from keyaccounts.choices import ChoiceLabels
from scoring.defaults import DEFAULT_NOTE


def bilingual(english: str, chinese: str) -> str:
    """The Chinese wording when the page is in Chinese and there is one."""
    if chinese and (get_language() or "").lower().startswith("zh"):
        return chinese
    return english


class Grade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class Source(models.TextChoices):
    """Where a factor's raw value comes from. Every source yields a number (or nothing)."""

    # the account's own fields
    ANNUAL_BUDGET = "annual_budget", _("Annual budget for our category (10k CNY)")
    ANNUAL_REVENUE = "annual_revenue", _("Annual revenue (10k CNY)")
    EMPLOYEES = "employees", _("Employees")
    CREDIT_RATING = "credit_rating", _("Credit rating (AAA = 7 … CCC = 1, not rated = none)")
    GROWTH_POTENTIAL = "growth_potential", _("Growth potential (low 1, medium 2, high 3)")
    # the account's open opportunities
    OPEN_PIPELINE = "open_pipeline", _("Open pipeline amount (CNY)")
    DAYS_TO_CLOSE = "days_to_close", _("Days to the nearest expected close date")
    WIN_PROBABILITY = "win_probability", _("Best win probability of the open deals (%)")
    # visits and the buying center
    DAYS_SINCE_CONTACT = "days_since_contact", _("Days since the last recorded visit")
    ROLE_COVERAGE = (
        "role_coverage",
        _("Buying-center coverage (decider, evaluator, user, purchaser, coach: 0–5)"),
    )
    SUPPORTIVE_SHARE = "supportive_share", _("Share of active contacts who support us (%)")
    OPPONENTS = "opponents", _("Active contacts who oppose us")
    # the rep's ratings on the account's assessment (1–5)
    NEED_FIT = "need_fit", _("Rating: need fit (1–5)")
    COMPETITIVE_POSITION = "competitive_position", _("Rating: competitive position (1–5)")
    RELATIONSHIP = "relationship", _("Rating: relationship closeness (1–5)")


RATING_SOURCES = frozenset({Source.NEED_FIT, Source.COMPETITIVE_POSITION, Source.RELATIONSHIP})


class ScoringModel(models.Model):
    """One version of the risk-evaluation table. Exactly one is active."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The grade grid's axes: score bands and time to close.
    strong_min = models.PositiveSmallIntegerField(
        _("strong from score"),
        default=70,
        validators=[MaxValueValidator(100)],
        help_text=_("A score at or above this is strong."),
    )
    fair_min = models.PositiveSmallIntegerField(
        _("fair from score"),
        default=40,
        validators=[MaxValueValidator(100)],
        help_text=_("A score at or above this (and below strong) is fair; below it, weak."),
    )
    soon_days = models.PositiveSmallIntegerField(
        _("closing soon within (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("An open deal expected to close within this many days counts as soon."),
    )

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_scoring_model",
            ),
            models.CheckConstraint(
                condition=models.Q(fair_min__lte=models.F("strong_min")),
                name="fair_at_most_strong",
                violation_error_message=_("“Fair from” must not be above “strong from”."),
            ),
        ]

    def __str__(self):
        return _("Risk-evaluation table v%(version)s") % {"version": self.version}

    @property
    def shown_note(self) -> str:
        """What changed, as written; the first version's note (the product's own) in
        the page's language."""
        return gettext(self.note) if self.note == DEFAULT_NOTE else self.note


class Factor(ChoiceLabels):
    model = models.ForeignKey(
        ScoringModel, verbose_name=_("model"), on_delete=models.CASCADE, related_name="factors"
    )
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    label_zh = models.CharField(_("Chinese label"), max_length=100, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), validators=[MaxValueValidator(1000)])
    source = models.CharField(_("source"), max_length=30, choices=Source.choices)
    missing_points = models.PositiveSmallIntegerField(
        _("points when unknown"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("Points (0–100) when the account has no value for this source."),
    )
    guidance = models.TextField(
        _("guidance"),
        blank=True,
        help_text=_("How to judge it: for a rating, what each of 1 to 5 means."),
    )
    guidance_zh = models.TextField(
        _("Chinese guidance"),
        blank=True,
        help_text=_("The same in Chinese, shown on Chinese pages (empty: the guidance above)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("factor")
        verbose_name_plural = _("factors")
        ordering = ["model", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="one_factor_per_key"),
        ]

    def __str__(self):
        return bilingual(self.label, self.label_zh)

    @property
    def shown_guidance(self) -> str:
        """The guidance in the page's language (the English when there is no Chinese)."""
        return bilingual(self.guidance, self.guidance_zh)


class Band(models.Model):
    """From `min_value` (inclusive) up to the next band's, the factor scores `points`."""

    factor = models.ForeignKey(
        Factor, verbose_name=_("factor"), on_delete=models.CASCADE, related_name="bands"
    )
    min_value = models.DecimalField(
        _("from value"),
        max_digits=16,
        decimal_places=2,
        validators=[amount_at_least, amount_at_most],
    )
    points = models.PositiveSmallIntegerField(_("points"), validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("band")
        verbose_name_plural = _("bands")
        ordering = ["factor", "min_value"]
        constraints = [
            models.UniqueConstraint(fields=["factor", "min_value"], name="one_band_per_bound"),
        ]

    def __str__(self):
        return f"≥ {self.min_value}: {self.points}"


class Closing(models.TextChoices):
    SOON = "soon", _("Closing soon")
    LATER = "later", _("Closing later")
    NONE = "none", _("No open deal")


class Strength(models.TextChoices):
    STRONG = "strong", _("Strong")
    FAIR = "fair", _("Fair")
    WEAK = "weak", _("Weak")


class GridCell(ChoiceLabels):
    """The grade for one (time to close, score band) pair of a model."""

    model = models.ForeignKey(
        ScoringModel, verbose_name=_("model"), on_delete=models.CASCADE, related_name="cells"
    )
    closing = models.CharField(_("time to close"), max_length=10, choices=Closing.choices)
    strength = models.CharField(_("score"), max_length=10, choices=Strength.choices)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)

    class Meta:
        verbose_name = _("grade grid cell")
        verbose_name_plural = _("grade grid")
        constraints = [
            models.UniqueConstraint(fields=["model", "closing", "strength"], name="one_grid_cell"),
        ]

    def __str__(self):
        return f"{self.get_closing_display()} × {self.get_strength_display()} = {self.grade}"


def rating_field(label):
    return models.PositiveSmallIntegerField(
        label,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )


class Assessment(models.Model):
    """The rep's ratings of an account, 1–5 each (5 best); unrated counts as unknown."""

    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="assessment",
    )
    need_fit = rating_field(_("need fit"))
    competitive_position = rating_field(_("competitive position"))
    relationship = rating_field(_("relationship closeness"))
    notes = models.TextField(_("notes"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("rated"), auto_now=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self):
        return str(self.account)


class AccountScore(ChoiceLabels):
    """An account's current score and grade, and why."""

    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="score",
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    computed_grade = models.CharField(_("computed grade"), max_length=1, choices=Grade.choices)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, db_index=True)
    closing = models.CharField(_("time to close"), max_length=10, choices=Closing.choices)
    # The date, not the days to it: the row stays the same as the calendar moves.
    next_close = models.DateField(_("nearest expected close"), null=True, blank=True)
    model = models.ForeignKey(
        ScoringModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="+"
    )
    # [{"key", "raw" (or "on": a day count's date), "points", "contribution"}, ...] in the
    # order of the model's factors (engine.score); the rest comes from the model.
    contributions = models.JSONField(_("contributions"), default=list)
    pinned = models.BooleanField(_("pinned"), default=False)
    # When the score, grade or contributions last changed: a rescore that finds them
    # the same writes nothing.
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("account score")
        verbose_name_plural = _("account scores")
        indexes = [
            models.Index(fields=["grade", "score"]),
            # The account list sorted by grade or by score, ties by the account's id
            # (keyaccounts.paging; accounts.filters.account_list_ordering).
            models.Index(fields=["grade", "account"], name="score_grade_list_idx"),
            models.Index(fields=["score", "account"], name="score_score_list_idx"),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.grade} ({self.score})"

    @property
    def days_to_close(self) -> int | None:
        """Days from today to the nearest expected close (negative once it has passed);
        None: no open deal."""
        if self.next_close is None:
            return None
        return (self.next_close - timezone.localdate()).days


class ChangeReason(models.TextChoices):
    FIRST = "first", _("First grade")
    RESCORED = "rescored", _("Rescored: its data or the calendar moved")
    MODEL = "model", _("The risk-evaluation table changed")
    PINNED = "pinned", _("Pinned by a manager")
    UNPINNED = "unpinned", _("Pin removed or expired")


class GradeChange(ChoiceLabels):
    """One move of an account's grade: from what, to what, when and why."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="grade_changes",
    )
    from_grade = models.CharField(
        pgettext_lazy("grade change", "from"), max_length=1, choices=Grade.choices, blank=True
    )  # blank: the first grade
    to_grade = models.CharField(
        pgettext_lazy("grade change", "to"), max_length=1, choices=Grade.choices
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    model = models.ForeignKey(
        ScoringModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("why"), max_length=20, choices=ChangeReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # As AccountScore.contributions, at the time of the change (with `model`).
    contributions = models.JSONField(_("contributions"), default=list)
    changed_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        ordering = ["-changed_at", "-pk"]
        # An account's grade history, newest first, ties by id (scoring/grade/views.py).
        indexes = [models.Index(fields=["account", "-changed_at", "-id"], name="grade_history_idx")]

    def __str__(self):
        return f"{self.account_id}: {self.from_grade or '–'} → {self.to_grade}"


class GradePinQuerySet(models.QuerySet):
    def in_force(self, today):
        """Pins that still hold on `today` (the last day they hold is `expires_on`)."""
        return self.filter(expires_on__gte=today)


class GradePin(ChoiceLabels):
    """A manager's decision that holds an account at a grade until `expires_on`."""

    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="grade_pin",
    )
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    reason = models.CharField(_("reason"), max_length=300)
    expires_on = models.DateField(_("holds until"), db_index=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pinned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pinned_at = models.DateTimeField(_("pinned"), auto_now=True)

    objects = GradePinQuerySet.as_manager()

    class Meta:
        verbose_name = _("grade pin")
        verbose_name_plural = _("grade pins")

    def __str__(self):
        return f"{self.account_id}: {self.grade} until {self.expires_on}"

    def holds_on(self, today) -> bool:
        """The one rule for a pin in force, as `GradePinQuerySet.in_force` says it in SQL."""
        return self.expires_on >= today


def pin_in_force(pin: "GradePin | None", today) -> "GradePin | None":
    return pin if pin is not None and pin.holds_on(today) else None


class RescoreRequest(models.Model):
    """An account waiting to be rescored. Written in the transaction of the change that
    made it stale, so a lost queue message loses nothing: the next run takes it."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rescore request")
        verbose_name_plural = _("rescore requests")

    def __str__(self):
        return f"{self.account_id} @ {self.requested_at:%Y-%m-%d %H:%M:%S}"


class MonthlySales(models.Model):
    """An account's sales in one month and its receivables at the month's end."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="monthly_sales"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    sales = models.DecimalField(
        _("sales (CNY)"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0), amount_at_most],
    )
    receivables = models.DecimalField(
        _("receivables at month end (CNY)"),
        max_digits=16,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), amount_at_most],
    )

    class Meta:
        verbose_name = _("monthly sales")
        verbose_name_plural = _("monthly sales")
        ordering = ["account", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="one_sales_row_per_month"),
        ]
        # The sales list's order (selectors.SALES_ORDER), and months of every account.
        indexes = [models.Index(fields=["-month", "account", "id"], name="sales_list_idx")]

    def __str__(self):
        return f"{self.account_id} {self.month:%Y-%m}"

"""The service policy by grade (分级服务政策) as data: one version per change, exactly one
active, never edited in place (like the risk-evaluation table, `scoring.ScoringModel`).

A `ServicePolicy` is one version; its `GradePolicy` rows say, per grade A–D, how often
the account is contacted, the complaint service levels (respond / resolve, in working
days) and the discount ceiling (分级优惠). Read it through `accounts.policy.current_policy()`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyaccounts.choices import ChoiceLabels

GRADES = ("A", "B", "C", "D")
UNGRADED = "D"  # an account not graded yet is served as a D account


class PolicyGrade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


# Notes the system wrote (the first version's, by migration 0008), shown in the reader's
# language; a person's note is shown as they wrote it.
SYSTEM_NOTES = {
    "Initial policy (contact rhythm from the environment)": _(
        "Initial policy (contact rhythm from the environment)"
    ),
}


class ServicePolicy(models.Model):
    """One version of the service policy by grade. Exactly one is active."""

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

    class Meta:
        verbose_name = _("service policy")
        verbose_name_plural = _("service policies")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_service_policy",
            ),
        ]

    def __str__(self):
        return _("Service policy v%(version)s") % {"version": self.version}

    @property
    def shown_note(self) -> str:
        """The note as the pages show it: the system's in the reader's language."""
        return str(SYSTEM_NOTES.get(self.note, self.note))


class GradePolicy(ChoiceLabels):
    """What one grade gets under one version of the policy."""

    policy = models.ForeignKey(
        ServicePolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="grades"
    )
    grade = models.CharField(_("grade"), max_length=1, choices=PolicyGrade.choices)
    contact_rhythm_days = models.PositiveSmallIntegerField(
        _("contact rhythm (days)"),
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days without a recorded visit before the account is flagged (1–365)."),
    )
    respond_working_days = models.PositiveSmallIntegerField(
        _("respond to a complaint within (working days)"),
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Whole working days, 1–60."),
    )
    resolve_working_days = models.PositiveSmallIntegerField(
        _("resolve a complaint within (working days)"),
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Whole working days, 1–60, at least the time to respond."),
    )
    discount_ceiling_percent = models.DecimalField(
        _("discount ceiling (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The largest discount a deal of this grade should get, 0–100; blank: none."),
    )

    class Meta:
        verbose_name = _("service policy for a grade")
        verbose_name_plural = _("service policy by grade")
        ordering = ["policy", "grade"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "grade"], name="one_policy_row_per_grade"),
            models.CheckConstraint(
                condition=models.Q(resolve_working_days__gte=models.F("respond_working_days")),
                name="policy_resolve_at_least_respond",
                violation_error_message=_("Resolving cannot take less time than responding."),
            ),
        ]

    def __str__(self):
        return f"{self.policy} · {self.grade}"

    def clean(self):
        respond, resolve = self.respond_working_days, self.resolve_working_days
        if respond is not None and resolve is not None and resolve < respond:
            raise ValidationError(
                {
                    "resolve_working_days": _(
                        "Resolving cannot take less time than responding: enter at least "
                        "%(respond)s working days."
                    )
                    % {"respond": respond}
                }
            )

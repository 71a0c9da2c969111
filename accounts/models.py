"""Customer accounts (大客户), their buying center, and the people on our side.

"Account" here means a customer organisation; our own users are `User`.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from keyaccounts.amounts import amount_at_most
from keyaccounts.choices import ChoiceLabels
from keyaccounts.history.models import tracked
from keyaccounts.links import record_url
from keyaccounts.models import VersionedModel

from .duplicates import (
    normalize_credit_code,
    normalize_name,
    validate_credit_code,
    validate_phone,
)


class User(ChoiceLabels, AbstractUser):
    """One of our people: rep, presales consultant, project manager or manager."""

    sales_team = models.ForeignKey(
        "SalesTeam",
        verbose_name=_("sales team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    # The language of the person's emails and, where their browser has not chosen one
    # (no language cookie), of the pages; set by the language switch. Empty: the site's.
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Of your emails and pages. Empty: the site's language."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def email_language(self) -> str:
        """The language to write to this person in: theirs, else the site's."""
        return self.language or settings.LANGUAGE_CODE

    def get_full_name(self):
        # Chinese names are written surname first, without a space: 王建国, not 建国 王.
        if any("\u4e00" <= ch <= "\u9fff" for ch in self.last_name + self.first_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()


class SalesTeam(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        User,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    class Meta:
        verbose_name = _("sales team")
        verbose_name_plural = _("sales teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Industry(models.TextChoices):
    TECHNOLOGY = "technology", _("Technology")
    FINANCE = "finance", _("Finance")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    GOVERNMENT = "government", _("Government")
    EDUCATION = "education", _("Education")
    ENERGY = "energy", _("Energy")
    TELECOM = "telecom", _("Telecom")
    LOGISTICS = "logistics", _("Logistics")
    HEALTHCARE = "healthcare", _("Healthcare")
    RETAIL = "retail", _("Retail")
    OTHER = "other", _("Other")


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    DEVELOPING = "developing", _("Developing")
    ACTIVE = "active", _("Active customer")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class CreditRating(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    BBB = "BBB", "BBB"
    BB = "BB", "BB"
    B = "B", "B"
    CCC = "CCC", _("CCC or below")
    UNRATED = "unrated", _("Not rated")


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


PERCENT = [MinValueValidator(-100), MaxValueValidator(100)]


class Account(VersionedModel):
    """A key account: one customer organisation and what we know of it."""

    # Identity
    # Indexed in Meta.indexes (plain b-trees: `db_index` also made a pattern index each).
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices)
    region = models.CharField(_("region"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AccountStatus.choices,
        default=AccountStatus.PROSPECT,
    )
    owner = models.ForeignKey(
        User,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
        db_index=False,  # (owner, status) in Meta.indexes reads by owner too
    )
    website = models.URLField(_("website"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)

    # Size and budget
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("annual revenue (10k CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    annual_budget = models.DecimalField(
        _("annual budget for our category (10k CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    growth_potential = models.CharField(
        _("growth potential"), max_length=10, choices=Level.choices, blank=True
    )

    # Financial standing (客户管理信息)
    credit_rating = models.CharField(
        _("credit rating"),
        max_length=10,
        choices=CreditRating.choices,
        default=CreditRating.UNRATED,
    )
    debt_to_asset_ratio = models.DecimalField(
        _("asset-liability ratio (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(999)],
    )
    net_profit_margin = models.DecimalField(
        _("net profit margin (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    return_on_assets = models.DecimalField(
        _("return on assets (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    payment_cycle_days = models.PositiveIntegerField(
        _("payment cycle (days)"), null=True, blank=True, validators=[MaxValueValidator(3650)]
    )
    inventory_cycle_days = models.PositiveIntegerField(
        _("inventory cycle (days)"), null=True, blank=True, validators=[MaxValueValidator(3650)]
    )

    # Sales information
    customer_markets = models.TextField(
        _("who buys the customer's products"),
        blank=True,
        help_text=_("The customer's own customers and markets."),
    )
    logistics = models.TextField(_("customer's logistics"), blank=True)
    category_purchases = models.DecimalField(
        _("yearly purchases of our category (10k CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    our_share = models.DecimalField(
        _("our share of its purchases (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    # Purchase factors (大客户开发系数表)
    purchase_cost_level = models.CharField(
        _("purchase cost level"),
        max_length=10,
        choices=Level.choices,
        blank=True,
        help_text=_("Higher cost means longer decisions and more deciders."),
    )
    technology_content = models.CharField(
        _("technology content"), max_length=10, choices=Level.choices, blank=True
    )
    policy_factors = models.TextField(
        _("policy and social factors"),
        blank=True,
        help_text=_("Industry standards, environmental and legal requirements."),
    )

    # Development value (成本/销售预测分析)
    expected_sales = models.DecimalField(
        _("expected yearly sales (10k CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    expected_profit = models.DecimalField(
        _("expected yearly profit (10k CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    cost_to_serve = models.DecimalField(
        _("cost to win and serve (10k CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("People, travel, inventory, financing and risk."),
    )

    notes = models.TextField(_("notes"), blank=True)

    # Group customers (集团客户): the parent company, any depth, never a cycle
    # (accounts.groups checks a move; services refuse one with the reason).
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidiaries",
        help_text=_("The group this customer belongs to (集团客户), if any."),
    )
    # Money risk: what we agreed with the customer (the receivables' ageing counts from it).
    payment_terms_days = models.PositiveIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text=_("Days the customer has to pay an invoice."),
    )
    credit_limit = models.DecimalField(
        _("credit limit"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), amount_at_most],
        help_text=_("The most the customer may owe us; blank: no limit set."),
    )

    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("统一社会信用代码: 18 characters, the last a check character."),
    )
    # normalize_name(name): what a likely duplicate shares (accounts.duplicates).
    name_key = models.CharField(max_length=200, editable=False, default="")  # Meta.indexes
    # Set when a manager merged this account into another (it is then in the bin).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name", "pk"]
        indexes = [
            # Plain b-trees, as `db_index=True` made them, without the second index
            # (varchar_pattern_ops, for LIKE 'prefix%') it made beside each: no query
            # reads these columns by prefix (a search is the trigram index's), and every
            # insert and update of an account wrote five more index entries for them (a
            # bulk load of 20,000 accounts: a fifth of its time).
            *(
                models.Index(fields=[name], name=f"account_{name}_idx")
                for name in ("name", "industry", "region", "status", "name_key")
            ),
            models.Index(fields=["owner", "status"]),
            # The account list's sorts, each with the id that breaks ties: a page of
            # live accounts in any of them is one index range (keyaccounts.paging).
            *(
                models.Index(
                    fields=[name, "id"],
                    condition=Q(deleted_at__isnull=True),
                    name=f"account_list_{name}_idx",
                )
                for name in ("name", "updated_at", "region")
            ),
            # The region of each live account by its id, read from the index alone: the
            # regions among a person's visible accounts (the list's region filter, on
            # the account list, the heat-map and the dashboard) are their access rows
            # joined here, without a visit to each account's row (a manager's 2,200:
            # 20 ms to 4 ms at 100,000 accounts). PostgreSQL; elsewhere an index on id.
            models.Index(
                fields=["id"],
                include=["region"],
                condition=Q(deleted_at__isnull=True),
                name="account_region_by_id_idx",
            ),
            # The live subsidiaries, and nothing else: which accounts head a group is
            # read from these few entries (the dashboard's groups), never by scanning
            # every account for its parent.
            models.Index(
                fields=["parent"],
                condition=Q(parent__isnull=False, deleted_at__isnull=True),
                name="account_subsidiary_idx",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        # The stored form before the uniqueness check reads it: a code typed in lower case
        # or full-width is the same code as the one on file.
        self.credit_code = normalize_credit_code(self.credit_code) or None

    def save(self, *args, **kwargs):
        self.set_keys()
        return super().save(*args, **kwargs)

    def set_keys(self) -> None:
        """The stored forms of the keys: the credit code normalised, the name's
        `name_key`. `save` sets them; a set-based write (an import) calls this itself."""
        self.credit_code = normalize_credit_code(self.credit_code) or None
        self.name_key = normalize_name(self.name)

    def get_absolute_url(self):
        return record_url("accounts:detail", self.pk)


class AccountTeamRole(models.TextChoices):
    SALES_REP = "sales_rep", _("Sales rep")
    PRESALES = "presales", _("Presales consultant")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")


class AccountTeamMember(ChoiceLabels):
    """One of our people on an account's team (team selling)."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="team_members"
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="account_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=AccountTeamRole.choices)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    history = tracked()

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team members")
        ordering = ["account", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="one_team_role_per_user"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class AccountAccess(models.Model):
    """One row per account a user may see: the visibility rule, answered in advance.

    `accounts.selectors.accounts_visible_to` reads it with one indexed join instead of
    evaluating the rule (`accounts_visible_by_rule`) on every query. `accounts.access`
    keeps it equal to the rule, in the transaction of every write that changes the
    rule's inputs; `manage.py rebuild_access` rebuilds it. Active users who are not
    superusers have rows (a superuser sees everything without them); accounts in the
    recycle bin keep theirs, for the bin and restores."""

    # The unique index (user, account) leads with the user: a page reads one user's rows.
    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="account_access",
        db_index=False,
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="access"
    )
    # Whether the account is live (not in the recycle bin), kept with the account's
    # `deleted_at` (`accounts.access`): the records of a user's live accounts are read
    # from this table alone (`visible_account_ids`), without joining the accounts.
    live = models.BooleanField(_("live"), default=True)

    class Meta:
        verbose_name = _("account access")
        verbose_name_plural = _("account access")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="one_access_row_per_pair"),
        ]
        indexes = [
            # A user's live accounts, read from the index alone.
            models.Index(
                fields=["user", "account"], name="live_access_by_user", condition=Q(live=True)
            ),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.account_id}"


class ThreatLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class CompetitorAssessment(ChoiceLabels):
    """A competitor and how we stand against it: at an account, or in one deal."""

    name = models.CharField(_("competitor"), max_length=200)
    strengths = models.TextField(_("their strengths"), blank=True)
    weaknesses = models.TextField(_("their weaknesses"), blank=True)
    threat = models.CharField(
        _("threat"), max_length=10, choices=ThreatLevel.choices, default=ThreatLevel.MEDIUM
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


class AccountCompetitor(CompetitorAssessment):
    """A competitor present at the account, and how we stand against it."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="competitors"
    )

    history = tracked()

    class Meta:
        verbose_name = _("competitor at the account")
        verbose_name_plural = _("competitors at the account")
        ordering = ["account", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="one_entry_per_competitor"),
        ]

    def get_edit_url(self):
        return reverse("accounts:competitor_edit", args=[self.account_id, self.pk])

    def get_remove_url(self):
        return reverse("accounts:competitor_remove", args=[self.account_id, self.pk])


class BuyingRole(models.TextChoices):
    DECIDER = "decider", _("Decider")
    EVALUATOR = "evaluator", _("Evaluator")
    USER = "user", pgettext_lazy("buying role", "User")
    PURCHASER = "purchaser", _("Purchaser")
    OTHER = "other", _("Other / not yet known")


# Roles that can stop a purchase: the decider's final approval, the evaluator's
# technical veto and the users' partial veto (DOMAIN.md, the buying center).
VETO_ROLES = frozenset({BuyingRole.DECIDER, BuyingRole.EVALUATOR, BuyingRole.USER})


class Attitude(models.TextChoices):
    CHAMPION = "champion", _("Strong supporter")
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    SKEPTIC = "skeptic", _("Skeptic")
    OPPONENT = "opponent", _("Opponent")
    UNKNOWN = "unknown", _("Unknown")


class Contact(VersionedModel):
    """A person at the customer, with their place in the buying center."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="contacts",
        db_index=False,  # (account, buying_role) in Meta.indexes reads by account too
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    phone = models.CharField(
        _("phone"),
        max_length=40,
        blank=True,
        validators=[validate_phone],
        help_text=_("Digits, with +, spaces, hyphens or brackets; an extension after 转 or ext."),
    )
    email = models.EmailField(_("email"), blank=True)
    buying_role = models.CharField(
        _("buying role"),
        max_length=20,
        choices=BuyingRole.choices,
        default=BuyingRole.OTHER,  # read with the account: (account, buying_role)
    )
    is_coach = models.BooleanField(
        _("coach (internal champion)"),
        default=False,
        help_text=_("Supports our solution and guides us through the organisation."),
    )
    influence = models.CharField(
        _("influence"), max_length=10, choices=Level.choices, default=Level.MEDIUM
    )
    attitude = models.CharField(
        _("attitude to us"), max_length=20, choices=Attitude.choices, default=Attitude.UNKNOWN
    )
    job_interests = models.TextField(_("job interests"), blank=True)
    personal_interests = models.TextField(_("personal interests"), blank=True)
    personality = models.TextField(_("personality"), blank=True)
    pressures = models.TextField(_("pressures and challenges"), blank=True)
    hobbies = models.TextField(_("interests and hobbies"), blank=True)
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    relationship_owner = models.ForeignKey(
        User,
        verbose_name=_("relationship owner on our side"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_relationships",
        help_text=_("Who on our side keeps this relationship, at the matching level."),
    )
    is_active = models.BooleanField(
        _("still at the customer"),
        default=True,
        help_text=_("Untick when the person leaves; the history stays."),
    )
    # Set by the contact services when `is_active` goes False, cleared when it is set
    # again: the people-move reminder is once per leaving (its due date).
    left_on = models.DateField(_("left on"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["account", "name", "pk"]
        indexes = [models.Index(fields=["account", "buying_role"])]

    def __str__(self):
        return f"{self.name} ({self.title})" if self.title else self.name

    def get_absolute_url(self):
        return record_url("accounts:contact_edit", self.account_id, self.pk)

    def clean(self):
        boss = self.reports_to  # None without a query when nobody is named
        if boss is None:
            return
        if _identity(boss) == _identity(self):
            raise ValidationError({"reports_to": _("A contact cannot report to themselves.")})
        if boss.account_id != self.account_id:
            raise ValidationError({"reports_to": _("Choose a contact of the same account.")})
        # Walk up the chain: a loop in the org chart would hang every tree view.
        seen = {_identity(self)}
        while boss is not None:
            if _identity(boss) in seen:
                raise ValidationError(
                    {"reports_to": _("This would make a loop in the reporting line.")}
                )
            seen.add(_identity(boss))
            boss = boss.reports_to


def _identity(contact: Contact):
    """A contact's key in a reporting line: its id, or for one not saved yet (an import
    checks a file's new contacts before it writes them) the object itself."""
    return contact.pk if contact.pk is not None else id(contact)


# The service policy by grade lives in its own module (accounts/policy/); imported here
# so the app registry finds its models.
from .policy.models import GradePolicy, PolicyGrade, ServicePolicy  # noqa: E402, F401

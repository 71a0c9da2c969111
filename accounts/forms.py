from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from keyaccounts.history.merge import MergingForm

from .duplicates import normalize_credit_code
from .models import Account, AccountCompetitor, AccountTeamRole, Contact, User
from .picker import AccountPickerField, UserPickerField, keeping
from .selectors import accounts_visible_to, assignable_owners, can_reassign, users_pickable_by
from .services import merge_fields


class VersionedForm(MergingForm):
    """A model form that carries the version the user started editing from.

    The view passes it to the service as `expected_version`, so a save from a stale
    tab is refused with a message instead of silently overwriting someone's work; saving
    again after that writes the fields the user changed and keeps the others as someone
    else saved them (keyaccounts.history.merge).
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def model_fields_data(self) -> dict:
        return {
            name: value for name, value in self.cleaned_data.items() if name in self._meta.fields
        }


class DuplicateCheckMixin:
    """A checkbox to save a likely duplicate on purpose. The service checks for
    duplicates and refuses with `possible_duplicate`; the form then shows the matches
    (`duplicates`, set by `accounts.views.add_errors`) and this checkbox beside them."""

    duplicates: dict | None = None

    def model_fields_data(self) -> dict:
        # What the service takes: the record's fields, and whether to save it anyway.
        return {
            **super().model_fields_data(),
            "confirm_duplicate": bool(self.cleaned_data.get("confirm_duplicate")),
        }


class AccountForm(DuplicateCheckMixin, VersionedForm):
    confirm_duplicate = forms.BooleanField(
        label=_("Save anyway: this is a different company"), required=False
    )
    website = forms.URLField(
        # Capitalised as a model field's label is (a form field declared here is not).
        label=capfirst(Account._meta.get_field("website").verbose_name),
        required=False,
        assume_scheme="https",  # a website typed without a scheme is https nowadays
    )
    # Sections of the form, in the order the page shows them.
    SECTIONS = [
        (
            _("Identity"),
            [
                "name",
                "credit_code",
                "industry",
                "region",
                "status",
                "owner",
                "parent",
                "website",
                "address",
                "external_id",
            ],
        ),
        (
            _("Size and budget"),
            ["employees", "annual_revenue", "annual_budget", "growth_potential"],
        ),
        (
            _("Financial standing"),
            [
                "credit_rating",
                "debt_to_asset_ratio",
                "net_profit_margin",
                "return_on_assets",
                "payment_cycle_days",
                "inventory_cycle_days",
            ],
        ),
        # Money risk (scoring/money/risk.py): what was agreed with the customer. 账期 / 信用额度
        (_("Money"), ["payment_terms_days", "credit_limit"]),
        (
            _("Sales information"),
            ["customer_markets", "logistics", "category_purchases", "our_share"],
        ),
        (_("Purchase factors"), ["purchase_cost_level", "technology_content", "policy_factors"]),
        (_("Development value"), ["expected_sales", "expected_profit", "cost_to_serve", "notes"]),
    ]

    class Meta:
        model = Account
        fields = [
            "name", "credit_code", "industry", "region", "status", "owner", "website", "address",
            "parent",
            "external_id", "employees", "annual_revenue", "annual_budget", "growth_potential",
            "credit_rating", "debt_to_asset_ratio", "net_profit_margin", "return_on_assets",
            "payment_cycle_days", "inventory_cycle_days",
            "customer_markets", "logistics", "category_purchases", "our_share",
            "purchase_cost_level", "technology_content", "policy_factors",
            "expected_sales", "expected_profit", "cost_to_serve", "notes",
            "payment_terms_days", "credit_limit",
        ]  # fmt: skip
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ["customer_markets", "logistics", "policy_factors", "notes"]
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if can_reassign(user, self.instance if self.instance.pk else None):
            # Picked by name among those the user may give it to (never a list of all).
            self.fields["owner"] = UserPickerField(
                label=self.fields["owner"].label,
                queryset=keeping(assignable_owners(user), [self.instance.owner_id]),
                scope="owners",
            )
            if not self.instance.pk:
                self.fields["owner"].initial = user.pk
        else:
            # Reps own what they create and cannot hand accounts on.
            del self.fields["owner"]
        self._parent_field(user)
        _code_as_printed(self.fields["credit_code"])

    def clean_credit_code(self):
        """As printed on a licence ("9135 0100 M000 100Y43") or typed in full width:
        spaces taken out and capitals made before its 18 characters are checked."""
        return normalize_credit_code(self.cleaned_data.get("credit_code")) or None

    def _parent_field(self, user: User) -> None:
        """Group customers: the parent company, picked by name among the user's visible
        accounts (whether it makes a cycle is the service's to say, with the reason). A
        parent the user cannot see is kept as it is, unnamed: the field is left out."""
        parent_id = self.instance.parent_id
        if parent_id is not None and not (
            accounts_visible_to(user, deleted=True).filter(pk=parent_id).exists()
        ):
            del self.fields["parent"]
            return
        self.fields["parent"] = AccountPickerField(
            label=capfirst(Account._meta.get_field("parent").verbose_name),
            help_text=_("The group this customer belongs to (集团客户), if any."),
            required=False,
            # One in the recycle bin stays valid sent back untouched, as it is shown.
            queryset=keeping(accounts_visible_to(user), [parent_id]),
        )

    def sections(self):
        for title, names in self.SECTIONS:
            yield title, [self[name] for name in names if name in self.fields]

    def validate_unique(self):
        # A credit code another account has is the service's to answer, after its
        # duplicate check: it names that account with a link when the user may see it.
        try:
            self.instance.validate_unique(
                exclude={*self._get_validation_exclusions(), "credit_code"}
            )
        except ValidationError as error:
            self._update_errors(error)


def _code_as_printed(field) -> None:
    """A credit code field that takes the code with spaces (its length is checked once
    they are out): no max length on the field or its input."""
    field.max_length = None
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.widget.attrs.pop("maxlength", None)


class ContactForm(DuplicateCheckMixin, VersionedForm):
    confirm_duplicate = forms.BooleanField(
        label=_("Save anyway: this is a different person"), required=False
    )

    SECTIONS = [
        (
            _("Who they are"),
            ["name", "title", "department", "phone", "email", "reports_to", "is_active"],
        ),
        (
            _("Place in the buying center"),
            ["buying_role", "is_coach", "influence", "attitude", "relationship_owner"],
        ),
        (
            _("What drives them"),
            ["job_interests", "personal_interests", "personality", "pressures", "hobbies", "notes"],
        ),
    ]

    class Meta:
        model = Contact
        fields = [
            "name", "title", "department", "phone", "email", "buying_role", "is_coach",
            "influence", "attitude", "reports_to", "relationship_owner", "is_active",
            "job_interests", "personal_interests", "personality", "pressures", "hobbies",
            "notes", "external_id",
        ]  # fmt: skip
        widgets = {
            # A phone's keyboard of digits (no autocomplete: the number is the contact's,
            # not the rep's own the browser would offer).
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        } | {
            name: forms.Textarea(attrs={"rows": 2})
            for name in [
                "job_interests",
                "personal_interests",
                "personality",
                "pressures",
                "hobbies",
                "notes",
            ]
        }

    def __init__(self, *args, account: Account, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.stored_phone = self.instance.phone if self.instance.pk else None
        reports_to = account.contacts.order_by("name")
        if self.instance.pk:
            reports_to = reports_to.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = reports_to
        # Picked by name among the people of the user's teams, or kept as it is.
        self.fields["relationship_owner"] = UserPickerField(
            label=self.fields["relationship_owner"].label,
            help_text=self.fields["relationship_owner"].help_text,
            queryset=keeping(users_pickable_by(user), [self.instance.relationship_owner_id]),
            required=False,
        )
        self.SECTIONS = [*self.SECTIONS, (_("Sync"), ["external_id"])]

    def _get_validation_exclusions(self):
        # A phone number kept as it was is not checked again (`services.contact_update`):
        # one saved before numbers were checked does not stop a change of the title.
        excluded = super()._get_validation_exclusions()
        if self.stored_phone is not None and self.cleaned_data.get("phone") == self.stored_phone:
            excluded.add("phone")
        return excluded

    def sections(self):
        for title, names in self.SECTIONS:
            yield title, [self[name] for name in names if name in self.fields]


class TeamMemberForm(forms.Form):
    """A colleague for an account's or a deal's team, picked among the people of the
    user's teams (`users_pickable_by`)."""

    user = UserPickerField(label=_("Colleague"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=AccountTeamRole.choices)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users_pickable_by(user)


class CompetitorForm(forms.ModelForm):
    class Meta:
        model = AccountCompetitor
        fields = ["name", "threat", "strengths", "weaknesses"]
        widgets = {
            "strengths": forms.Textarea(attrs={"rows": 2}),
            "weaknesses": forms.Textarea(attrs={"rows": 2}),
        }


class MergeForm(forms.Form):
    """Two records to merge, one radio per field where they differ: keep the survivor's
    value (the default) or take the other's. `values()` is what `account_merge` and
    `contact_merge` take."""

    SURVIVOR, MERGED = "survivor", "merged"

    def __init__(self, *args, survivor, merged, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.survivor, self.merged = survivor, merged
        hidden = _hidden_parents(user, survivor, merged)
        for field in merge_fields(type(survivor)):
            if getattr(survivor, field.attname) == getattr(merged, field.attname):
                continue
            self.fields[field.name] = forms.ChoiceField(
                label=capfirst(field.verbose_name),
                choices=[
                    (self.SURVIVOR, _shown(survivor, field, hidden)),
                    (self.MERGED, _shown(merged, field, hidden)),
                ],
                initial=self.SURVIVOR,
                widget=forms.RadioSelect,
            )

    def values(self) -> dict:
        return {
            name: getattr(
                self.merged if choice == self.MERGED else self.survivor,
                self.survivor._meta.get_field(name).attname,
            )
            for name, choice in self.cleaned_data.items()
        }


def _hidden_parents(user, *records) -> set:
    """The records' parent companies `user` may not see (one query; none for a contact):
    the merge form says such a parent is there without naming it."""
    ids = {getattr(record, "parent_id", None) for record in records} - {None}
    if user is None or not ids:
        return set()
    return ids - set(
        accounts_visible_to(user, deleted=True).filter(pk__in=ids).values_list("pk", flat=True)
    )


def _shown(record, field, hidden=frozenset()) -> str:
    """A field's value as the merge form shows it: labels for choices, names for
    related records, the start of a long text; a parent company the user cannot see is
    not named."""
    value = getattr(record, field.attname)
    if value is None or value == "":
        return gettext("(empty)")
    if field.name == "parent" and value in hidden:
        return gettext("a company you cannot see")
    if field.choices:
        return getattr(record, f"get_{field.name}_display")()
    if field.is_relation:
        return str(getattr(record, field.name))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return Truncator(str(value)).chars(160)

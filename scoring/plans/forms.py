from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.forms import VersionedForm
from accounts.picker import UserPickerField, keeping
from accounts.selectors import users_pickable_by
from keyaccounts.exceptions import as_form_errors
from visits.forms import date_input

from .models import AccountPlan, Advantage, PlanAction
from .services import check_on_team, check_period, default_owner, period_clashes


def advantage_field_name(kind: str) -> str:
    return f"advantage_{kind}"


class PlanForm(VersionedForm):
    # Its advantages are parts the history does not keep: after a conflict, saving again
    # writes the form as shown (keyaccounts.history.merge).
    merge_on_conflict = False

    """A plan's targets and, per advantage of seed 001 §3, the evidence: an advantage
    with evidence is chosen, one left empty is not."""

    class Meta:
        model = AccountPlan
        fields = [
            "period_kind",
            "period_start",
            "sales_target",
            "share_target",
            "owner",
            "summary",
            "notes",
        ]
        widgets = {
            "period_start": date_input(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, account, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.instance.owner_id if self.instance.pk else None
        self.fields["owner"] = UserPickerField(
            label=capfirst(AccountPlan._meta.get_field("owner").verbose_name),
            help_text=_("The account owner or someone on the account team."),
            queryset=keeping(users_pickable_by(user), [owner] if owner else []),
        )
        if not self.instance.pk:
            self.fields["owner"].initial = account.owner_id
        stored = (
            {a.kind: a.evidence for a in self.instance.advantages.all()} if self.instance.pk else {}
        )
        for kind, label in Advantage.choices:
            self.fields[advantage_field_name(kind)] = forms.CharField(
                label=label,
                required=False,
                initial=stored.get(kind, ""),
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Leave empty if the plan does not build this advantage."),
            )

    def clean(self):
        """The plan's own rules on what could be read (the owner on the account team, one
        plan a period: `services.check_on_team`, `check_period`), so every problem is
        said in one round with the fields' own."""
        cleaned = super().clean()
        plan = self.instance
        probe = AccountPlan(
            pk=plan.pk,
            account=plan.account,
            period_kind=cleaned.get("period_kind") or "",
            period_start=cleaned.get("period_start"),
        )
        owner = cleaned.get("owner")
        checks = [lambda: check_period(probe)]
        if owner is not None and (plan.pk is None or owner.pk != plan.owner_id):
            checks.append(lambda: check_on_team(account=plan.account, user=owner, field="owner"))
        as_form_errors(self, checks)
        if "period_start" in self.errors and (clashes := period_clashes(probe)):
            # The plans the error names, a tap away ("open that plan and change it").
            self.error_links = {
                "period_start": [
                    (
                        _("Open the plan for %(period)s") % {"period": clash.period_label},
                        clash.get_absolute_url(),
                    )
                    for clash in clashes
                ]
            }
        return cleaned

    def sections(self):
        yield (
            _("Period and targets"),
            [
                self[n]
                for n in ("period_kind", "period_start", "sales_target", "share_target", "owner")
            ],
        )
        yield (
            _("Competitive advantages and their evidence"),
            [self[advantage_field_name(kind)] for kind in Advantage.values],
        )
        yield _("Summary"), [self["summary"], self["notes"]]

    def advantages(self) -> dict:
        return {
            kind: self.cleaned_data[advantage_field_name(kind)].strip()
            for kind in Advantage.values
            if self.cleaned_data.get(advantage_field_name(kind), "").strip()
        }

    def model_fields_data(self) -> dict:
        return {
            name: value for name, value in self.cleaned_data.items() if name in self._meta.fields
        }


class PlanActionForm(VersionedForm):
    class Meta:
        model = PlanAction
        fields = ["what", "owner", "due_on", "done_on", "factor_key", "notes"]
        widgets = {
            "due_on": date_input(),
            "done_on": date_input(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, account, **kwargs):
        super().__init__(*args, **kwargs)
        from scoring.services import active_model

        owner = self.instance.owner_id if self.instance.pk else None
        self.fields["owner"] = UserPickerField(
            label=capfirst(PlanAction._meta.get_field("owner").verbose_name),
            help_text=PlanAction._meta.get_field("owner").help_text,
            queryset=keeping(users_pickable_by(user), [owner] if owner else []),
        )
        if not self.instance.pk and self.instance.owner_id is None:
            # Whoever fills it in, if they may own it (the account's owner or someone on
            # its team, `services.check_on_team`); else the account's owner.
            self.initial["owner"] = default_owner(account=account, by=user).pk
        factors = [(f.key, str(f)) for f in active_model().factors.all()]
        current = self.instance.factor_key
        if current and current not in {key for key, _label in factors}:
            factors.append((current, current))  # a factor of an older table, kept
        self.fields["factor_key"] = forms.ChoiceField(
            label=capfirst(PlanAction._meta.get_field("factor_key").verbose_name),
            help_text=PlanAction._meta.get_field("factor_key").help_text,
            choices=[("", _("— none —")), *factors],
            required=False,
        )

    def sections(self):
        yield _("The action"), [self[n] for n in ("what", "owner", "due_on", "done_on")]
        yield _("Why"), [self["factor_key"], self["notes"]]

    def model_fields_data(self) -> dict:
        return {
            name: value for name, value in self.cleaned_data.items() if name in self._meta.fields
        }

"""The service policy editor: one form, a row of four fields per grade."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import GRADES

FIELD_SPECS = {
    # field: (label, min, max, help)
    "contact_rhythm_days": (_("Contact rhythm (days)"), 1, 365, _("Whole days, 1 to 365.")),
    "respond_working_days": (
        _("Respond to a complaint within (working days)"),
        1,
        60,
        _("Whole working days, 1 to 60."),
    ),
    "resolve_working_days": (
        _("Resolve a complaint within (working days)"),
        1,
        60,
        _("Whole working days, 1 to 60, at least the time to respond."),
    ),
}


def field_name(grade: str, field: str) -> str:
    return f"{grade}-{field}"


class PolicyForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        help_text=_("Required: what you changed and why, e.g. “A accounts: visit every 10 days”."),
        error_messages={"required": _("Say what changed and why, in a few words.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for grade in GRADES:
            for field, (label, low, high, help_text) in FIELD_SPECS.items():
                self.fields[field_name(grade, field)] = forms.IntegerField(
                    label=_("Grade %(grade)s: %(what)s") % {"grade": grade, "what": label},
                    min_value=low,
                    max_value=high,
                    help_text=help_text,
                    error_messages={
                        "required": _("Enter a whole number from %(low)s to %(high)s.")
                        % {"low": low, "high": high},
                        "invalid": _("Enter a whole number from %(low)s to %(high)s.")
                        % {"low": low, "high": high},
                        "min_value": _("Enter at least %(low)s.") % {"low": low},
                        "max_value": _("Enter at most %(high)s.") % {"high": high},
                    },
                )
            self.fields[field_name(grade, "discount_ceiling_percent")] = forms.DecimalField(
                label=_("Grade %(grade)s: discount ceiling (%%)") % {"grade": grade},
                required=False,
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
                help_text=_("0 to 100, up to two decimals; blank: no ceiling."),
                error_messages={
                    "invalid": _("Enter a percentage from 0 to 100, such as 10 or 7.5."),
                    "min_value": _("Enter a percentage from 0 to 100, such as 10 or 7.5."),
                    "max_value": _("Enter a percentage from 0 to 100, such as 10 or 7.5."),
                    "max_decimal_places": _("Use at most two decimals, such as 7.25."),
                    "max_digits": _("Enter a percentage from 0 to 100, such as 10 or 7.5."),
                },
            )

    @classmethod
    def initial_for(cls, version: int, rows) -> dict:
        initial = {"base_version": version}
        for row in rows:
            for field in (*FIELD_SPECS, "discount_ceiling_percent"):
                initial[field_name(row.grade, field)] = getattr(row, field)
        return initial

    def clean(self):
        data = super().clean()
        for grade in GRADES:
            respond = data.get(field_name(grade, "respond_working_days"))
            resolve = data.get(field_name(grade, "resolve_working_days"))
            if respond is not None and resolve is not None and resolve < respond:
                self.add_error(
                    field_name(grade, "resolve_working_days"),
                    _(
                        "Resolving cannot take less time than responding: enter at least "
                        "%(respond)s working days."
                    )
                    % {"respond": respond},
                )
        return data

    def grade_rows(self) -> list[dict]:
        """For the template: per grade, its bound fields in column order."""
        columns = (*FIELD_SPECS, "discount_ceiling_percent")
        return [
            {"grade": grade, "fields": [self[field_name(grade, f)] for f in columns]}
            for grade in GRADES
        ]

    def rows(self) -> dict[str, dict]:
        """The cleaned rows as `services.service_policy_new_version` takes them."""
        columns = (*FIELD_SPECS, "discount_ceiling_percent")
        return {
            grade: {f: self.cleaned_data.get(field_name(grade, f)) for f in columns}
            for grade in GRADES
        }

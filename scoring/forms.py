"""Forms of an account's grade pages: the rep's ratings and a manager's pin."""

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from visits.forms import date_input

from .models import Assessment, Grade

RATINGS = ("need_fit", "competitive_position", "relationship")  # = their Source values


def rating_field(name: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=capfirst(Assessment._meta.get_field(name).verbose_name),
        choices=[*[(n, str(n)) for n in range(1, 6)], ("", _("Not rated"))],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "rating"}),
    )


class AssessmentForm(forms.Form):
    """The three ratings, 1 to 5 (5 best), each explained by the guidance of the active
    table's factor that reads it; and notes."""

    need_fit = rating_field("need_fit")
    competitive_position = rating_field("competitive_position")
    relationship = rating_field("relationship")
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, guidance: dict[str, str], **kwargs):
        """`guidance`: {rating: the active table's guidance for it}; a rating the table
        does not read says so, since it then changes nothing."""
        super().__init__(*args, **kwargs)
        for name in RATINGS:
            self.fields[name].help_text = guidance.get(name) or _(
                "The active risk-evaluation table does not use this rating: it does not "
                "change the score."
            )

    @classmethod
    def initial_from(cls, assessment: Assessment | None) -> dict:
        if assessment is None:
            return {}
        return {name: getattr(assessment, name) for name in (*RATINGS, "notes")}


class GradePinForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the grade is pinned.")},
        help_text=_("Why the table's grade does not fit this account; the team sees it."),
    )
    expires_on = forms.DateField(
        label=_("Holds until"),
        widget=date_input(),
        help_text=_("After this day the table's grade applies again."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date picker offers no day before today.
        self.fields["expires_on"].widget.attrs["min"] = timezone.localdate().isoformat()

    # The service's rule (scoring.services.grade_pin), checked here too so that the
    # refusal is shown beside its field.
    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("The pin must hold until today or a later day."))
        return day

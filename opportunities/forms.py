from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.forms import VersionedForm
from accounts.models import Attitude, BuyingRole, Contact, User
from accounts.picker import UserPickerField, keeping
from accounts.selectors import assignable_owners, can_reassign
from visits.forms import date_input

from .models import ExitCriterion, Opportunity, OpportunityCompetitor, Stage


class OpportunityForm(VersionedForm):
    """Open or edit a deal. The stage is not here: deals move on the board or the deal's
    page, where the exit criteria and the close reason are asked for."""

    SECTIONS = [
        (
            _("The deal"),
            [
                "name",
                "kind",
                "owner",
                "amount",
                "currency",
                "discount_percent",
                "expected_close_date",
                "probability",
            ],
        ),
        (
            _("Bid / tender"),
            ["tender_published_on", "bid_submitted_on", "bid_opened_on", "bid_result"],
        ),
        (_("Outcome"), ["close_reason"]),
        (_("Notes"), ["description", "external_id"]),
    ]

    # Blank means "follow the stage": the model's value is never blank.
    probability = forms.IntegerField(
        label=_("Probability (%)"), min_value=0, max_value=100, required=False
    )

    class Meta:
        model = Opportunity
        fields = [
            "name", "kind", "owner", "amount", "currency", "discount_percent",
            "expected_close_date", "probability", "tender_published_on", "bid_submitted_on",
            "bid_opened_on", "bid_result",
            "close_reason", "description", "external_id",
        ]  # fmt: skip
        widgets = {
            "expected_close_date": date_input(),
            "tender_published_on": date_input(),
            "bid_submitted_on": date_input(),
            "bid_opened_on": date_input(),
            "close_reason": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, stage: Stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        if can_reassign(user):
            # Picked by name among those the user may give it to (never a list of all).
            self.fields["owner"] = UserPickerField(
                label=self.fields["owner"].label,
                queryset=keeping(assignable_owners(user), [self.instance.owner_id]),
                scope="owners",
            )
            if not self.instance.pk:
                self.fields["owner"].initial = user.pk
        else:
            # Reps own the deals they open; a manager hands them on.
            del self.fields["owner"]
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "min": 0})
        probability = self.fields["probability"]
        probability.widget.attrs.update({"placeholder": stage.default_probability, "min": 0})
        probability.help_text = _(
            "Leave blank to follow the stage (%(stage)s: %(percent)s%%) as the deal moves."
        ) % {"stage": stage, "percent": stage.default_probability}
        if self.instance.pk and not self.instance.probability_is_custom:
            self.initial["probability"] = None
        if stage.is_closed:
            self.fields["close_reason"].required = True
        else:
            del self.fields["close_reason"]
        self.fields["external_id"].help_text = _("Leave empty unless another system keys it.")

    def clean(self):
        cleaned = super().clean()
        # A tender's dates in the order they happen: published, bids in, bids opened.
        order = ["tender_published_on", "bid_submitted_on", "bid_opened_on"]
        if self.instance.pk and not set(order) & set(self.changed_data):
            order = []  # left as they were (written by an import, say): not this edit's
        earlier = None
        for name in order:
            day = cleaned.get(name)
            if day is None:
                continue
            if earlier is not None and day < cleaned[earlier]:
                self.add_error(
                    name,
                    _("This comes after “%(earlier)s” (%(date)s): a day on or after it.")
                    % {
                        "earlier": capfirst(self.fields[earlier].label),
                        "date": cleaned[earlier].isoformat(),
                    },
                )
            else:
                earlier = name
        # An open deal closes from today on; a day already past, typed or changed to, is
        # a slip (a deal that closed is closed as won or lost). One left as it was stays.
        close = cleaned.get("expected_close_date")
        changed = not self.instance.pk or "expected_close_date" in self.changed_data
        if close and changed and not self.stage.is_closed and close < timezone.localdate():
            self.add_error(
                "expected_close_date",
                _(
                    "An open deal is expected to close today or later (%(today)s); if it "
                    "has closed, close it as won or lost."
                )
                % {"today": timezone.localdate().isoformat()},
            )
        return cleaned

    def sections(self):
        for title, names in self.SECTIONS:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                yield title, fields

    def as_shown(self, values: dict, record) -> dict:
        # A probability that follows the stage is shown blank (see __init__).
        if "probability" in values and not record.probability_is_custom:
            values = {**values, "probability": None}
        return values

    def service_fields(self) -> dict:
        """Keyword arguments for `opportunity_create` / `opportunity_update`."""
        data = self.model_fields_data()
        if data.get("probability") is None:
            if self.instance.pk:
                # The stage's own value: the service then lets the deal follow it again.
                data["probability"] = self.stage.default_probability
            else:
                data.pop("probability", None)
        return data


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        parts = [obj.name, obj.title, obj.get_buying_role_display()]
        return " · ".join(str(part) for part in parts if part)


class DealContactForm(forms.Form):
    """A buying-center contact of the deal's account, with their role and stance in it."""

    contact = ContactChoiceField(label=_("Contact"), queryset=Contact.objects.none())
    role = forms.ChoiceField(
        label=_("Role in this deal"),
        choices=[("", _("As in the buying center")), *BuyingRole.choices],
        required=False,
    )
    stance = forms.ChoiceField(
        label=_("Stance on this deal"),
        choices=[("", _("Their attitude to us")), *Attitude.choices],
        required=False,
    )

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, prefix="contact", **kwargs)
        account = opportunity.account
        self.fields["contact"].queryset = account.contacts.filter(is_active=True).order_by(
            "name", "pk"
        )
        self.fields["contact"].error_messages["invalid_choice"] = _(
            "Choose one of %(account)s's contacts: only its buying center can be in this deal."
        ) % {"account": account.name}

    def entry_fields(self) -> dict:
        """Keyword arguments for `opportunity_contact_set`; blanks take the contact's own."""
        contact = self.cleaned_data["contact"]
        return {
            "contact": contact,
            "role": self.cleaned_data["role"] or contact.buying_role,
            "stance": self.cleaned_data["stance"] or contact.attitude,
        }


class DealCompetitorForm(forms.ModelForm):
    class Meta:
        model = OpportunityCompetitor
        fields = ["name", "threat", "strengths", "weaknesses"]
        widgets = {
            "strengths": forms.Textarea(attrs={"rows": 2}),
            "weaknesses": forms.Textarea(attrs={"rows": 2}),
        }


class CriteriaForm(forms.Form):
    """The exit criteria ticked on the page, and those that were ticked when it was drawn:
    only what the user changed is written, so two tabs do not undo each other's ticks."""

    ticked = forms.ModelMultipleChoiceField(queryset=ExitCriterion.objects.none(), required=False)
    were_ticked = forms.ModelMultipleChoiceField(
        queryset=ExitCriterion.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        open_criteria = ExitCriterion.objects.filter(stage__is_won=False, stage__is_lost=False)
        self.fields["ticked"].queryset = open_criteria
        self.fields["were_ticked"].queryset = open_criteria

    def changes(self) -> tuple[set, set]:
        """(criteria to tick, criteria to untick)."""
        now = set(self.cleaned_data["ticked"])
        before = set(self.cleaned_data["were_ticked"])
        return now - before, before - now


class MoveForm(forms.Form):
    """Where a deal goes: from the board (its move page, or a card dropped on a column)
    or the deal's page."""

    stage = forms.ModelChoiceField(
        label=_("Move to"),
        queryset=Stage.objects.all(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    # The move page's outcomes ticked as the deal moves (one write with the move); a
    # card dropped on a column sends none.
    ticked = forms.ModelMultipleChoiceField(
        label=_("Outcomes done"),
        queryset=ExitCriterion.objects.filter(
            stage__is_won=False, stage__is_lost=False
        ).select_related("stage"),
        required=False,
    )
    # The version the move page was drawn from: a deal changed since is not moved blind.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, opportunity: Opportunity | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if opportunity is not None:
            # Offered on the move page: every stage but the deal's own.
            self.fields["stage"].queryset = Stage.objects.exclude(pk=opportunity.stage_id).order_by(
                "order"
            )


class CloseForm(forms.Form):
    """Close a deal as won or lost: the reason is what the next deal learns from."""

    stage = forms.ModelChoiceField(
        label=_("Outcome"),
        queryset=Stage.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    # Not required here: the service's own rule (and message) asks for the reason.
    close_reason = forms.CharField(
        label=_("Why was it won or lost?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What decided it: the buying center, the competitor, price, timing. "
            "Required to close the deal."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(Q(is_won=True) | Q(is_lost=True))

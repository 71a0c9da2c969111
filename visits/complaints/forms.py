"""The complaint's form (record, edit) and the forms of its actions."""

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.forms import VersionedForm
from accounts.models import Account, User

from .models import Complaint

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def datetime_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def team_of(account: Account, *, keep=None):
    """Who may handle a complaint of `account`: its owner and team (active), and the
    current assignee as it is. A handful of people (the account's team), never a list of
    the company's people."""
    people = User.objects.filter(is_active=True).filter(
        pk__in=[account.owner_id, *account.team_members.values_list("user_id", flat=True)]
    )
    if keep is not None:
        people = people | User.objects.filter(pk=keep)
    return people.distinct().order_by("username")


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def _contacts(account: Account):
    return account.contacts.order_by("name", "pk")


class ComplaintForm(VersionedForm):
    SECTIONS = [
        (_("The complaint"), ["subject", "severity", "channel", "contact", "received_at"]),
        (_("What happened"), ["description"]),
        (_("Who handles it"), ["assignee", "follow_up"]),
        (_("Sync"), ["external_id"]),
    ]

    class Meta:
        model = Complaint
        fields = [
            "subject",
            "severity",
            "channel",
            "contact",
            "received_at",
            "description",
            "assignee",
            "follow_up",
            "external_id",
        ]
        widgets = {
            "received_at": datetime_input(),
            "description": forms.Textarea(attrs={"rows": 5}),
            "follow_up": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "received_at": _(
                "When the customer complained: the service level's clock starts here."
            ),
            "follow_up": _("What was agreed next, calls back, anything to keep in view."),
        }

    def __init__(self, *args, account: Account, **kwargs):
        given = set(kwargs.get("initial") or ())
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = _contacts(account)
        self.fields["contact"].empty_label = _("— nobody in particular —")
        self.fields["assignee"] = AssigneeField(
            label=capfirst(Complaint._meta.get_field("assignee").verbose_name),
            help_text=Complaint._meta.get_field("assignee").help_text,
            queryset=team_of(account, keep=self.instance.assignee_id),
            empty_label=None,
        )
        self.fields["received_at"].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
        if not self.instance.pk:
            # A new complaint's suggestions, over the blank instance's values (`initial`
            # already holds its None for each: `setdefault` kept those).
            now = timezone.localtime().replace(second=0, microsecond=0)
            for name, value in (("assignee", account.owner_id), ("received_at", now)):
                if name not in given:
                    self.initial[name] = value

    def sections(self):
        for title, names in self.SECTIONS:
            yield title, [self[name] for name in names if name in self.fields]


class RespondForm(forms.Form):
    response = forms.CharField(
        label=_("Answer to the customer"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    confirmed_by_contact = forms.ModelChoiceField(
        label=_("Confirmed by (contact)"), queryset=None, required=False
    )
    confirmation_note = forms.CharField(
        label=_("Or: who confirmed, and how"),
        max_length=300,
        required=False,
        help_text=_("For example: the purchasing director by phone."),
    )
    confirmed_at = forms.DateTimeField(
        label=_("Confirmed on"),
        required=False,
        widget=datetime_input(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        help_text=_("Left empty: the time you confirm it."),
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed_by_contact"].queryset = _contacts(account).filter(is_active=True)
        self.fields["confirmed_by_contact"].empty_label = _("— not a contact on record —")


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is reopened"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = AssigneeField(
            label=_("Hand it to"),
            queryset=team_of(complaint.account),
            empty_label=None,
            initial=complaint.assignee_id,
        )

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import VersionedForm
from accounts.models import Account, Contact, User
from accounts.picker import UserPickerField, UsersPickerField, keeping
from accounts.selectors import users_pickable_by
from visits.forms import ContactChoiceField, date_input, datetime_input

from .models import ReviewFollowUp, ReviewMeeting
from .periods import PeriodKind
from .services import minutes_problems


class ReviewScheduleForm(VersionedForm):
    """Schedule or reschedule a review: when, where, which period, the agenda."""

    SECTIONS = [(_("When and where"), ["scheduled_for", "period_kind", "place", "agenda"])]

    class Meta:
        model = ReviewMeeting
        fields = ["scheduled_for", "period_kind", "place", "agenda"]
        widgets = {
            "scheduled_for": datetime_input(),
            "agenda": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "period_kind": _(
                "A accounts are reviewed every half-year, B accounts every year. The period "
                "is the one the meeting's date falls in."
            ),
            "agenda": _(
                "What to ask: how they see our products and service, and our people "
                "(sales and everyone serving them)."
            ),
        }

    def __init__(self, *args, default_period: str = PeriodKind.YEAR, **kwargs):
        given = set(kwargs.get("initial") or ())
        super().__init__(*args, **kwargs)
        # Over the blank instance's own default (a year), which `initial` already holds.
        if not self.instance.pk and "period_kind" not in given:
            self.initial["period_kind"] = default_period

    def sections(self):
        for title, names in self.SECTIONS:
            yield title, [self[name] for name in names if name in self.fields]


class MinutesForm(VersionedForm):
    """The minutes of a held review: who attended on both sides and what was said."""

    SECTIONS = [
        (_("The meeting"), ["held_on", "place"]),
        (_("Who attended"), ["contacts", "attendees"]),
        (
            _("What the customer said"),
            ["said_about_us", "said_about_our_people", "satisfaction"],
        ),
        (_("What we agreed"), ["agreed_changes", "notes"]),
    ]

    contacts = ContactChoiceField(
        label=_("The customer's attendees"), queryset=Contact.objects.none(), required=False
    )

    class Meta:
        model = ReviewMeeting
        fields = [
            "held_on", "place", "contacts", "attendees", "said_about_us",
            "said_about_our_people", "satisfaction", "agreed_changes", "notes",
        ]  # fmt: skip
        widgets = {
            "held_on": date_input(),
            **{
                name: forms.Textarea(attrs={"rows": 4})
                for name in ["said_about_us", "said_about_our_people", "agreed_changes", "notes"]
            },
        }
        help_texts = {
            # Seed 000 篇3: 及时关注并征求大客户对销售人员以及其他相关人员的意见
            "said_about_our_people": _(
                "Ask for their view of our sales people and everyone else serving them."
            ),
            "agreed_changes": _("What we (or they) will change; add a follow-up for each below."),
        }

    def __init__(self, *args, account: Account, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        satisfaction = self.fields["satisfaction"]
        # Its empty choice in words (Django's is "---------").
        satisfaction.choices = [("", _("— not asked —")), *satisfaction.choices[1:]]
        active = Q(is_active=True)
        if self.instance.pk:
            active |= Q(pk__in=self.instance.contacts.values("pk"))
        self.fields["contacts"].queryset = account.contacts.filter(active).order_by("name", "pk")
        kept = self.instance.attendees.all() if self.instance.pk else []
        field = self.fields["attendees"]
        self.fields["attendees"] = UsersPickerField(
            label=field.label,
            help_text=_("Our people who attended: the account's owner, team or their manager."),
            required=False,
            queryset=keeping(users_pickable_by(user), kept),
        )
        self.fields["held_on"].required = True
        self.fields["said_about_us"].required = True
        self.account = account

    def clean(self):
        """The minutes' own rules (`services.minutes_problems`) on what could be read, so
        every problem is said in one round: a future day, nobody ticked on either side
        and nothing written of what they said, together."""
        cleaned = super().clean()
        problems = minutes_problems(
            account=self.account,
            held_on=cleaned.get("held_on"),
            contacts=list(cleaned.get("contacts") or []),
            attendees=list(cleaned.get("attendees") or []),
            said_about_us=cleaned.get("said_about_us") or "",
            today=timezone.localdate(),
        )
        for name, message in problems.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def sections(self):
        for title, names in self.SECTIONS:
            yield title, [self[name] for name in names if name in self.fields]

    def minutes_fields(self) -> dict:
        data = self.model_fields_data()
        return {
            "contacts": data.pop("contacts", []),
            "attendees": data.pop("attendees", []),
            **data,
        }


class FollowUpForm(VersionedForm):
    """A follow-up agreed at the review: what, who on our side, by when."""

    class Meta:
        model = ReviewFollowUp
        fields = ["what", "owner", "due_on", "note"]
        widgets = {"due_on": date_input(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        kept = [self.instance.owner] if self.instance.pk else []
        self.fields["owner"] = UserPickerField(
            label=_("Owner"),
            help_text=_("Someone on the account's team, its owner or their manager."),
            queryset=keeping(users_pickable_by(user), kept),
        )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=300, required=False)

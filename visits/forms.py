import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import VersionedForm
from accounts.models import Account, Contact, User
from accounts.picker import AccountPickerField, UsersPickerField, keeping
from accounts.selectors import accounts_visible_to, users_pickable_by
from keyaccounts.history.merge import SEEN_VERSION

from .models import DevelopmentRecord, FollowUpMethod, Visit, VisitMethod, VisitStatus
from .services import (
    PLANNED_IN_THE_PAST,
    RECORDED_IN_THE_FUTURE,
    REVIEW_COMMENT_MAX,
    normalized_comment,
    planned_in_the_past,
    recorded_in_the_future,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
DATE_FORMAT = "%Y-%m-%d"


def datetime_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT)


def quarter_hour_before(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)


def tomorrow_at_ten(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return (local + datetime.timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)


class VisitStartForm(forms.Form):
    """ "Log a visit" from anywhere (my week, the start page): the account, picked by
    name from the user's accounts, then that account's visit form."""

    account = AccountPickerField(label=_("Account"), queryset=Account.objects.none())

    def __init__(self, *args, user: User, recent=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        field.queryset = accounts_visible_to(user)
        # Offered before anything is typed: `recent` (the accounts of the user's latest
        # visits), never a preselected account.
        field.widget.offered = field.labels(recent)


class ContactChoiceField(forms.ModelMultipleChoiceField):
    """The account's people as checkboxes, "name · title · role", easy to tap on a phone."""

    widget = forms.CheckboxSelectMultiple
    default_error_messages = {
        "invalid_choice": _("Choose contacts of this account only; %(value)s is not one of them."),
        "invalid_pk_value": _("“%(pk)s” is not a contact."),
    }

    def label_from_instance(self, obj: Contact) -> str:
        parts = [obj.name, obj.title, obj.get_buying_role_display()]
        if obj.is_coach:
            parts.append(str(_("coach")))
        return " · ".join(str(part) for part in parts if part)


class VisitForm(VersionedForm):
    """One form to plan a visit or to record one; the status decides which fields show."""

    SECTIONS = {
        VisitStatus.PLANNED: [
            (_("When and where"), ["planned_at", "duration_minutes", "method", "place"]),
            (_("Who"), ["contacts", "attendees"]),
            (_("Preparation"), ["purpose", "preparation", "pre_visit_call_held"]),
        ],
        VisitStatus.DONE: [
            (_("When and where"), ["occurred_at", "duration_minutes", "method", "place"]),
            (_("Who"), ["contacts", "attendees"]),
            (
                _("What was said"),
                ["purpose", "talking_points", "customer_views", "customer_attitude", "next_steps"],
            ),
            (_("Follow-up"), ["follow_up_due"]),
        ],
    }

    contacts = ContactChoiceField(
        label=_("Whom did you meet?"), queryset=Contact.objects.none(), required=False
    )

    class Meta:
        model = Visit
        fields = [
            "planned_at", "occurred_at", "duration_minutes", "method", "place",
            "contacts", "attendees",
            "purpose", "preparation", "pre_visit_call_held",
            "talking_points", "customer_views", "customer_attitude", "next_steps",
            "follow_up_due",
        ]  # fmt: skip
        widgets = {
            "planned_at": datetime_input(),
            "occurred_at": datetime_input(),
            "follow_up_due": date_input(),
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in [
                    "purpose",
                    "preparation",
                    "talking_points",
                    "customer_views",
                    "next_steps",
                ]
            },
        }
        help_texts = {
            "follow_up_due": _(
                "At most a week after the visit (the follow-up rule); leave empty for one "
                "week after it."
            ),
            "attendees": _("Colleagues who came along, if any."),
        }

    def __init__(
        self,
        *args,
        account: Account,
        status: str,
        user: User,
        now: datetime.datetime | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.account = account
        self.status = status
        now = self.now = now or timezone.now()
        keep = {"version", SEEN_VERSION} | {
            name for _title, names in self.SECTIONS[status] for name in names
        }
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

        contacts = Q(is_active=True)
        if self.instance.pk:
            # Someone met then and gone since stays ticked on their old visit.
            contacts |= Q(pk__in=self.instance.contacts.values("pk"))
        self.fields["contacts"].queryset = account.contacts.filter(contacts).order_by("name", "pk")
        # Colleagues are picked by name among the people of the user's teams; those
        # already on the visit stay on it (ticked) whoever edits it.
        attendees = self.fields["attendees"]
        kept = self.instance.attendees.all() if self.instance.pk else []
        self.fields["attendees"] = UsersPickerField(
            label=attendees.label,
            help_text=attendees.help_text,
            required=False,
            queryset=keeping(users_pickable_by(user), kept),
        )
        for name in ["planned_at", "occurred_at"]:
            if name in self.fields:
                self.fields[name].required = True
        if "occurred_at" in self.fields:
            # The phone's picker then offers no future time; the service refuses one anyway.
            self.fields["occurred_at"].widget.attrs["max"] = timezone.localtime(
                now + datetime.timedelta(minutes=5)
            ).strftime(DATETIME_FORMAT)
        if "planned_at" in self.fields:
            # Nor a past time for a visit to plan (one planned already keeps its date). The
            # service accepts one: a plan made offline may reach it after its own time.
            earliest = now.replace(second=0, microsecond=0)
            if self.instance.planned_at:
                earliest = min(earliest, self.instance.planned_at)
            self.fields["planned_at"].widget.attrs["min"] = timezone.localtime(earliest).strftime(
                DATETIME_FORMAT
            )

        if not self.instance.pk:
            # Sensible defaults: an hour in person, planned for tomorrow morning.
            for name, value in [
                ("method", VisitMethod.IN_PERSON),
                ("duration_minutes", 60),
                ("planned_at", tomorrow_at_ten(now)),
            ]:
                if self.initial.get(name) in (None, ""):
                    self.initial[name] = value
        if status == VisitStatus.DONE and not self.instance.occurred_at:
            # Recording the outcome of a planned visit: it took place as planned, if past.
            planned = self.instance.planned_at
            self.initial["occurred_at"] = (
                planned if planned and planned <= now else quarter_hour_before(now)
            )

    def sections(self):
        for title, names in self.SECTIONS[self.status]:
            yield title, [self[name] for name in names if name in self.fields]

    def clean(self):
        """The service's rules of a visit's time (`services._check_visit`), said beside
        the other fields' problems: a phone sends the form once for all of them, not
        once for the length of the place and again for a time in the future."""
        cleaned = super().clean()
        if self.status == VisitStatus.DONE:
            at = cleaned.get("occurred_at")
            if at and recorded_in_the_future(at, self.now):
                self.add_error("occurred_at", RECORDED_IN_THE_FUTURE())
        elif self.status == VisitStatus.PLANNED:
            at = cleaned.get("planned_at")
            zone = timezone.get_current_timezone()
            if at and at != self.instance.planned_at and planned_in_the_past(at, self.now, zone):
                self.add_error("planned_at", PLANNED_IN_THE_PAST())
        return cleaned

    def visit_fields(self) -> dict:
        """Keyword arguments for `services.visit_save`."""
        data = self.model_fields_data()
        return {
            "contacts": data.pop("contacts", []),
            "attendees": data.pop("attendees", []),
            "status": self.status,
            **data,
        }


class FollowUpForm(forms.Form):
    """The follow-up within a week: when, how, and what the customer said."""

    followed_up_on = forms.DateField(label=_("Followed up on"), widget=date_input())
    follow_up_method = forms.ChoiceField(
        label=_("How"),
        choices=FollowUpMethod.choices,
        initial=FollowUpMethod.PHONE,
        widget=forms.RadioSelect,
    )
    follow_up_feedback = forms.CharField(
        label=_("What did the customer say?"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["followed_up_on"].initial = today
        self.fields["followed_up_on"].widget.attrs["max"] = today.strftime(DATE_FORMAT)


class DevelopmentRecordForm(VersionedForm):
    SECTIONS = [
        (_("The development"), ["started_on", "closed_on", "result"]),
        (_("Why, and what we learned"), ["summary", "remarks"]),
    ]

    class Meta:
        model = DevelopmentRecord
        fields = ["started_on", "closed_on", "result", "summary", "remarks"]
        widgets = {
            "started_on": date_input(),
            "closed_on": date_input(),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "remarks": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "closed_on": _("Leave empty while in progress; a result sets it to today."),
            "summary": _("Why it succeeded or failed: required once there is a result."),
        }

    def sections(self):
        for title, names in self.SECTIONS:
            yield title, [self[name] for name in names if name in self.fields]


class CommentField(forms.CharField):
    """Text whose line breaks count as one character each, as kept (a browser sends
    CR LF, two, where its `maxlength` counted one)."""

    def to_python(self, value):
        return normalized_comment(super().to_python(value))


class RecordReviewForm(forms.Form):
    """The manager's review of a development record: their comment to the rep (optional),
    kept on the record and in its history."""

    comment = CommentField(
        label=_("Your comment to the rep"),
        required=False,
        max_length=REVIEW_COMMENT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the record; it cannot be changed after the review."),
    )

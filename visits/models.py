"""Visits (拜访), their one-week follow-up, development records and reminders."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Account, Attitude, Contact
from keyaccounts.choices import ChoiceLabels
from keyaccounts.links import record_url
from keyaccounts.models import VersionedModel
from keyaccounts.prefetch import rows_of

FOLLOW_UP_DAYS = 7  # the seeds: follow up within one week after the visit
VISIT_MINUTES_MAX = 7 * 24 * 60  # a visit (a workshop on site, say) lasts a week at most


class VisitMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    PRESENTATION = "presentation", _("Product presentation / seminar")
    OTHER = "other", _("Other")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("By phone")
    VISIT = "visit", pgettext_lazy("follow-up method", "By visit")


class Visit(VersionedModel):
    """A customer visit, planned and then recorded (目标客户的访问记录)."""

    # Read by (account, status, occurred_at) and (owner, status, planned_at) of
    # Meta.indexes: an index on the column alone would only cost writes.
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="visits",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("customer contacts met"), blank=True, related_name="visits"
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our attendees"),
        blank=True,
        related_name="attended_visits",
    )
    planned_at = models.DateTimeField(_("planned for"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("took place"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[
            MaxValueValidator(
                VISIT_MINUTES_MAX,
                message=_("A visit lasts a week at most: %(limit_value)s minutes."),
            )
        ],
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    method = models.CharField(
        _("method"), max_length=20, choices=VisitMethod.choices, default=VisitMethod.IN_PERSON
    )
    purpose = models.TextField(_("purpose"), blank=True)
    preparation = models.TextField(_("preparation notes"), blank=True)
    pre_visit_call_held = models.BooleanField(
        _("pre-visit call with colleagues held"), default=False
    )
    talking_points = models.TextField(_("main talking points"), blank=True)
    customer_views = models.TextField(_("the customer's views"), blank=True)
    customer_attitude = models.CharField(
        _("customer's attitude"),
        max_length=20,
        choices=Attitude.choices,
        default=Attitude.UNKNOWN,
    )
    next_steps = models.TextField(_("next steps and suggestions"), blank=True)

    # The follow-up within a week (拜访后一周内回访).
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)
    followed_up_on = models.DateField(_("followed up on"), null=True, blank=True)
    follow_up_method = models.CharField(
        _("follow-up by"), max_length=10, choices=FollowUpMethod.choices, blank=True
    )
    follow_up_feedback = models.TextField(_("customer's feedback"), blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("followed up by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Who was met and who went are part of the visit's history (django-simple-history).
    _history_m2m_fields = ["contacts", "attendees"]

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-occurred_at", "-planned_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "status", "occurred_at"]),
            models.Index(fields=["owner", "status", "planned_at"]),
            # The reminder scan and "my week" read open follow-ups by due date.
            models.Index(
                fields=["follow_up_due"],
                condition=Q(status="done", followed_up_on__isnull=True),
                name="visit_open_follow_up_idx",
            ),
            # A rep's own open follow-ups in my week's order (selectors.FOLLOW_UP_ORDER):
            # each due group's first rows and its count read the rep's range only.
            models.Index(
                fields=["owner", "follow_up_due", "id"],
                condition=Q(status="done", followed_up_on__isnull=True, deleted_at__isnull=True),
                name="visit_owner_follow_up_idx",
            ),
            # An account's timeline (selectors.TIMELINE_ORDER), read backwards.
            models.Index(
                F("account"),
                Coalesce("occurred_at", "planned_at"),
                F("id"),
                condition=Q(deleted_at__isnull=True),
                name="visit_timeline_idx",
            ),
            # A rep's own latest visits, read backwards (selectors.latest_own_visits:
            # the accounts "log a visit" offers first).
            models.Index(
                F("owner"),
                Coalesce("occurred_at", "planned_at"),
                F("id"),
                condition=Q(deleted_at__isnull=True),
                name="visit_owner_when_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(occurred_at__isnull=False),
                name="done_visit_has_a_date",
                violation_error_message=_("A visit that took place needs when it took place."),
            ),
            models.CheckConstraint(
                condition=~Q(status="planned") | Q(planned_at__isnull=False),
                name="planned_visit_has_a_date",
                violation_error_message=_("A planned visit needs when it is planned for."),
            ),
        ]

    def __str__(self):
        # The day where the company works (TIME_ZONE): 07:00 in Shanghai is the day
        # before in UTC.
        when = self.occurred_at or self.planned_at
        if not when:
            return str(self.account)
        return f"{self.account} · {timezone.localtime(when):%Y-%m-%d}"

    def get_absolute_url(self):
        return record_url("visits:detail", self.pk)

    @property
    def when(self):
        return self.occurred_at or self.planned_at

    @property
    def contacts_met(self) -> list[Contact]:
        """The contacts met, as `contacts.all()` orders them: read with the visit by
        `visits.selectors.with_people` (no queryset per visit), else read now."""
        return rows_of(self, "contacts")

    @property
    def attendee_list(self) -> list:
        """Our attendees, as `attendees.all()` orders them (see `contacts_met`)."""
        return rows_of(self, "attendees")

    @property
    def follow_up_open(self) -> bool:
        return self.status == VisitStatus.DONE and self.followed_up_on is None

    def follow_up_overdue_on(self, today: datetime.date) -> bool:
        return self.follow_up_open and self.follow_up_due is not None and self.follow_up_due < today


class PlannedAttendance(models.Model):
    """One row per person asked along to a planned visit (one of its `attendees`), with
    the visit's plan copied: "the planned visits I go to" answered in advance.

    My week and the list of planned visits read a user's plans from a window of days.
    The visit's owner has them by the (owner, status, planned_at) index; an attendee's
    could only be found from every attendee row of theirs, each visit read for its status
    and plan, so the cost grew with every visit a person ever went to (2,827 for a
    manager at 100,000 accounts, for 95 planned). Here they are one index range of
    (user, planned_at). Rows exist for live (not binned) planned visits only.
    `visits.attendance` is the only writer: it keeps the table equal to the attendee rows
    and visits in the transaction of every write that changes them (a save, a change of
    attendees, the recycle bin, an import); `manage.py rebuild_planned_attendance`
    rebuilds it and checks it. Not a record of its own: no history, feed or API."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendee"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # (user, planned_at, visit) leads with it
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (visit, user) leads with it
    )
    planned_at = models.DateTimeField(_("planned for"))

    class Meta:
        verbose_name = _("planned attendance")
        verbose_name_plural = _("planned attendances")
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "user"], name="one_planned_attendance_per_pair"
            ),
        ]
        indexes = [
            # A user's plans from a day on, read from the index alone.
            models.Index(fields=["user", "planned_at", "visit"], name="planned_attendance_by_user"),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.visit_id} @ {self.planned_at:%Y-%m-%d %H:%M}"


class DevelopmentResult(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


# A development's end before its start: the field's message (`DevelopmentRecord.clean`)
# and the constraint's, for whatever saves without the form.
ENDS_BEFORE_START = _("The development cannot end before it started.")


class DevelopmentRecord(VersionedModel):
    """大客户开发记录: one development effort at an account, reviewed by the manager.

    The contacts so far and their totals are derived from the account's recorded
    visits between `started_on` and `closed_on` (or today), never typed twice.
    """

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,  # a record is archived, never deleted with its account
        related_name="development_records",
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        related_name="prepared_development_records",
    )
    started_on = models.DateField(_("development started"))
    closed_on = models.DateField(_("development ended"), null=True, blank=True)
    result = models.CharField(
        _("result"),
        max_length=20,
        choices=DevelopmentResult.choices,
        default=DevelopmentResult.IN_PROGRESS,
        db_index=True,
    )
    summary = models.TextField(_("summary of why"), blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    prepared_on = models.DateField(_("date prepared"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_development_records",
    )
    reviewed_on = models.DateField(_("date reviewed"), null=True, blank=True)
    # What the manager says to the rep when reviewing (shown on the record, kept in its
    # history); written once, with the review.
    review_comment = models.TextField(_("manager's comment"), blank=True)

    class Meta:
        verbose_name = _("development record")
        verbose_name_plural = _("development records")
        ordering = ["-prepared_on", "-pk"]
        indexes = [
            models.Index(fields=["reviewed_on", "result"]),
            # The list's order (selectors.RECORD_ORDER), read backwards.
            models.Index(
                fields=["prepared_on", "id"],
                condition=Q(deleted_at__isnull=True),
                name="devrecord_list_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("started_on")),
                name="development_ends_after_it_starts",
                violation_error_message=ENDS_BEFORE_START,
            ),
        ]

    def __str__(self):
        return f"{self.account} · {self.started_on:%Y-%m-%d}"

    def clean(self):
        # On the end date, where the form shows it (the constraint's check would name no
        # field, and is left out for a field with an error).
        if self.closed_on and self.started_on and self.closed_on < self.started_on:
            raise ValidationError({"closed_on": ENDS_BEFORE_START})

    def get_absolute_url(self):
        return record_url("visits:record_detail", self.pk)

    @property
    def is_archived(self) -> bool:
        return self.result != DevelopmentResult.IN_PROGRESS


class NotificationKind(models.TextChoices):
    FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("Follow-up overdue")
    FOLLOW_UP_ESCALATION = "follow_up_escalation", _("Follow-up overdue (escalated)")
    CONTACT_LAPSED = "contact_lapsed", _("Contact rhythm lapsed")
    KEY_PERSON_LEFT = "key_person_left", _("Key person left the customer")
    COMPLAINT_RESPONSE_BREACH = "complaint_response_breach", _("Complaint not answered in time")
    COMPLAINT_RESOLUTION_BREACH = (
        "complaint_resolution_breach",
        _("Complaint not resolved in time"),
    )
    COMPLAINT_ESCALATION = "complaint_escalation", _("Complaint service level breached (escalated)")
    PLAN_ACTION_OVERDUE = "plan_action_overdue", _("Account plan action overdue")
    REVIEW_DUE = "review_due", _("Review meeting coming up")
    REVIEW_FOLLOW_UP_OVERDUE = "review_follow_up_overdue", _("Review follow-up overdue")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    APPROVAL_DECIDED = "approval_decided", _("Approval decided")
    # Webhook 已停用 (keyaccounts/integrations/delivery.py)
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook disabled after a day of failures")


class Notification(ChoiceLabels):
    """An in-app reminder, and the email that goes with it.

    The same reminder (kind, object, due date, recipient) exists at most once: the
    database refuses a second row, so two scans or two workers cannot double it.
    Its email is claimed (`email_claimed_at`, committed, and on PostgreSQL an advisory
    lock held by the sender) before it is sent and marked sent (`email_sent_at`) after,
    the mark retried while the database does not answer. See visits/reminders.py.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    # "visit:<pk>" or "account:<pk>": one key for the uniqueness rule, whatever the object.
    object_key = models.CharField(max_length=40)
    due_date = models.DateField(_("due"))
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # When a sender took this email to send it (NULL: nobody has, or the last try failed).
    email_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key", "due_date", "recipient"],
                name="one_reminder_per_kind_object_due_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # A user's notifications, newest first (selectors.NOTIFICATION_ORDER).
            models.Index(fields=["recipient", "created_at", "id"], name="notif_list_idx"),
            models.Index(
                fields=["id"],
                condition=Q(email_sent_at__isnull=True),
                name="notif_email_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.account} · {self.due_date}"

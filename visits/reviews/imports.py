"""Review meetings and their follow-ups from a spreadsheet (keyaccounts.imports): the
`reviews` and `review_follow_ups` import types, registered from ReviewsConfig.ready()
into `imports.kinds.KINDS` (as account plans and complaints register theirs).

A review row finds its meeting by external ID, else by its account and period (the
year, or the half-year, holding the meeting's date; the kind of period, when not given,
follows the account's grade as `review_schedule` sets it); found, the row updates it,
else it creates one. The services' rules are checked in memory: one live review per
account and period (a row naming the clash), a held review has its date (not in the
future) and what the customer said about us, only a scheduled review is rescheduled or
cancelled, a cancelled one is left alone. Who attended (on both sides) is not imported:
it is recorded on the review's page. Only accounts the importing user can see are found.

A follow-up row names its review by the review's external ID, or by its account and
period ("2026", "2026 H1", as the export writes it); a follow-up is found by its
external ID, else by its review and what it is. Its owner (username, email or name of
the user's teams, `lookups.Users`) must see the account, as `follow_up_create` asks.
"""

import copy

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyaccounts.imports.columns import ACCOUNT_ALIASES, Column, model_columns
from keyaccounts.imports.kinds import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Kind,
    MatchTexts,
    Outcome,
    RowFailed,
    _account_of,
    _adopt,
    _clean,
    _new,
    _raw_text,
    find_record,
)
from keyaccounts.imports.lookups import Records, chunks, new_ref, ref_of
from keyaccounts.imports.writing import differences

from .models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from .periods import period_key, period_keys, period_kind_for_grade, period_of

REVIEW_COLUMNS = [
    "account",
    "scheduled_for",
    "period_kind",
    "status",
    "place",
    "agenda",
    "held_on",
    "said_about_us",
    "said_about_our_people",
    "agreed_changes",
    "satisfaction",
    "notes",
    "external_id",
]
# What only a scheduled review changes (review_update's fields).
SCHEDULE_FIELDS = ("scheduled_for", "period_kind", "agenda")


def _is_date_only(raw) -> bool:
    """Whether a cell gives a day without a time (a review "on 2026-03-10")."""
    from keyaccounts.imports.values import CellError, _parts

    try:
        return _parts(raw)[1] is None
    except (CellError, TypeError, ValueError):
        return False


class ReviewKind(Kind):
    key = "reviews"
    label = gettext_lazy("Review meetings")
    description = gettext_lazy(
        "One row per review meeting with the customer: found by its external ID, else by "
        "its account and period, and updated; otherwise created. Who attended, on both "
        "sides, is not imported: record it on the review's page."
    )
    key_groups = (("account",), ("scheduled_for", "external_id"))
    special = frozenset({"account"})

    @property
    def model(self):
        return ReviewMeeting

    def make_columns(self):
        return model_columns(
            ReviewMeeting,
            REVIEW_COLUMNS,
            aliases={
                "account": ACCOUNT_ALIASES,
                "scheduled_for": [
                    "回顾日期",
                    "会议日期",
                    "会议时间",
                    "回顾时间",
                    "日期",
                    "Review date",
                    "Meeting date",
                    "Date",
                ],
                "period_kind": ["回顾周期", "周期", "Review period", "Period kind"],
                "status": ["状态", "会议状态", "Status"],
                "place": ["地点", "会议地点", "Place", "Location", "Venue"],
                "agenda": ["议程", "会议议程", "Agenda"],
                "held_on": ["召开日期", "实际召开日期", "Held", "Held on"],
                "said_about_us": ["客户评价", "客户意见", "Customer feedback", "About us"],
                "said_about_our_people": [
                    "对销售人员的意见",
                    "对人员的意见",
                    "About our people",
                ],
                "agreed_changes": ["约定改进", "改进事项", "Agreed changes"],
                "satisfaction": ["满意度", "客户满意度", "Satisfaction"],
                "notes": ["备注", "Notes"],
            },  # fmt: skip
            scheduled_for={
                "help": gettext_lazy("a date, or a date and time, such as 2026-03-10 14:00")
            },
            period_kind={"required": False},
            status={"required": False},
        )

    def example(self, user):
        return {
            "account": "ERP-0001",
            "scheduled_for": "2026-03-10 14:00",
            "period_kind": "year",
            "status": "scheduled",
            "place": _("Customer's head office"),
            "agenda": _("Delivery, service and what to change next year"),
            "external_id": "RV-0001",
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No review meeting you can see has this external ID."),
            gettext_lazy("the external ID of a review at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The review meeting with this external ID is of %(account)s."),
            gettext_lazy("the review's own account"),
        ),
        several=(  # not used: at most one live review per account and period
            gettext_lazy("%(account)s has several review meetings for %(name)s."),
            gettext_lazy("the review's external ID in the row"),
        ),
        other_id=None,
    )

    def gather(self, ctx, rows):
        from accounts.models import Account

        from .selectors import reviews_visible_to

        accounts = {row.get("account").pk for row in rows if row.get("account") is not None}
        ctx.records = Records(ReviewMeeting, reviews_visible_to(ctx.by), natural=("period_start",))
        # An account has a review or two a year: all of them, for the one-per-period rule.
        ctx.records.prefetch(
            external_ids={row.get("external_id") for row in rows}, account_ids=accounts
        )
        ctx.grades = {}
        for chunk in chunks(accounts):
            ctx.grades.update(
                Account.all_objects.filter(pk__in=chunk).values_list("pk", "score__grade")
            )
        ctx.today = timezone.localdate(ctx.now)

    def reads(self, ctx):
        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[ReviewMeeting] = (accounts, ctx.records.external_ids)
        return reads

    def check_row(self, ctx, row):
        account = _account_of(row)
        external_id = row.get("external_id")
        reviews = ctx.records
        stored = find_record(
            row, account, reviews, key="period_start", value=None, texts=self.TEXTS
        )
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        if not fields.get("period_kind"):
            fields.pop("period_kind", None)
        if not fields.get("status"):
            fields.pop("status", None)
            if row.get("held_on") is not None and (
                stored is None or stored.status == ReviewStatus.SCHEDULED
            ):
                fields["status"] = ReviewStatus.HELD  # minutes given: it was held
        when = fields.get("scheduled_for")
        if (
            when is not None
            and stored is not None
            and _is_date_only(row.raw.get("scheduled_for"))
            and timezone.localdate(when) == timezone.localdate(stored.scheduled_for)
        ):
            fields["scheduled_for"] = when = stored.scheduled_for  # the same day: its time
        when = when or (stored.scheduled_for if stored is not None else None)
        if when is None:
            raise RowFailed(
                "scheduled_for",
                _("Give the date of the meeting."),
                _("a date, or a date and time, such as 2026-03-10 14:00"),
            )
        kind = fields.get("period_kind") or (
            stored.period_kind
            if stored is not None
            else period_kind_for_grade(ctx.grades.get(account.pk))
        )
        start = period_of(kind, timezone.localdate(when)).start
        status = fields.get("status") or (
            stored.status if stored is not None else ReviewStatus.SCHEDULED
        )
        if stored is None:
            stored = self._in_period(ctx, row, account, kind, start, status)
        if stored is not None:
            review = copy.copy(stored)
            ctx.claim(
                row,
                ("reviews.reviewmeeting", ref_of(stored)),
                "external_id" if external_id else "scheduled_for",
            )
        else:
            review = _new(
                ReviewMeeting,
                status=ReviewStatus.SCHEDULED,
                place="",
                agenda="",
                said_about_us="",
                said_about_our_people="",
                agreed_changes="",
                notes="",
                cancelled_reason="",
            )
            review.scheduled_by = ctx.by
        review.account = account
        for name, value in fields.items():
            setattr(review, name, value)
        review.period_kind = kind
        review.period_start = start
        review.status = status
        ref = ref_of(stored) if stored is not None else new_ref(row)
        if stored is not None:
            self._check_change(row, stored, review)
        if review.status == ReviewStatus.HELD:
            self._check_minutes(ctx, review)
        elif review.held_on is not None and (stored is None or stored.held_on is None):
            raise RowFailed(
                "held_on",
                _("Only a held review has a date it was held on."),
                _("an empty cell, or the status Held"),
            )
        _clean(review, ref, reviews.holders)
        self._check_one_per_period(ctx, review, ref)
        if stored is None:
            ctx.claim(row, ("reviews.reviewmeeting", ref), "scheduled_for")
            ctx.plan.create(review)
            reviews.add(ref, review)
            return Outcome(CREATE, review)
        changed = differences(review, stored)
        if not changed:
            return Outcome(UNCHANGED, stored)
        before = copy.copy(stored)
        _adopt(stored, review)
        ctx.plan.update(stored, before, changed)
        reviews.add(ref_of(stored), stored)
        return Outcome(UPDATE, stored)

    def _in_period(self, ctx, row, account, kind, start, status):
        """The stored review of the account and period a row without a known external ID
        is about: the live one (a cancelled one only for a cancelled row, at its time)."""
        found = [
            review
            for review in ctx.records.natural(account.pk, "period_start", start)
            if review.period_kind == kind and review.pk is not None
        ]
        live = [review for review in found if review.status != ReviewStatus.CANCELLED]
        if status == ReviewStatus.CANCELLED:
            when = row.get("scheduled_for")
            same = [
                review
                for review in found
                if review.status == ReviewStatus.CANCELLED and review.scheduled_for == when
            ]
            live = same or live
        review = live[0] if live else None
        external_id = row.get("external_id")
        if review is not None and external_id and review.external_id not in (None, external_id):
            raise RowFailed(
                "scheduled_for",
                _(
                    "%(account)s already has a review for %(period)s (%(date)s) with the "
                    "external ID %(stored)s."
                )
                % {
                    "account": account,
                    "period": review.period_label,
                    "date": f"{timezone.localtime(review.scheduled_for):%Y-%m-%d}",
                    "stored": review.external_id,
                },
                _("one review per account and period: that external ID, or another period"),
            )
        return review

    def _check_change(self, row, stored, review) -> None:
        """A cancelled review stays as it is; a held one is not rescheduled, cancelled or
        scheduled again (its minutes may be corrected)."""
        changed = differences(review, stored)
        if not changed or stored.status == ReviewStatus.SCHEDULED:
            return
        label = ReviewStatus(stored.status).label
        if stored.status == ReviewStatus.CANCELLED:
            raise RowFailed(
                "status" if "status" in changed else "",
                _("This review was cancelled: schedule a new one rather than change it."),
                _("the review as it is, or a new row without its external ID"),
            )
        if "status" in changed:
            raise RowFailed(
                "status",
                _("This review is %(status)s: its status no longer changes.") % {"status": label},
                _("%(status)s, or an empty cell") % {"status": label},
            )
        moved = [name for name in SCHEDULE_FIELDS if name in changed]
        if moved or "period_start" in changed:
            raise RowFailed(
                moved[0] if moved else "scheduled_for",
                _("Only a scheduled review can be rescheduled; this one is %(status)s.")
                % {"status": label},
                _("the review's own date, period and agenda"),
            )

    def _check_minutes(self, ctx, review) -> None:
        """As review_record_minutes: the date it was held, not in the future, and what the
        customer said about us (who attended is recorded on the review's page)."""
        if review.held_on is None:
            raise RowFailed(
                "held_on",
                _("Give the date the meeting was held."),
                _("a date such as 2026-03-10"),
            )
        if review.held_on > ctx.today:
            raise RowFailed(
                "held_on",
                _(
                    "A meeting cannot be held in the future. Record the minutes after it, or "
                    "correct the date."
                ),
                _("today or a day before"),
            )
        if not (review.said_about_us or "").strip():
            raise RowFailed(
                "said_about_us",
                _("Write down what the customer said about our products and service."),
                _("what the customer said about our products and service"),
            )

    def _check_one_per_period(self, ctx, review, ref) -> None:
        if review.status == ReviewStatus.CANCELLED:
            return
        for other_ref, other in ctx.records.records.items():
            if (
                other_ref != ref
                and other.account_id == review.account.pk
                and other.deleted_at is None
                and other.status != ReviewStatus.CANCELLED
                and other.period_kind == review.period_kind
                and other.period_start == review.period_start
            ):
                raise RowFailed(
                    "scheduled_for",
                    _(
                        "%(account)s already has a review for %(period)s (%(date)s). "
                        "Reschedule that one, or cancel it first."
                    )
                    % {
                        "account": review.account.name,
                        "period": other.period_label,
                        "date": f"{timezone.localtime(other.scheduled_for):%Y-%m-%d}",
                    },
                    _("one review per account and period: its external ID, or another period"),
                )


FOLLOW_UP_COLUMNS = ["what", "owner", "due_on", "done_on", "note"]


class ReviewFollowUpKind(Kind):
    key = "review_follow_ups"
    label = gettext_lazy("Review follow-ups")
    description = gettext_lazy(
        "One row per follow-up agreed at a held review meeting: the row names the review "
        "by its external ID, or by its account and period (2026, 2026 H1)."
    )
    key_groups = (("review",), ("what", "external_id"))
    special = frozenset({"account", "owner", "review"})

    @property
    def model(self):
        return ReviewFollowUp

    def make_columns(self):
        account = model_columns(
            ReviewFollowUp,
            ["account"],
            aliases={"account": ACCOUNT_ALIASES},
            account={"required": False, "kind": "account"},
        )
        review = Column(
            key="review",
            kind="text",
            label=gettext_lazy("Review meeting"),
            required=True,
            # "Period" / 期间: the export's column of the review's period.
            aliases=("回顾会议", "回顾", "会议", "回顾周期", "期间", "Review", "Period"),
            help=gettext_lazy(
                "the review's external ID, or its period (2026, 2026 H1) with the account"
            ),
        )
        columns = model_columns(
            ReviewFollowUp,
            FOLLOW_UP_COLUMNS,
            aliases={
                "what": ["事项", "改进事项", "跟进事项", "行动", "What", "Action"],
                "owner": ["负责人", "Owner"],
                "due_on": ["截止日期", "到期日期", "Due", "Due date"],
                "done_on": ["完成日期", "Done", "Done on"],
                "note": ["备注", "说明", "Note", "Notes"],
            },
            owner={"required": False},
        )
        return [*account, review, *columns, *model_columns(ReviewFollowUp, ["external_id"])]

    def example(self, user):
        return {
            "account": "ERP-0001",
            "review": "2025",
            "what": _("Send the delivery report every month"),
            "owner": user.username,
            "due_on": "2026-12-31",
            "external_id": "RF-0001",
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No follow-up you can see has this external ID."),
            gettext_lazy("the external ID of a follow-up at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The follow-up with this external ID is of %(account)s."),
            gettext_lazy("the follow-up's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several follow-ups “%(name)s”."),
            gettext_lazy("the follow-up's external ID in the row"),
        ),
        other_id=(
            gettext_lazy("The follow-up “%(name)s” has the external ID %(stored)s."),
            gettext_lazy("that external ID, or none"),
        ),
    )

    def gather(self, ctx, rows):
        from accounts.models import AccountAccess, User

        from .selectors import review_follow_ups_visible_to, reviews_visible_to

        accounts = {row.get("account").pk for row in rows if row.get("account") is not None}
        texts = {_raw_text(row, "review") for row in rows} - {""}
        ctx.reviews = {}  # pk → review
        ctx.reviews_by_external_id = {}
        for chunk in chunks(texts):
            for review in (
                reviews_visible_to(ctx.by).filter(external_id__in=chunk).select_related("account")
            ):
                ctx.reviews[review.pk] = review
                ctx.reviews_by_external_id[review.external_id] = review
        for chunk in chunks(accounts):
            for review in ReviewMeeting.objects.filter(account_id__in=chunk).select_related(
                "account"
            ):
                ctx.reviews[review.pk] = review
        ctx.reviews_of = {}
        for review in ctx.reviews.values():
            ctx.reviews_of.setdefault(review.account_id, []).append(review)
        ctx.review_accounts = {review.account_id for review in ctx.reviews.values()}
        ctx.records = Records(
            ReviewFollowUp, review_follow_ups_visible_to(ctx.by), natural=("what",)
        )
        ctx.records.prefetch(
            external_ids={row.get("external_id") for row in rows},
            account_ids=accounts | ctx.review_accounts,
        )
        # Who may be given a follow-up: people who see its account (the access table).
        owners = {row.get("owner").pk for row in rows if row.get("owner") is not None}
        owners |= {ctx.by.pk} | {r.owner_id for r in ctx.records.records.values()}
        ctx.seeing = set()
        ctx.superusers = set()
        for chunk in chunks(owners):
            ctx.superusers |= set(
                User.objects.filter(pk__in=chunk, is_superuser=True, is_active=True).values_list(
                    "pk", flat=True
                )
            )
            for account_chunk in chunks(ctx.review_accounts):
                ctx.seeing |= set(
                    AccountAccess.objects.filter(
                        user_id__in=chunk, account_id__in=account_chunk, user__is_active=True
                    ).values_list("account_id", "user_id")
                )
        ctx.today = timezone.localdate(ctx.now)

    def reads(self, ctx):
        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        accounts = set(accounts) | ctx.review_accounts
        reads[ReviewMeeting] = (accounts, set(ctx.reviews_by_external_id))
        reads[ReviewFollowUp] = (accounts, ctx.records.external_ids)
        return reads

    def _review(self, ctx, row):
        text = _raw_text(row, "review")
        account = row.get("account")
        if account is None:
            review = ctx.reviews_by_external_id.get(text)
            if review is None:
                raise RowFailed(
                    "review",
                    _("No review meeting you can see has the external ID “%(review)s”.")
                    % {"review": text},
                    _("the review's external ID, or its period (2026, 2026 H1) with the account"),
                )
        else:
            found = [
                review
                for review in ctx.reviews_of.get(account.pk, [])
                if text
                and (
                    text == review.external_id
                    or period_key(text) in period_keys(review.period_kind, review.period_start)
                )
            ]
            live = [review for review in found if review.status != ReviewStatus.CANCELLED]
            found = live or found
            if len(found) != 1:
                raise RowFailed(
                    "review",
                    _("%(account)s has no review meeting “%(review)s”.")
                    % {"account": account, "review": text},
                    _("the review's external ID, or its period (2026, 2026 H1)"),
                )
            review = found[0]
        if review.status != ReviewStatus.HELD:
            raise RowFailed(
                "review",
                _("Follow-ups come out of a held meeting: record its minutes first."),
                _("a held review meeting"),
            )
        return review

    def check_row(self, ctx, row):
        review = self._review(ctx, row)
        account = review.account
        external_id = row.get("external_id")
        follow_ups = ctx.records
        stored = find_record(row, account, follow_ups, key="what", value=None, texts=self.TEXTS)
        what = row.get("what")
        if stored is None and what:
            found = [
                other
                for other in follow_ups.natural(account.pk, "what", what)
                if other.review_id == review.pk
            ]
            if len(found) > 1:
                message, expected = self.TEXTS.several
                raise RowFailed("what", message % {"account": account, "name": what}, expected)
            stored = found[0] if found else None
            if stored is not None and external_id and stored.external_id not in (None, external_id):
                message, expected = self.TEXTS.other_id
                raise RowFailed(
                    "external_id", message % {"name": what, "stored": stored.external_id}, expected
                )
        if stored is not None and stored.review_id != review.pk:
            raise RowFailed(
                "review",
                _("This follow-up belongs to another review meeting of %(account)s.")
                % {"account": account},
                _("the follow-up's own review"),
            )
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        owner = row.get("owner")
        if owner is None and stored is None:
            owner = ctx.by
        if owner is not None and (stored is None or owner.pk != stored.owner_id):
            if owner.pk not in ctx.superusers and (account.pk, owner.pk) not in ctx.seeing:
                raise RowFailed(
                    "owner",
                    _(
                        "%(name)s cannot see %(account)s: give it to someone on the account's "
                        "team, its owner or their manager."
                    )
                    % {"name": owner, "account": account.name},
                    _("someone who sees the account"),
                )
            fields["owner"] = owner
        if stored is not None:
            follow_up = copy.copy(stored)
            ctx.claim(
                row,
                ("reviews.reviewfollowup", ref_of(stored)),
                "external_id" if external_id else "what",
            )
        else:
            follow_up = _new(ReviewFollowUp, note="")
        follow_up.review = review
        follow_up.account = account
        for name, value in fields.items():
            setattr(follow_up, name, value)
        follow_up.note = follow_up.note or ""
        if follow_up.due_on and review.held_on and follow_up.due_on < review.held_on:
            raise RowFailed(
                "due_on",
                _("A follow-up cannot be due before the meeting (%(date)s).")
                % {"date": review.held_on.isoformat()},
                _("the meeting's date or a later day"),
            )
        if follow_up.done_on and follow_up.done_on > ctx.today:
            raise RowFailed(
                "done_on",
                _("The done date cannot be in the future."),
                _("today or a day before, or an empty cell"),
            )
        ref = ref_of(stored) if stored is not None else new_ref(row)
        _clean(follow_up, ref, follow_ups.holders)
        if stored is None:
            ctx.claim(row, ("reviews.reviewfollowup", ref), "what")
            ctx.plan.create(follow_up)
            follow_ups.add(ref, follow_up)
            return Outcome(CREATE, follow_up, label=f"{follow_up} · {account}")
        changed = differences(follow_up, stored)
        if not changed:
            return Outcome(UNCHANGED, stored)
        before = copy.copy(stored)
        _adopt(stored, follow_up)
        ctx.plan.update(stored, before, changed)
        follow_ups.add(ref_of(stored), stored)
        return Outcome(UPDATE, stored)


def reviews_imported(sender, account_ids, record_ids=(), **kwargs) -> None:
    """Reviews or follow-ups written by an import: as the services do, the account's
    reminder scan once committed, and the reminders of a review now held or cancelled
    settled."""
    from keyaccounts.tasks import enqueue_on_commit
    from visits.models import Notification, NotificationKind
    from visits.tasks import reminders_for_account

    held_or_cancelled = ReviewMeeting.objects.none()
    if sender is ReviewMeeting:
        held_or_cancelled = ReviewMeeting.objects.filter(pk__in=list(record_ids))
    settled = [
        f"review:{pk}"
        for pk in held_or_cancelled.exclude(status=ReviewStatus.SCHEDULED).values_list(
            "pk", flat=True
        )
    ]
    for chunk in chunks(settled):
        Notification.objects.filter(
            kind=NotificationKind.REVIEW_DUE, object_key__in=chunk, read_at__isnull=True
        ).update(read_at=timezone.now())
    for account_id in sorted(account_ids):
        enqueue_on_commit(reminders_for_account, account_id)


def register() -> None:
    from keyaccounts.imports.kinds import KINDS
    from keyaccounts.imports.writing import records_imported

    KINDS.setdefault(ReviewKind.key, ReviewKind())
    KINDS.setdefault(ReviewFollowUpKind.key, ReviewFollowUpKind())
    records_imported.connect(reviews_imported, sender=ReviewMeeting, weak=False)
    records_imported.connect(reviews_imported, sender=ReviewFollowUp, weak=False)

"""Pages for visits, follow-ups, "my week", development records, the team and reminders.

Every view gets its rows through the visibility selectors, so a visit, record or
account the user cannot see answers 404; writes go through `services`.
"""

import datetime
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.policy import current_policy
from accounts.selectors import accounts_visible_to, is_manager
from accounts.views import _save_versioned, _visible_account, add_errors
from keyaccounts import formtokens, sections
from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.views import history_page
from keyaccounts.links import record_url, safe_next
from keyaccounts.paging import keyset_page
from keyaccounts.recyclebin.pages import answers_binned, delete_page
from keyaccounts.snapshots import services as snapshots
from keyaccounts.text import join_words

from . import compliance, reminders, selectors, services, worklists
from .filters import DevelopmentRecordFilter
from .forms import (
    DevelopmentRecordForm,
    FollowUpForm,
    RecordReviewForm,
    VisitForm,
    VisitStartForm,
)
from .models import DevelopmentRecord, Visit, VisitStatus
from .selectors import NOTIFICATION_ORDER, RECORD_ORDER, TIMELINE_ORDER

PAGE_SIZE = 25
# My week shows this many of each follow-up group and of the lapsed accounts; the rest
# are a link away (a list that pages), so the page stays the same size for years.
SHOWN = 20
# Overdue follow-ups shown on my week before "see them all": few, so that what is due this
# week (a follow-up just created among it) stays within a phone's second screen.
OVERDUE_SHOWN = 5
COMPLIANCE_DAYS = 90


def _safe_next(request, default: str) -> str:
    return safe_next(request) or default


def _visible_visit(request, pk) -> Visit:
    visit = (
        selectors.visits_visible_to(request.user)
        .select_related("account", "owner", "followed_up_by")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404
    return visit


def _visible_record(request, pk) -> DevelopmentRecord:
    record = (
        selectors.development_records_visible_to(request.user)
        .select_related("account", "prepared_by__sales_team__manager", "reviewed_by")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404
    return record


# --- my week ----------------------------------------------------------------------------


def my_week_view(request):
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    # What the apps above add: overdue plan actions, review follow-ups, the best next
    # actions (kept as a snapshot: `?refresh=1` works them out now, then shows the page
    # without it).
    added = sections.render_context("my_week", request, today=today, now=now)
    if request.GET.get("refresh") == "1":
        rest = request.GET.copy()
        rest.pop("refresh")
        return redirect(f"{request.path}?{rest.urlencode()}" if rest else request.path)
    tomorrow = today + datetime.timedelta(days=1)
    # The first 20 of each group on the page, the number of each, and a link to the whole
    # list a page at a time (as the follow-ups below). Their ids and plans are read whole
    # (`my_week_planned`): the user's own plans, not the company's.
    planned, planned_counts = selectors.my_week_planned(user=user, today=today, per_group=SHOWN)
    # Bounded however many are open: the first of each group due this week, the number
    # of each, and a link to the whole list (overdue, later) a page at a time.
    follow_up_counts = selectors.follow_up_counts(user=user, today=today)
    follow_ups = {"overdue": [], "soon": [], "week": []}
    for visit in selectors.first_due_follow_ups(user=user, today=today, per_group=SHOWN):
        follow_ups[visit.due_group].append(visit)
    follow_ups["overdue"] = follow_ups["overdue"][:OVERDUE_SHOWN]
    # What each shows: its name and grade (and the annotations), not every column.
    lapsed = selectors.first_lapsed_accounts(user=user, now=now, limit=SHOWN + 1)
    lapsed_count = (
        selectors.accounts_with_lapsed_contact(user=user, now=now).count()
        if len(lapsed) > SHOWN
        else len(lapsed)
    )
    return render(
        request,
        "visits/my_week.html",
        {
            "today": today,
            "tomorrow": tomorrow,
            "unrecorded": planned["unrecorded"],
            "planned": planned["today"] + planned["week"],
            # Today first (what is due now), then the rest of the week.
            "planned_today": planned["today"],
            "planned_later": planned["week"],
            "planned_counts": planned_counts,
            "follow_ups": follow_ups,
            # Each group counted up to the limit: a count above it reads "1000+".
            "follow_up_counts": follow_up_counts,
            "follow_up_limit": selectors.FOLLOW_UP_COUNT_LIMIT,
            "follow_up_count": sum(
                min(count, selectors.FOLLOW_UP_COUNT_LIMIT) for count in follow_up_counts.values()
            ),
            "follow_up_count_more": any(
                count > selectors.FOLLOW_UP_COUNT_LIMIT for count in follow_up_counts.values()
            ),
            "lapsed": lapsed[:SHOWN],
            "lapsed_count": lapsed_count,
            # The same rule on the account list: the user's accounts whose rhythm lapsed.
            "lapsed_url": f"{reverse('accounts:list')}?owner={user.pk}&gap=lapsed",
            "rhythm_days": selectors.account_rhythm_days(None),
            "rhythms": [(r.grade, r.contact_rhythm_days) for r in current_policy().rows()],
            # Picked by name: a text box with suggestions, not a list of every account.
            "log_form": VisitStartForm(
                user=user, recent=selectors.recent_accounts(user=user), auto_id="log-%s"
            ),
            "sections": added,
            # Kept on the phone for no signal (static/js/outbox.js, the service worker).
            "offline_keep": json.dumps(_offline_pages(user, follow_ups)),
        },
    )


def _offline_pages(user, follow_ups: dict) -> list[str]:
    """My week, the account list, each of the rep's accounts with its visit form, and the
    visits whose follow-up my week shows (their page holds the follow-up's form)."""
    pages = [reverse("visits:my_week"), reverse("accounts:list")]
    for pk in selectors.offline_account_ids(user=user):
        pages += [record_url("accounts:detail", pk), record_url("visits:create", pk)]
    for group in follow_ups.values():
        pages += [visit.get_absolute_url() for visit in group]
    return pages


def follow_up_list_view(request):
    """The user's open follow-ups, soonest due first, 25 at a time (keyset), all or one
    group of my week's (`?due=overdue`, `soon`, `week`, `later`): `worklists`, which its
    export reads too."""
    today = timezone.localdate()
    rows, form = worklists.follow_ups(user=request.user, data=request.GET, today=today)
    due = _group_or_all(
        request,
        form,
        "due",
        _("There is no group of follow-ups called “%(due)s”: here are all of them."),
    )
    page = keyset_page(request, rows, selectors.FOLLOW_UP_ORDER, size=PAGE_SIZE, count=True)
    return render(
        request,
        "visits/follow_up_list.html",
        {
            "page": page,
            "due": due,
            "groups": worklists.FOLLOW_UP_TABS,
            "export_query": urlencode({"due": due}) if due else "",
            "today": today,
            "tomorrow": today + datetime.timedelta(days=1),
        },
    )


def planned_list_view(request):
    """The user's planned visits (logged or going along), soonest first, 25 at a time
    (keyset): all of my week's groups or one (`?when=unrecorded`, `today`, `week`,
    `later`): `worklists`, which its export reads too."""
    today = timezone.localdate()
    rows, form = worklists.planned(user=request.user, data=request.GET, today=today)
    when = _group_or_all(
        request,
        form,
        "when",
        _("There is no group of planned visits called “%(when)s”: here are all of them."),
    )
    page = keyset_page(request, rows, selectors.PLANNED_ORDER, size=PAGE_SIZE, count=True)
    return render(
        request,
        "visits/planned_list.html",
        {
            "page": page,
            "when": when,
            "groups": worklists.PLANNED_TABS,
            "export_query": urlencode({"when": when}) if when else "",
            "today": today,
            # Planned before today and still not recorded: the list offers to record it.
            "start_today": selectors.planned_window("today", today=today)[0],
        },
    )


def _group_or_all(request, form, name: str, unknown: str) -> str:
    """The group a worklist's form read; one it cannot read lists all, as `unknown`
    (its value as `%(<name>)s`) says above the list."""
    if form.is_bound and not form.is_valid():
        messages.warning(request, unknown % {name: request.GET.get(name, "")[:50]})
        return ""
    return form.cleaned_data.get(name, "") if form.is_bound else ""


# --- visits -----------------------------------------------------------------------------


def visit_start_view(request):
    """ "Log a visit" from anywhere: pick the account, then the account's visit form."""
    status = request.GET.get("status", VisitStatus.DONE)
    chosen = "account" in request.GET or "account_name" in request.GET
    form = VisitStartForm(
        request.GET if chosen else None,
        user=request.user,
        recent=selectors.recent_accounts(user=request.user),
    )
    if form.is_valid():
        url = reverse("visits:create", args=[form.cleaned_data["account"].pk])
        return redirect(f"{url}?status={status}" if status == VisitStatus.PLANNED else url)
    return render(
        request,
        "visits/visit_start.html",
        {
            "form": form,
            "status": status,
            "has_accounts": accounts_visible_to(request.user).exists(),
        },
    )


def _status_from(request, default: str) -> str:
    status = request.GET.get("status", default)
    return status if status in (VisitStatus.PLANNED, VisitStatus.DONE) else default


def visit_create_view(request, account_pk):
    account = _visible_account(request, account_pk)
    if request.method == "POST" and (earlier := formtokens.already_saved(request, Visit)):
        return earlier
    status = _status_from(request, VisitStatus.DONE)
    # `?contact=<id>`: a contact to meet, chosen already (a next best action's link);
    # the form offers only the account's active contacts, so another id ticks nothing.
    contact = request.GET.get("contact", "")
    chosen = contact.isascii() and contact.isdigit() and len(contact) < 19
    initial = {"contacts": [int(contact)]} if chosen else {}
    # `?attendee=<id>`: a colleague to take along (the heat-map's level checks: the
    # executive sponsor to meet the decider); the picker offers only the people the
    # user may pick, so another id is left out.
    attendee = request.GET.get("attendee", "")
    if attendee.isascii() and attendee.isdigit() and len(attendee) < 19:
        initial["attendees"] = [int(attendee)]
    form = VisitForm(
        request.POST or None,
        initial=initial,
        instance=Visit(account=account, owner=request.user, status=status),
        account=account,
        status=status,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit, earlier = formtokens.create_once(
                request,
                Visit,
                lambda: services.visit_save(
                    by=request.user, account=account, **form.visit_fields()
                ),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            if visit.status == VisitStatus.PLANNED:
                messages.success(request, _("Visit planned."))
            else:
                messages.success(
                    request,
                    _("Visit recorded. Follow up by %(date)s.")
                    % {"date": visit.follow_up_due.isoformat()},
                )
            _warn_unseen_attendees(request, visit)
            return redirect(visit)
    return render(
        request,
        "visits/visit_form.html",
        {
            "form": form,
            "account": account,
            "status": status,
            "form_token": formtokens.form_token(request),
        },
    )


def _warn_unseen_attendees(request, visit) -> None:
    """Our people at the visit who cannot see its account do not see the visit either
    (not in their week, its page a 404): said, with what to do, after the save."""
    from accounts.selectors import accounts_visible_to

    unseen = [
        person
        for person in visit.attendees.all()
        if not accounts_visible_to(person).filter(pk=visit.account_id).exists()
    ]
    if unseen:
        messages.warning(
            request,
            _(
                "%(people)s cannot see %(account)s, so they do not see this visit in their "
                "week: add them to the account team."
            )
            % {
                "people": join_words([str(person) for person in unseen]),
                "account": visit.account.name,
            },
        )


def _say_recorded(request, visit) -> None:
    """A planned visit's outcome recorded: when its follow-up is due, as a new one says."""
    messages.success(
        request,
        _("Visit recorded. Follow up by %(date)s.") % {"date": visit.follow_up_due.isoformat()},
    )


def visit_edit_view(request, pk):
    visit = _visible_visit(request, pk)
    account = visit.account
    if visit.status == VisitStatus.CANCELLED:
        messages.error(request, _("This visit was cancelled and can no longer be changed."))
        return redirect(visit)
    # A planned visit can be recorded ("Record the outcome"); a recorded one stays recorded.
    status = (
        _status_from(request, VisitStatus.PLANNED)
        if visit.status == VisitStatus.PLANNED
        else VisitStatus.DONE
    )
    form = VisitForm(
        request.POST or None, instance=visit, account=account, status=status, user=request.user
    )
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.visit_save(
                by=request.user,
                account=account,
                visit=Visit.objects.get(pk=visit.pk),
                expected_version=expected_version,
                **form.visit_fields(),
            )

        recording = visit.status == VisitStatus.PLANNED and status == VisitStatus.DONE
        if _save_versioned(request, form, save, say=_say_recorded if recording else None):
            _warn_unseen_attendees(request, visit)
            # Back where the form was opened from (my week's "Record the outcome").
            return redirect(_safe_next(request, visit.get_absolute_url()))
    return render(
        request,
        "visits/visit_form.html",
        {
            "form": form,
            "account": account,
            "status": status,
            "visit": visit,
            "next": _safe_next(request, ""),
        },
    )


def _visit_page(request, visit, follow_up_form=None, status=200):
    today = timezone.localdate()
    if follow_up_form is None and visit.follow_up_open:
        follow_up_form = FollowUpForm(today=today)
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "account": visit.account,
            "contacts": visit.contacts.order_by("name"),
            "attendees": visit.attendees.all(),
            "follow_up_form": follow_up_form,
            "overdue": visit.follow_up_overdue_on(today),
            "next": _safe_next(request, ""),
        },
        status=status,
    )


def visit_detail_view(request, pk):
    return _visit_page(request, _visible_visit(request, pk))


@require_POST
def follow_up_log_view(request, pk):
    visit = _visible_visit(request, pk)
    today = timezone.localdate()
    form = FollowUpForm(request.POST, today=today)
    if not visit.follow_up_open:
        messages.error(request, _("There is no open follow-up for this visit."))
        return redirect(visit)
    if form.is_valid():
        try:
            services.follow_up_log(
                visit=visit,
                by=request.user,
                followed_up_on=form.cleaned_data["followed_up_on"],
                method=form.cleaned_data["follow_up_method"],
                feedback=form.cleaned_data["follow_up_feedback"],
                today=today,
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Follow-up logged."))
            return redirect(_safe_next(request, visit.get_absolute_url()))
    visit.refresh_from_db()  # the failed attempt must not show as half-logged
    return _visit_page(request, visit, follow_up_form=form)


@require_POST
def visit_cancel_view(request, pk):
    visit = _visible_visit(request, pk)
    try:
        services.visit_cancel(visit=visit, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(visit)
    messages.success(request, _("Visit cancelled."))
    return redirect(visit.account)


def account_visits_view(request, account_pk):
    """The account's whole timeline, newest first, a page at a time."""
    account = _visible_account(request, account_pk)
    page = keyset_page(
        request, selectors.account_timeline(account=account), TIMELINE_ORDER, size=PAGE_SIZE
    )
    return render(
        request,
        "visits/account_visits.html",
        {"account": account, "page": page, "today": timezone.localdate()},
    )


# --- development records ----------------------------------------------------------------


def record_list_view(request):
    today = timezone.localdate()
    queryset = selectors.with_development_totals(
        selectors.development_records_visible_to(request.user).select_related(
            "account", "prepared_by", "reviewed_by"
        ),
        today=today,
    )
    filterset = DevelopmentRecordFilter(request.GET or None, queryset=queryset, request=request)
    records = filterset.qs  # a value it cannot read is left out (the form says so)
    page = keyset_page(request, records, RECORD_ORDER, size=PAGE_SIZE, count=True)
    return render(
        request,
        "visits/record_list.html",
        {"filter": filterset, "page": page, "query": page.query},
    )


def record_detail_view(request, pk):
    return _record_detail(request, _visible_record(request, pk))


def _record_detail(request, record, *, review_form=None, status=200):
    today = timezone.localdate()
    contacts = list(selectors.development_record_contacts(record=record, today=today))
    this_record = DevelopmentRecord.objects.filter(pk=record.pk)
    totals = (
        selectors.with_development_totals(this_record, today=today)
        .values("contact_count", "total_minutes")
        .get()
    )
    return render(
        request,
        "visits/record_detail.html",
        {
            "record": record,
            "account": record.account,
            "contacts": contacts,
            "totals": totals,
            "can_review": services.can_review(request.user, record),
            "by_a_director": services.reviewed_by_a_director(record),
            "can_delete": _can_delete_record(request.user, record),
            "review_form": review_form or RecordReviewForm(auto_id="review-%s"),
        },
        status=status,
    )


def _first_visit_day(account) -> datetime.date | None:
    first = (
        account.visits.filter(status=VisitStatus.DONE)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return timezone.localdate(first) if first else None


def record_create_view(request, account_pk):
    account = _visible_account(request, account_pk)
    if request.method == "POST" and (
        earlier := formtokens.already_saved(request, DevelopmentRecord)
    ):
        return earlier
    today = timezone.localdate()
    form = DevelopmentRecordForm(
        request.POST or None,
        instance=DevelopmentRecord(account=account, prepared_by=request.user, prepared_on=today),
        initial={"started_on": _first_visit_day(account) or today},
    )
    if request.method == "POST" and form.is_valid():
        try:
            record, earlier = formtokens.create_once(
                request,
                DevelopmentRecord,
                lambda: services.development_record_save(
                    by=request.user, account=account, today=today, **form.model_fields_data()
                ),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            messages.success(request, _("Development record saved."))
            return redirect(record)
    return render(
        request,
        "visits/record_form.html",
        {"form": form, "account": account, "form_token": formtokens.form_token(request)},
    )


def record_edit_view(request, pk):
    record = _visible_record(request, pk)
    if record.reviewed_on is not None:
        messages.error(
            request,
            _(
                "%(manager)s reviewed this record on %(date)s, so it can no longer be "
                "changed. Start a new record if the development goes on."
            )
            % {"manager": record.reviewed_by, "date": record.reviewed_on.isoformat()},
        )
        return redirect(record)
    form = DevelopmentRecordForm(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.development_record_save(
                by=request.user,
                account=record.account,
                record=DevelopmentRecord.objects.get(pk=record.pk),
                expected_version=expected_version,
                **form.model_fields_data(),
            )

        if _save_versioned(request, form, save):
            return redirect(record)
    return render(
        request,
        "visits/record_form.html",
        {"form": form, "account": record.account, "record": record},
    )


@require_POST
def record_review_view(request, pk):
    record = _visible_record(request, pk)
    form = RecordReviewForm(request.POST, auto_id="review-%s")
    may_review = services.can_review(request.user, record) and record.reviewed_on is None
    if may_review and not form.is_valid():
        # The page again, the comment as typed and what is wrong with it.
        return _record_detail(request, record, review_form=form, status=400)
    try:
        services.development_record_review(
            record=record,
            by=request.user,
            comment=form.cleaned_data.get("comment", "") if may_review else "",
        )
    except ApplicationError as exc:  # not theirs to review, or reviewed already
        messages.error(request, exc.message)
        return redirect(record)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return _record_detail(request, record, review_form=form, status=400)
    messages.success(request, _("Record marked as reviewed."))
    return redirect(_safe_next(request, record.get_absolute_url()))


# --- the manager's team page ------------------------------------------------------------


TEAM_BODY = "visits/includes/team_compliance_body.html"


def team_view(request):
    """The manager's team: follow-up compliance per rep (kept as a snapshot, as the
    dashboard's figures: for a manager of 500 reps it adds up every visit of 90 days,
    seconds at 100,000 accounts; `?refresh=1` computes it now), and the development
    records waiting for their review, read on every view."""
    if not is_manager(request.user):
        raise Http404
    figures = snapshots.page_figures(
        request,
        name="team",
        template=TEAM_BODY,
        params={},
        compute=lambda: _team_compliance(request.user),
    )
    if figures.redirect_to:
        return redirect(figures.redirect_to)
    today = timezone.localdate()
    awaiting = selectors.with_development_totals(
        selectors.development_records_awaiting_review(manager=request.user), today=today
    )
    return render(
        request,
        "visits/team.html",
        {
            "days": COMPLIANCE_DAYS,
            "snapshot": figures.shown,
            "refresh_url": figures.refresh_url,
            "awaiting": awaiting,
        },
    )


def _team_compliance(user) -> str:
    """The Team page's compliance, rendered (`TEAM_BODY`): three queries."""
    today = timezone.localdate()
    reps = list(
        selectors.reps_of(user)
        .select_related("sales_team")
        .order_by("first_name", "last_name", "username")
    )
    rows = selectors.follow_up_compliance(
        reps=reps, since=today - datetime.timedelta(days=COMPLIANCE_DAYS), today=today
    )
    overdue = selectors.overdue_follow_up_counts(reps=reps, today=today)
    for row in rows:
        row["overdue"] = overdue.get(row["rep"].pk, 0)
    return render_to_string(TEAM_BODY, {"compliance": compliance.summary(rows)})


# --- notifications ----------------------------------------------------------------------


def notification_list_view(request):
    page = keyset_page(
        request, selectors.notifications_of(request.user), NOTIFICATION_ORDER, size=PAGE_SIZE
    )
    # What the reminders' sentences read beyond their rows, for the page at once.
    reminders.prepare_texts(page.object_list)
    return render(request, "visits/notification_list.html", {"page": page})


@require_POST
def notification_read_view(request, pk):
    notification = get_object_or_404(selectors.notifications_of(request.user), pk=pk)
    services.notification_mark_read(notification=notification, by=request.user)
    return redirect(_safe_next(request, reverse("visits:notifications")))


@require_POST
def notification_read_all_view(request):
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect(_safe_next(request, reverse("visits:notifications")))


# --- the recycle bin --------------------------------------------------------------------


@answers_binned(Visit)
def visit_delete_view(request, pk):
    """Ask, then move the visit to the recycle bin (cancelling keeps it on the record)."""
    visit = _visible_visit(request, pk)
    return delete_page(
        request,
        record=visit,
        delete=lambda version: services.visit_delete(
            visit=visit, by=request.user, expected_version=version
        ),
        cancel_url=visit.get_absolute_url(),
        done_url=reverse("visits:account_visits", args=[visit.account_id]),
    )


def _can_delete_record(user, record: DevelopmentRecord) -> bool:
    try:
        services.development_record_delete_check(record=record, by=user)
    except ApplicationError:
        return False
    return True


@answers_binned(DevelopmentRecord)
def record_delete_view(request, pk):
    """Ask, then move an unreviewed development record to the recycle bin."""
    record = _visible_record(request, pk)
    return delete_page(
        request,
        record=record,
        check=lambda: services.development_record_delete_check(record=record, by=request.user),
        delete=lambda version: services.development_record_delete(
            record=record, by=request.user, expected_version=version
        ),
        cancel_url=record.get_absolute_url(),
        done_url=reverse("visits:record_list"),
    )


def visit_history_view(request, pk):
    """A visit's history (变更记录), the recycle bin included (keyaccounts/history/)."""
    visit = get_object_or_404(
        selectors.visits_visible_to(request.user, deleted=True).select_related("account"), pk=pk
    )
    return history_page(request, visit)


def development_record_history_view(request, pk):
    """A development record's history, the recycle bin included."""
    record = get_object_or_404(
        selectors.development_records_visible_to(request.user, deleted=True).select_related(
            "account"
        ),
        pk=pk,
    )
    return history_page(request, record)

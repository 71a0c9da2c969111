"""Pages of review meetings: an account's reviews, schedule, detail with the minutes and
follow-ups, cancel, history, the recycle bin, and the A/B accounts missing a review.

Every record is found through the visibility selectors (404 outside them); writes go
through `services`.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scope import ScopeForm, filter_accounts
from accounts.selectors import accounts_visible_to
from accounts.views import _save_versioned, _visible_account, add_errors, say_saved
from keyaccounts import formtokens
from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.views import history_page
from keyaccounts.paging import keyset_page
from keyaccounts.recyclebin.pages import answers_binned, delete_page

from . import selectors, services
from .forms import CancelForm, FollowUpForm, MinutesForm, ReviewScheduleForm
from .models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from .periods import current_period_for_grade, period_kind_for_grade, reviewed_grades

PAGE_SIZE = 25


def _visible_review(request, pk) -> ReviewMeeting:
    review = (
        selectors.reviews_visible_to(request.user)
        .select_related("account__owner", "scheduled_by")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise Http404
    return review


def _visible_follow_up(request, pk) -> ReviewFollowUp:
    follow_up = (
        selectors.review_follow_ups_visible_to(request.user)
        .select_related("review__account", "account", "owner")
        .filter(pk=pk)
        .first()
    )
    if follow_up is None:
        raise Http404
    return follow_up


def account_reviews_view(request, account_pk):
    account = _visible_account(request, account_pk)
    today = timezone.localdate()
    grade = services.account_grade(account)
    page = keyset_page(
        request, selectors.account_reviews(account=account), selectors.REVIEW_ORDER, size=PAGE_SIZE
    )
    return render(
        request,
        "reviews/account_reviews.html",
        {
            "account": account,
            "page": page,
            "grade": grade,
            "period": current_period_for_grade(grade, today),
            "required": grade in reviewed_grades(),
        },
    )


def review_create_view(request, account_pk):
    account = _visible_account(request, account_pk)
    if request.method == "POST" and (earlier := formtokens.already_saved(request, ReviewMeeting)):
        return earlier
    default_period = period_kind_for_grade(services.account_grade(account))
    form = ReviewScheduleForm(
        request.POST or None,
        instance=ReviewMeeting(account=account, scheduled_by=request.user),
        default_period=default_period,
    )
    if request.method == "POST" and form.is_valid():
        try:
            review, earlier = formtokens.create_once(
                request,
                ReviewMeeting,
                lambda: services.review_schedule(
                    by=request.user, account=account, **form.model_fields_data()
                ),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            messages.success(request, _("Review meeting scheduled."))
            return redirect(review)
    return render(
        request,
        "reviews/review_form.html",
        {"form": form, "account": account, "form_token": formtokens.form_token(request)},
    )


def review_detail_view(request, pk):
    review = _visible_review(request, pk)
    today = timezone.localdate()
    follow_ups = list(review.follow_ups.select_related("owner").order_by("due_on", "pk"))
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "account": review.account,
            "contacts": list(review.contacts.order_by("name", "pk")),
            "attendees": list(review.attendees.order_by("first_name", "last_name", "pk")),
            "follow_ups": follow_ups,
            "follow_up_form": (
                FollowUpForm(user=request.user, initial={"owner": review.account.owner_id})
                if review.status == ReviewStatus.HELD
                else None
            ),
            "today": today,
            "can_delete": _can_delete(request.user, review),
        },
    )


def review_edit_view(request, pk):
    review = _visible_review(request, pk)
    if review.status != ReviewStatus.SCHEDULED:
        messages.error(request, _("Only a scheduled review can be rescheduled."))
        return redirect(review)
    period_before = review.period_label
    form = ReviewScheduleForm(request.POST or None, instance=review)
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.review_update(
                review=ReviewMeeting.objects.select_related("account").get(pk=review.pk),
                by=request.user,
                expected_version=expected_version,
                **form.model_fields_data(),
            )

        def say(request, saved):
            say_saved(request, saved)
            if saved.period_label != period_before:
                # Its date fell in another period: the one it left has no review now.
                messages.warning(
                    request,
                    _(
                        "The review is now %(period)s's, the period its new date falls in: "
                        "%(before)s has no review of %(account)s unless you schedule one."
                    )
                    % {
                        "period": saved.period_label,
                        "before": period_before,
                        "account": saved.account.name,
                    },
                )

        if _save_versioned(request, form, save, say=say):
            return redirect(review)
    return render(
        request,
        "reviews/review_form.html",
        {"form": form, "account": review.account, "review": review},
    )


def review_minutes_view(request, pk):
    review = _visible_review(request, pk)
    if review.status == ReviewStatus.CANCELLED:
        messages.error(request, _("This review was cancelled: schedule a new one."))
        return redirect(review)
    initial = {}
    if review.held_on is None:
        local = timezone.localtime(review.scheduled_for)
        initial["held_on"] = min(local.date(), timezone.localdate())
    form = MinutesForm(
        request.POST or None,
        instance=review,
        initial=initial,
        account=review.account,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.review_record_minutes(
                review=ReviewMeeting.objects.select_related("account").get(pk=review.pk),
                by=request.user,
                expected_version=expected_version,
                **form.minutes_fields(),
            )

        if _save_versioned(request, form, save):
            return redirect(review)
    return render(
        request,
        "reviews/minutes_form.html",
        {"form": form, "account": review.account, "review": review},
    )


def review_cancel_view(request, pk):
    review = _visible_review(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_cancel(
                review=review, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Review meeting cancelled."))
        return redirect(review)
    return render(
        request,
        "reviews/review_cancel.html",
        {"form": form, "review": review, "account": review.account},
    )


def review_history_view(request, pk):
    review = get_object_or_404(
        selectors.reviews_visible_to(request.user, deleted=True).select_related("account"),
        pk=pk,
    )
    return history_page(request, review)


def _can_delete(user, review) -> bool:
    try:
        services.review_delete_check(review=review, by=user)
    except ApplicationError:
        return False
    return True


@answers_binned(ReviewMeeting)
def review_delete_view(request, pk):
    review = _visible_review(request, pk)
    return delete_page(
        request,
        record=review,
        along=[review.follow_ups.all()],
        check=lambda: services.review_delete_check(review=review, by=request.user),
        delete=lambda version: services.review_delete(
            review=review, by=request.user, expected_version=version
        ),
        cancel_url=review.get_absolute_url(),
        done_url=reverse("reviews:account_list", args=[review.account_id]),
    )


# --- follow-ups -------------------------------------------------------------------------


@require_POST
def follow_up_create_view(request, pk):
    review = _visible_review(request, pk)
    form = FollowUpForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.follow_up_create(review=review, by=request.user, **form.model_fields_data())
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Follow-up added."))
            return redirect(review)
    return render(
        request,
        "reviews/follow_up_form.html",
        {"form": form, "review": review, "account": review.account},
        status=400,
    )


def follow_up_edit_view(request, pk):
    follow_up = _visible_follow_up(request, pk)
    form = FollowUpForm(request.POST or None, instance=follow_up, user=request.user)
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.follow_up_update(
                follow_up=ReviewFollowUp.objects.select_related("review__account").get(
                    pk=follow_up.pk
                ),
                by=request.user,
                expected_version=expected_version,
                **form.model_fields_data(),
            )

        if _save_versioned(request, form, save):
            return redirect(follow_up.review)
    return render(
        request,
        "reviews/follow_up_form.html",
        {
            "form": form,
            "review": follow_up.review,
            "account": follow_up.account,
            "follow_up": follow_up,
        },
    )


def _follow_up_step(request, pk, step, said: str):
    """Mark a follow-up done or open again (`step`, a service), back to its review with
    what happened, or why not."""
    follow_up = _visible_follow_up(request, pk)
    try:
        step(follow_up=follow_up, by=request.user)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
    else:
        messages.success(request, said)
    return redirect(follow_up.review)


@require_POST
def follow_up_done_view(request, pk):
    return _follow_up_step(request, pk, services.follow_up_done, _("Follow-up marked done."))


@require_POST
def follow_up_reopen_view(request, pk):
    return _follow_up_step(request, pk, services.follow_up_reopen, _("Follow-up open again."))


@answers_binned(ReviewFollowUp)
def follow_up_delete_view(request, pk):
    follow_up = _visible_follow_up(request, pk)
    return delete_page(
        request,
        record=follow_up,
        delete=lambda version: services.follow_up_delete(
            follow_up=follow_up, by=request.user, expected_version=version
        ),
        cancel_url=follow_up.get_absolute_url(),
        done_url=follow_up.review.get_absolute_url(),
    )


def follow_up_history_view(request, pk):
    follow_up = get_object_or_404(
        selectors.review_follow_ups_visible_to(request.user, deleted=True).select_related(
            "account"
        ),
        pk=pk,
    )
    return history_page(request, follow_up)


# --- the managers' list -----------------------------------------------------------------


def missing_reviews_view(request):
    """A and B accounts in view without a review scheduled or held in their period,
    narrowed by the dashboard's filters (the dashboard's count links here)."""
    today = timezone.localdate()
    visible = accounts_visible_to(request.user)
    form = ScopeForm(request.GET or None, accounts=visible, user=request.user)
    filters = form.active_filters()
    scope = filter_accounts(visible, **filters)
    missing = selectors.accounts_missing_review(
        user=request.user, today=today, accounts=scope
    ).select_related("owner", "score")
    page = keyset_page(request, missing, selectors.MISSING_ORDER, size=PAGE_SIZE, count=True)
    for account in page.object_list:
        grade = account.score.grade if hasattr(account, "score") else None
        account.review_period = current_period_for_grade(grade, today)
    return render(
        request,
        "reviews/missing.html",
        {
            "page": page,
            "form": form,
            "filters": filters,
            "periods": [(g, period_kind_for_grade(g)) for g in reviewed_grades()],
            "today": today,
            # The same accounts as the account list's gap "no review in its period", with
            # the filters that apply: what its export writes.
            "export_query": urlencode([("gap", "no_review"), *filters.items()]),
        },
    )

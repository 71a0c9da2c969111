"""An account's grade pages, beside the account's own (/accounts/<pk>/...): the history
of its grade, the rep's assessment (the ratings the table reads) and a manager's pin.

Every view finds the account by the one visibility rule (`accounts.views._visible_account`,
404 outside it); only a manager pins (403 for anyone else who sees the account). Writes
go through `scoring.services`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import is_manager
from accounts.views import _visible_account, add_errors
from keyaccounts.exceptions import ApplicationError
from keyaccounts.paging import keyset_page

from .. import services
from ..forms import RATINGS, AssessmentForm, GradePinForm
from ..models import Assessment, Factor, GradeChange, GradePin, bilingual, pin_in_force
from ..specs import explained

HISTORY_PAGE_SIZE = 25
# Newest first, read from the (account, changed_at, id) index.
GRADE_HISTORY_ORDER = ("-changed_at", "-pk")


def _grade_url(account) -> str:
    return account.get_absolute_url() + "#grade"


def factor_moves(before: list[dict], after: list[dict]) -> list[dict]:
    """The factors whose points differ between two changes' contributions (explained:
    `specs.explained`), in the later change's order: [{"key", "name", "before", "after"}];
    a factor only one of them has (the table changed) has None on the other side."""
    earlier = {item["key"]: item for item in before}
    later = {item["key"]: item for item in after}
    moves = []
    for item in after + [item for item in before if item["key"] not in later]:
        old, new = earlier.get(item["key"]), later.get(item["key"])
        old_points = old["points"] if old else None
        new_points = new["points"] if new else None
        if old_points != new_points:
            moves.append(
                {
                    "key": item["key"],
                    "name": bilingual(item.get("label", ""), item.get("label_zh", "")),
                    "before": old_points,
                    "after": new_points,
                }
            )
    return moves


def grade_history_view(request, account_pk):
    account = _visible_account(request, account_pk, "score__model")
    changes = GradeChange.objects.filter(account=account).select_related("model")
    page = keyset_page(request, changes, GRADE_HISTORY_ORDER, size=HISTORY_PAGE_SIZE)
    # The page's changes and the one before its last (read with the page going forward),
    # to say what moved in each.
    window = list(page.object_list)
    following = page.following()
    if following is not None:
        window.append(following)
    # Each change with its own version's labels (kept in memory per version).
    parts = [explained(change) for change in window]
    rows = [
        {
            "change": change,
            "moves": (
                factor_moves(parts[index + 1], parts[index])
                if index + 1 < len(window)
                else None  # the first grade: nothing to compare with
            ),
        }
        for index, change in enumerate(page.object_list)
    ]
    return render(
        request,
        "scoring/account_grade.html",
        {"account": account, "score": getattr(account, "score", None), "page": page, "rows": rows},
    )


def _rating_guidance() -> dict[str, str]:
    """{rating: guidance} from the active table's factors that read the ratings."""
    factors = Factor.objects.filter(model=services.active_model(), source__in=RATINGS)
    guidance = {}
    for factor in factors.order_by("order", "pk"):
        guidance.setdefault(factor.source, factor.shown_guidance)
    return guidance


def assessment_view(request, account_pk):
    """Any user who sees the account rates it; the account is rescored at once."""
    account = _visible_account(request, account_pk)
    assessment = Assessment.objects.filter(account=account).select_related("rated_by").first()
    form = AssessmentForm(
        request.POST or None,
        initial=AssessmentForm.initial_from(assessment),
        guidance=_rating_guidance(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_save(account=account, by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            # Now, not in a minute: the page the rep lands on shows the grade it gives.
            services.rescore([account.pk])
            messages.success(request, _("Ratings saved; the grade is up to date."))
            return redirect(_grade_url(account))
    return render(
        request,
        "scoring/account_assessment.html",
        {"account": account, "form": form, "assessment": assessment},
    )


def _account_to_pin(request, account_pk):
    account = _visible_account(request, account_pk, "score")
    if not is_manager(request.user):
        raise PermissionDenied(_("Only a manager pins an account's grade."))
    return account


def grade_pin_view(request, account_pk):
    account = _account_to_pin(request, account_pk)
    pin = GradePin.objects.filter(account=account).first()
    if pin_in_force(pin, timezone.localdate()):
        initial = {"grade": pin.grade, "reason": pin.reason, "expires_on": pin.expires_on}
    else:
        pin = None
        score = getattr(account, "score", None)
        initial = {"grade": score.grade} if score is not None else {}
    form = GradePinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.grade_pin(account=account, by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Grade pinned at %(grade)s until %(date)s.")
                % {"grade": form.cleaned_data["grade"], "date": form.cleaned_data["expires_on"]},
            )
            return redirect(_grade_url(account))
    return render(
        request, "scoring/account_grade_pin.html", {"account": account, "form": form, "pin": pin}
    )


@require_POST
def grade_unpin_view(request, account_pk):
    account = _account_to_pin(request, account_pk)
    services.grade_unpin(account=account, by=request.user)
    messages.success(request, _("Pin removed: the table's grade applies again."))
    return redirect(_grade_url(account))


urlpatterns = [
    path("accounts/<int:account_pk>/grade/", grade_history_view, name="account_grade"),
    path("accounts/<int:account_pk>/grade/pin/", grade_pin_view, name="account_grade_pin"),
    path("accounts/<int:account_pk>/grade/unpin/", grade_unpin_view, name="account_grade_unpin"),
    path("accounts/<int:account_pk>/assessment/", assessment_view, name="account_assessment"),
]

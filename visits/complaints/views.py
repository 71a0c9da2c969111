"""The complaint pages: list, record, detail with its actions, edit, history, delete."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.views import _save_versioned, _visible_account, add_errors
from keyaccounts import formtokens
from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.views import history_page
from keyaccounts.paging import keyset_page
from keyaccounts.recyclebin.pages import answers_binned, delete_page
from keyaccounts.workdays import working_days_between

from . import services
from .filters import ComplaintFilter
from .forms import AssignForm, CloseForm, ComplaintForm, ReopenForm, ResolveForm, RespondForm
from .models import Complaint, ComplaintStatus
from .selectors import COMPLAINT_ORDER, complaints_visible_to

PAGE_SIZE = 25


def _visible_complaint(request, pk) -> Complaint:
    complaint = (
        complaints_visible_to(request.user)
        .select_related(
            "account__owner",
            "contact",
            "assignee",
            "recorded_by",
            "responded_by",
            "resolved_by",
            "closed_by",
            "confirmed_by_contact",
        )
        .filter(pk=pk)
        .first()
    )
    if complaint is None:
        raise Http404
    return complaint


def complaint_list_view(request):
    queryset = complaints_visible_to(request.user).select_related("account", "assignee")
    filterset = ComplaintFilter(request.GET or None, queryset=queryset, request=request)
    complaints = filterset.qs  # a value it cannot read is left out (the form says so)
    page = keyset_page(request, complaints, COMPLAINT_ORDER, size=PAGE_SIZE, count=True)
    now = timezone.now()
    for complaint in page.object_list:
        complaint.deadline = deadline_state(complaint, now)
    return render(
        request,
        "complaints/complaint_list.html",
        {"filter": filterset, "page": page, "query": page.query},
    )


def _overdue_days(deadline, now) -> float:
    return round(working_days_between(deadline, now), 1)


def deadline_state(complaint: Complaint, now) -> dict:
    """What is due next and whether it is late: {"label", "due", "overdue_days"}; None
    when nothing is due (resolved or closed)."""
    if complaint.status == ComplaintStatus.OPEN:
        label, due = _("Answer due"), complaint.respond_by
    elif complaint.status == ComplaintStatus.ANSWERED:
        label, due = _("Resolution due"), complaint.resolve_by
    else:
        return None
    late = due < now
    return {
        "label": label,
        "due": due,
        "late": late,
        "overdue_days": _overdue_days(due, now) if late else None,
        "resolution_late": complaint.resolve_by < now,
    }


def _complaint_page(request, complaint, *, forms=None, status=200):
    forms = forms or {}
    now = timezone.now()
    account = complaint.account
    actions = {}
    if complaint.status == ComplaintStatus.OPEN:
        actions["respond"] = forms.get("respond") or RespondForm(prefix="respond")
    if complaint.status in (ComplaintStatus.OPEN, ComplaintStatus.ANSWERED):
        actions["resolve"] = forms.get("resolve") or ResolveForm(prefix="resolve")
    if complaint.status == ComplaintStatus.RESOLVED:
        actions["close"] = forms.get("close") or CloseForm(prefix="close", account=account)
    if complaint.status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
        actions["reopen"] = forms.get("reopen") or ReopenForm(prefix="reopen")
    if complaint.status != ComplaintStatus.CLOSED and services.can_assign(request.user, complaint):
        actions["assign"] = forms.get("assign") or AssignForm(prefix="assign", complaint=complaint)
    for name, form in forms.items():
        if name not in actions:  # refused: the status no longer offers that action
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
    respond_late = (complaint.responded_at or now) > complaint.respond_by
    resolve_late = (complaint.resolved_at or now) > complaint.resolve_by
    return render(
        request,
        "complaints/complaint_detail.html",
        {
            "complaint": complaint,
            "account": account,
            "actions": actions,
            "can_delete": services.can_delete(request.user, complaint),
            "respond_late": respond_late,
            "resolve_late": resolve_late,
            "respond_late_days": _overdue_days(complaint.respond_by, complaint.responded_at or now)
            if respond_late
            else None,
            "resolve_late_days": _overdue_days(complaint.resolve_by, complaint.resolved_at or now)
            if resolve_late
            else None,
        },
        status=status,
    )


def complaint_detail_view(request, pk):
    return _complaint_page(request, _visible_complaint(request, pk))


def complaint_create_view(request, account_pk):
    account = _visible_account(request, account_pk, "owner")
    if request.method == "POST" and (earlier := formtokens.already_saved(request, Complaint)):
        return earlier
    form = ComplaintForm(request.POST or None, instance=Complaint(account=account), account=account)
    if request.method == "POST" and form.is_valid():
        data = form.model_fields_data()
        try:
            complaint, earlier = formtokens.create_once(
                request,
                Complaint,
                lambda: services.complaint_create(by=request.user, account=account, **data),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            messages.success(request, _("Complaint recorded."))
            return redirect(complaint)
    return render(
        request,
        "complaints/complaint_form.html",
        {"form": form, "account": account, "form_token": formtokens.form_token(request)},
    )


def complaint_edit_view(request, pk):
    complaint = _visible_complaint(request, pk)
    account = complaint.account
    form = ComplaintForm(request.POST or None, instance=complaint, account=account)
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.complaint_update(
                by=request.user,
                complaint=Complaint.objects.select_related("account").get(pk=complaint.pk),
                expected_version=expected_version,
                **form.model_fields_data(),
            )

        if _save_versioned(request, form, save):
            return redirect(complaint)
    return render(
        request,
        "complaints/complaint_form.html",
        {"form": form, "account": account, "complaint": complaint},
    )


def _action(request, pk, name, form_class, run, done: str, *, form_kwargs):
    complaint = _visible_complaint(request, pk)
    form = form_class(request.POST, prefix=name, **form_kwargs(complaint))
    if form.is_valid():
        try:
            run(complaint, form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(complaint)
    complaint = _visible_complaint(request, pk)  # the failed attempt must not show half-done
    return _complaint_page(request, complaint, forms={name: form}, status=400)


def _no_kwargs(complaint):
    return {}


@require_POST
def complaint_respond_view(request, pk):
    return _action(
        request,
        pk,
        "respond",
        RespondForm,
        lambda c, data: services.complaint_respond(
            by=request.user, complaint=c, response=data["response"]
        ),
        _("Answer recorded."),
        form_kwargs=_no_kwargs,
    )


@require_POST
def complaint_resolve_view(request, pk):
    return _action(
        request,
        pk,
        "resolve",
        ResolveForm,
        lambda c, data: services.complaint_resolve(
            by=request.user, complaint=c, resolution=data["resolution"]
        ),
        _("Resolution recorded. Close it once the customer confirms."),
        form_kwargs=_no_kwargs,
    )


@require_POST
def complaint_close_view(request, pk):
    return _action(
        request,
        pk,
        "close",
        CloseForm,
        lambda c, data: services.complaint_close(
            by=request.user,
            complaint=c,
            confirmed_by_contact=data["confirmed_by_contact"],
            confirmation_note=data["confirmation_note"],
            confirmed_at=data["confirmed_at"],
        ),
        _("Complaint closed: the customer confirmed."),
        form_kwargs=lambda c: {"account": c.account},
    )


@require_POST
def complaint_reopen_view(request, pk):
    return _action(
        request,
        pk,
        "reopen",
        ReopenForm,
        lambda c, data: services.complaint_reopen(
            by=request.user, complaint=c, reason=data["reason"]
        ),
        _("Complaint reopened, with new deadlines from now."),
        form_kwargs=_no_kwargs,
    )


@require_POST
def complaint_assign_view(request, pk):
    return _action(
        request,
        pk,
        "assign",
        AssignForm,
        lambda c, data: services.complaint_assign(
            by=request.user, complaint=c, assignee=data["assignee"]
        ),
        _("Complaint handed over."),
        form_kwargs=lambda c: {"complaint": c},
    )


def complaint_history_view(request, pk):
    complaint = get_object_or_404(
        complaints_visible_to(request.user, deleted=True).select_related("account"), pk=pk
    )
    return history_page(request, complaint)


@answers_binned(Complaint)
def complaint_delete_view(request, pk):
    complaint = _visible_complaint(request, pk)
    return delete_page(
        request,
        record=complaint,
        check=lambda: services.complaint_delete_check(by=request.user, complaint=complaint),
        delete=lambda version: services.complaint_delete(
            by=request.user, complaint=complaint, expected_version=version
        ),
        cancel_url=complaint.get_absolute_url(),
        done_url=reverse("complaints:list"),
    )

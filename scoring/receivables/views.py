"""The invoice pages (应收账款): the list, record, detail, correct, record a payment,
history, move to the recycle bin."""

import datetime

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.views import _save_versioned, _visible_account, add_errors
from keyaccounts import formtokens
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.history.views import history_page
from keyaccounts.paging import keyset_page
from keyaccounts.recyclebin.pages import answers_binned, delete_page

from . import services
from .filters import ReceivableFilter
from .forms import PaymentForm, ReceivableForm
from .models import Receivable
from .selectors import RECEIVABLE_ORDER, receivables_visible_to

PAGE_SIZE = 25


def ageing_state(receivable: Receivable, today: datetime.date) -> dict:
    """Where the invoice stands today, in words: {"key", "label", "days"} — "paid", or
    its ageing bucket (scoring.money.risk.BUCKETS) with the days it is overdue (0: not yet
    due)."""
    from scoring.money.risk import BUCKETS, bucket_of

    if receivable.is_paid:
        return {"key": "paid", "label": _("Paid"), "days": None}  # 已结清
    days = (today - receivable.due_on).days
    key = bucket_of(days)
    label = next(label for bucket, label, _low, _high in BUCKETS if bucket == key)
    return {"key": key, "label": str(label), "days": max(days, 0)}


def _visible_receivable(request, pk) -> Receivable:
    receivable = (
        receivables_visible_to(request.user)
        .select_related("account__owner", "recorded_by")
        .filter(pk=pk)
        .first()
    )
    if receivable is None:
        raise Http404
    return receivable


def _fresh(receivable: Receivable) -> Receivable:
    """The row as stored now, for a write (never a copy a failed form changed); 404 when
    someone moved it to the recycle bin meanwhile."""
    fresh = Receivable.objects.select_related("account").filter(pk=receivable.pk).first()
    if fresh is None:
        raise Http404
    return fresh


def _constraint_fields() -> dict[str, str]:
    """{a constraint's message: the form field it is shown beside}."""
    beside = {
        "one_live_invoice_number_per_account": "invoice_number",
        "receivable_paid_within_amount": "paid_amount",
        "receivable_due_after_issue": "due_on",
    }
    return {
        str(constraint.get_violation_error_message()): beside[constraint.name]
        for constraint in Receivable._meta.constraints
        if constraint.name in beside
    }


def _posted(request):
    """The POST's data (an empty POST too: its required fields are errors), None on GET."""
    return request.POST if request.method == "POST" else None


def _can_delete(request, receivable) -> bool:
    try:
        services.receivable_delete_check(receivable=receivable, by=request.user)
    except ApplicationError:
        return False
    return True


def receivable_list_view(request):
    queryset = receivables_visible_to(request.user).select_related("account")
    filterset = ReceivableFilter(request.GET or None, queryset=queryset, request=request)
    receivables = filterset.qs  # a value it cannot read is left out (the form says so)
    page = keyset_page(request, receivables, RECEIVABLE_ORDER, size=PAGE_SIZE, count=True)
    today = timezone.localdate()
    for receivable in page.object_list:
        receivable.state = ageing_state(receivable, today)
    return render(
        request,
        "receivables/receivable_list.html",
        {"filter": filterset, "page": page, "query": page.query, "today": today},
    )


def receivable_detail_view(request, pk):
    receivable = _visible_receivable(request, pk)
    return render(
        request,
        "receivables/receivable_detail.html",
        {
            "receivable": receivable,
            "account": receivable.account,
            "state": ageing_state(receivable, timezone.localdate()),
            "can_delete": _can_delete(request, receivable),
        },
    )


def receivable_create_view(request, account_pk):
    account = _visible_account(request, account_pk)
    if request.method == "POST" and (earlier := formtokens.already_saved(request, Receivable)):
        return earlier
    form = ReceivableForm(_posted(request), instance=Receivable(account=account), account=account)
    if request.method == "POST" and form.is_valid():
        data = form.model_fields_data()
        try:
            receivable, earlier = formtokens.create_once(
                request,
                Receivable,
                lambda: services.receivable_create(by=request.user, account=account, **data),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
            beside_their_fields(form)
        except IntegrityError:
            # Someone recorded the same number at the same moment: the unique constraint
            # had the last word (the form's own check ran before theirs was saved).
            form.add_error(
                "invoice_number",
                _(
                    "%(account)s already has an invoice %(number)s: give this invoice's own "
                    "number, or correct the one on record."
                )
                % {"account": account.name, "number": data.get("invoice_number")},
            )
        else:
            if earlier:
                return earlier
            messages.success(request, _("Invoice recorded."))
            return redirect(receivable)
    return render(
        request,
        "receivables/receivable_form.html",
        {"form": form, "account": account, "form_token": formtokens.form_token(request)},
    )


def receivable_edit_view(request, pk):
    receivable = _visible_receivable(request, pk)
    account = receivable.account
    form = ReceivableForm(_posted(request), instance=receivable, account=account)
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.receivable_update(
                receivable=_fresh(receivable),
                by=request.user,
                expected_version=expected_version,
                **form.model_fields_data(),
            )

        if _save_versioned(request, form, save):
            return redirect(receivable)
        beside_their_fields(form)
    return render(
        request,
        "receivables/receivable_form.html",
        {"form": form, "account": account, "receivable": receivable},
    )


def beside_their_fields(form) -> None:
    """A service's refusal by a constraint of the model (paid above the amount, due before
    the issue date, the number twice: the form checks them first, so only a race gets
    here) comes as an error of the whole form: move it beside the field it is about."""
    fields = _constraint_fields()
    kept = []
    for error in form.errors.get(NON_FIELD_ERRORS, []):
        field = fields.get(str(error))
        if field in form.fields:
            form.errors.setdefault(field, form.error_class()).append(error)
            form.cleaned_data.pop(field, None)
        else:
            kept.append(error)
    if NON_FIELD_ERRORS in form.errors:
        if kept:
            form.errors[NON_FIELD_ERRORS] = form.error_class(kept, error_class="nonfield")
        else:
            del form.errors[NON_FIELD_ERRORS]


def receivable_pay_view(request, pk):
    """Record a payment (回款): GET the form, POST it."""
    receivable = _visible_receivable(request, pk)
    form = PaymentForm(_posted(request), receivable=receivable)
    status = 200
    if request.method == "POST":
        if receivable.is_paid:
            form.is_valid()
            form.add_error(None, _("This invoice is paid in full: nothing is left to pay."))
        elif form.is_valid():
            version = form.cleaned_data.get("version")
            try:
                services.receivable_pay(
                    receivable=_fresh(receivable),
                    by=request.user,
                    amount=form.cleaned_data["amount"],
                    on=form.cleaned_data["paid_on"],
                    expected_version=version,
                )
            except VersionConflict:
                form.add_error(
                    None,
                    _(
                        "Someone changed this invoice since you opened the page, so the "
                        "payment was not recorded. Look at what is still open below and "
                        "record it again if it is still due."
                    ),
                )
                receivable = _visible_receivable(request, pk)
                data = form.data.copy()
                data["version"] = receivable.version
                form.data = data
            except (ValidationError, ApplicationError) as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Payment recorded."))
                return redirect(receivable)
        status = 400
    return render(
        request,
        "receivables/payment_form.html",
        {
            "form": form,
            "receivable": receivable,
            "account": receivable.account,
            "state": ageing_state(receivable, timezone.localdate()),
        },
        status=status,
    )


def receivable_history_view(request, pk):
    receivable = get_object_or_404(
        receivables_visible_to(request.user, deleted=True).select_related("account"), pk=pk
    )
    return history_page(request, receivable)


@answers_binned(Receivable)
def receivable_delete_view(request, pk):
    receivable = _visible_receivable(request, pk)
    return delete_page(
        request,
        record=receivable,
        check=lambda: services.receivable_delete_check(receivable=receivable, by=request.user),
        delete=lambda version: services.receivable_delete(
            receivable=receivable, by=request.user, expected_version=version
        ),
        cancel_url=receivable.get_absolute_url(),
        done_url=reverse("receivables:list") + f"?account={receivable.account_id}",
    )

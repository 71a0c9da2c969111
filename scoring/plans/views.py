"""Pages of account plans: an account's plans, a plan (targets, advantages, actions,
progress), their forms, and a person's plan actions."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.views import _save_versioned, _visible_account, add_errors
from keyaccounts import formtokens
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.history.views import history_page
from keyaccounts.paging import keyset_page
from keyaccounts.recyclebin.pages import answers_binned, delete_page

from . import selectors, services
from .forms import PlanActionForm, PlanForm
from .models import AccountPlan, Advantage, PlanAction, period_label

PAGE_SIZE = 25


def _visible_plan(request, account_pk, pk) -> AccountPlan:
    return get_object_or_404(
        selectors.plans_visible_to(request.user).select_related("account", "owner"),
        account_id=account_pk,
        pk=pk,
    )


def _visible_action(request, pk) -> PlanAction:
    return get_object_or_404(
        selectors.plan_actions_visible_to(request.user).select_related(
            "plan", "account", "owner", "plan__owner"
        ),
        pk=pk,
    )


def _can(check) -> bool:
    try:
        check()
    except ApplicationError:
        return False
    return True


# --- plans ------------------------------------------------------------------------------


def plan_list_view(request, account_pk):
    account = _visible_account(request, account_pk)
    today = timezone.localdate()
    plans = selectors.with_progress(
        account.plans.select_related("owner", "account"), today=today
    ).order_by(*selectors.PLAN_ORDER)
    page = keyset_page(request, plans, selectors.PLAN_ORDER, size=PAGE_SIZE)
    rows = [(plan, selectors.progress(plan, today=today)) for plan in page.object_list]
    kind, start = selectors.default_period(today)
    return render(
        request,
        "plans/plan_list.html",
        {
            "account": account,
            "page": page,
            "rows": rows,
            "today": today,
            "current_label": period_label(start, kind),
        },
    )


def plan_detail_view(request, account_pk, pk):
    today = timezone.localdate()
    plan = get_object_or_404(
        selectors.with_progress(
            selectors.plans_visible_to(request.user).select_related("account", "owner"),
            today=today,
        ),
        account_id=account_pk,
        pk=pk,
    )
    advantages = list(plan.advantages.all())
    actions = list(plan.actions.select_related("owner").order_by(*selectors.ACTION_ORDER))
    factor_labels = _factor_labels()
    for action in actions:
        action.state = action.status(today)
        action.factor_label = factor_labels.get(action.factor_key, action.factor_key)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "account": plan.account,
            "advantages": advantages,
            "missing_advantages": [
                label
                for kind, label in Advantage.choices
                if kind not in {a.kind for a in advantages}
            ],
            "actions": actions,
            "progress": selectors.progress(plan, today=today),
            "today": today,
            "can_delete": _can(lambda: services.plan_delete_check(plan=plan, by=request.user)),
        },
    )


def _factor_labels() -> dict:
    from scoring.services import active_model

    return {f.key: str(f) for f in active_model().factors.all()}


def plan_create_view(request, account_pk):
    account = _visible_account(request, account_pk)
    if request.method == "POST" and (earlier := formtokens.already_saved(request, AccountPlan)):
        return earlier
    today = timezone.localdate()
    kind, start = selectors.default_period(today)
    form = PlanForm(
        request.POST or None,
        instance=AccountPlan(account=account, owner=account.owner),
        initial={"period_kind": kind, "period_start": start},
        user=request.user,
        account=account,
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan, earlier = formtokens.create_once(
                request,
                AccountPlan,
                lambda: services.plan_create(
                    by=request.user,
                    account=account,
                    advantages=form.advantages(),
                    **form.model_fields_data(),
                ),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            messages.success(request, _("Account plan saved."))
            return redirect(plan)
    return render(
        request,
        "plans/plan_form.html",
        {"form": form, "account": account, "form_token": formtokens.form_token(request)},
    )


def plan_edit_view(request, account_pk, pk):
    plan = _visible_plan(request, account_pk, pk)
    form = PlanForm(request.POST or None, instance=plan, user=request.user, account=plan.account)
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.plan_update(
                plan=AccountPlan.objects.select_related("account").get(pk=plan.pk),
                by=request.user,
                expected_version=expected_version,
                advantages=form.advantages(),
                **form.model_fields_data(),
            )

        if _save_versioned(request, form, save):
            return redirect(plan)
    return render(
        request, "plans/plan_form.html", {"form": form, "account": plan.account, "plan": plan}
    )


@answers_binned(AccountPlan)
def plan_delete_view(request, account_pk, pk):
    plan = _visible_plan(request, account_pk, pk)
    return delete_page(
        request,
        record=plan,
        check=lambda: services.plan_delete_check(plan=plan, by=request.user),
        delete=lambda version: services.plan_delete(
            plan=plan, by=request.user, expected_version=version
        ),
        along=[plan.actions.all()],
        cancel_url=plan.get_absolute_url(),
        done_url=reverse("plans:list", args=[plan.account_id]),
    )


def plan_history_view(request, account_pk, pk):
    plan = get_object_or_404(
        selectors.plans_visible_to(request.user, deleted=True).select_related("account"),
        account_id=account_pk,
        pk=pk,
    )
    return history_page(request, plan)


# --- actions ----------------------------------------------------------------------------


def action_create_view(request, account_pk, pk):
    plan = _visible_plan(request, account_pk, pk)
    if request.method == "POST" and (earlier := formtokens.already_saved(request, PlanAction)):
        return earlier
    form = PlanActionForm(
        request.POST or None,
        instance=PlanAction(
            plan=plan,
            account=plan.account,
            owner=services.default_owner(account=plan.account, by=request.user),
        ),
        user=request.user,
        account=plan.account,
    )
    if request.method == "POST" and form.is_valid():
        try:
            _action, earlier = formtokens.create_once(
                request,
                PlanAction,
                lambda: services.action_create(
                    by=request.user, plan=plan, **form.model_fields_data()
                ),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            messages.success(request, _("Action added to the plan."))
            return redirect(plan)
    return render(
        request,
        "plans/action_form.html",
        {
            "form": form,
            "plan": plan,
            "account": plan.account,
            "form_token": formtokens.form_token(request),
        },
    )


def action_detail_view(request, pk):
    """An action lives on its plan's page: go there, to its row."""
    return redirect(_visible_action(request, pk).get_absolute_url())


def action_edit_view(request, pk):
    action = _visible_action(request, pk)
    form = PlanActionForm(
        request.POST or None, instance=action, user=request.user, account=action.account
    )
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.action_update(
                action=PlanAction.objects.select_related("plan__account", "account").get(
                    pk=action.pk
                ),
                by=request.user,
                expected_version=expected_version,
                **form.model_fields_data(),
            )

        if _save_versioned(request, form, save):
            return redirect(action.plan)
    return render(
        request,
        "plans/action_form.html",
        {"form": form, "plan": action.plan, "account": action.account, "action": action},
    )


@require_POST
def action_done_view(request, pk):
    action = _visible_action(request, pk)
    version = request.POST.get("version", "")
    expected = int(version) if version.isdigit() and len(version) < 10 else None
    try:
        services.action_done(action=action, by=request.user, expected_version=expected)
    except VersionConflict:
        messages.error(
            request,
            _("Someone changed this action since you opened the page: look at it again."),
        )
    except (ApplicationError, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
    else:
        messages.success(request, _("Action marked as done."))
    return redirect(action.plan)


@answers_binned(PlanAction)
def action_delete_view(request, pk):
    action = _visible_action(request, pk)
    return delete_page(
        request,
        record=action,
        check=lambda: services.action_delete_check(action=action, by=request.user),
        delete=lambda version: services.action_delete(
            action=action, by=request.user, expected_version=version
        ),
        cancel_url=action.plan.get_absolute_url(),
        done_url=action.plan.get_absolute_url(),
    )


def action_history_view(request, pk):
    action = get_object_or_404(
        selectors.plan_actions_visible_to(request.user, deleted=True).select_related(
            "account", "plan"
        ),
        pk=pk,
    )
    return history_page(request, action)


DUE_CHOICES = {
    "overdue": "overdue",
    "week": "week",
    "": "",
}


def action_list_view(request):
    """The signed-in user's open plan actions (`?owner=me`, the only owner offered:
    others' actions are on their plans), `?due=overdue|week` to narrow."""
    today = timezone.localdate()
    due = request.GET.get("due", "")
    if due not in DUE_CHOICES:
        due = ""
    actions = selectors.actions_of(request.user, today=today, due=due).select_related(
        "plan", "account"
    )
    page = keyset_page(request, actions, selectors.ACTION_ORDER, size=PAGE_SIZE, count=True)
    for action in page.object_list:
        action.state = action.status(today)
    # The same actions as the export's filters (`plan-actions`): one's own, still open,
    # due before tomorrow (overdue: before today) or before the week's end.
    export = {"owner": request.user.pk, "done": "false"}
    if due == "overdue":
        export["due_before"] = today.isoformat()
    elif due == "week":
        after_the_week = selectors.end_of_week(today) + datetime.timedelta(days=1)
        export["due_before"] = after_the_week.isoformat()
    return render(
        request,
        "plans/action_list.html",
        {
            "page": page,
            "due": due,
            "today": today,
            "query": page.query,
            "export_query": urlencode(export),
        },
    )

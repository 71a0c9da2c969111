"""Pages of the service policy by grade: everyone signed in reads it, managers (the same
rule as the risk-evaluation table's editors: `accounts.selectors.is_manager`) change it,
every change a new version, the versions listed with what changed (old → new)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import is_manager
from keyaccounts.exceptions import ApplicationError, VersionConflict

from .current import current_policy
from .forms import PolicyForm
from .models import GradePolicy, ServicePolicy
from .services import policy_changes, service_policy_new_version

app_name = "policy"

VERSIONS_PAGE_SIZE = 25


def _page_context(request, policy: ServicePolicy | None, rows) -> dict:
    return {
        "policy": policy,
        "rows": rows,
        "can_edit": is_manager(request.user),
        "version": policy.version if policy else 0,
    }


@require_GET
def policy_view(request):
    """The active policy (one query for it, one for its rows)."""
    policy = ServicePolicy.objects.select_related("created_by").filter(is_active=True).first()
    rows = list(policy.grades.all()) if policy else current_policy().rows()
    return render(request, "policy/policy.html", _page_context(request, policy, rows))


@require_GET
def policy_version_view(request, version: int):
    policy = get_object_or_404(ServicePolicy.objects.select_related("created_by"), version=version)
    context = _page_context(request, policy, list(policy.grades.all()))
    if not policy.is_active:
        context["active"] = ServicePolicy.objects.filter(is_active=True).first()
    return render(request, "policy/policy.html", context)


@require_GET
def policy_versions_view(request):
    """Every version with who, when, the note and what changed from the one before.
    Constant queries: the page, its versions' rows and the rows of the one before."""
    versions = ServicePolicy.objects.select_related("created_by").order_by("-version")
    page = Paginator(versions, VERSIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    entries = []
    if shown:
        before_oldest = (
            ServicePolicy.objects.filter(version__lt=shown[-1].version)
            .order_by("-version")
            .values("pk")[:1]
        )
        rows_by_policy: dict[int, list] = {}
        for row in GradePolicy.objects.filter(
            Q(policy_id__in=[v.pk for v in shown]) | Q(policy_id=Subquery(before_oldest))
        ).order_by("grade"):
            rows_by_policy.setdefault(row.policy_id, []).append(row)
        previous_pk = {}
        # The version before each shown one: the next shown, or the one before the page.
        for newer, older in zip(shown, shown[1:], strict=False):
            previous_pk[newer.pk] = older.pk
        extra = [pk for pk in rows_by_policy if pk not in {v.pk for v in shown}]
        if extra:
            previous_pk[shown[-1].pk] = extra[0]
        for version in shown:
            before = rows_by_policy.get(previous_pk.get(version.pk))
            entries.append(
                {
                    "version": version,
                    "changes": policy_changes(before, rows_by_policy.get(version.pk, [])),
                    "first": before is None,
                }
            )
    return render(request, "policy/policy_versions.html", {"page": page, "entries": entries})


@require_http_methods(["GET", "POST"])
def policy_edit_view(request):
    if not is_manager(request.user):
        raise PermissionDenied
    active = ServicePolicy.objects.filter(is_active=True).first()
    current = current_policy()
    conflict = None
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                saved = service_policy_new_version(
                    by=request.user,
                    base_version=form.cleaned_data["base_version"],
                    note=form.cleaned_data["note"],
                    rows=form.rows(),
                )
            except VersionConflict as exc:
                conflict = (
                    ServicePolicy.objects.select_related("created_by")
                    .filter(version=exc.current_version)
                    .first()
                )
                form.add_error(None, exc.message)
                posted = form.data.copy()
                posted["base_version"] = exc.current_version
                form.data = posted
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Version %(version)s of the service policy is saved and active: "
                        "contact rhythms, complaint service levels and discount ceilings "
                        "follow it from now on."
                    )
                    % {"version": saved.version},
                )
                return redirect("policy:policy")
    else:
        form = PolicyForm(initial=PolicyForm.initial_for(current.version, current.rows()))
    return render(
        request,
        "policy/policy_edit.html",
        {"form": form, "active": active, "version": current.version, "conflict": conflict},
    )


urlpatterns = [
    path("", policy_view, name="policy"),
    path("versions/", policy_versions_view, name="versions"),
    path("v<int:version>/", policy_version_view, name="version"),
    path("edit/", policy_edit_view, name="edit"),
]

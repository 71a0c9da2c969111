"""Pages for the pipeline: the board, a deal's page and its forms.

Every view finds its deal through `opportunity_get_visible` (or its account through
`_visible_account`), so a deal at an account the user cannot see answers 404, for a
POST as for a GET. Writes go through `services`: a move the exit criteria refuse says
which outcomes are still unticked, and closing a deal always asks why.

A deal that goes nowhere is better closed as lost, with the reason, so the won/lost
analysis keeps it; deleting one (a duplicate, a mistake) moves it to the recycle bin.
"""

import copy
import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import TeamMemberForm
from accounts.models import AccountStatus
from accounts.selectors import sees_more_accounts_than
from accounts.views import _save_versioned, _visible_account, add_errors, say_saved
from keyaccounts import formtokens, sections
from keyaccounts.db_router import replica_view
from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.views import history_page
from keyaccounts.querystring import id_param
from keyaccounts.recyclebin.pages import answers_binned, delete_page
from keyaccounts.templatetags.typography import semicolon
from visits.views import _safe_next

from . import board_totals, discount, selectors, services
from .approval_views import approval_request_url, keep_close_reason
from .filters import OpportunityFilter
from .forms import (
    CloseForm,
    CriteriaForm,
    DealCompetitorForm,
    DealContactForm,
    MoveForm,
    OpportunityForm,
)
from .models import (
    ExitCriterion,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityKind,
    OpportunityTeamMember,
    Stage,
)

# Cards drawn per column at a time; "Show more" brings the next ones (keyset paging).
CARDS_PER_COLUMN = 20
# Who sees more accounts than this gets each column read from its stage's index; anyone
# else, the board's cards read from their own deals at once (selectors.pipeline_board).
# Where the two cost the same: the user's deals (reading them all) against the deals a
# column walk probes to find twenty of theirs, seven times over — at 100,000 accounts
# and two deals each, near 3,000 accounts seen (docs/benchmarks.md).
WALK_COLUMNS_ABOVE = 5000
# Won and lost columns show the deals closed this recently, unless a month is chosen.
CLOSED_RECENT_DAYS = 90


def _visible_opportunity(request, pk) -> Opportunity:
    try:
        return selectors.opportunity_get_visible(user=request.user, pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404 from None


def _names(opportunity: Opportunity, stage: Stage | None = None) -> dict:
    return {"deal": opportunity.name, "stage": stage or opportunity.stage}


# --- the board ------------------------------------------------------------------------


def _more_url(request, column: selectors.Column) -> str:
    """The link to the column's next cards: the board's filters, the stage, the cursor."""
    query = request.GET.copy()
    query["stage"], query["after"] = column.stage.pk, column.after
    return f"{reverse('opportunities:board')}?{query.urlencode()}"


@replica_view
def board_view(request):
    """The board: each column's first cards and totals. `?stage=<id>&after=<cursor>`
    (a column's "Show more" link) answers that column's next cards instead, with the
    same filters; board.js adds them to the column in place."""
    visible = selectors.opportunities_visible_to(request.user)
    filterset = OpportunityFilter(request.GET or None, queryset=visible, request=request)
    deals = filterset.qs  # a value it cannot read is left out (the form says so)
    month_chosen = filterset.month_chosen()
    all_stages = list(Stage.objects.order_by("order"))
    closed_since = (
        None if month_chosen else timezone.localdate() - datetime.timedelta(days=CLOSED_RECENT_DAYS)
    )
    chosen = request.GET.get("stage", "")
    stage = next((s for s in all_stages if str(s.pk) == chosen), None)
    if stage is not None:
        return _column_page(request, filterset, deals, stage=stage, closed_since=closed_since)
    totals, walk = None, True
    if request.user.is_superuser and not filterset.narrows():
        # Every deal of the company, unfiltered: its totals are kept (board_totals).
        totals = board_totals.whole_company(closed_since=closed_since, stages=all_stages)
    else:
        walk = sees_more_accounts_than(request.user, WALK_COLUMNS_ABOVE)
    columns, pipeline = selectors.pipeline_board(
        deals,
        stages=all_stages,
        per_column=CARDS_PER_COLUMN,
        closed_since=closed_since,
        walk_columns=walk,
        totals=totals,
    )
    for column in columns:
        column.more_url = _more_url(request, column) if column.after else None
    return render(
        request,
        "opportunities/board.html",
        {
            "filter": filterset,
            "open_columns": [c for c in columns if not c.stage.is_closed],
            "closed_columns": [c for c in columns if c.stage.is_closed],
            "pipeline": pipeline,
            "open_count": sum(c.count for c in columns if not c.stage.is_closed),
            "closed_days": None if month_chosen else CLOSED_RECENT_DAYS,
            "month_chosen": month_chosen,
            "next": request.get_full_path(),
        },
    )


def _column_page(request, filterset, deals, *, stage: Stage, closed_since):
    """One column's next cards after the cursor (from the start without one)."""
    column = selectors.Column(stage=stage)
    column.cards, column.after = selectors.column_cards(
        deals,
        closed_since=closed_since,
        stage=stage,
        per_column=CARDS_PER_COLUMN,
        after=selectors.parse_board_cursor(request.GET.get("after", "")),
        walk=sees_more_accounts_than(request.user, WALK_COLUMNS_ABOVE),
    )
    column.more_url = _more_url(request, column) if column.after else None
    query = request.GET.copy()
    query.pop("stage", None)
    query.pop("after", None)
    board_url = reverse("opportunities:board")
    return render(
        request,
        "opportunities/board_column.html",
        {
            "filter": filterset,
            "column": column,
            "board_url": f"{board_url}?{query.urlencode()}" if query else board_url,
            "next": request.get_full_path(),
        },
    )


# --- moving a deal --------------------------------------------------------------------


def _refused(request, opportunity: Opportunity, exc: ApplicationError, back: str = "") -> None:
    """The refusal as a message: the unticked outcomes, and the way to tick them (on the
    deal's own page, where they are: "tick them below")."""
    ids = exc.extra.get("missing_criteria") if exc.code == "exit_criteria_missing" else None
    if not ids:
        messages.error(request, exc.message)
        return
    missing = ExitCriterion.objects.filter(pk__in=ids).select_related("stage")
    messages.error(
        request,
        format_html(
            '{}<ul class="missing-outcomes">{}</ul><a href="{}#criteria">{}</a>',
            _("“%(deal)s” stays in %(stage)s: tick the outcomes that prove the stage is done.")
            % _names(opportunity),
            format_html_join("", "<li>{}</li>", ((str(c),) for c in missing)),
            opportunity.get_absolute_url(),
            _("Tick them below")
            if back.split("?")[0].split("#")[0] == opportunity.get_absolute_url()
            else _("Open “%(deal)s” to tick them") % _names(opportunity),
        ),
    )


def _close_url(opportunity: Opportunity, stage: Stage, back: str) -> str:
    url = reverse("opportunities:close", args=[opportunity.pk])
    return f"{url}?{urlencode({'stage': stage.pk, 'next': back})}"


def _move(request, opportunity: Opportunity, stage: Stage, back: str):
    """Move the deal (the board's and the deal page's one way), then go `back`."""
    if stage.pk == opportunity.stage_id:
        messages.info(request, _("“%(deal)s” is already in %(stage)s.") % _names(opportunity))
        return redirect(back)
    if stage.is_closed:
        # Closing asks why, on a small form that keeps the stage the user chose.
        return redirect(_close_url(opportunity, stage, back))
    try:
        services.opportunity_move_stage(opportunity=opportunity, to_stage=stage, by=request.user)
    except ApplicationError as exc:
        if exc.code == "approval_required":  # money risk: ask a manager (approval_views)
            messages.warning(request, exc.message)
            return redirect(approval_request_url(opportunity, stage))
        _refused(request, opportunity, exc, back)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(deal)s” moved to %(stage)s.") % _names(opportunity))
        return redirect(back)
    return redirect(_still_chosen(back, opportunity, stage))


def _still_chosen(back: str, opportunity: Opportunity, stage: Stage) -> str:
    """After a refused move from the deal's page, that page with the stage the user chose
    still chosen (`move_to`), not the next one again."""
    path, hash_mark, fragment = back.partition("#")
    if path.split("?")[0] != opportunity.get_absolute_url():
        return back
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}{urlencode({'move_to': stage.pk})}{hash_mark}{fragment}"


def opportunity_move_view(request, pk):
    """GET: the move page a board card opens (on the board itself, in a dialog, with
    JavaScript): the stages, and every outcome still unticked on the way forward to
    tick as the deal moves. POST: move, then go back — from that page, the ticks and the
    move are one write, and a refusal shows the page again with the ticks kept; a card
    dropped on a column (or the deal's page) sends only the stage."""
    opportunity = _visible_opportunity(request, pk)
    back = _safe_next(request, opportunity.get_absolute_url())
    if request.method != "POST":
        stages = list(Stage.objects.order_by("order"))
        chosen = id_param(request.GET.get("stage", ""))
        stage = next((s for s in stages if s.pk == chosen), None)
        if stage is None or stage.pk == opportunity.stage_id:
            stage = selectors.next_stage(opportunity.stage, stages)
        form = MoveForm(
            initial={"stage": stage, "version": opportunity.version}, opportunity=opportunity
        )
        return _move_page(request, opportunity, form, back)
    form = MoveForm(request.POST)
    if "version" not in request.POST:  # a card dropped on a column, or the deal's page
        if not form.is_valid():
            messages.error(request, _("Choose the stage to move the deal to."))
            return redirect(back)
        return _move(request, opportunity, form.cleaned_data["stage"], back)
    # The move page: what is wrong is said there, with the boxes ticked kept.
    if not form.is_valid() or form.cleaned_data["version"] is None:
        errors = []
        if "version" in form.errors or (form.is_valid() and not form.cleaned_data["version"]):
            errors.append(_("The page was out of date: it shows the deal as it is now."))
        if "ticked" in form.errors:
            errors.append(
                _("An outcome ticked is not one this deal can tick now: check them again.")
            )
        return _refused_page(request, opportunity, back, errors)
    return _move_with_outcomes(request, opportunity, form, back)


def _refused_page(request, opportunity: Opportunity, back: str, errors: list[str]):
    """The move page again after a refusal: the deal as stored now (a newer version, if
    someone saved it meanwhile), the stage and the boxes the user chose, and why."""
    opportunity = _visible_opportunity(request, opportunity.pk)
    data = request.POST.copy()
    data["version"] = opportunity.version
    refused = MoveForm(data)
    refused.is_valid()
    for error in errors:
        refused.add_error(None, error)
    return _move_page(request, opportunity, refused, back)


def _move_page(request, opportunity: Opportunity, form: MoveForm, back: str):
    """The move page, or its form again after a refusal (the boxes ticked kept)."""
    if form.is_bound:  # a refused POST: the stages offered are the page's own
        form.fields["stage"].queryset = Stage.objects.exclude(pk=opportunity.stage_id)
        form.fields["stage"].queryset = form.fields["stage"].queryset.order_by("order")
        checked = set(form.data.getlist("ticked"))
    else:
        checked = set()
    # Every outcome still unticked from the deal's stage to the last open one, by stage;
    # the page shows those the chosen stage needs (all of them without JavaScript).
    stored = opportunity.criterion_checks.values("criterion_id")
    unticked = (
        ExitCriterion.objects.filter(
            stage__is_won=False, stage__is_lost=False, stage__order__gte=opportunity.stage.order
        )
        .exclude(pk__in=stored)
        .select_related("stage")
        .order_by("stage__order", "order", "pk")
    )
    groups = {}
    for criterion in unticked:
        groups.setdefault(criterion.stage, []).append(criterion)
    return render(
        request,
        "opportunities/move.html",
        {
            "form": form,
            "opportunity": opportunity,
            "outcome_groups": list(groups.items()),
            "checked": checked,
            "next": back,
        },
    )


def _move_with_outcomes(request, opportunity: Opportunity, form: MoveForm, back: str):
    """The move page's move: the outcomes ticked there and the move in one write, on the
    version the page was drawn from. Losing needs no outcome (the ticks are left alone);
    closing as won first needs every outcome on the way (then the ticks are saved and
    the close asks why); a refusal writes nothing."""
    stage, ticked = form.cleaned_data["stage"], set(form.cleaned_data["ticked"])
    if stage.pk == opportunity.stage_id:
        return _move(request, opportunity, stage, back)
    if stage.is_lost:
        return redirect(_close_url(opportunity, stage, back))
    version = form.cleaned_data["version"]
    stored = set(
        ExitCriterion.objects.filter(
            pk__in=opportunity.criterion_checks.values("criterion_id")
        ).select_related("stage")
    )
    criteria = list(stored | ticked) if ticked - stored else None
    try:
        if stage.is_won:
            pairs = {(opportunity.pk, criterion.pk) for criterion in stored | ticked}
            missing = services.missing_criteria_for([(opportunity, stage)], ticked=pairs)
            if missing[opportunity.pk]:
                raise ApplicationError(
                    _("Tick the outcomes that prove the stage is done first: %(list)s.")
                    % {"list": semicolon().join(str(c) for c in missing[opportunity.pk])},
                    code="exit_criteria_missing",
                )
            if criteria is not None:
                services.opportunity_criteria_set(
                    opportunity=opportunity,
                    criteria=criteria,
                    by=request.user,
                    expected_version=version,
                )
            return redirect(_close_url(opportunity, stage, back))
        services.opportunity_update(
            opportunity=opportunity,
            by=request.user,
            expected_version=version,
            checked_criteria=criteria,
            stage=stage,
        )
    except ApplicationError as exc:
        if exc.code == "approval_required":
            if criteria is not None:
                # The move waits for the approval; the outcomes ticked are the rep's work
                # and are saved now, so the approved move needs nothing ticked again.
                try:
                    services.opportunity_criteria_set(
                        opportunity=_visible_opportunity(request, opportunity.pk),
                        criteria=criteria,
                        by=request.user,
                        expected_version=version,
                    )
                except (ApplicationError, ValidationError) as refused:
                    message = getattr(refused, "message", None) or refused.messages
                    return _refused_page(
                        request,
                        opportunity,
                        back,
                        message if isinstance(message, list) else [message],
                    )
                messages.success(request, _("The outcomes you ticked are saved."))
            messages.warning(request, exc.message)
            return redirect(approval_request_url(opportunity, stage))
        return _refused_page(request, opportunity, back, [exc.message])
    except ValidationError as exc:
        return _refused_page(request, opportunity, back, exc.messages)
    messages.success(request, _("“%(deal)s” moved to %(stage)s.") % _names(opportunity))
    return redirect(back)


def opportunity_close_view(request, pk):
    opportunity = _visible_opportunity(request, pk)
    back = _safe_next(request, opportunity.get_absolute_url())
    chosen = request.GET.get("stage", "")
    form = CloseForm(
        request.POST or None,
        initial={
            "stage": id_param(chosen),
            # An open deal's reason typed before (kept by an approval's round trip); a
            # closed one's is its old outcome's, not the new one's.
            "close_reason": "" if opportunity.stage.is_closed else opportunity.close_reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        stage = form.cleaned_data["stage"]
        if stage.pk == opportunity.stage_id:
            form.add_error(
                "stage",
                _("The deal is already closed as %(stage)s; edit it to change the reason.")
                % _names(opportunity),
            )
        else:
            try:
                services.opportunity_move_stage(
                    opportunity=opportunity,
                    to_stage=stage,
                    by=request.user,
                    close_reason=form.cleaned_data["close_reason"],
                )
            except (ValidationError, ApplicationError) as exc:
                if getattr(exc, "code", None) == "approval_required":
                    messages.warning(request, exc.message)
                    keep_close_reason(request, opportunity, form.cleaned_data["close_reason"])
                    return redirect(approval_request_url(opportunity, stage))
                add_errors(form, exc)
                if getattr(exc, "code", None) == "exit_criteria_missing":
                    try:  # every problem at once: the reason too, when it is missing
                        services.check_closing(
                            opportunity, stage, form.cleaned_data["close_reason"]
                        )
                    except ValidationError as missing:
                        add_errors(form, missing)
            else:
                messages.success(
                    request,
                    _("“%(deal)s” closed as %(stage)s.") % _names(opportunity, stage),
                )
                return redirect(back)
    # Warn before the reason is typed if closing as won still lacks outcomes.
    stage = form.cleaned_data.get("stage") if form.is_bound and form.is_valid() else None
    if stage is None and id_param(chosen) is not None:
        stage = Stage.objects.filter(pk=id_param(chosen)).first()
    missing = services.missing_criteria(opportunity, stage) if stage is not None else []
    return render(
        request,
        "opportunities/close_form.html",
        {"form": form, "opportunity": opportunity, "missing": missing, "next": back},
    )


@require_POST
def criteria_view(request, pk):
    """Tick and untick exit criteria; with `move_to`, then move the deal on."""
    opportunity = _visible_opportunity(request, pk)
    here = opportunity.get_absolute_url()
    form = CriteriaForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Only the exit criteria of open stages can be ticked."))
        return redirect(here + "#criteria")
    tick, untick = form.changes()
    for criterion in tick:
        services.criterion_set(
            opportunity=opportunity, criterion=criterion, checked=True, by=request.user
        )
    for criterion in untick:
        services.criterion_set(
            opportunity=opportunity, criterion=criterion, checked=False, by=request.user
        )
    move_to = request.POST.get("move_to", "")
    stage = Stage.objects.filter(pk=id_param(move_to)).first() if id_param(move_to) else None
    if stage is not None:
        return _move(request, opportunity, stage, here)
    messages.success(request, _("Outcomes saved."))
    return redirect(here + "#criteria")


# --- the deal's page ------------------------------------------------------------------


def _checklist(opportunity: Opportunity, all_stages: list[Stage]) -> list[dict]:
    """The open stages' exit criteria, each with its check (or None), in stage order."""
    checks = {
        check.criterion_id: check
        for check in opportunity.criterion_checks.select_related("checked_by")
    }
    current = opportunity.stage
    return [
        {
            "stage": stage,
            "is_current": stage.pk == current.pk,
            "is_passed": stage.order < current.order and not current.is_lost,
            "criteria": [(c, checks.get(c.pk)) for c in stage.criteria.all()],
        }
        for stage in all_stages
        if not stage.is_closed and stage.criteria.all()
    ]


def _detail_page(request, opportunity, *, contact_form=None, team_form=None):
    all_stages = list(selectors.stages())
    next_stage = selectors.next_stage(opportunity.stage, all_stages)
    # The stage a refused move asked for stays chosen (`_still_chosen`).
    chosen = id_param(request.GET.get("move_to", ""))
    move_to = next(
        (s for s in all_stages if s.pk == chosen and s.pk != opportunity.stage_id), next_stage
    )
    return render(
        request,
        "opportunities/opportunity_detail.html",
        {
            "opportunity": opportunity,
            "account": opportunity.account,
            "stages": all_stages,
            "next_stage": next_stage,
            "move_to": move_to,
            "checklist": _checklist(opportunity, all_stages),
            "history": selectors.deal_history(opportunity),
            "contacts": selectors.deal_contact_roles(opportunity=opportunity),
            "team": selectors.deal_team(opportunity),
            "competitors": opportunity.competitors.all(),
            "contact_form": contact_form or DealContactForm(opportunity=opportunity),
            "team_form": team_form or TeamMemberForm(prefix="team", user=request.user),
            "closing_stages": [s for s in all_stages if s.is_closed],
            # What the apps above add: the discount ceiling, a pending approval …
            "sections": sections.render_context("deal", request, opportunity=opportunity),
        },
    )


def opportunity_detail_view(request, pk):
    return _detail_page(request, _visible_opportunity(request, pk))


def opportunity_create_view(request, account_pk):
    account = _visible_account(request, account_pk)
    if request.method == "POST" and (earlier := formtokens.already_saved(request, Opportunity)):
        return earlier
    stage = services.first_open_stage()
    # A customer already buying from us is a deeper or cross sale by default.
    kind = (
        OpportunityKind.EXPANSION
        if account.status == AccountStatus.ACTIVE
        else OpportunityKind.NEW_CUSTOMER
    )
    form = OpportunityForm(
        request.POST or None,
        instance=Opportunity(account=account, stage=stage, owner=request.user),
        initial={"kind": kind},
        user=request.user,
        stage=stage,
    )
    if request.method == "POST" and form.is_valid():
        try:
            opportunity, earlier = formtokens.create_once(
                request,
                Opportunity,
                lambda: services.opportunity_create(
                    by=request.user, account=account, **form.service_fields()
                ),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            messages.success(request, _("Deal %(deal)s opened in %(stage)s.") % _names(opportunity))
            discount.warn_if_over(request, opportunity)
            return redirect(opportunity)
    return render(
        request,
        "opportunities/opportunity_form.html",
        {
            "form": form,
            "account": account,
            "stage": stage,
            "form_token": formtokens.form_token(request),
        },
    )


def opportunity_edit_view(request, pk):
    opportunity = _visible_opportunity(request, pk)
    # The form works on a copy, so the page's title keeps the saved name on an error.
    form = OpportunityForm(
        request.POST or None,
        instance=copy.copy(opportunity),
        user=request.user,
        stage=opportunity.stage,
    )
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            saved = services.opportunity_update(
                opportunity=Opportunity.objects.select_related("stage").get(pk=opportunity.pk),
                by=request.user,
                expected_version=expected_version,
                **form.service_fields(),
            )
            discount.warn_if_over(request, saved)  # above its grade's ceiling: a warning
            return saved

        if _save_versioned(request, form, save):
            return redirect(opportunity)
    return render(
        request,
        "opportunities/opportunity_form.html",
        {
            "form": form,
            "account": opportunity.account,
            "stage": opportunity.stage,
            "opportunity": opportunity,
        },
    )


# --- contacts, team and competitors of the deal -----------------------------------------


@require_POST
def contact_add_view(request, pk):
    opportunity = _visible_opportunity(request, pk)
    form = DealContactForm(request.POST, opportunity=opportunity)
    if form.is_valid():
        try:
            entry = services.opportunity_contact_set(
                opportunity=opportunity, by=request.user, **form.entry_fields()
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is in the deal.") % {"name": entry.contact.name})
            return redirect(opportunity.get_absolute_url() + "#contacts")
    return _detail_page(request, opportunity, contact_form=form)


@require_POST
def contact_remove_view(request, pk, entry_pk):
    opportunity = _visible_opportunity(request, pk)
    entry = get_object_or_404(
        OpportunityContact.objects.select_related("contact"), opportunity=opportunity, pk=entry_pk
    )
    services.opportunity_contact_remove(entry=entry, by=request.user)
    messages.success(request, _("%(name)s taken off the deal.") % {"name": entry.contact.name})
    return redirect(opportunity.get_absolute_url() + "#contacts")


@require_POST
def team_add_view(request, pk):
    opportunity = _visible_opportunity(request, pk)
    form = TeamMemberForm(request.POST, prefix="team", user=request.user)
    if form.is_valid():
        try:
            services.opportunity_team_member_set(
                opportunity=opportunity, by=request.user, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Deal team updated."))
            return redirect(opportunity.get_absolute_url() + "#team")
    return _detail_page(request, opportunity, team_form=form)


@require_POST
def team_remove_view(request, pk, member_pk):
    opportunity = _visible_opportunity(request, pk)
    member = get_object_or_404(
        OpportunityTeamMember.objects.select_related("user"), opportunity=opportunity, pk=member_pk
    )
    services.opportunity_team_member_remove(member=member, by=request.user)
    messages.success(request, _("%(user)s removed from the deal team.") % {"user": member.user})
    return redirect(opportunity.get_absolute_url() + "#team")


def competitor_edit_view(request, pk, competitor_pk=None):
    opportunity = _visible_opportunity(request, pk)
    if (
        competitor_pk is None
        and request.method == "POST"
        and (earlier := formtokens.already_saved(request, OpportunityCompetitor))
    ):
        return earlier
    competitor = (
        get_object_or_404(OpportunityCompetitor, opportunity=opportunity, pk=competitor_pk)
        if competitor_pk
        else OpportunityCompetitor(opportunity=opportunity)
    )
    form = DealCompetitorForm(request.POST or None, instance=competitor)
    form.fields["name"].widget.attrs["list"] = "known-competitors"
    if request.method == "POST" and form.is_valid():

        def save():
            return services.opportunity_competitor_save(competitor=form.instance, by=request.user)

        try:
            if competitor_pk:
                saved, earlier = save(), None
            else:
                saved, earlier = formtokens.create_once(
                    request,
                    OpportunityCompetitor,
                    save,
                    url=lambda _competitor: opportunity.get_absolute_url() + "#competitors",
                )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            say_saved(request, saved, _("Competitor saved."))
            return redirect(opportunity.get_absolute_url() + "#competitors")
    # The account's known competitors, offered as names to pick from.
    known = opportunity.account.competitors.order_by("name").values_list("name", flat=True)
    return render(
        request,
        "opportunities/competitor_form.html",
        {
            "form": form,
            "opportunity": opportunity,
            "competitor": competitor if competitor_pk else None,
            "known": known,
            "form_token": None if competitor_pk else formtokens.form_token(request),
        },
    )


@require_POST
def competitor_remove_view(request, pk, competitor_pk):
    opportunity = _visible_opportunity(request, pk)
    competitor = get_object_or_404(OpportunityCompetitor, opportunity=opportunity, pk=competitor_pk)
    services.opportunity_competitor_remove(competitor=competitor, by=request.user)
    messages.success(request, _("Competitor %(name)s removed.") % {"name": competitor.name})
    return redirect(opportunity.get_absolute_url() + "#competitors")


# --- the recycle bin --------------------------------------------------------------------


@answers_binned(Opportunity)
def opportunity_delete_view(request, pk):
    """Ask, then move the deal to the recycle bin."""
    opportunity = _visible_opportunity(request, pk)
    return delete_page(
        request,
        record=opportunity,
        delete=lambda version: services.opportunity_delete(
            opportunity=opportunity, by=request.user, expected_version=version
        ),
        cancel_url=opportunity.get_absolute_url(),
        done_url=reverse("opportunities:board"),
    )


def opportunity_history_view(request, pk):
    """A deal's history (变更记录), the recycle bin included (keyaccounts/history/)."""
    opportunity = get_object_or_404(
        selectors.opportunities_visible_to(request.user, deleted=True).select_related("account"),
        pk=pk,
    )
    return history_page(request, opportunity)

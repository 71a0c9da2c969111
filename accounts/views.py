"""Pages for accounts, their buying center, team and competitors.

Every view finds its account through `account_get_visible`, so anything outside the
visibility rule answers 404. Writes go through `services`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from keyaccounts import formtokens, sections
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.links import safe_next
from keyaccounts.paging import keyset_page
from keyaccounts.recyclebin.pages import answers_binned, delete_page

from . import services
from .buying_center import assess_buying_center
from .filters import AccountContactsFilter, AccountFilter, account_list_page
from .forms import AccountForm, CompetitorForm, ContactForm, TeamMemberForm
from .groups import PARENT_REFUSED
from .models import Account, AccountCompetitor, AccountTeamMember, Contact
from .picker import SUGGESTIONS, person_labels, suggestion_labels
from .selectors import (
    account_contacts,
    account_get_visible,
    account_list_and_total,
    account_suggestions,
    account_team,
    accounts_visible_to,
    assignable_owners,
    contacts_visible_to,
    is_manager,
    merged_survivor,
    user_suggestions,
    users_pickable_by,
)

PAGE_SIZE = 25
# The account page's Contacts table shows the first this many by name; the account's
# contacts page (`account_contacts_view`) pages through all of them, as many a page.
CONTACTS_SHOWN = 50


def _visible_account(request, pk, *related: str) -> Account:
    """The account by the one visibility rule (404 outside it), with `related` selected."""
    try:
        return account_get_visible(user=request.user, pk=pk, related=related)
    except Account.DoesNotExist:
        raise Http404 from None


def add_errors(form, exc: Exception) -> None:
    """Show a service's refusal on the form, beside the field it concerns if any."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif (
        isinstance(exc, ApplicationError) and exc.code == PARENT_REFUSED and "parent" in form.fields
    ):
        form.add_error("parent", exc.message)  # group customers: beside the parent field
    elif isinstance(exc, ApplicationError) and exc.code == "possible_duplicate":
        # The matches, with links and the "save anyway" checkbox (duplicate_warning.html).
        form.duplicates = {"message": exc.message, **exc.extra}
    elif isinstance(exc, ApplicationError):
        form.add_error(None, exc.message)
    else:
        form.add_error(None, exc)


def say_saved(request, record, message: str | None = None) -> None:
    """Tell the user their save went through, or that it changed nothing: a form sent back
    untouched writes nothing (no new version, no history entry)."""
    if getattr(record, "saved_changes", True):
        messages.success(request, message or _("Changes saved."))
    else:
        messages.info(request, _("No changes to save: everything was as you sent it."))


def _save_versioned(request, form, save, *, say=None) -> bool:
    """Run `save(expected_version)` (it returns the record) and say whether it changed
    anything (`say(request, record)` instead, when given); on a conflict keep the user's
    input and explain."""
    try:
        record = save(form.expected_version)
    except VersionConflict as exc:
        if form.merge_on_conflict:
            message = _(
                "Someone else saved this record while you were editing it, so your changes "
                "were not saved. Your input is still below, and beside each field they "
                "changed, what they saved. Saving again writes the fields you changed and "
                "keeps their other changes."
            )
        else:
            message = _(
                "Someone else saved this record while you were editing it, so your changes "
                "were not saved. Your input is still below: compare it with the current "
                "record (open it in another tab). Saving again writes the form as it is "
                "here, over their changes."
            )
        if both := form.both_changed():
            message += " " + _("You both changed: %(fields)s.") % {"fields": ", ".join(both)}
        form.add_error(None, message)
        # Saving again on purpose writes over that version; that is the user's choice.
        form.show_conflict(exc.current_version)
        return False
    except (ValidationError, ApplicationError) as exc:
        add_errors(form, exc)
        return False
    (say or say_saved)(request, record)
    return True


@require_GET
def account_search_view(request):
    """The account picker's suggestions (accounts/picker.py): `{"results": [{"id", "name",
    "label"}]}`, at most `SUGGESTIONS` of the user's visible accounts whose name holds
    `q`, names starting with it first. One query, whatever the number of accounts."""
    query = request.GET.get("q", "")[:100]
    found = account_suggestions(accounts_visible_to(request.user), query)[:SUGGESTIONS]
    return JsonResponse({"results": suggestion_labels(found)})


# Whom a people picker may suggest (`PersonChoice.scope`): by default the people of the
# user's teams; "owners": those the user may give accounts and deals to.
PEOPLE_SCOPES = {"": users_pickable_by, "owners": assignable_owners}


@require_GET
def people_search_view(request):
    """The people pickers' suggestions (accounts/picker.py): `{"results": [{"id", "name",
    "label"}]}`, at most `SUGGESTIONS` of the people the user may pick
    (`users_pickable_by`, never the whole company) whose username, name or email holds
    `q`. One query, whatever the number of people."""
    query = request.GET.get("q", "")[:100]
    scope = PEOPLE_SCOPES.get(request.GET.get("scope", ""), users_pickable_by)
    found = user_suggestions(scope(request.user), query)[:SUGGESTIONS]
    return JsonResponse({"results": person_labels(found)})


def account_list_view(request):
    queryset, total = account_list_and_total(user=request.user)
    filterset = AccountFilter(request.GET or None, queryset=queryset, request=request)
    # A filter given a value it cannot read (a month like "2025-13", a team the user
    # does not see) is left out and its error shown on the form; the others still apply.
    accounts = filterset.qs if filterset.is_bound else queryset
    # Keyset pages (a deep page costs what page 1 does) and a count bounded at 1,000
    # (none to run when the person's ids were read and no filter narrows them).
    page = account_list_page(request, filterset, accounts, size=PAGE_SIZE, total=total)
    # What the apps above add to each row (the money flags: scoring.money): a constant
    # number of queries for the page.
    sections.read_rows("account_list", page.object_list)
    return render(
        request,
        "accounts/account_list.html",
        {"filter": filterset, "page": page, "query": page.query},
    )


def account_detail_view(request, pk):
    """The account page: its own cards (the buying center, the facts, the team, the
    contacts) and what the apps above add (keyaccounts/sections.py): the next best
    actions, the deals, the grade card and the visits before its own cards; complaints,
    the plan, reviews, money after them. What those read through the account is
    selected with it (`sections.related`)."""
    try:
        account = account_get_visible(user=request.user, pk=pk, related=sections.related("account"))
    except Account.DoesNotExist:
        # A merged-away account's address leads to the one it was merged into.
        survivor = merged_survivor(accounts_visible_to(request.user), pk)
        if survivor is None:
            raise Http404 from None
        return redirect(survivor)
    today = timezone.localdate()
    contacts = account_contacts(account)
    team = account_team(account)
    manager = is_manager(request.user)  # merges duplicates; pins grades (the grade card)
    leading_sections, other_sections = sections.leading(
        sections.render_context(
            "account", request, account=account, contacts=contacts, today=today, manager=manager
        )
    )
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "center": assess_buying_center(contacts),
            "contacts": contacts,
            "contacts_shown": contacts[:CONTACTS_SHOWN],
            "contacts_more": max(len(contacts) - CONTACTS_SHOWN, 0),
            "team": team,
            "competitors": account.competitors.all(),
            "can_manage_team": services.can_manage_team(request.user, account, manager=manager),
            "team_form": TeamMemberForm(user=request.user),
            "today": today,
            "can_merge": manager,
            "leading_sections": leading_sections,
            "sections": other_sections,
        },
    )


def account_contacts_view(request, account_pk):
    """Every contact of an account, by name, a page at a time, narrowed by buying role,
    coach, still at the company (the filters of the contacts' export and API, so its
    Export link writes what it shows). Where the account page's buying center and
    contacts table, bounded, lead for the rest."""
    account = get_object_or_404(accounts_visible_to(request.user), pk=account_pk)
    queryset = account.contacts.select_related("reports_to", "relationship_owner")
    filterset = AccountContactsFilter(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs  # a value it cannot read is left out (the form says so)
    page = keyset_page(request, rows, ("name", "pk"), size=CONTACTS_SHOWN, count=True)
    # Its export link: the filters the list applied, a value it cannot read left out.
    query = QueryDict(page.query, mutable=True)
    for name in filterset.errors if filterset.is_bound else ():
        query.pop(name, None)
    return render(
        request,
        "accounts/account_contacts.html",
        {"account": account, "filter": filterset, "page": page, "query": query.urlencode()},
    )


def account_create_view(request):
    if request.method == "POST" and (earlier := formtokens.already_saved(request, Account)):
        return earlier
    form = AccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account, earlier = formtokens.create_once(
                request,
                Account,
                lambda: services.account_create(by=request.user, **form.model_fields_data()),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            messages.success(request, _("Account %(name)s created.") % {"name": account.name})
            return redirect(account)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "form_token": formtokens.form_token(request)},
    )


def account_edit_view(request, pk):
    account = _visible_account(request, pk)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.account_update(
                account=Account.objects.get(pk=account.pk),
                by=request.user,
                expected_version=expected_version,
                **form.model_fields_data(),
            )

        if _save_versioned(request, form, save):
            return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


def contact_create_view(request, account_pk):
    account = _visible_account(request, account_pk)
    if request.method == "POST" and (earlier := formtokens.already_saved(request, Contact)):
        return earlier
    initial = {}
    if request.GET.get("role"):
        initial["buying_role"] = request.GET["role"]
    if request.GET.get("coach") == "1":  # a next best action: "find a coach"
        initial["is_coach"] = True
    back = safe_next(request)  # the page that sent them here (the heat-map), if any
    form = ContactForm(
        request.POST or None,
        instance=Contact(account=account),
        account=account,
        user=request.user,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            contact, earlier = formtokens.create_once(
                request,
                Contact,
                lambda: services.contact_create(
                    account=account, by=request.user, **form.model_fields_data()
                ),
            )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
            return redirect(back or account.get_absolute_url() + "#buying-center")
    return render(
        request,
        "accounts/contact_form.html",
        {
            "form": form,
            "account": account,
            "form_token": formtokens.form_token(request),
            "next": back,
        },
    )


def contact_edit_view(request, account_pk, pk):
    try:
        account = account_get_visible(user=request.user, pk=account_pk)
        contact = Contact.objects.get(account=account, pk=pk)
    except (Account.DoesNotExist, Contact.DoesNotExist):
        return _merged_contact_redirect(request, account_pk, pk)
    form = ContactForm(request.POST or None, instance=contact, account=account, user=request.user)
    back = safe_next(request)  # the page that sent them here (the heat-map), if any
    if request.method == "POST" and form.is_valid():

        def save(expected_version):
            return services.contact_update(
                contact=Contact.objects.get(pk=contact.pk),
                by=request.user,
                expected_version=expected_version,
                **form.model_fields_data(),
            )

        if _save_versioned(request, form, save):
            return redirect(back or account.get_absolute_url() + "#buying-center")
    return render(
        request,
        "accounts/contact_form.html",
        {
            "form": form,
            "account": account,
            "contact": contact,
            "can_merge": services.can_merge(request.user),
            "next": back,
        },
    )


def _merged_contact_redirect(request, account_pk, pk):
    """A merged-away contact's address leads to the contact it was merged into, and a
    contact of a merged-away account to its place at the surviving account; 404 else."""
    visible = contacts_visible_to(request.user)
    survivor = merged_survivor(visible, pk)
    if survivor is None and merged_survivor(accounts_visible_to(request.user), account_pk):
        survivor = visible.filter(pk=pk).first()  # it moved with its account's merge
    if survivor is None:
        raise Http404
    back = safe_next(request)  # the heat-map's cell: still back there after saving
    url = survivor.get_absolute_url()
    return redirect(f"{url}?{urlencode({'next': back})}" if back else url)


@require_POST
def team_member_add_view(request, account_pk):
    account = _visible_account(request, account_pk)
    form = TeamMemberForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.team_member_set(account=account, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Account team updated."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(account.get_absolute_url() + "#team")


@require_POST
def team_member_remove_view(request, account_pk, pk):
    account = _visible_account(request, account_pk)
    member = get_object_or_404(AccountTeamMember, account=account, pk=pk)
    try:
        services.team_member_remove(member=member, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(user)s removed from the account team.") % {"user": member.user}
        )
    return redirect(account.get_absolute_url() + "#team")


def competitor_edit_view(request, account_pk, pk=None):
    account = _visible_account(request, account_pk)
    if (
        pk is None
        and request.method == "POST"
        and (earlier := formtokens.already_saved(request, AccountCompetitor))
    ):
        return earlier
    competitor = (
        get_object_or_404(AccountCompetitor, account=account, pk=pk)
        if pk
        else AccountCompetitor(account=account)
    )
    form = CompetitorForm(request.POST or None, instance=competitor)
    if request.method == "POST" and form.is_valid():

        def save():
            return services.competitor_save(competitor=form.instance, by=request.user)

        try:
            if pk:
                saved, earlier = save(), None
            else:
                saved, earlier = formtokens.create_once(
                    request,
                    AccountCompetitor,
                    save,
                    url=lambda _competitor: account.get_absolute_url() + "#competitors",
                )
        except (ValidationError, ApplicationError) as exc:
            add_errors(form, exc)
        else:
            if earlier:
                return earlier
            say_saved(request, saved, _("Competitor saved."))
            return redirect(account.get_absolute_url() + "#competitors")
    return render(
        request,
        "accounts/competitor_form.html",
        {
            "form": form,
            "account": account,
            "competitor": competitor if pk else None,
            "form_token": None if pk else formtokens.form_token(request),
        },
    )


@require_POST
def competitor_remove_view(request, account_pk, pk):
    account = _visible_account(request, account_pk)
    competitor = get_object_or_404(AccountCompetitor, account=account, pk=pk)
    services.competitor_remove(competitor=competitor, by=request.user)
    messages.success(request, _("Competitor %(name)s removed.") % {"name": competitor.name})
    return redirect(account.get_absolute_url() + "#competitors")


# --- the recycle bin --------------------------------------------------------------------


@answers_binned(Account)
def account_delete_view(request, pk):
    """Ask, then move the account with its contacts, visits and deals to the recycle bin."""
    account = _visible_account(request, pk)
    return delete_page(
        request,
        record=account,
        along=services.account_deleted_along(account),
        check=lambda: services.account_delete_check(account=account, by=request.user),
        delete=lambda version: services.account_delete(
            account=account, by=request.user, expected_version=version
        ),
        cancel_url=account.get_absolute_url(),
        done_url=reverse("accounts:list"),
    )


@answers_binned(Contact)
def contact_delete_view(request, account_pk, pk):
    account = _visible_account(request, account_pk)
    contact = get_object_or_404(Contact, account=account, pk=pk)
    return delete_page(
        request,
        record=contact,
        delete=lambda version: services.contact_delete(
            contact=contact, by=request.user, expected_version=version
        ),
        cancel_url=contact.get_absolute_url(),
        done_url=account.get_absolute_url() + "#buying-center",
    )

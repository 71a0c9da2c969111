"""The account brief for a visit (拜访简报): one print-ready page, linked from the
account page and from a planned visit (`?visit=<pk>` puts that visit at the top).

The account is found by the one visibility rule (404 outside it); what the page shows is
read by `accounts.brief`.
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from keyaccounts import sections
from scoring.grade.card import RELATED as GRADE_RELATED
from scoring.grade.card import grade_card

from .brief import account_brief, grade_summary
from .views import _visible_account


@require_GET
def account_brief_view(request, pk):
    account = _visible_account(request, pk, *GRADE_RELATED)
    today = timezone.localdate()
    visit = request.GET.get("visit", "")
    visit_pk = int(visit) if visit.isascii() and visit.isdigit() and len(visit) < 12 else None
    grade = grade_card(account, can_pin=False, today=today)  # the brief pins nothing
    return render(
        request,
        "accounts/account_brief.html",
        {
            "account": account,
            "grade": grade,
            "why": grade_summary(grade["reasons"]),
            "now": timezone.localtime(),
            **account_brief(account=account, today=today, visit_pk=visit_pk),
            # What the apps above add: open complaints …
            "sections": sections.render_context("brief", request, account=account, today=today),
        },
    )

"""The account brief for a visit (拜访简报): one print-ready page, linked from the
account page and from a planned visit (`?visit=<pk>` puts that visit at the top).

The account is found by the one visibility rule (404 outside it); what the page shows of
the account is read by `accounts.brief`, the rest by the apps above as sections (with
what they read through the account selected with it, `sections.related("brief")`): those
ordered below `BESIDE_FROM` come first (the planned visit), those below `AFTER_FROM`
beside the account's card (the grade), the others after the buying center (the open
deals, the visits and follow-ups, complaints).
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from keyaccounts import sections

from .brief import account_brief
from .views import _visible_account

BESIDE_FROM = 10
AFTER_FROM = 20


@require_GET
def account_brief_view(request, pk):
    account = _visible_account(request, pk, *sections.related("brief"))
    today = timezone.localdate()
    rendered = sections.render_context("brief", request, account=account, today=today)
    return render(
        request,
        "accounts/account_brief.html",
        {
            "account": account,
            "now": timezone.localtime(),
            **account_brief(account=account, today=today),
            "before": [s for s in rendered if s.order < BESIDE_FROM],
            "beside": [s for s in rendered if BESIDE_FROM <= s.order < AFTER_FROM],
            "sections": [s for s in rendered if s.order >= AFTER_FROM],
        },
    )

"""Every route, every persona (issue 12).

The routes come from the URLconf itself (`get_resolver()`, walked recursively), so a
page, form, API action, export, import or admin page added later is requested here too:
one that ROUTES below does not classify fails `test_every_route_is_classified`, naming it.

Each route is requested as anonymous, a rep, a rep of another team, the team's manager,
another team's manager and a superuser, with the ids of records each may and may not
see, and the answer is held to the visibility rule (docs/architecture.md):

- anonymous: the sign-in page (pages) or 401 (the API);
- a record the persona may not see: 404, never 403 (which would confirm it exists),
  never 200, never 500;
- a record they may see: 200, a redirect, or 405 for an action that is only POSTed;
- an empty POST to every page route: never 500 and never a write (a form answers
  itself again with its errors, or 4xx); to a record the persona may not see, 404.

Who may see what is told here, by hand, from the fixture world (`expected_visible`),
not computed by the selectors under test.
"""

import datetime
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

pytestmark = pytest.mark.django_db

PERSONAS = ("rep", "other_rep", "manager", "other_manager", "admin")
TEAMS = ("east", "west")
MISSING = 10**9  # an id no record has


# --- the routes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern when the route has no name
    pattern: str  # the whole pattern, prefixes included


def all_routes() -> list[Route]:
    """Every route of the URLconf. The API's `.json`-suffix twins of the router's routes
    (same view, same name) are left out: their plain twin is walked."""

    def walk(patterns, prefix: str, namespace: str | None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                pattern = prefix + str(entry.pattern)
                if "(?P<format>" in pattern:
                    continue
                name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
                yield Route(name or pattern, pattern)

    return list(walk(get_resolver().url_patterns, "", None))


def fill(pattern: str, values: dict[str, object]) -> str:
    """The path of `pattern` (Django's `<int:pk>` or a regex's `(?P<pk>…)`) with `values`."""

    def value(match):
        return str(values[match.group(1)])

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", value, pattern)
    path = re.sub(r"<(?:\w+:)?(\w+)>", value, path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def is_admin(route: Route) -> bool:
    return route.pattern.startswith("admin/")


# --- how each route is classified ----------------------------------------------------------
# kind:
#   public   answers anyone, signed in or not (`ok`: what anonymous gets)
#   page     for the signed-in, about no one record (a list, a "new" form); `api=True`
#            (api_list): an API endpoint, anonymous gets 401 instead of the sign-in page
#   object   about records: `kwargs` maps each URL kwarg to a record of the world
#            ("account" → its pk, "account.external_id" → that attribute, anything else
#            as it is); `scope` says who may see them: "team" (the visibility rule) or
#            "own" (its owner only: notifications, imports, tokens, webhooks)
#   stage, table_version, api-not-found: shared reference data and the API's JSON 404,
#            each checked on its own in the walk
# post_only: the route answers GET with 405 whoever asks (so only the POST walk can tell
#            visible from not); form: an empty POST must be refused without a write (an
#            action route — a button such as "delete" or "mark read" — is POSTed only by
#            those who may not see its record, so the world stays as it is)
# denied:    personas who may see the record (or page) but whose role may not use the
#            route: 403 or 404 — only for rules about the role, never about visibility


@dataclass(frozen=True)
class Kind:
    kind: str
    kwargs: dict = field(default_factory=dict)
    scope: str = "team"
    post_only: bool = False
    form: bool = False
    denied: tuple = ()
    # what the GET answers when it may (else 200)
    ok: tuple = (200,)
    api: bool = False


def public(*ok, post_only=False, form=False):
    return Kind("public", ok=ok or (200,), post_only=post_only, form=form)


def page(*, form=False, post_only=False, denied=(), ok=(200,)):
    return Kind("page", form=form, post_only=post_only, denied=denied, ok=ok)


def obj(scope="team", *, form=False, post_only=False, denied=(), ok=(200,), **kwargs):
    return Kind("object", kwargs, scope=scope, form=form, post_only=post_only, denied=denied, ok=ok)


def api_list(**extra):
    return Kind("page", api=True, **extra)


def api_obj(scope="team", *, post_only=False, denied=(), ok=(200,), **kwargs):
    return Kind("object", kwargs, scope=scope, post_only=post_only, denied=denied, ok=ok, api=True)


ACCOUNT = {"pk": "account"}
IN_ACCOUNT = {"account_pk": "account"}
MANAGERS_ONLY = ("rep", "other_rep")

ROUTES: dict[str, Kind] = {
    "home": page(),
    "login": public(200, form=True),
    # GET: the sign-in page (a sign-out is POSTed); the language is POSTed, GET goes back
    "logout": public(302),
    "set_language": public(302),
    "healthz": public(200, 503),
    # the installable app: its service worker (no data, only which files to keep) and the
    # page shown for a page never opened before while there is no signal
    "service_worker": public(200),
    "offline": public(200),
    "lockout:list": page(denied=MANAGERS_ONLY),
    "people_search": page(),
    # the API
    "api:token": public(post_only=True),
    "api:schema": public(200),
    "api:docs": public(200),
    "api/v1/^(?P<path>[\\s\\S]*)$": Kind("api-not-found"),
    "api:account-list": api_list(),
    "api:account-bulk": api_list(post_only=True),
    "api:account-changes": api_list(),
    "api:account-external": api_obj(external_id="account.external_id"),
    "api:account-detail": api_obj(pk="account"),
    "api:account-grade": api_obj(pk="account"),
    "api:account-tree": api_obj(pk="account"),
    "api:account-next-actions": api_obj(pk="account"),
    "api:account-history": api_obj(pk="account"),
    "api:account-restore": api_obj(pk="account", post_only=True),
    "api:contact-list": api_list(),
    "api:contact-bulk": api_list(post_only=True),
    "api:contact-changes": api_list(),
    "api:contact-external": api_obj(external_id="contact.external_id"),
    "api:contact-detail": api_obj(pk="contact"),
    "api:contact-history": api_obj(pk="contact"),
    "api:contact-restore": api_obj(pk="contact", post_only=True),
    "api:visit-list": api_list(),
    "api:visit-bulk": api_list(post_only=True),
    "api:visit-changes": api_list(),
    "api:visit-external": api_obj(external_id="visit.external_id"),
    "api:visit-detail": api_obj(pk="visit"),
    "api:visit-history": api_obj(pk="visit"),
    "api:visit-restore": api_obj(pk="visit", post_only=True),
    "api:visit-follow-up": api_obj(pk="visit", post_only=True),
    "api:development-record-list": api_list(),
    "api:development-record-bulk": api_list(post_only=True),
    "api:development-record-changes": api_list(),
    "api:development-record-external": api_obj(external_id="record.external_id"),
    "api:development-record-detail": api_obj(pk="record"),
    "api:development-record-history": api_obj(pk="record"),
    "api:development-record-restore": api_obj(pk="record", post_only=True),
    "api:development-record-review": api_obj(pk="record", post_only=True),
    # account plans (scoring.plans)
    "api:account-plan-list": api_list(),
    "api:account-plan-changes": api_list(),
    "api:account-plan-external": api_obj(external_id="plan.external_id"),
    "api:account-plan-detail": api_obj(pk="plan"),
    "api:account-plan-history": api_obj(pk="plan"),
    "api:account-plan-restore": api_obj(pk="plan", post_only=True),
    "api:plan-action-list": api_list(),
    "api:plan-action-changes": api_list(),
    "api:plan-action-external": api_obj(external_id="plan_action.external_id"),
    "api:plan-action-detail": api_obj(pk="plan_action"),
    "api:plan-action-history": api_obj(pk="plan_action"),
    "api:plan-action-restore": api_obj(pk="plan_action", post_only=True),
    # review meetings (visits.reviews)
    "api:review-list": api_list(),
    "api:review-bulk": api_list(post_only=True),
    "api:review-changes": api_list(),
    "api:review-external": api_obj(external_id="review.external_id"),
    "api:review-detail": api_obj(pk="review"),
    "api:review-history": api_obj(pk="review"),
    "api:review-restore": api_obj(pk="review", post_only=True),
    "api:review-follow-up-list": api_list(),
    "api:review-follow-up-bulk": api_list(post_only=True),
    "api:review-follow-up-changes": api_list(),
    "api:review-follow-up-external": api_obj(external_id="review_follow_up.external_id"),
    "api:review-follow-up-detail": api_obj(pk="review_follow_up"),
    "api:review-follow-up-history": api_obj(pk="review_follow_up"),
    "api:review-follow-up-restore": api_obj(pk="review_follow_up", post_only=True),
    # complaints (visits.complaints)
    "api:complaint-list": api_list(),
    "api:complaint-bulk": api_list(post_only=True),
    "api:complaint-changes": api_list(),
    "api:complaint-external": api_obj(external_id="complaint.external_id"),
    "api:complaint-detail": api_obj(pk="complaint"),
    "api:complaint-history": api_obj(pk="complaint"),
    "api:complaint-restore": api_obj(pk="complaint", post_only=True),
    "api:complaint-respond": api_obj(pk="complaint", post_only=True),
    "api:complaint-resolve": api_obj(pk="complaint", post_only=True),
    "api:complaint-close": api_obj(pk="complaint", post_only=True),
    "api:complaint-reopen": api_obj(pk="complaint", post_only=True),
    "api:complaint-assign": api_obj(pk="complaint", post_only=True),
    # invoice receivables (scoring.receivables)
    "api:receivable-list": api_list(),
    "api:receivable-bulk": api_list(post_only=True),
    "api:receivable-changes": api_list(),
    "api:receivable-external": api_obj(external_id="receivable.external_id"),
    "api:receivable-detail": api_obj(pk="receivable"),
    "api:receivable-history": api_obj(pk="receivable"),
    "api:receivable-restore": api_obj(pk="receivable", post_only=True),
    "api:receivable-pay": api_obj(pk="receivable", post_only=True),
    "api:opportunity-list": api_list(),
    "api:opportunity-bulk": api_list(post_only=True),
    "api:opportunity-changes": api_list(),
    "api:opportunity-external": api_obj(external_id="deal.external_id"),
    "api:opportunity-detail": api_obj(pk="deal"),
    "api:opportunity-criteria": api_obj(pk="deal", post_only=True),
    "api:opportunity-history": api_obj(pk="deal"),
    "api:opportunity-restore": api_obj(pk="deal", post_only=True),
    "api:stage-list": api_list(),
    "api:stage-detail": Kind("stage", api=True),
    "api:service-policy-list": api_list(),
    "api:service-policy-current": api_list(),
    "api:service-policy-detail": Kind(
        "table_version", {"model": "accounts.ServicePolicy"}, api=True
    ),
    "api:stage-approval-list": api_list(),
    "api:stage-approval-detail": api_obj(pk="approval"),
    "api:stage-approval-approve": api_obj(pk="approval", post_only=True),
    "api:stage-approval-reject": api_obj(pk="approval", post_only=True),
    "api:webhook-list": api_list(),
    "api:webhook-detail": api_obj("own", pk="webhook"),
    "api:webhook-deliveries": api_obj("own", pk="webhook"),
    "api:webhook-redeliver": api_obj("own", pk="webhook", delivery_id="delivery", post_only=True),
    "api:webhook-rotate-secret": api_obj("own", pk="webhook", post_only=True),
    "api:integration-token-list": api_list(),
    "api:integration-token-detail": api_obj("own", pk="token"),
    "api:bulk-job-list": api_list(),
    "api:bulk-job-detail": api_obj("own", pk="bulk_job"),
    "api:bulk-job-results": api_obj("own", pk="bulk_job"),
    "api:bulk-job-cancel": api_obj("own", pk="bulk_job", post_only=True),
    # accounts and what hangs off them
    "accounts:list": page(),
    "accounts:create": page(form=True),
    "accounts:search": page(),
    "accounts:detail": obj(**ACCOUNT),
    "accounts:edit": obj(**ACCOUNT, form=True),
    "accounts:merge": obj(**ACCOUNT, form=True),
    "accounts:merge_confirm": obj(pk="account", other_pk="account2"),
    "accounts:history": obj(**ACCOUNT),
    "accounts:brief": obj(**ACCOUNT),
    "scoring:group": obj(**ACCOUNT),
    "accounts:delete": obj(**ACCOUNT),
    "accounts:contacts": obj(**IN_ACCOUNT),
    "accounts:contact_create": obj(**IN_ACCOUNT, form=True),
    "accounts:contact_edit": obj(account_pk="account", pk="contact", form=True),
    "accounts:contact_delete": obj(account_pk="account", pk="contact"),
    "accounts:contact_merge": obj(account_pk="account", pk="contact", form=True),
    "accounts:contact_merge_confirm": obj(account_pk="account", pk="contact", other_pk="contact2"),
    "accounts:contact_history": obj(account_pk="account", pk="contact"),
    "accounts:team_add": obj(**IN_ACCOUNT, form=True, post_only=True),
    "accounts:team_remove": obj(account_pk="account", pk="team_member", post_only=True),
    "accounts:competitor_create": obj(**IN_ACCOUNT, form=True),
    "accounts:competitor_edit": obj(account_pk="account", pk="competitor", form=True),
    "accounts:competitor_remove": obj(account_pk="account", pk="competitor", post_only=True),
    # visits, follow-ups, development records, notifications
    "visits:my_week": page(),
    "visits:heat_map": page(),
    "visits:follow_ups": page(),
    "visits:planned": page(),
    "visits:start": page(form=True),
    "visits:account_visits": obj(**IN_ACCOUNT),
    "visits:create": obj(**IN_ACCOUNT, form=True),
    "visits:detail": obj(pk="visit"),
    "visits:edit": obj(pk="visit", form=True),
    "visits:history": obj(pk="visit"),
    "visits:cancel": obj(pk="visit", post_only=True),
    "visits:delete": obj(pk="visit"),
    "visits:follow_up": obj(pk="visit", form=True, post_only=True),
    "visits:record_list": page(),
    "visits:record_create": obj(**IN_ACCOUNT, form=True),
    "visits:record_detail": obj(pk="record"),
    "visits:record_edit": obj(pk="record", form=True),
    "visits:record_history": obj(pk="record"),
    "visits:record_review": obj(pk="record", denied=MANAGERS_ONLY, post_only=True),
    "visits:record_delete": obj(pk="record"),
    # account plans (scoring.plans)
    "plans:list": obj(**IN_ACCOUNT),
    "plans:create": obj(**IN_ACCOUNT, form=True),
    "plans:detail": obj(account_pk="account", pk="plan"),
    "plans:edit": obj(account_pk="account", pk="plan", form=True),
    "plans:delete": obj(account_pk="account", pk="plan"),
    "plans:history": obj(account_pk="account", pk="plan"),
    "plans:action_create": obj(account_pk="account", pk="plan", form=True),
    "plans:action_list": page(),
    "plans:action_detail": obj(pk="plan_action", ok=(302,)),
    "plans:action_edit": obj(pk="plan_action", form=True),
    "plans:action_done": obj(pk="plan_action", post_only=True),
    "plans:action_delete": obj(pk="plan_action"),
    "plans:action_history": obj(pk="plan_action"),
    # review meetings (visits.reviews)
    "reviews:missing": page(),
    "reviews:account_list": obj(**IN_ACCOUNT),
    "reviews:create": obj(**IN_ACCOUNT, form=True),
    "reviews:detail": obj(pk="review"),
    "reviews:edit": obj(pk="review", form=True),
    "reviews:minutes": obj(pk="review", form=True),
    "reviews:cancel": obj(pk="review"),
    "reviews:history": obj(pk="review"),
    "reviews:delete": obj(pk="review"),
    "reviews:follow_up_create": obj(pk="review", form=True, post_only=True),
    "reviews:follow_up_edit": obj(pk="review_follow_up", form=True),
    "reviews:follow_up_done": obj(pk="review_follow_up", post_only=True),
    "reviews:follow_up_reopen": obj(pk="review_follow_up", post_only=True),
    "reviews:follow_up_delete": obj(pk="review_follow_up"),
    "reviews:follow_up_history": obj(pk="review_follow_up"),
    # complaints (visits.complaints)
    "complaints:list": page(),
    "complaints:create": obj(**IN_ACCOUNT, form=True),
    "complaints:detail": obj(pk="complaint"),
    "complaints:edit": obj(pk="complaint", form=True),
    "complaints:history": obj(pk="complaint"),
    "complaints:delete": obj(pk="complaint"),
    "complaints:respond": obj(pk="complaint", form=True, post_only=True),
    "complaints:resolve": obj(pk="complaint", form=True, post_only=True),
    "complaints:close": obj(pk="complaint", form=True, post_only=True),
    "complaints:reopen": obj(pk="complaint", form=True, post_only=True),
    "complaints:assign": obj(pk="complaint", form=True, post_only=True),
    # invoice receivables (scoring.receivables)
    "receivables:list": page(),
    "receivables:create": obj(**IN_ACCOUNT, form=True),
    "receivables:detail": obj(pk="receivable"),
    "receivables:edit": obj(pk="receivable", form=True),
    "receivables:pay": obj(pk="receivable", form=True),
    "receivables:history": obj(pk="receivable"),
    "receivables:delete": obj(pk="receivable"),
    "visits:team": page(denied=MANAGERS_ONLY),
    "visits:notifications": page(),
    "visits:notifications_read_all": page(post_only=True),
    "visits:notification_read": obj("own", pk="notification", post_only=True),
    # deals
    "opportunities:board": page(),
    "opportunities:create": obj(**IN_ACCOUNT, form=True),
    "opportunities:detail": obj(pk="deal"),
    "opportunities:edit": obj(pk="deal", form=True),
    "opportunities:delete": obj(pk="deal"),
    "opportunities:history": obj(pk="deal"),
    "opportunities:move": obj(pk="deal", form=True),
    "opportunities:close": obj(pk="deal", form=True),
    "opportunities:criteria": obj(pk="deal", form=True, post_only=True),
    # the approval gate (opportunities/approval_views.py)
    "opportunities:approvals": page(),
    "opportunities:approval": obj(aid="approval", ok=(302,)),
    "opportunities:approval_decide": obj(aid="approval", decision="approve", post_only=True),
    "opportunities:approval_request": obj(pk="deal", form=True),
    "opportunities:contact_add": obj(pk="deal", form=True, post_only=True),
    "opportunities:contact_remove": obj(pk="deal", entry_pk="deal_contact", post_only=True),
    "opportunities:team_add": obj(pk="deal", form=True, post_only=True),
    "opportunities:team_remove": obj(pk="deal", member_pk="deal_member", post_only=True),
    "opportunities:competitor_create": obj(pk="deal", form=True),
    "opportunities:competitor_edit": obj(pk="deal", competitor_pk="deal_competitor", form=True),
    "opportunities:competitor_remove": obj(
        pk="deal", competitor_pk="deal_competitor", post_only=True
    ),
    # grades and the scoring table
    "scoring:account_grade": obj(**IN_ACCOUNT),
    "scoring:account_grade_pin": obj(**IN_ACCOUNT, form=True, denied=MANAGERS_ONLY),
    "scoring:account_grade_unpin": obj(**IN_ACCOUNT, post_only=True),
    "scoring:account_assessment": obj(**IN_ACCOUNT, form=True),
    "scoring:dashboard": page(),
    "scoring:dashboard_export": page(),
    "scoring:analytics": page(),
    "scoring:analytics_deals": page(),
    "scoring:compliance_visits": page(),
    "scoring:dashboard_deals": page(),
    "scoring:table": page(),
    "scoring:table_versions": page(),
    "scoring:table_version": Kind("table_version"),
    "scoring:table_edit": page(form=True, denied=MANAGERS_ONLY),
    # the service policy by grade (accounts/policy/): read by all, changed by managers
    "policy:policy": page(),
    "policy:versions": page(),
    "policy:version": Kind("table_version", {"model": "accounts.ServicePolicy"}),
    "policy:edit": page(form=True, denied=MANAGERS_ONLY),
    "scoring:sales_list": page(),
    "scoring/sales/import/": page(),
    # the recycle bin, imports, exports
    "recyclebin:bin": page(),
    "recyclebin:restore": obj(pk="deletion", post_only=True),
    "imports:index": page(),
    "imports:job": obj("own", pk="job"),
    "imports:map": obj("own", pk="job", form=True, post_only=True),
    "imports:confirm": obj("own", pk="job", form=True, post_only=True),
    "imports:cancel": obj("own", pk="job", post_only=True),
    "imports:recheck": obj("own", pk="job", post_only=True),
    "imports:progress": obj("own", pk="job"),
    # the job has not run: no rejected rows, 404 to its owner too (imports:job tells
    # its owner from the others)
    "imports:rejected": obj("own", pk="job", fmt="csv", ok=(404,)),
    "imports:upload": Kind("page", kwargs={"kind": "accounts"}, form=True),
    "imports:template": Kind("page", kwargs={"kind": "accounts"}),
    "exports:dashboard": page(ok=(301,)),  # the old address of scoring:dashboard_export
    "exports:export": Kind("page", kwargs={"kind": "accounts"}),
    "exports:files": page(form=True),
    "exports:files_status": page(),
    "exports:file_download": obj("own", pk="export_file"),
    "exports:file_delete": obj("own", pk="export_file", post_only=True),
    # integrations
    "integrations:profile": page(),
    "integrations:token_create": page(form=True),
    "integrations:token_revoke": obj("own", pk="token"),
    "integrations:webhook_list": page(),
    "integrations:webhook_create": page(form=True, denied=MANAGERS_ONLY),
    "integrations:webhook_detail": obj("own", pk="webhook"),
    "integrations:webhook_edit": obj("own", pk="webhook", form=True),
    "integrations:webhook_secret": obj("own", pk="webhook", post_only=True),
    "integrations:webhook_state": obj("own", pk="webhook", post_only=True),
    "integrations:webhook_delete": obj("own", pk="webhook"),
    "integrations:delivery_redeliver": obj(
        "own", pk="webhook", delivery_pk="delivery", post_only=True
    ),
}


def test_every_route_is_classified():
    """A route added to the URLconf must be told here: what it is about and who may see
    it. The admin's routes are walked by model (`test_the_admin_is_for_staff_only`)."""
    names = {route.name for route in all_routes() if not is_admin(route)}
    unclassified = sorted(names - set(ROUTES))
    assert not unclassified, (
        "routes not classified in keyaccounts/tests/test_route_walk.py ROUTES "
        f"(say what each is about and who may see it): {unclassified}"
    )
    gone = sorted(set(ROUTES) - names)
    assert not gone, f"ROUTES names routes the URLconf no longer has: {gone}"


# --- the fixture world ----------------------------------------------------------------------
# Two sales teams. In each, a rep owns an account with a contact, a team member and a
# competitor, a visit, a development record, a deal (with a contact, a team member and a
# competitor), a second account and contact (to merge with), a deleted account (a recycle
# bin entry), a notification, an import job and an integration token; the team's manager
# owns a webhook with one delivery.


@pytest.fixture
def world(settings):
    from accounts.models import AccountTeamRole
    from accounts.services import account_delete
    from accounts.tests.factories import (
        AccountFactory,
        CompetitorFactory,
        ContactFactory,
        SalesTeamFactory,
        TeamMemberFactory,
        UserFactory,
    )
    from keyaccounts.integrations.models import BulkJob, WebhookDelivery
    from keyaccounts.integrations.services import token_create, webhook_create
    from keyaccounts.models import ImportJob
    from opportunities.models import (
        OpportunityCompetitor,
        OpportunityContact,
        OpportunityTeamMember,
    )
    from opportunities.tests.factories import OpportunityFactory
    from scoring.services import rescore
    from visits.tests.factories import (
        DevelopmentRecordFactory,
        NotificationFactory,
        VisitFactory,
    )

    settings.WEBHOOK_ALLOW_PRIVATE = True
    people = {
        "manager": UserFactory(username="manager"),
        "other_manager": UserFactory(username="other_manager"),
        "admin": UserFactory(username="admin", is_superuser=True, is_staff=True),
    }
    teams = {
        "east": SalesTeamFactory(name="East", manager=people["manager"]),
        "west": SalesTeamFactory(name="West", manager=people["other_manager"]),
    }
    people["rep"] = UserFactory(username="rep", sales_team=teams["east"])
    people["other_rep"] = UserFactory(username="other_rep", sales_team=teams["west"])
    rep_of = {"east": people["rep"], "west": people["other_rep"]}
    manager_of = {"east": people["manager"], "west": people["other_manager"]}
    records = {}
    for team in TEAMS:
        rep = rep_of[team]
        colleague = UserFactory(username=f"{team}_colleague", sales_team=teams[team])
        account = AccountFactory(name=f"{team} Customer", owner=rep, external_id=f"{team}-a")
        AccountFactory(name=f"{team} Subsidiary", owner=rep, parent=account)  # a group
        contact = ContactFactory(account=account, external_id=f"{team}-c")
        visit = VisitFactory(account=account, owner=rep, external_id=f"{team}-v")
        deal = OpportunityFactory(account=account, external_id=f"{team}-d")
        doomed = AccountFactory(name=f"{team} Gone", owner=rep)
        token, _secret = token_create(
            user=rep,
            name=f"{team} sync",
            access="read",
            record_types=["account"],
            expires_at=timezone.now() + datetime.timedelta(days=30),
        )
        webhook, _secret = webhook_create(
            owner=manager_of[team], url="http://127.0.0.1:9/hook", record_types=["account"]
        )
        records[team] = SimpleNamespace(
            account=account,
            account2=AccountFactory(name=f"{team} Customer Twin", owner=rep),
            contact=contact,
            contact2=ContactFactory(account=account),
            # A contact who left (a row of its own look on the account page: the
            # accessibility check reads its contrast).
            contact_left=ContactFactory(account=account, name=f"{team} Former", is_active=False),
            team_member=TeamMemberFactory(
                account=account, user=colleague, role=AccountTeamRole.PRESALES
            ),
            competitor=CompetitorFactory(account=account),
            visit=visit,
            record=DevelopmentRecordFactory(account=account, external_id=f"{team}-r"),
            deal=deal,
            deal_contact=OpportunityContact.objects.create(opportunity=deal, contact=contact),
            deal_member=OpportunityTeamMember.objects.create(
                opportunity=deal, user=colleague, role=AccountTeamRole.PRESALES
            ),
            deal_competitor=OpportunityCompetitor.objects.create(opportunity=deal, name="Rival"),
            deletion=account_delete(account=doomed, by=rep),
            notification=NotificationFactory(visit=visit, recipient=rep),
            job=ImportJob.objects.create(
                kind="accounts", created_by=rep, filename="a.csv", content=b"Name\r\nX\r\n"
            ),
            export_file=export_file_of(rep),
            token=token,
            bulk_job=BulkJob.objects.create(owner=rep, record_type="accounts", status="done"),
            webhook=webhook,
            delivery=WebhookDelivery.objects.create(
                webhook=webhook,
                record_type="account",
                object_id=account.pk,
                event="updated",
                change_seq=1,
                occurred_at=visit.created_at,
            ),
            # who owns the records only their owner sees ("own" scope)
            owner={
                "notification": rep,
                "job": rep,
                "export_file": rep,
                "token": rep,
                "bulk_job": rep,
                "webhook": manager_of[team],
                "delivery": manager_of[team],
            },
        )
    for team in TEAMS:  # account plans (scoring.plans): a plan with an action
        from scoring.plans.tests.world import add_plan

        add_plan(records[team], rep=rep_of[team], team=team)
    for team in TEAMS:  # review meetings (visits.reviews): a held review with a follow-up
        from visits.reviews.tests.world import add_review

        add_review(records[team], rep=rep_of[team], team=team)
    for team in TEAMS:  # complaints (visits.complaints): a resolved complaint
        from visits.complaints.tests.world import add_complaint

        add_complaint(records[team], rep=rep_of[team], team=team)
    for team in TEAMS:  # invoice receivables (scoring.receivables): an open invoice, overdue
        from scoring.receivables.tests.world import add_receivable

        add_receivable(records[team], rep=rep_of[team], team=team)
    for team in TEAMS:  # the approval gate (opportunities/approvals.py): a pending request
        from opportunities.tests.world import add_approval

        add_approval(records[team], rep=rep_of[team])
    rescore([records[team].account.pk for team in TEAMS])  # so that each has a grade
    return SimpleNamespace(people=people, records=records)


def export_file_of(user):
    """A ready export file of `user`'s (keyaccounts/exports/): one part, a CSV header."""
    from keyaccounts.exports.models import ExportFile, ExportFilePart

    file = ExportFile.objects.create(
        created_by=user, kind="accounts", format="csv", status="done", rows=0, size=5
    )
    ExportFilePart.objects.create(file=file, index=0, content=b"Name\n")
    return file


def expected_visible(world, persona: str, team: str, kind: Kind) -> bool:
    """Told by hand: the team's rep and manager and the superuser see the team's
    records; records of the "own" scope are their owner's alone."""
    user = world.people[persona]
    if kind.scope == "own":
        owned = {name for name in kind.kwargs.values() if name in world.records[team].owner}
        return all(world.records[team].owner[name] == user for name in owned)
    return (
        persona == "admin"
        or persona
        in {
            "east": ("rep", "manager"),
            "west": ("other_rep", "other_manager"),
        }[team]
    )


# --- the walk --------------------------------------------------------------------------------


def kwargs_of(world, kind: Kind, team: str) -> dict[str, object]:
    """The URL kwargs of `kind` for the records of `team` (a value that names no record,
    such as an import's `kind`, is used as it is)."""
    records = world.records[team]
    values = {}
    for kwarg, name in kind.kwargs.items():
        record_name, _dot, attribute = name.partition(".")
        record = getattr(records, record_name, None)
        if record is None:
            values[kwarg] = name
        else:
            values[kwarg] = getattr(record, attribute or "pk")
    return values


@pytest.fixture
def clients(world):
    signed_in = {}
    for persona in PERSONAS:
        client = Client()
        client.force_login(world.people[persona])
        signed_in[persona] = client
    return SimpleNamespace(anonymous=Client(), **signed_in)


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    # Hundreds of requests per persona in a second: the rate limit is tested elsewhere.
    settings.API_THROTTLE_RATE = None
    settings.API_ANON_THROTTLE_RATE = None


def answers_like_anonymous(response, kind: Kind) -> bool:
    if kind.api:
        return response.status_code in (401, 403)
    return response.status_code == 302 and response["Location"].startswith("/login/")


def routes_to_walk():
    return [(route, ROUTES[route.name]) for route in all_routes() if route.name in ROUTES]


def test_every_route_answers_each_persona_by_the_visibility_rule(world, clients):
    problems = []

    def check(route, persona, path, expected, response):
        if response.status_code not in expected:
            problems.append(
                f"{route.name} {path} as {persona}: {response.status_code}, "
                f"expected one of {sorted(expected)}"
            )

    for route, kind in routes_to_walk():
        if kind.kind == "public":
            path = fill(route.pattern, {})
            expected = {405} if kind.post_only else set(kind.ok)
            check(route, "anonymous", path, expected, clients.anonymous.get(path))
            continue
        if kind.kind == "api-not-found":
            path = fill(route.pattern, {"path": "no-such-thing/1/"})
            for persona in ("anonymous", "rep"):
                response = getattr(clients, persona).get(path)
                check(route, persona, path, {404}, response)
                assert response["Content-Type"] == "application/json", path
            continue
        if kind.kind == "stage":
            from opportunities.models import Stage

            stage = Stage.objects.order_by("pk").first()
            path = fill(route.pattern, {"pk": stage.pk})
            check(route, "anonymous", path, {401}, clients.anonymous.get(path))
            for persona in PERSONAS:
                check(route, persona, path, {200}, getattr(clients, persona).get(path))
            missing = fill(route.pattern, {"pk": 10**9})
            check(route, "rep", missing, {404}, clients.rep.get(missing))
            continue
        if kind.kind == "table_version":
            versioned = apps.get_model(kind.kwargs.get("model", "scoring.ScoringModel"))
            version = versioned.objects.order_by("version").first().version
            path = fill(route.pattern, {"version": version})
            response = clients.anonymous.get(path)
            if not answers_like_anonymous(response, kind):
                problems.append(f"{route.name} {path} as anonymous: {response.status_code}")
            for persona in PERSONAS:
                check(route, persona, path, {200}, getattr(clients, persona).get(path))
            missing = fill(route.pattern, {"version": version + 1000})
            check(route, "rep", missing, {404}, clients.rep.get(missing))
            continue

        path = fill(route.pattern, kwargs_of(world, kind, "east"))
        response = clients.anonymous.get(path)
        if not answers_like_anonymous(response, kind):
            problems.append(
                f"{route.name} {path} as anonymous: {response.status_code}, expected "
                + ("401" if kind.api else "the sign-in page")
            )
        # The East team's records: its rep, its manager and the superuser may see them, the
        # West team's people may not (the West team's records are the same story mirrored).
        for persona in PERSONAS:
            response = getattr(clients, persona).get(path)
            visible = kind.kind == "page" or expected_visible(world, persona, "east", kind)
            if kind.post_only:
                expected = {405}
            elif not visible:
                expected = {404}
            elif persona in kind.denied:
                expected = {403, 404}
            else:
                expected = set(kind.ok) | ({302} if 200 in kind.ok else set())
            check(route, persona, path, expected, response)
            if kind.api and not visible and not kind.post_only:
                assert response["Content-Type"] == "application/json", path
        if kind.kind == "object" and not kind.post_only:
            # what the West team's people got is what anyone gets for a record that does
            # not exist
            missing = fill(route.pattern, {kwarg: MISSING for kwarg in kind.kwargs})
            check(route, "admin", missing, {404}, clients.admin.get(missing))
    assert not problems, "\n".join(problems)


# Not the records: a sign-in's session, the lockout's log and the API tokens of a client.
NOT_RECORDS = {"sessions", "axes", "authtoken"}


def fingerprint() -> dict[str, object]:
    """The number of rows of every table (history tables included, so an update of a
    tracked record counts too) and the change counter: equal before and after a request
    that wrote nothing."""
    from keyaccounts.models import ChangeCounter

    counts = {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label not in NOT_RECORDS and model._meta.managed
    }
    counts["change counter"] = list(ChangeCounter.objects.values_list("pk", "value"))
    return counts


def test_an_empty_post_to_any_route_writes_nothing_and_never_fails(world, clients):
    """An empty POST to a form is refused with the form shown again (200) or a 4xx; to a
    record the persona may not see, 404. Action routes (a button: delete, mark read,
    cancel) are POSTed only by those who may not see their record."""
    problems = []
    before = fingerprint()

    def post(route, persona, path, expected):
        response = getattr(clients, persona).post(path, {})
        if response.status_code == 302 and 302 in expected:
            # sent back to the page the form lives on: with a message saying what is wrong
            told = [str(message) for message in get_messages(response.wsgi_request)]
            if not told:
                problems.append(f"POST {route.name} {path} as {persona}: 302 without a message")
        elif response.status_code not in expected:
            problems.append(
                f"POST {route.name} {path} as {persona}: {response.status_code}, "
                f"expected one of {sorted(expected)}"
            )
        nonlocal before
        after = fingerprint()
        if after != before:
            changed = sorted(key for key in after if after[key] != before.get(key))
            problems.append(f"POST {route.name} {path} as {persona} wrote: {changed}")
            before = after

    # a form that lives on another page (post_only) may send the user back there with
    # the error as a message; 405: a route that takes no POST, whoever asks
    refused = {200, 302, 400, 403, 404, 405, 409, 415, 422}
    for route, kind in routes_to_walk():
        if kind.kind == "object":
            path = fill(route.pattern, kwargs_of(world, kind, "east"))
            takes_post = kind.post_only or kind.form
            for persona in PERSONAS:
                if not expected_visible(world, persona, "east", kind):
                    post(route, persona, path, {404} if takes_post else {404, 405})
                elif kind.form:
                    post(route, persona, path, refused)
            mixed = mixed_kwargs(world, kind)
            if mixed:
                # a part of another record (the West deal's contact under the East deal):
                # not found even for the superuser, who sees both, and nothing removed
                path = fill(route.pattern, mixed)
                post(route, "admin", path, {404} if takes_post else {404, 405})
                if not kind.post_only:
                    response = clients.admin.get(path)
                    if response.status_code != 404:
                        problems.append(f"GET {route.name} {path} as admin: {response.status_code}")
        elif kind.form:
            path = fill(route.pattern, dict(kind.kwargs))
            persona = "anonymous" if kind.kind == "public" else "manager"
            post(route, persona, path, refused)
    assert not problems, "\n".join(problems)


def mixed_kwargs(world, kind: Kind) -> dict | None:
    """The URL kwargs with the first record of the East team and its parts of the West
    team, for routes about a record and a part of it; None for the others."""
    records = [kwarg for kwarg, name in kind.kwargs.items() if hasattr(world.records["east"], name)]
    if len(records) < 2:
        return None
    east, west = kwargs_of(world, kind, "east"), kwargs_of(world, kind, "west")
    # another record to merge with is no part: it stays of the first record's team
    mixed = {kwarg: west[kwarg] for kwarg in records[1:] if kwarg != "other_pk"}
    return {**east, **mixed} if mixed else None


def admin_paths(world):
    """(route, path, missing) of every named page of the admin but its sign-in and
    sign-out: a record's pages filled with the model's first record (`missing`: it has
    none, or the route leaves the admin, so a 404 or a redirect is its answer)."""
    from django.contrib import admin

    for route in all_routes():
        if not is_admin(route) or route.name.startswith("admin/"):
            continue  # unnamed: redirects of old URLs, and the catch-all
        if route.name in ("admin:login", "admin:logout"):
            continue  # the admin's sign-in and sign-out pages answer anyone
        values = {}
        if "object_id" in route.pattern:
            model = next(
                (
                    model
                    for model in admin.site._registry
                    if route.name.startswith(
                        f"admin:{model._meta.app_label}_{model._meta.model_name}_"
                    )
                ),
                None,
            )
            first = model and model._default_manager.order_by("pk").first()
            values["object_id"] = first.pk if first else MISSING
        if "app_label" in route.pattern:
            values["app_label"] = "accounts"
        values.setdefault("id", world.people["rep"].pk)  # a user's password page
        values.setdefault("content_type_id", 1)
        missing = values.get("object_id") == MISSING or route.name == "admin:view_on_site"
        yield route, fill(route.pattern, values), missing


def test_the_admin_is_for_staff_only(world, clients):
    """Every page of the admin sends anyone but staff to a sign-in page; a superuser
    gets every list, add form and record page without a server error."""
    problems = []
    for route, path, missing in admin_paths(world):
        for persona in ("anonymous", "manager"):  # a manager is no staff member either
            response = getattr(clients, persona).get(path)
            location = response.get("Location", "")
            if response.status_code != 302 or not location.startswith(("/admin/login/", "/login/")):
                problems.append(f"{route.name} {path} as {persona}: {response.status_code}")
        response = clients.admin.get(path)
        # 404 or a redirect with a message: a record that does not exist
        expected = (302, 403, 404) if missing else (200, 302, 403)
        if response.status_code not in expected:
            problems.append(f"{route.name} {path} as admin: {response.status_code}")
    assert not problems, "\n".join(problems)


# --- every page in Chinese (issue 15) ---------------------------------------------------


class _PageText(HTMLParser):
    """The text a person reads on a page: its text nodes and the attributes read out or
    shown (placeholder, title, aria-label, alt, a button's value), without scripts and
    styles."""

    SHOWN = ("placeholder", "title", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        attrs = dict(attrs)
        for name in self.SHOWN:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


CJK = "\u4e00-\u9fff"
# ASCII punctuation beside a Chinese character: Chinese text takes the full-width forms
# (：，；（）。？！). Not "." between digits or in a file name, nor a "(" opening a
# number's unit in a mixed phrase such as "Excel (.xlsx)".
ASCII_BESIDE_CHINESE = re.compile(rf"[{CJK}]\s?[:;,?!()]|[(]\s?[{CJK}]|[{CJK}][.](?=\s|$)")
# A date shown otherwise than the one way (2026-12-01, keyaccounts/formats/shown.py):
# 2026年12月1日, 2026/12/01, Dec. 1, 2026, 12/01/2026.
OTHER_DATE = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}/\d{1,2}/\d{4}"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}"
)


def english_catalogue() -> set[str]:
    """The catalogue's English strings that a Chinese page must never show as they are
    (whole texts of two words or more; names such as "Excel" are the same in both)."""
    import polib

    from keyaccounts.tests.test_translations import PO

    strings = set()
    for entry in polib.pofile(str(PO)):
        for msgid, msgstr in [(entry.msgid, entry.msgstr), (entry.msgid_plural, None)]:
            if not msgid or "%" in msgid or "{" in msgid or "<" in msgid:
                continue
            text = " ".join(msgid.split())
            if len(re.findall(r"[A-Za-z]{2,}", text)) >= 2 and text != (msgstr or "").strip():
                strings.add(text)
    return strings


# The world's own data that happens to equal a catalogue string (a team's region, a
# deal's risk as typed): shown as written, in any language.
WORLD_DATA = {"East China", "Over its credit limit"}


def test_every_page_in_chinese_is_translated_and_punctuated_the_chinese_way(world, clients):
    """Every page a rep and a manager open, in zh-hans: no text of the page is an English
    string of the catalogue (it would have been translated), no ASCII punctuation
    stands beside a Chinese character, and every date is shown one way (issue 15)."""
    catalogue = english_catalogue() - WORLD_DATA
    problems = []
    for route, kind in routes_to_walk():
        if kind.kind not in ("page", "object") or kind.api or kind.post_only or is_admin(route):
            continue
        path = fill(route.pattern, kwargs_of(world, kind, "east"))
        for persona in ("rep", "manager"):
            response = getattr(clients, persona).get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            parser = _PageText()
            parser.feed(response.content.decode())
            for text in parser.texts:
                whole = " ".join(text.split())
                if whole in catalogue:
                    problems.append(f"{route.name} as {persona}: English {whole!r}")
                for found in OTHER_DATE.finditer(whole):
                    problems.append(f"{route.name} as {persona}: a date as {found[0]!r}")
                for found in ASCII_BESIDE_CHINESE.finditer(whole):
                    start = max(found.start() - 12, 0)
                    problems.append(
                        f"{route.name} as {persona}: ASCII punctuation in "
                        f"{whole[start : found.end() + 12]!r}"
                    )
    problems = sorted(set(problems))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)

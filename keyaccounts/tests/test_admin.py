"""The Django admin covers every model of ours, and its pages render."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import (
    AccountFactory,
    CompetitorFactory,
    ContactFactory,
    TeamMemberFactory,
)
from keyaccounts.exports.models import ExportFile, ExportFilePart
from keyaccounts.imports.models import ImportJob
from keyaccounts.models import IdempotencyKey, Snapshot
from visits.tests.factories import (
    DevelopmentRecordFactory,
    NotificationFactory,
    PlannedVisitFactory,
    VisitFactory,
)

OUR_APPS = {"keyaccounts", "accounts", "opportunities", "visits", "scoring"}


def our_models():
    # Historical tables (django-simple-history) are read through their record's admin
    # "History" page, not on their own.
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label in OUR_APPS and not m.__name__.startswith("Historical")
    ]


def test_every_model_is_registered_in_the_admin():
    missing = [m.__name__ for m in our_models() if not admin.site.is_registered(m)]
    assert missing == []


def deal_with_everything(account, personas):
    from opportunities import services
    from opportunities.tests.factories import OpportunityFactory, default_stages

    stages = default_stages()
    deal = OpportunityFactory(account=account)
    services.criterion_set(
        opportunity=deal,
        criterion=stages["qualify"].criteria.first(),
        checked=True,
        by=personas.admin,
    )
    services.opportunity_contact_set(
        opportunity=deal,
        contact=ContactFactory(account=account),
        role="decider",
        stance="neutral",
        by=personas.admin,
    )
    services.opportunity_team_member_set(
        opportunity=deal, user=personas.bob, role="presales", by=personas.admin
    )
    deal.competitors.create(name="SAP")
    deal.stage_changes.create(to_stage=stages["qualify"], changed_by=personas.admin)
    deal.approvals.create(  # the approval gate (opportunities/approvals.py)
        to_stage=stages["negotiation"], requested_by=personas.alice, reason="Payment plan"
    )


@pytest.mark.django_db
def test_every_admin_list_add_and_change_page_renders(personas, login):
    account = AccountFactory(owner=personas.alice)
    ContactFactory(account=account)
    CompetitorFactory(account=account)
    TeamMemberFactory(account=account)
    NotificationFactory(visit=VisitFactory(account=account))
    # A planned visit someone goes along to: a planned attendance (visits.attendance).
    PlannedVisitFactory(account=account).attendees.set([personas.bob])
    DevelopmentRecordFactory(account=account)
    from visits.reviews.tests.factories import ReviewFollowUpFactory

    ReviewFollowUpFactory(review__account=account)  # a review meeting and its follow-up
    deal_with_everything(account, personas)
    from opportunities.board_totals import refresh

    refresh()  # the board's kept totals count the deal
    from accounts.services import contact_delete

    # A tombstone and a recycle bin entry.
    contact_delete(contact=ContactFactory(account=account), by=personas.admin)
    from keyaccounts.feed.retention import feed_purge

    feed_purge()  # the changes feed's checkpoint (its exits and access log are there)
    IdempotencyKey.objects.create(
        user=personas.alice, key="k", method="POST", path="/", request_hash="h", status_code=201
    )
    scoring_everything(account, personas)
    ImportJob.objects.create(
        kind="accounts", created_by=personas.alice, filename="a.csv", content=b"Name\r\nX\r\n"
    )
    file = ExportFile.objects.create(  # an export prepared in the background
        kind="accounts", format="csv", created_by=personas.alice, status="done", size=4
    )
    ExportFilePart.objects.create(file=file, index=0, content=b"Name")
    Snapshot.objects.create(  # a page snapshot (keyaccounts/snapshots/)
        user=personas.manager,
        name="dashboard",
        key="0" * 64,
        computed_at=timezone.now(),
        content="<p>figures</p>",
    )
    client = login(personas.admin)
    for model in our_models():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        can_add = admin.site._registry[model].has_add_permission(client.get("/").wsgi_request)
        assert client.get(add).status_code == (200 if can_add else 403), add
        obj = model._default_manager.first()
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert client.get(change).status_code == 200, change


def scoring_everything(account, personas):
    import datetime

    from django.utils import timezone

    from scoring import services
    from scoring.models import MonthlySales

    services.assessment_save(account=account, by=personas.alice, need_fit=4)
    services.grade_pin(  # rescores: a score, its grade change
        account=account,
        by=personas.admin,
        grade="B",
        reason="Strategic",
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    MonthlySales.objects.create(account=account, month=datetime.date(2026, 1, 1), sales=100)
    services.rescore_request([account.pk])


@pytest.mark.django_db
def test_a_user_is_created_in_the_admin_with_a_sales_team(personas, login):
    from accounts.models import User

    client = login(personas.admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newrep",
            "password1": "a-long-Pass-phrase-42",
            "password2": "a-long-Pass-phrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="newrep").check_password("a-long-Pass-phrase-42")


@pytest.mark.parametrize("value", ["not-an-option", "a\x00b", "99999999999999999999", "-1"])
def test_an_autocomplete_field_posted_a_value_no_key_holds_is_an_error_not_a_500(
    personas, login, value
):
    from accounts.models import Contact

    client = login(personas.admin)
    url = reverse("admin:accounts_contact_add")

    response = client.post(url, {"account": value, "name": "Wang", "buying_role": "user"})

    assert response.status_code == 200
    assert "account" in response.context["adminform"].form.errors
    assert not Contact.objects.filter(name="Wang").exists()


def test_an_admin_search_longer_than_anything_it_could_find_lists_nothing(personas, login):
    client = login(personas.admin)

    response = client.get(reverse("admin:accounts_account_changelist"), {"q": "x" * 60_000})
    found = client.get(reverse("admin:accounts_account_changelist"), {"q": "Alice"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert [a.name for a in found.context["cl"].result_list] == [personas.account.name]


@pytest.mark.parametrize("chosen", ["x", "", "a\x00b", "1e309", "99999999999999999999"])
@pytest.mark.parametrize(
    ("changelist", "action"),
    [
        ("admin:auth_group_changelist", "delete_selected"),
        ("admin:accounts_account_changelist", "delete_selected"),
        ("admin:integrations_webhook_changelist", "disable"),
        ("admin:integrations_integrationtoken_changelist", "revoke"),
    ],
)
def test_an_action_on_rows_no_key_holds_changes_nothing_and_says_so(
    personas, login, changelist, action, chosen
):
    from accounts.models import Account

    client = login(personas.admin)
    accounts = Account.objects.count()

    response = client.post(
        reverse(changelist),
        {"action": action, "index": "0", "_selected_action": [chosen]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Items must be selected in order to perform actions on them" in (
        response.content.decode()
    )
    assert Account.objects.count() == accounts


def test_an_action_keeps_the_rows_a_key_can_hold_among_odd_ones(personas, login):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Temporary")
    client = login(personas.admin)

    response = client.post(
        reverse("admin:auth_group_changelist"),
        {
            "action": "delete_selected",
            "index": "0",
            "post": "yes",
            "_selected_action": ["x", "99999999999999999999", str(group.pk)],
        },
    )

    assert response.status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    ("changelist", "query"),
    [
        ("admin:accounts_account_changelist", {"id__in": "99999999999999999999"}),
        ("admin:visits_visit_changelist", {"owner": "99999999999999999999"}),
        ("admin:scoring_accountscore_changelist", {"pk": "99999999999999999999"}),
        ("admin:accounts_account_changelist", {"created_at__year": "0"}),
        ("admin:opportunities_stagechange_changelist", {"changed_at__year": "99999"}),
        ("admin:accounts_account_changelist", {"owner": "x"}),  # Django's own case
    ],
)
def test_a_change_list_lookup_no_row_could_match_is_the_lists_error_not_a_500(
    personas, login, changelist, query
):
    client = login(personas.admin)

    response = client.get(reverse(changelist), query)

    assert response.status_code == 302
    assert response["Location"] == reverse(changelist) + "?e=1"
    assert client.get(response["Location"]).status_code == 200


def test_a_change_list_lookup_the_database_can_take_still_filters(personas, login):
    client = login(personas.admin)
    url = reverse("admin:accounts_account_changelist")

    response = client.get(url, {"id__in": f"{personas.account.pk},9223372036854775807"})
    this_year = client.get(url, {"created_at__year": str(personas.account.created_at.year)})

    assert [a.pk for a in response.context["cl"].result_list] == [personas.account.pk]
    assert personas.account in this_year.context["cl"].result_list

"""The group page (集团客户): the tree, the hidden count and every roll-up against the
same number counted in Python over the visible subsidiaries only; constant queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import BuyingRole
from accounts.selectors import accounts_visible_to
from accounts.tests.factories import AccountFactory, ContactFactory
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring import services
from scoring.dashboard import figures as dashboard
from scoring.models import MonthlySales
from scoring.selectors import sales_window
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db


def build_group(personas, n: int):
    """alice's account at the top and `n` subsidiaries: every third one is charlie's
    (hidden from alice), every fourth sits under the one before it, the even ones have a
    decider, some are graded, each has deals and monthly sales."""
    stages = [s for s in default_stages().values() if not s.is_closed]
    today = timezone.localdate()
    this_month = today.replace(day=1)
    top = personas.account
    subs = []
    for i in range(n):
        owner = personas.charlie if i % 3 == 2 else personas.alice
        parent = subs[-1] if i % 4 == 3 else top
        sub = AccountFactory(name=f"Sub {i:02d}", owner=owner, parent=parent)
        subs.append(sub)
        if i % 2 == 0:
            ContactFactory(account=sub, buying_role=BuyingRole.DECIDER)
        if i % 3 == 0:
            services.grade_pin(
                account=sub,
                by=personas.manager if owner == personas.alice else personas.other_manager,
                grade="ABCD"[i % 4],
                reason="test",
                expires_on=today + datetime.timedelta(days=30),
            )
        OpportunityFactory(account=sub, stage=stages[i % len(stages)], amount=1000 * (i + 1))
        for back in (0, 1, 13):
            MonthlySales.objects.create(
                account=sub,
                month=dashboard.add_months(this_month, -back),
                sales=Decimal(100 * (i + 1) + back),
                receivables=Decimal(10 * i + back),
            )
        if i % 2:
            VisitFactory(account=sub)
    return top, subs


def visible_members(user, top, subs):
    seen = set(accounts_visible_to(user).values_list("pk", flat=True))
    return [a for a in [top, *subs] if a.pk in seen]


@pytest.mark.parametrize("n", [2, 12])
def test_the_roll_ups_are_the_python_sums_over_visible_subsidiaries(personas, login, n):
    top, subs = build_group(personas, n)
    members = visible_members(personas.alice, top, subs)
    hidden = [s for s in subs if s not in members]
    response = login(personas.alice).get(reverse("scoring:group", args=[subs[0].pk]))
    assert response.status_code == 200
    ctx = response.context
    group, rollup = ctx["group"], ctx["rollup"]
    assert group.root.pk == top.pk
    assert {row.account.pk for row in group.rows} == {a.pk for a in members}
    assert group.hidden_count == len(hidden)
    html = response.content.decode()
    for account in hidden:
        assert account.name not in html
    if hidden:
        assert "you cannot see" in html

    start, end = sales_window(timezone.localdate())
    rows = MonthlySales.objects.filter(account__in=members)
    in_window = [r for r in rows if start <= r.month < end]
    assert rollup["sales"]["sales"] == sum(r.sales for r in in_window)
    for month in rollup["sales"]["months"]:
        assert month["sales"] == sum(r.sales for r in in_window if r.month == month["month"])
        assert month["receivables"] == sum(
            r.receivables for r in in_window if r.month == month["month"]
        )
    latest = {}
    for r in sorted(rows, key=lambda r: r.month):
        if r.month < end:
            latest[r.account_id] = r.receivables
    assert rollup["sales"]["receivables"] == sum(latest.values(), Decimal(0))

    deals = [d for a in members for d in a.opportunities.select_related("stage").all()]
    open_deals = [d for d in deals if not d.stage.is_won and not d.stage.is_lost]
    assert ctx["pipeline"]["count"] == len(open_deals)
    assert ctx["pipeline"]["amount"] == sum(Decimal(d.amount) for d in open_deals)
    grades = {tile["grade"]: tile["count"] for tile in rollup["grades"]}
    members = [type(a).objects.select_related("score").get(pk=a.pk) for a in members]
    graded = [getattr(a, "score", None) for a in members]
    for grade in "ABCD":
        assert grades[grade] == sum(1 for s in graded if s is not None and s.grade == grade)
    assert grades["none"] == sum(1 for s in graded if s is None)
    deciders = {a.pk for a in members if a.contacts.filter(buying_role=BuyingRole.DECIDER).exists()}
    assert {a.pk for a in rollup["no_decider"]} == {a.pk for a in members} - deciders


def test_a_visible_subsidiary_under_a_hidden_one_is_shown_and_marked(personas, login):
    top = personas.account
    hidden = AccountFactory(owner=personas.charlie, parent=top, name="Hidden Middle")
    below = AccountFactory(owner=personas.alice, parent=hidden, name="Alice Below")
    response = login(personas.alice).get(reverse("scoring:group", args=[top.pk]))
    rows = {row.account.pk: row for row in response.context["group"].rows}
    assert rows[below.pk].under_hidden and rows[below.pk].depth == 1
    assert response.context["group"].hidden_count == 1
    assert "Hidden Middle" not in response.content.decode()
    assert "under a company you cannot see" in response.content.decode()


def test_seeing_a_parent_does_not_grant_its_subsidiaries(personas, login):
    hidden = AccountFactory(owner=personas.charlie, parent=personas.account, name="West Sub")
    client = login(personas.alice)
    assert client.get(reverse("accounts:detail", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("scoring:group", args=[hidden.pk])).status_code == 404
    page = client.get(reverse("accounts:detail", args=[personas.account.pk])).content.decode()
    assert "West Sub" not in page
    assert "1 more you cannot see" in page


def test_the_group_starts_at_the_highest_company_the_user_sees(personas, login):
    """charlie sees his subsidiary, not alice's parent: his group starts at his account."""
    sub = AccountFactory(owner=personas.charlie, parent=personas.account, name="West Sub")
    response = login(personas.charlie).get(reverse("scoring:group", args=[sub.pk]))
    assert response.context["group"].root.pk == sub.pk
    assert response.context["group"].above_hidden
    html = response.content.decode()
    assert personas.account.name not in html
    detail = login(personas.charlie).get(reverse("accounts:detail", args=[sub.pk]))
    assert "whose parent company you cannot see" in detail.content.decode()


def test_the_group_page_costs_the_same_queries_for_2_and_12_subsidiaries(personas, login):
    client = login(personas.manager)
    top, subs = build_group(personas, 2)
    url = reverse("scoring:group", args=[top.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more = [AccountFactory(owner=personas.alice, parent=subs[0]) for _ in range(10)]
    for i, sub in enumerate(more):
        OpportunityFactory(account=sub)
        MonthlySales.objects.create(
            account=sub, month=timezone.localdate().replace(day=1), sales=i + 1
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["group"].rows) >= 12
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


def test_the_account_page_says_part_of_and_links_the_group(personas, login):
    sub = AccountFactory(owner=personas.alice, parent=personas.account, name="Alice Sub")
    client = login(personas.alice)
    html = client.get(reverse("accounts:detail", args=[sub.pk])).content.decode()
    assert "Part of" in html and escape(personas.account.name) in html
    assert reverse("scoring:group", args=[sub.pk]) in html
    html = client.get(reverse("accounts:detail", args=[personas.account.pk])).content.decode()
    assert "1 subsidiary" in html


def test_the_dashboard_lists_the_groups_in_view(personas, login):
    top, subs = build_group(personas, 4)
    response = login(personas.alice).get(reverse("scoring:dashboard"))
    html = response.content.decode()
    assert reverse("scoring:group", args=[top.pk]) in html
    section = next(s.context for s in response.context["sections"] if "groups" in s.context)
    entry = section["groups"][0]
    members = visible_members(personas.alice, top, subs)
    assert entry["subsidiaries"] == len(members) - 1
    # The number linked is what its list shows: the group's own account and its
    # subsidiaries (the account list's `group` filter).
    assert entry["accounts"] == len(members)
    listed = login(personas.alice).get(
        reverse("accounts:list"), {"group": top.pk, "group_name": top.name}
    )
    assert listed.context["page"].count == entry["accounts"]
    start, end = sales_window(timezone.localdate())
    assert entry["sales"] == sum(
        r.sales for r in MonthlySales.objects.filter(account__in=members) if start <= r.month < end
    )


def test_the_api_reads_the_tree(personas, api):
    top = personas.account
    hidden = AccountFactory(owner=personas.charlie, parent=top)
    below = AccountFactory(owner=personas.alice, parent=hidden, name="Alice Below")
    response = api(personas.alice).get(f"/api/v1/accounts/{below.pk}/tree/")
    assert response.status_code == 200
    body = response.json()
    assert body["root"] == top.pk and body["hidden_count"] == 1
    assert [(a["id"], a["depth"]) for a in body["accounts"]] == [(top.pk, 0), (below.pk, 1)]
    assert body["accounts"][1]["parent"] == hidden.pk
    assert api(personas.alice).get(f"/api/v1/accounts/{hidden.pk}/tree/").status_code == 404


def test_the_api_refuses_a_cycle_with_400_on_parent(personas, api):
    sub = AccountFactory(owner=personas.alice, parent=personas.account)
    client = api(personas.alice)
    response = client.patch(
        f"/api/v1/accounts/{personas.account.pk}/", {"parent": sub.pk}, format="json"
    )
    assert response.status_code == 400
    assert "cannot belong to its own subsidiary" in response.json()["errors"]["parent"][0]
    response = client.patch(
        f"/api/v1/accounts/{sub.pk}/", {"parent": personas.charlies_account.pk}, format="json"
    )
    assert response.status_code == 400 and "parent" in response.json()["errors"]
    response = client.patch(f"/api/v1/accounts/{sub.pk}/", {"parent": None}, format="json")
    assert response.status_code == 200 and response.json()["parent"] is None
    # A hidden parent sent back as stored stays valid.
    mine = AccountFactory(owner=personas.alice, parent=personas.charlies_account)
    body = client.get(f"/api/v1/accounts/{mine.pk}/").json()
    assert body["parent"] == personas.charlies_account.pk
    response = client.patch(
        f"/api/v1/accounts/{mine.pk}/",
        {"parent": personas.charlies_account.pk, "notes": "x"},
        format="json",
    )
    assert response.status_code == 200, response.json()


def test_the_receivables_roll_up_takes_invoices_where_a_subsidiary_has_them(personas, login):
    """A subsidiary with invoices counts their open amounts, not its month-end balance;
    a hidden subsidiary's invoices count for nothing."""
    from scoring.receivables.models import Receivable

    top, subs = build_group(personas, 6)
    today = timezone.localdate()
    for sub, open_amount in ((subs[0], 700), (subs[2], 9000)):  # subs[2] is charlie's
        Receivable.objects.create(
            account=sub,
            invoice_number=f"FP-{sub.pk}",
            issued_on=today - datetime.timedelta(days=40),
            due_on=today - datetime.timedelta(days=10),
            amount=Decimal(open_amount + 50),
            paid_amount=Decimal(50),
        )
    members = visible_members(personas.alice, top, subs)
    rollup = login(personas.alice).get(reverse("scoring:group", args=[top.pk])).context["rollup"]
    _start, end = sales_window(today)
    latest = {}
    for r in sorted(MonthlySales.objects.filter(account__in=members), key=lambda r: r.month):
        if r.month < end:
            latest[r.account_id] = r.receivables
    latest[subs[0].pk] = Decimal(700)
    assert subs[2] not in members
    assert rollup["sales"]["receivables"] == sum(latest.values(), Decimal(0))


def test_the_sales_total_opens_the_same_12_months_as_the_table(personas, login):
    """The Total links to the sales list over the table's months: its sum is the total's."""
    top, subs = build_group(personas, 4)
    older = dashboard.add_months(timezone.localdate().replace(day=1), -14)
    MonthlySales.objects.create(account=top, month=older, sales=Decimal(123456), receivables=0)
    client = login(personas.alice)
    page = client.get(reverse("scoring:group", args=[top.pk]))
    rollup, urls = page.context["rollup"], page.context["urls"]
    months = rollup["sales"]["months"]
    assert f"month_from={months[0]['key']}" in urls["months"]
    assert f"month_to={months[-1]['key']}" in urls["months"]
    listed = client.get(urls["months"])
    assert listed.status_code == 200
    rows = [row for row in listed.context["page"].object_list]
    assert sum((row.sales for row in rows), Decimal(0)) == rollup["sales"]["sales"]

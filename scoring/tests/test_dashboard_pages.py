"""The dashboard page: who sees which numbers, its filters, its links into the account list
and to the deals behind the pipeline and the forecast, its charts' data and its constant
number of queries."""

import datetime
import re
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Industry
from accounts.scope import filter_accounts
from accounts.selectors import account_list, accounts_visible_to
from accounts.tests.factories import AccountFactory
from keyaccounts.tests.export_links import export_link, exported_records
from keyaccounts.tests.paging_helpers import pages, rows_of
from opportunities.models import Opportunity
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.dashboard import figures as dashboard
from scoring.models import MonthlySales
from scoring.selectors import accounts_moved, top_accounts
from scoring.tests.exported_deals import deals_on_page, exported
from scoring.tests.test_dashboard import build_book, set_grade
from visits.selectors import accounts_with_lapsed_contact

pytestmark = pytest.mark.django_db

URL = reverse("scoring:dashboard")
LIST = reverse("accounts:list")
DEALS = reverse("scoring:dashboard_deals")


def url_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def book(personas):
    return build_book(personas, 14)


@pytest.fixture
def west_deal(personas):
    """A large A-grade deal on the West team's account: no East number may include it."""
    set_grade(personas.charlies_account, "A", personas.other_manager)
    return OpportunityFactory(
        account=personas.charlies_account,
        stage=default_stages()["negotiation"],
        amount=Decimal("98765432.10"),
        expected_close_date=timezone.localdate(),
    )


def page(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


# --- who sees what ---------------------------------------------------------------------


def test_the_dashboard_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("who", ["manager", "alice", "charlie", "admin"])
def test_the_page_shows_the_numbers_of_the_users_visible_accounts(personas, login, book, who):
    user = getattr(personas, who)
    response = page(login(user))
    accounts = account_list(user=user)
    context = response.context
    assert context["accounts_total"] == accounts_visible_to(user).count()
    assert [t["count"] for t in context["grades"]] == [
        t["count"] for t in dashboard.grade_distribution(accounts)
    ]
    expected = dashboard.pipeline(accounts, dashboard.open_stages())
    assert context["pipeline"]["count"] == expected["count"]
    assert context["pipeline"]["amount"] == expected["amount"]
    forecast = dashboard.forecast(accounts, timezone.localdate())
    assert context["forecast"]["total"] == forecast["total"]


def test_a_manager_sees_the_teams_accounts_but_not_the_other_teams(
    personas, login, book, west_deal
):
    html = page(login(personas.manager)).content.decode()
    east = dashboard.pipeline(account_list(user=personas.manager), dashboard.open_stages())
    assert "98,765,432.10" not in html
    assert east["amount"] < west_deal.amount
    # The West manager's dashboard has it.
    west_html = page(login(personas.other_manager)).content.decode()
    assert "¥98,765,432.10" in west_html


def test_a_rep_sees_only_their_own_numbers(personas, login, book, west_deal):
    response = page(login(personas.alice))
    owners = {a.owner for a in accounts_visible_to(personas.alice)}
    assert owners == {personas.alice}
    assert "98,765,432.10" not in response.content.decode()
    rows = response.context["compliance"]["rows"]
    assert [row["rep"] for row in rows] == [personas.alice]
    # bob's deals are not in alice's pipeline.
    bob_deal_accounts = {a.pk for a in accounts_visible_to(personas.bob).filter(owner=personas.bob)}
    assert bob_deal_accounts
    assert not bob_deal_accounts & {a.pk for a in accounts_visible_to(personas.alice)}


def test_the_other_teams_rep_sees_none_of_the_east_numbers(personas, login, book, west_deal):
    response = page(login(personas.charlie))
    visible = accounts_visible_to(personas.charlie)
    assert {a.owner for a in visible} == {personas.charlie}
    pipeline = response.context["pipeline"]
    expected = dashboard.pipeline(account_list(user=personas.charlie), dashboard.open_stages())
    assert pipeline["count"] == expected["count"]
    assert "¥98,765,432.10" in response.content.decode()  # charlie's own deal is there


# --- filters ---------------------------------------------------------------------------


def test_the_filters_offer_only_what_the_user_sees(personas, login, book):
    form = page(login(personas.manager)).context["form"]
    # The rep is picked by name among the people of the manager's team, never a list.
    owners = set(form.fields["owner"].queryset.values_list("username", flat=True))
    assert owners == {"manager", "alice", "bob", "carol"}
    assert 'name="owner_name"' in str(form["owner"]) and "<option" not in str(form["owner"])
    teams = {value for value, _label in form.fields["team"].choices if value}
    assert teams == {personas.east.pk}
    regions = {value for value, _label in form.fields["region"].choices if value}
    assert regions == {"East China", "North China"}

    form = page(login(personas.alice)).context["form"]
    owners = set(form.fields["owner"].queryset.values_list("username", flat=True))
    assert owners == {"manager", "alice", "bob", "carol"}  # her team: not charlie
    assert [value for value, _label in form.fields["team"].choices if value] == [personas.east.pk]


def test_a_rep_of_another_team_is_no_filter_of_the_dashboard(personas, login, book):
    response = page(login(personas.manager), owner=personas.charlie.pk)
    assert response.context["filters"] == {}
    [error] = response.context["form"].errors["owner"]
    assert error.startswith("Choose one of the people of your teams")
    assert "Charlie" not in str(response.context["form"]["owner"])


def test_the_filters_narrow_every_section(personas, login, book):
    client = login(personas.manager)
    params = {"owner": personas.bob.pk, "industry": Industry.FINANCE}
    response = page(client, **params)
    narrowed = filter_accounts(account_list(user=personas.manager), **params)
    assert response.context["filters"] == params
    assert response.context["accounts_total"] == narrowed.count()
    pipeline = dashboard.pipeline(narrowed, dashboard.open_stages())
    assert response.context["pipeline"]["count"] == pipeline["count"]
    assert [row["rep"] for row in response.context["compliance"]["rows"]] == [personas.bob]
    # Every drill-down link keeps the filters.
    for tile in response.context["grades"]:
        query = dict(parse_qsl(urlsplit(tile["url"]).query))
        assert query["owner"] == str(personas.bob.pk) and query["industry"] == "finance"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"team": "abc"}, "team"),
        ({"team": "99999"}, "team"),
        ({"owner": "1;drop"}, "owner"),
        ({"industry": "astrology"}, "industry"),
        ({"region": "Atlantis"}, "region"),
    ],
)
def test_bad_filter_input_shows_the_form_error(personas, login, book, params, field):
    response = page(login(personas.manager), **params)
    form = response.context["form"]
    assert field in form.errors
    assert response.context["filters"] == {}  # the bad filter is left out
    html = response.content.decode()
    assert 'class="error"' in html and "not valid" in html


def test_a_valid_filter_is_kept_beside_a_bad_one(personas, login, book):
    response = page(login(personas.manager), team="abc", region="North China")
    assert response.context["filters"] == {"region": "North China"}
    assert "team" in response.context["form"].errors


def test_another_teams_rep_cannot_be_chosen(personas, login, book):
    response = page(login(personas.manager), owner=personas.charlie.pk)
    assert "owner" in response.context["form"].errors
    assert response.context["filters"] == {}


# --- the page itself ---------------------------------------------------------------------


def test_every_chart_has_its_data_and_a_table(personas, login, book):
    html = page(login(personas.manager)).content.decode()
    for chart in ("pipeline", "forecast", "concentration"):
        assert f'id="chart-{chart}" type="application/json"' in html
    for table in ("pipeline", "forecast", "gaps", "compliance"):
        assert f'data-table="{table}"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert "cdn" not in html.lower()


def test_the_chart_library_is_vendored_with_its_licence():
    script = finders.find("vendor/chartjs/chart.umd.min.js")
    assert script and "Chart.js v4" in open(script, encoding="utf-8").read(300)
    assert finders.find("vendor/chartjs/LICENSE.md")
    assert finders.find("js/dashboard.js")


def test_chart_data_matches_the_tables(personas, login, book):
    context = page(login(personas.manager)).context
    charts, pipeline, forecast = context["charts"], context["pipeline"], context["forecast"]
    for i, dataset in enumerate(charts["pipeline"]["datasets"]):
        assert dataset["data"] == [float(row["cells"][i]["amount"]) for row in pipeline["rows"]]
    by_grade = {d["key"]: d["data"] for d in charts["forecast"]["datasets"]}
    for j, month in enumerate(forecast["months"]):
        for grade in dashboard.GRADE_KEYS:
            assert by_grade[grade][j] == float(month["by_grade"][grade])


def test_money_is_formatted_as_elsewhere(personas, login):
    OpportunityFactory(
        account=personas.account, amount=1_280_000, stage=default_stages()["negotiation"]
    )
    html = page(login(personas.alice)).content.decode()
    assert "¥1,280,000" in html


def test_without_sales_the_page_says_so(personas, login):
    html = page(login(personas.manager)).content.decode()
    assert 'data-empty="sales"' in html
    if url_exists("scoring:sales_import"):
        assert reverse("scoring:sales_import") in html


def test_the_nav_links_the_dashboard_for_everyone_and_the_risk_table_for_managers(personas, login):
    for who in ("alice", "manager"):
        assert f'href="{URL}"' in login(getattr(personas, who)).get("/my-week/").content.decode()
    if url_exists("scoring:table"):
        table = f'href="{reverse("scoring:table")}"'
        assert table in login(personas.manager).get("/my-week/").content.decode()
        assert table not in login(personas.alice).get("/my-week/").content.decode()


# --- a constant number of queries --------------------------------------------------------


def count_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as context:
        page(client, **params)
    return len(context.captured_queries)


def test_the_page_runs_the_same_queries_for_3_or_30_accounts(personas, login):
    client = login(personas.manager)
    build_book(personas, 3)
    few = count_queries(client)
    few_filtered = count_queries(client, team=personas.east.pk, region="North China")
    build_book(personas, 27)
    assert accounts_visible_to(personas.manager).count() > 20
    assert count_queries(client) == few
    assert count_queries(client, team=personas.east.pk, region="North China") == few_filtered


def test_the_deals_behind_a_number_run_the_same_queries_for_3_or_30_accounts(personas, login):
    client = login(personas.manager)

    def deal_page_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get(DEALS, {"team": personas.east.pk, "month": "overdue"})
        assert response.status_code == 200 and response.context["page"].object_list
        return len(context.captured_queries)

    build_book(personas, 3)
    few = deal_page_queries()
    build_book(personas, 27)
    assert deal_page_queries() == few


def test_the_deals_behind_a_number_are_only_those_the_user_sees(personas, login, book, west_deal):
    """The West team's A deal is behind no number of the East manager's nor of a rep's;
    its own manager's A row lists it."""
    for user in (personas.manager, personas.alice):
        listed = deals_listed(login(user), f"{DEALS}?grade=A")
        assert west_deal.pk not in listed
        visible = accounts_visible_to(user)
        assert Opportunity.objects.filter(pk__in=listed).exclude(account__in=visible).count() == 0
    assert west_deal.pk in deals_listed(login(personas.other_manager), f"{DEALS}?grade=A")


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"grade": "Z"}, "“Z” is no grade"),
        ({"stage": "won"}, "“won” is no stage a deal is open in"),
        ({"month": "1999-01"}, "“1999-01” is not a month of the forecast"),
        ({"team": "99999"}, "Team"),
    ],
)
def test_a_link_value_that_cannot_be_read_lists_no_deal_and_says_why(
    personas, login, book, params, said
):
    response = login(personas.manager).get(DEALS, {"grade": "A", **params})
    assert response.status_code == 200
    assert response.context["wrong"]
    assert list(response.context["page"].object_list) == []
    page_text = unescape(response.content.decode())
    assert "This link has values that cannot be read" in page_text
    assert "Open the dashboard and choose the number again</a>" in page_text
    assert said in page_text


def test_the_deals_page_names_the_dashboards_filters_and_what_it_lists(personas, login, book):
    client = login(personas.manager)
    text = unescape(
        client.get(
            DEALS, {"team": personas.east.pk, "owner": personas.alice.pk, "grade": "none"}
        ).content.decode()
    )
    assert "The dashboard's filters: Team: East · Rep: Amy Lin" in text
    assert "Ungraded ·" in text and "Grade Ungraded" not in text
    assert "All open deals" in unescape(client.get(DEALS).content.decode())
    refused = unescape(client.get(DEALS, {"stage": "won"}).content.decode())
    assert "Choose one of: qualify (Qualify)" in refused and "negotiation (Negotiation)" in refused


def test_the_deals_page_says_the_number_in_chinese(personas, login, book):
    response = login(personas.manager).get(
        DEALS, {"grade": "A", "stage": "negotiation"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    text = response.content.decode()
    assert "数字背后的未结商机" in text and "返回管理看板" in text


def test_the_page_query_count_has_a_hard_ceiling(
    personas, login, book, django_assert_max_num_queries
):
    client = login(personas.manager)
    # The team filter's teams are a query of their own (the user's teams), the rep filter
    # none: the rep picked is the one the filter cleaned. The overdue concentration
    # (scoring/money/risk.py): two, the payment terms in use and the top five with the total.
    # The sections of issue 13's apps (keyaccounts.sections): the complaints' numbers (one),
    # the A and B accounts without a review (one), the groups (two at most). The ids of
    # a person's accounts when few (`accounts.selectors.listed_account_ids`): one for the
    # page, one for the groups.
    with django_assert_max_num_queries(29):
        page(client, owner=personas.alice.pk, industry=Industry.MANUFACTURING)


# --- drill-down: each link lists exactly the accounts behind its number -------------------


def listed(client, url) -> set:
    path, query = url.split("?", 1)
    assert path == LIST
    every_page = list(pages(client, url))
    form = every_page[0].context["filter"].form
    assert not form.errors, (url, form.errors)
    return {account.pk for account in rows_of(every_page)}


def deals_listed(client, url, *, amount=None, weighted=None) -> set:
    """The deals the dashboard's deals page lists at `url` (every page), checking that
    the link reads without a problem and that its totals are the number's."""
    path, _query = url.split("?", 1)
    assert path == DEALS
    every_page = list(pages(client, url))
    first = every_page[0].context
    assert not first["wrong"], (url, first["wrong"])
    # The figure adds amounts rounded to the cent per grade and stage (a row or month:
    # up to five of them); the page adds the deals' own.
    if amount is not None:
        assert abs(first["amount"] - amount) <= Decimal("0.03"), (url, first["amount"], amount)
    if weighted is not None:
        assert abs(first["weighted"] - weighted) <= Decimal("0.03"), (url, first["weighted"])
    return {deal.pk for deal in rows_of(every_page)}


def test_every_link_lists_exactly_the_accounts_counted(personas, login, book):
    client = login(personas.manager)
    # A deal expected after the forecast's last month: in the pipeline, not the forecast.
    OpportunityFactory(
        account=personas.account,
        stage=default_stages()["negotiation"],
        expected_close_date=dashboard.add_months(timezone.localdate().replace(day=1), 13),
    )
    context = page(client, team=personas.east.pk).context
    accounts = filter_accounts(account_list(user=personas.manager), team=personas.east.pk)
    objects = list(accounts.select_related("score").prefetch_related("opportunities__stage"))

    def grade(a):
        return a.score.grade if hasattr(a, "score") else dashboard.UNGRADED

    def open_deals(a):
        return [d for d in a.opportunities.all() if not d.stage.is_closed]

    for tile in context["grades"]:
        got = listed(client, tile["url"])
        assert got == {a.pk for a in objects if grade(a) == tile["grade"]}
        assert len(got) == tile["count"]

    every_open = [(a, d) for a in objects for d in open_deals(a)]
    pipeline = context["pipeline"]
    for row in pipeline["rows"]:
        in_grade = {d.pk for a, d in every_open if grade(a) == row["grade"]}
        assert deals_listed(client, row["url"], amount=row["amount"]) == in_grade
        assert len(in_grade) == row["count"]
        for cell in row["cells"]:
            want = {
                d.pk
                for a, d in every_open
                if grade(a) == row["grade"] and d.stage_id == cell["stage"].pk
            }
            assert deals_listed(client, cell["url"], amount=cell["amount"]) == want
            assert len(want) == cell["count"]
            assert (
                len({d.account_id for d in Opportunity.objects.filter(pk__in=want)})
                == (cell["accounts"])
            )
    for total in pipeline["totals"]:
        want = {d.pk for a, d in every_open if d.stage_id == total["stage"].pk}
        assert deals_listed(client, total["url"], amount=total["amount"]) == want
    assert deals_listed(client, pipeline["url"], amount=pipeline["amount"]) == {
        d.pk for _a, d in every_open
    }

    this_month = timezone.localdate().replace(day=1)
    assert any(month["total"] for month in context["forecast"]["months"])
    for month in context["forecast"]["months"]:

        def in_month(d, month=month):
            if month["month"] is None:
                return d.expected_close_date < this_month
            return f"{d.expected_close_date:%Y-%m}" == month["key"]

        want = {d.pk for _a, d in every_open if in_month(d)}
        assert deals_listed(client, month["url"], weighted=month["total"]) == want
        for cell in month["cells"]:
            want = {d.pk for a, d in every_open if in_month(d) and grade(a) == cell["grade"]}
            assert deals_listed(client, cell["url"], weighted=cell["amount"]) == want
    # A grade's total, and the whole forecast: every month of it, overdue included.
    end = dashboard.add_months(this_month, dashboard.FORECAST_MONTHS)
    in_window = {(a, d) for a, d in every_open if d.expected_close_date < end}
    assert len(in_window) < len(every_open), "the book has deals beyond the window"
    for grade_key, total in zip(dashboard.GRADE_KEYS, context["forecast"]["totals"], strict=True):
        want = {d.pk for a, d in in_window if grade(a) == grade_key}
        assert deals_listed(client, total["url"], weighted=total["amount"]) == want
    assert deals_listed(
        client, context["forecast"]["url"], weighted=context["forecast"]["total"]
    ) == {d.pk for _a, d in in_window}

    now = timezone.now()
    assert context["movement"]
    for move in context["movement"]:
        before, after = (g if g != dashboard.UNGRADED else "" for g in (move["from"], move["to"]))
        want = {a.pk for a in accounts_moved(accounts, before, after, now)}
        assert listed(client, move["url"]) == want and len(want) == move["count"]

    for row in context["gaps"]:
        in_grades = {a.pk for a in objects if grade(a) in row["grades"]}
        assert listed(client, row["urls"]["accounts"]) == in_grades
        with_flags = {a.pk: a for a in accounts.filter(pk__in=in_grades)}
        lapsed = set(
            accounts_with_lapsed_contact(user=None, now=now, accounts=accounts).values_list(
                "pk", flat=True
            )
        )
        expected = {
            "no_decider": {pk for pk, a in with_flags.items() if not a.has_decider},
            "no_coach": {pk for pk, a in with_flags.items() if not a.has_coach},
            "lapsed": in_grades & lapsed,
        }
        for gap, want in expected.items():
            assert len(want) == row[gap], (row["label"], gap)
            if want:
                assert listed(client, row["urls"][gap]) == want, (row["label"], gap)

    for row in context["compliance"]["rows"]:
        if row["url"]:
            assert listed(client, row["url"]) == {
                a.pk for a in objects if a.owner_id == row["rep"].pk
            }

    for part in context["concentration"]["rows"]:
        field = {"sales": "sales_12m", "overdue": "money_overdue"}.get(part["key"], "receivables")
        for n, link in ((1, part["url1"]), (5, part["url5"])):
            want = {a.pk for a in top_accounts(accounts, by=field, n=n)}
            assert listed(client, link) == want


def test_concentration_shows_the_top_shares_and_links_them(personas, login):
    """Five accounts with sales, 1000 in all: the largest holds half of it."""
    month = timezone.localdate().replace(day=1)
    for i, amount in enumerate([500, 300, 100, 60, 40]):
        account = AccountFactory(name=f"Seller {i}", owner=personas.alice)
        MonthlySales.objects.create(account=account, month=month, sales=amount)
    response = page(login(personas.manager))
    sales = response.context["concentration"]["sales"]
    assert (sales["total"], sales["top1"], sales["top5"]) == (1000, 500, 1000)
    assert sales["top1_share"] == Decimal("0.5") and sales["top5_share"] == 1
    html = response.content.decode()
    assert "top=sales1" in html and "top=sales5" in html and "50%" in html
    assert 'data-empty="sales"' not in html


# --- in the real browser, at phone width --------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_charts_draw_and_fit_a_phone(page, personas):
    from playwright.sync_api import expect

    from keyaccounts.pytest_plugin import browser_log_in

    build_book(personas, 8)
    MonthlySales.objects.create(
        account=personas.account, month=timezone.localdate().replace(day=1), sales=1000
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_log_in(page, "manager", lands_on=URL)
    for chart in ("pipeline", "forecast", "concentration"):
        canvas = page.locator(f'canvas[data-chart="{chart}"]')
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box["width"] > 200 and box["x"] + box["width"] <= 390, chart
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not errors
    # A pipeline cell leads to its deals, which fit the phone too.
    page.locator('[data-table="pipeline"] tbody td a').first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/deals/\?.*stage="))
    expect(page.locator('[data-table="deals"] tbody tr').first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


# --- the visits behind the follow-up compliance ---------------------------------------


COMPLIANCE = reverse("scoring:compliance_visits")


def late_visits(personas):
    """Alice's and Bob's late follow-ups (the book's are all on time): one logged on the
    ninth day, one never logged, each at an account of the East team."""
    from visits.tests.factories import VisitFactory

    now = timezone.now()
    for owner, followed_after in ((personas.alice, 9), (personas.bob, None)):
        occurred = now - datetime.timedelta(days=30)
        VisitFactory(
            account=personas.account,
            owner=owner,
            occurred_at=occurred,
            followed_up_on=(
                timezone.localdate(occurred) + datetime.timedelta(days=followed_after)
                if followed_after
                else None
            ),
        )


def compliance_links(html: str) -> list[tuple[str, str]]:
    """(figure, href) of every link in the dashboard's compliance table."""
    table = html[html.index('data-table="compliance"') :]
    table = table[: table.index("</table>")]
    return [
        (text.strip(), unescape(href))
        for href, text in re.findall(r'<a (?:class="small" )?href="([^"]*)">([^<]*)</a>', table)
        if COMPLIANCE in href
    ]


def test_every_compliance_figure_opens_exactly_the_visits_it_counts(personas, login, book):
    late_visits(personas)
    client = login(personas.manager)
    response = page(client)
    rows = {row["rep"].username: row for row in response.context["compliance"]["rows"]}
    links = compliance_links(response.content.decode())
    # Settled, on time and late for each rep with settled visits, and for all of them.
    with_settled = [row for row in rows.values() if row["settled"]]
    late_reps = [row for row in with_settled if row["late"]]
    assert {"alice", "bob"} <= {row["rep"].username for row in late_reps}
    total = response.context["compliance"]
    figures = [*rows.values(), total]
    assert len(links) == sum(
        bool(row["settled"]) + bool(row["on_time"]) + bool(row["late"]) for row in figures
    )
    for figure, href in links:
        query = dict(parse_qsl(urlsplit(href).query))
        listed = rows_of(pages(client, href))
        assert str(len(listed)) == figure.split()[0], (figure, href)
        rep = query.get("rep")
        for visit in listed:
            assert rep is None or visit.owner_id == int(rep)
            on_time = visit.followed_up_on is not None and (
                visit.followed_up_on - timezone.localdate(visit.occurred_at)
            ) <= datetime.timedelta(days=7)
            assert query["state"] == "settled" or on_time == (query["state"] == "on_time")


def test_the_visits_behind_compliance_keep_the_dashboards_filters(personas, login, book):
    late_visits(personas)
    client = login(personas.manager)
    response = page(client, owner=personas.alice.pk)
    [(figure, href), *_rest] = compliance_links(response.content.decode())
    assert f"owner={personas.alice.pk}" in href
    listed = rows_of(pages(client, href))
    assert listed and {visit.owner_id for visit in listed} == {personas.alice.pk}
    assert {visit.account.owner_id for visit in listed} == {personas.alice.pk}


def test_the_visits_behind_compliance_are_the_users_own_reps_only(personas, login, book):
    late_visits(personas)
    manager = login(personas.manager)
    assert manager.get(COMPLIANCE, {"rep": personas.charlie.pk}).status_code == 404
    for odd in ["abc", "²", "1" * 30, "-1"]:
        assert manager.get(COMPLIANCE, {"rep": odd}).status_code == 404, odd
    rep = login(personas.alice)
    assert rep.get(COMPLIANCE, {"rep": personas.bob.pk}).status_code == 404
    mine = rows_of(pages(rep, COMPLIANCE, {"state": "late"}))
    assert mine and {visit.owner_id for visit in mine} == {personas.alice.pk}
    other_manager = login(personas.other_manager)
    assert rows_of(pages(other_manager, COMPLIANCE, {"state": "late"})) == []


def test_every_compliance_figure_exports_the_visits_its_page_lists(personas, login, book):
    """Each figure's page links its file: the same visits, in its order, with the page's
    columns first (the follow-up as the page says it)."""
    late_visits(personas)
    client = login(personas.manager)
    links = compliance_links(page(client, team=personas.east.pk).content.decode())
    assert len(links) > 3
    for _figure, href in links:
        html = client.get(href).content.decode()
        listed = rows_of(pages(client, href))
        rows = exported_records(client, export_link(html, "compliance-visits"))
        assert [row["Account name"] for row in rows] == [v.account.name for v in listed], href
        assert [row["Took place"][:10] for row in rows] == [
            timezone.localtime(v.occurred_at).date().isoformat() for v in listed
        ]
        assert export_link(html, "compliance-visits", "xlsx")
    # Alice's late visit, followed up on the ninth day; Bob's never.
    rows = exported_records(
        client, f"/export/compliance-visits/?format=csv&rep={personas.bob.pk}&state=late"
    )
    assert list(rows[0])[:7] == [
        "Took place", "Account", "Account name", "Logged by", "Follow-up due",
        "Followed up on", "Follow-up",
    ]  # fmt: skip
    assert {row["Logged by"] for row in rows} == {"bob"}
    assert [row["Follow-up"] for row in rows] == ["Not followed up"]
    rows = exported_records(
        client, f"/export/compliance-visits/?format=csv&rep={personas.alice.pk}&state=late"
    )
    assert [row["Follow-up"] for row in rows] == ["Late"]
    on_time = exported_records(client, "/export/compliance-visits/?format=csv&state=on_time")
    assert on_time and {row["Follow-up"] for row in on_time} == {"On time"}


def test_a_compliance_file_holds_only_the_users_own_reps(personas, login, book, tmp_path):
    """Another's rep, or a state no link gives, exports no visit (their page: 404, or
    nothing listed); the command refuses them, saying why."""
    from django.core.management import CommandError, call_command

    late_visits(personas)
    manager = login(personas.manager)
    link = f"/export/compliance-visits/?format=csv&rep={personas.charlie.pk}&state=late"
    assert exported_records(manager, link) == []
    html = manager.get(COMPLIANCE, {"state": "garbage"}).content.decode()
    assert "/export/compliance-visits/" not in html
    assert exported_records(manager, "/export/compliance-visits/?format=csv&state=garbage") == []
    assert exported_records(manager, "/export/compliance-visits/?format=csv&state=") == []
    rep = login(personas.alice)
    mine = exported_records(rep, "/export/compliance-visits/?format=csv&state=late")
    assert mine and {row["Logged by"] for row in mine} == {"alice"}
    with pytest.raises(CommandError) as refused:
        call_command(
            "export_records", "compliance-visits", "--as", "manager", "--format", "csv",
            "--filter", f"rep={personas.charlie.pk}", "--output", str(tmp_path / "x.csv"),
        )  # fmt: skip
    assert "is none of the reps whose follow-ups you see" in str(refused.value)


def test_a_compliance_link_with_an_unknown_state_says_so_and_lists_nothing(personas, login, book):
    """Not the settled visits in its place: the page says which states there are."""
    late_visits(personas)
    client = login(personas.manager)
    assert client.get(COMPLIANCE, {"state": "late"}).context["page"].object_list
    response = client.get(COMPLIANCE, {"state": "garbage"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    page = unescape(response.content.decode())
    assert (
        "The link’s state “garbage” is none of those it can name: "
        "“settled” (Visits whose follow-up is settled), "
        "“on_time” (Visits followed up within 7 days), "
        "“late” (Visits followed up late or not at all). No visit is listed" in page
    )
    # Headed by the table's name, not by a list it does not show.
    assert "<h1>Follow-up compliance</h1>" in page


def test_an_unknown_compliance_state_is_said_with_each_states_meaning_in_chinese(
    personas, login, book
):
    """The keys a link carries are English words: in Chinese each is named with what it
    lists, in Chinese punctuation."""
    client = login(personas.manager)
    client.cookies["django_language"] = "zh-hans"
    page = unescape(client.get(COMPLIANCE, {"state": "garbage"}).content.decode())
    assert "“on_time”（7 天内回访的拜访）、" in page, page


def test_the_visits_behind_compliance_cost_the_same_for_30_or_60_visits(personas, login):
    from visits.tests.factories import VisitFactory

    client = login(personas.manager)
    client.get(COMPLIANCE)  # the session saved once, as on any first page
    now = timezone.now()

    def add(n):
        for i in range(n):
            VisitFactory(
                account=personas.account,
                owner=personas.alice,
                occurred_at=now - datetime.timedelta(days=20 + i % 30),
            )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(COMPLIANCE, {"state": "late"}).status_code == 200
        return len(captured)

    small, full, fuller = add(3), add(27), add(30)
    # A page not full also reads the visits without a date (none settled: one cheap
    # query, `keyaccounts.paging`); full pages cost the same however many visits. One
    # more reads the ids of the manager's few accounts (`listed_account_ids`).
    assert full == fuller and small <= full + 1 <= 12


@pytest.mark.parametrize(
    "params",
    ["grade=A", "month=overdue", "grade=B&month=window", "stage=negotiation", ""],
)
def test_the_dashboards_deals_export_as_the_page_lists_them(
    personas, login, book, west_deal, params
):
    client = login(personas.manager)
    url = f"{DEALS}?team={personas.east.pk}&{params}"
    html = client.get(url).content.decode()
    on_page = deals_on_page(client, url)
    assert on_page, url
    assert exported(client, export_link(html, "dashboard-deals", "csv")) == on_page
    assert (west_deal.name, west_deal.account.name) not in on_page  # another team's
    assert export_link(html, "dashboard-deals", "xlsx")


def test_a_link_that_cannot_be_read_offers_no_file_and_its_address_exports_no_deal(
    personas, login, book
):
    client = login(personas.manager)
    html = client.get(f"{DEALS}?grade=Z").content.decode()
    assert "/export/dashboard-deals/" not in html
    assert exported(client, "/export/dashboard-deals/?format=csv&grade=Z") == []
    # A rep exports only their own book's deals, whatever the link names.
    rep = login(personas.alice)
    assert exported(rep, "/export/dashboard-deals/?format=csv&grade=A") == deals_on_page(
        rep, f"{DEALS}?grade=A"
    )


def test_a_mistyped_stage_says_why_when_a_stage_name_has_a_percent_sign(personas, login, book):
    """Stages are data (managers rename them): an open stage named "Negotiation (80% sure)"
    must not turn the error of a mistyped `stage` into a 500, on the page or its export."""
    from opportunities.models import Stage

    Stage.objects.filter(key="negotiation").update(name="Negotiation (80% sure)")
    client = login(personas.manager)
    response = client.get(DEALS, {"stage": "nosuch"})
    assert response.status_code == 200
    text = unescape(response.content.decode())
    assert "“nosuch” is no stage a deal is open in" in text
    assert "negotiation (Negotiation (80% sure))" in text
    assert exported(client, "/export/dashboard-deals/?format=csv&stage=nosuch") == []


@pytest.mark.parametrize("params", [{"grade": "A", "month": ""}, {"grade": "", "stage": "bid"}])
def test_an_empty_link_value_lists_no_deal(personas, login, book, params):
    """A grade, stage or month given empty (`?grade=A&month=`, a link cut short) lists no
    deal and says why, as a value no link gives: not every A deal of every month under
    the forecast's heading."""
    far = OpportunityFactory(
        account=personas.account,
        stage=default_stages()["bid"],
        amount=Decimal("1000"),
        expected_close_date=timezone.localdate() + datetime.timedelta(days=3 * 365),
    )
    set_grade(personas.account, "A", personas.manager)
    response = login(personas.manager).get(DEALS, params)
    assert response.status_code == 200
    assert response.context["wrong"]
    assert far.pk not in {deal.pk for deal in response.context["page"].object_list}
    assert "“” is " in unescape(response.content.decode())


def test_a_value_that_cannot_be_read_leaves_the_others_in_the_heading(personas, login, book):
    """`?grade=A&month=1999-01`: nothing listed, the error said, and the heading still
    names Grade A, not "All open deals"."""
    response = login(personas.manager).get(DEALS, {"grade": "A", "month": "1999-01"})
    assert response.context["wrong"]
    assert [str(what) for what in response.context["what"]] == ["Grade A"]


def test_a_link_that_cannot_be_read_says_so_where_the_number_is_named(personas, login, book):
    """Nothing valid left to name: the heading says nothing is listed, not "All open
    deals"; what a grade may be is listed once."""
    response = login(personas.manager).get(DEALS, {"grade": "Z"})
    assert [str(what) for what in response.context["what"]] == [
        "Nothing listed: the link has a value that cannot be read"
    ]
    text = unescape(response.content.decode())
    assert "“Z” is no grade. Choose one of: A, B, C, D, none (Ungraded)." in text
    assert text.count("none (Ungraded)") == 1

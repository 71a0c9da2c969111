"""The pipeline board: columns, totals, filters, and moving deals from it."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from opportunities.models import Opportunity, StageChange
from opportunities.tests.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

BOARD = reverse("opportunities:board")


@pytest.fixture
def stages(db):
    return default_stages()


@pytest.fixture
def deals(personas, stages):
    """Alice's pipeline, counted by hand in the tests below."""
    beta = AccountFactory(name="Beta Works", owner=personas.alice)
    today = timezone.localdate()
    make = OpportunityFactory
    return {
        "q1": make(
            account=personas.account,
            name="Qualify one",
            amount=1_000_000,
            expected_close_date=datetime.date(2027, 3, 10),
        ),
        "q2": make(
            account=personas.account,
            name="Qualify two",
            owner=personas.bob,
            kind="expansion",
            amount=500_000,
            probability=30,
            probability_is_custom=True,
            expected_close_date=datetime.date(2027, 4, 2),
        ),
        "n1": make(
            account=beta,
            name="Needs one",
            stage=stages["needs_analysis"],
            amount=2_000_000,
            expected_close_date=datetime.date(2027, 3, 20),
        ),
        "usd": make(
            account=beta,
            name="Dollar deal",
            stage=stages["needs_analysis"],
            amount=100_000,
            currency="USD",
            expected_close_date=datetime.date(2027, 3, 25),
        ),
        "won": make(
            account=personas.account,
            name="Won deal",
            stage=stages["won"],
            amount=3_000_000,
            close_reason="Best references",
            closed_on=today - datetime.timedelta(days=10),
            expected_close_date=datetime.date(2027, 3, 5),
        ),
        "old_loss": make(
            account=personas.account,
            name="Old loss",
            stage=stages["lost"],
            amount=700_000,
            close_reason="Price",
            closed_on=today - datetime.timedelta(days=200),
            expected_close_date=datetime.date(2027, 3, 15),
        ),
        "west": make(account=personas.charlies_account, name="West deal"),
    }


def columns(response) -> dict:
    context = response.context
    return {c.stage.key: c for c in [*context["open_columns"], *context["closed_columns"]]}


def names(response) -> dict:
    return {key: [d.name for d in column.cards] for key, column in columns(response).items()}


def totals(column) -> dict:
    return {t.currency: (t.amount, t.weighted) for t in column.totals}


def test_the_board_has_a_column_per_stage_in_order_with_won_and_lost_last(personas, login, deals):
    response = login(personas.alice).get(BOARD)
    assert [c.stage.key for c in response.context["open_columns"]] == [
        "qualify",
        "needs_analysis",
        "solution",
        "bid",
        "negotiation",
    ]
    assert [c.stage.key for c in response.context["closed_columns"]] == ["won", "lost"]
    assert names(response) == {
        "qualify": ["Qualify one", "Qualify two"],
        "needs_analysis": ["Needs one", "Dollar deal"],
        "solution": [],
        "bid": [],
        "negotiation": [],
        "won": ["Won deal"],
        "lost": [],  # closed 200 days ago: the board is about the work in hand
    }


def test_column_totals_count_sum_and_weigh_each_currency_apart(personas, login, deals):
    response = login(personas.alice).get(BOARD)
    by_stage = columns(response)
    assert by_stage["qualify"].count == 2
    # 1,000,000 × 10 % + 500,000 × 30 % (set by hand)
    assert totals(by_stage["qualify"]) == {"CNY": (Decimal(1_500_000), Decimal(250_000))}
    assert by_stage["needs_analysis"].count == 2
    assert totals(by_stage["needs_analysis"]) == {
        "CNY": (Decimal(2_000_000), Decimal(500_000)),
        "USD": (Decimal(100_000), Decimal(25_000)),
    }
    assert (by_stage["won"].count, by_stage["lost"].count) == (1, 0)
    assert totals(by_stage["won"]) == {"CNY": (Decimal(3_000_000), Decimal(3_000_000))}
    pipeline = {t.currency: (t.amount, t.weighted) for t in response.context["pipeline"]}
    assert pipeline == {
        "CNY": (Decimal(3_500_000), Decimal(750_000)),
        "USD": (Decimal(100_000), Decimal(25_000)),
    }
    assert response.context["open_count"] == 4
    html = response.content.decode()
    assert "¥1,500,000" in html and "¥250,000" in html and "US$100,000" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("owner={bob}", ["Qualify two"]),
        ("account={beta}", ["Needs one", "Dollar deal"]),
        ("kind=expansion", ["Qualify two"]),
        ("q=dollar", ["Dollar deal"]),
        # A month shows its closed deals too, however long ago they closed.
        (
            "close_month=2027-03",
            ["Qualify one", "Needs one", "Dollar deal", "Won deal", "Old loss"],
        ),
        ("close_month=2027-04&owner={bob}", ["Qualify two"]),
    ],
)
def test_filters_narrow_the_board(personas, login, deals, query, expected):
    query = query.format(bob=personas.bob.pk, beta=deals["n1"].account_id)
    response = login(personas.alice).get(f"{BOARD}?{query}")
    shown = [name for column in names(response).values() for name in column]
    assert shown == expected


def test_a_filtered_board_totals_only_what_it_shows(personas, login, deals):
    response = login(personas.alice).get(f"{BOARD}?account={deals['n1'].account_id}")
    assert response.context["open_count"] == 2
    assert columns(response)["qualify"].count == 0
    assert totals(columns(response)["needs_analysis"])["CNY"] == (
        Decimal(2_000_000),
        Decimal(500_000),
    )


def test_a_malformed_month_is_explained_and_the_board_stays_whole(personas, login, deals):
    response = login(personas.alice).get(f"{BOARD}?close_month=March")
    assert response.context["filter"].form.errors["close_month"] == [
        "Enter a month as YYYY-MM, for example 2027-03."
    ]
    assert response.context["open_count"] == 4


def test_filters_offer_only_owners_and_accounts_of_visible_deals(personas, login, deals):
    form = login(personas.alice).get(BOARD).context["filter"].form
    owners = {user.username for user in form.fields["owner"].queryset}
    accounts = {account.name for account in form.fields["account"].queryset}
    assert owners == {"alice", "bob"}
    assert accounts == {"Alice's Customer Co", "Beta Works"}


def test_a_column_draws_its_first_cards_and_counts_the_rest(personas, login, stages, monkeypatch):
    monkeypatch.setattr("opportunities.views.CARDS_PER_COLUMN", 3)
    for day in range(5):
        OpportunityFactory(
            account=personas.account,
            name=f"Deal {day}",
            expected_close_date=datetime.date(2027, 1, 1 + day),
        )
    column = columns(login(personas.alice).get(BOARD))["qualify"]
    assert [d.name for d in column.cards] == ["Deal 0", "Deal 1", "Deal 2"]
    assert (column.count, column.more) == (5, 2)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_board_runs_the_same_queries_for_2_or_25_deals(personas, login, stages):
    client = login(personas.manager)
    keys = ["qualify", "needs_analysis", "bid", "won", "lost"]
    for i in range(2):
        OpportunityFactory(account=personas.account, stage=stages[keys[i]])
    few = count_queries(client, BOARD)
    others = [AccountFactory(owner=personas.bob) for _ in range(3)]
    for i in range(23):
        stage = stages[keys[i % len(keys)]]
        OpportunityFactory(
            account=others[i % 3],
            stage=stage,
            close_reason="x" if stage.is_closed else "",
            closed_on=timezone.localdate() if stage.is_closed else None,
            currency="USD" if i % 4 == 0 else "CNY",
        )
    assert count_queries(client, BOARD) == few
    assert count_queries(client, f"{BOARD}?close_month=2027-03&kind=expansion") == few


# --- moving from the board ----------------------------------------------------------------


def move(client, deal, stage, next_url=BOARD):
    return client.post(
        reverse("opportunities:move", args=[deal.pk]), {"stage": stage.pk, "next": next_url}
    )


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_move_is_refused_until_the_exit_criteria_are_ticked(personas, login, deals, stages):
    client = login(personas.alice)
    deal = deals["q1"]
    back = f"{BOARD}?owner={personas.alice.pk}"

    response = move(client, deal, stages["needs_analysis"], back)

    assert response.status_code == 302 and response["Location"] == back
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"]
    [message] = texts(response)
    assert "“Qualify one” stays in Qualify" in message
    for criterion in stages["qualify"].criteria.all():
        assert f"<li>{criterion.name}</li>" in message
    assert f'href="/pipeline/{deal.pk}/#criteria"' in message

    criteria = [c.pk for c in stages["qualify"].criteria.all()]
    client.post(reverse("opportunities:criteria", args=[deal.pk]), {"ticked": criteria[:2]})
    move(client, deal, stages["needs_analysis"])
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"]  # one outcome still unticked

    client.post(
        reverse("opportunities:criteria", args=[deal.pk]),
        {"ticked": criteria, "were_ticked": criteria[:2]},
    )
    response = move(client, deal, stages["needs_analysis"], back)
    assert response["Location"] == back
    assert texts(response)[-1] == "“Qualify one” moved to Needs analysis."
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == (stages["needs_analysis"], 25)
    change = StageChange.objects.filter(opportunity=deal).first()
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        stages["qualify"],
        stages["needs_analysis"],
        personas.alice,
    )


def test_moving_back_needs_no_criteria(personas, login, deals, stages):
    response = move(login(personas.manager), deals["n1"], stages["qualify"])
    assert response.status_code == 302
    deals["n1"].refresh_from_db()
    assert deals["n1"].stage == stages["qualify"]


def test_closing_from_the_board_asks_why_keeping_the_choice(personas, login, deals, stages):
    client = login(personas.alice)
    deal = deals["q1"]
    back = f"{BOARD}?kind=new_customer"

    response = move(client, deal, stages["lost"], back)

    url = urlsplit(response["Location"])
    assert url.path == reverse("opportunities:close", args=[deal.pk])
    assert parse_qs(url.query) == {"stage": [str(stages["lost"].pk)], "next": [back]}
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"]

    page = client.get(response["Location"])
    assert page.context["form"]["stage"].value() == stages["lost"].pk
    assert page.context["next"] == back

    close_url = reverse("opportunities:close", args=[deal.pk])
    response = client.post(
        close_url, {"stage": stages["lost"].pk, "close_reason": " ", "next": back}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["close_reason"] == [
        "Say why the deal was lost before closing it."
    ]
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"]

    response = client.post(
        close_url, {"stage": stages["lost"].pk, "close_reason": "Budget frozen", "next": back}
    )
    assert response["Location"] == back
    deal.refresh_from_db()
    assert (deal.stage, deal.probability, deal.close_reason) == (stages["lost"], 0, "Budget frozen")
    assert deal.closed_on == timezone.localdate()


def test_closing_as_won_still_needs_every_outcome(personas, login, deals, stages):
    client = login(personas.alice)
    deal = deals["q1"]
    close_url = reverse("opportunities:close", args=[deal.pk])
    page = client.get(f"{close_url}?stage={stages['won'].pk}")
    assert len(page.context["missing"]) == 12  # every open stage's outcomes
    response = client.post(close_url, {"stage": stages["won"].pk, "close_reason": "Great fit"})
    assert response.status_code == 200
    assert "Tick the outcomes that prove the stage is done first" in str(
        response.context["form"].non_field_errors()
    )
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"]


def test_a_move_never_goes_back_to_another_site(personas, login, deals, stages):
    response = move(login(personas.alice), deals["n1"], stages["qualify"], "https://evil.example/")
    assert response["Location"] == deals["n1"].get_absolute_url()


def test_stage_and_criterion_names_are_in_chinese_on_a_chinese_page(personas, login, deals, stages):
    client = login(personas.alice)
    board = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "资格确认" in board and "需求分析" in board
    response = client.post(
        reverse("opportunities:move", args=[deals["q1"].pk]),
        {"stage": stages["needs_analysis"].pk},
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    [message] = texts(response)
    assert "<li>已确认采购决策者</li>" in message
    detail = client.get(deals["q1"].get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "客户确认了需求" in detail.content.decode()


def test_an_unknown_stage_is_refused_politely(personas, login, deals):
    response = login(personas.alice).post(
        reverse("opportunities:move", args=[deals["q1"].pk]), {"stage": "999", "next": BOARD}
    )
    assert response["Location"] == BOARD
    assert texts(response) == ["Choose the stage to move the deal to."]
    assert Opportunity.objects.get(pk=deals["q1"].pk).stage.key == "qualify"


def test_the_board_query_count_has_a_hard_ceiling(
    personas, login, deals, django_assert_max_num_queries
):
    client = login(personas.alice)
    with django_assert_max_num_queries(12):
        client.get(f"{BOARD}?owner={personas.alice.pk}&close_month=2027-03")

"""The pipeline board: columns, totals, filters, and moving deals from it."""

import datetime
import re
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


def test_the_owner_filter_picks_among_the_people_of_the_users_team(personas, login, deals):
    form = login(personas.alice).get(BOARD).context["filter"].form
    owners = {user.username for user in form.fields["owner"].queryset}
    assert owners == {"alice", "bob", "carol", "manager"}
    assert "<option" not in str(form["owner"])


def test_the_account_filter_is_a_text_box_with_suggestions_not_a_list(personas, login, deals):
    html = login(personas.alice).get(BOARD).content.decode()
    assert 'name="account_name"' in html and 'type="hidden" name="account"' in html
    assert f'data-picker-search="{reverse("accounts:search")}"' in html
    assert "<option" not in html.split('name="account_name"')[1].split("</datalist>")[0]
    assert "js/picker" in html


def test_an_account_typed_by_name_filters_the_board(personas, login, deals):
    client = login(personas.alice)
    response = client.get(BOARD, {"account": "", "account_name": "beta works"})
    shown = [name for column in names(response).values() for name in column]
    assert shown == ["Needs one", "Dollar deal"]
    # Sent back as typed, with the matching names to pick from.
    beta = deals["n1"].account_id
    html = response.content.decode()
    assert 'name="account_name" value="beta works"' in html
    assert f'<option value="Beta Works" data-id="{beta}"></option></datalist>' in html
    # A link with the id only (an account page's "On the board") shows the name.
    html = client.get(BOARD, {"account": beta}).content.decode()
    assert 'name="account_name" value="Beta Works"' in html
    assert f'name="account" value="{beta}"' in html


@pytest.mark.parametrize(
    "sent, error",
    [
        ({"account_name": "Nowhere Ltd"}, "None of your accounts is called “Nowhere Ltd”"),
        # Charlie's account exists, but not for alice: the same answer as for no account.
        ({"account_name": "Charlie's Customer Co"}, "None of your accounts is called"),
        ({"account_name": "o"}, "Several of your accounts match “o”"),
        ({"account": "999999"}, "Choose one of your accounts"),
        ({"account": "{charlie}"}, "Choose one of your accounts"),
    ],
)
def test_an_unknown_hidden_or_vague_account_is_explained_on_the_field(
    personas, login, deals, sent, error
):
    sent = {k: v.format(charlie=personas.charlies_account.pk) for k, v in sent.items()}
    response = login(personas.alice).get(BOARD, sent)
    [message] = response.context["filter"].form.errors["account"]
    assert message.startswith(error)
    assert "West deal" not in response.content.decode()
    assert response.context["open_count"] == 4  # the board stays whole


def test_a_column_draws_its_first_cards_and_counts_the_rest(personas, login, stages, monkeypatch):
    monkeypatch.setattr("opportunities.views.CARDS_PER_COLUMN", 3)
    for day in range(5):
        OpportunityFactory(
            account=personas.account,
            name=f"Deal {day}",
            expected_close_date=datetime.date(2027, 1, 1 + day),
        )
    response = login(personas.alice).get(BOARD)
    column = columns(response)["qualify"]
    assert [d.name for d in column.cards] == ["Deal 0", "Deal 1", "Deal 2"]
    assert (column.count, column.more) == (5, 2)
    assert "Show more (2 left)" in response.content.decode()
    assert columns(response)["needs_analysis"].more_url is None


def more_link(response, stage) -> str | None:
    """The href of the column's "Show more" link, as the page has it."""
    html = response.content.decode()
    marker = f'data-more="{stage.pk}"'
    if marker not in html:
        return None
    href = html.split(marker)[0].rsplit('href="', 1)[1].split('"')[0]
    return href.replace("&amp;", "&")


# The two ways the board reads its cards (opportunities.selectors.pipeline_board): from
# the user's own deals at once (a rep, a manager), or each column from its stage's index
# (someone who sees more accounts than WALK_COLUMNS_ABOVE). Both show the same.
READS = {"from the user's deals": 5000, "column by column": 0}


@pytest.mark.parametrize("walk_above", READS.values(), ids=READS.keys())
def test_show_more_pages_through_a_column_by_close_date_without_offset(
    personas, login, stages, monkeypatch, walk_above
):
    monkeypatch.setattr("opportunities.views.CARDS_PER_COLUMN", 3)
    monkeypatch.setattr("opportunities.views.WALK_COLUMNS_ABOVE", walk_above)
    # Eight deals, three closing on the same day: the id breaks the tie.
    days = [5, 1, 3, 3, 3, 9, 2, 7]
    made = [
        OpportunityFactory(
            account=personas.account,
            name=f"Deal {i}",
            expected_close_date=datetime.date(2027, 2, day),
        )
        for i, day in enumerate(days)
    ]
    OpportunityFactory(account=personas.account, stage=stages["bid"], name="Other column")
    expected = [d.name for d in sorted(made, key=lambda d: (d.expected_close_date, d.pk))]
    client = login(personas.alice)

    response = client.get(BOARD)
    seen = [d.name for d in columns(response)["qualify"].cards]
    url = more_link(response, stages["qualify"])
    pages = []
    while url is not None:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)
        pages.append(
            (len(ctx.captured_queries), [d.name for d in response.context["column"].cards])
        )
        url = more_link(response, stages["qualify"])

    assert seen + [name for _, batch in pages for name in batch] == expected
    assert [len(batch) for _, batch in pages] == [3, 2]
    assert pages[0][0] == pages[1][0]  # deep in the column costs what its top does
    assert "Other column" not in response.content.decode()


def test_both_ways_of_reading_the_cards_draw_the_same_board(personas, login, stages, monkeypatch):
    monkeypatch.setattr("opportunities.views.CARDS_PER_COLUMN", 2)
    today = timezone.localdate()
    keys = ["qualify", "needs_analysis", "bid", "won", "lost"]
    for i in range(17):
        key = keys[i % len(keys)]
        closed = {"stage": stages[key]}
        if stages[key].is_closed:
            # Closed in the board's window, and one long ago (left off the board).
            days = 400 if i == 3 else 5
            closed |= {"closed_on": today - datetime.timedelta(days=days), "close_reason": "x"}
        OpportunityFactory(
            account=personas.account if i % 4 else AccountFactory(owner=personas.bob),
            name=f"Deal {i:02}",
            expected_close_date=datetime.date(2027, 1 + i % 3, 1 + i % 4),
            **closed,
        )
    OpportunityFactory(account=personas.charlies_account, name="West deal")

    def board(user, walk_above):
        monkeypatch.setattr("opportunities.views.WALK_COLUMNS_ABOVE", walk_above)
        response = login(user).get(BOARD)
        assert "West deal" not in response.content.decode()
        return {
            key: ([d.name for d in c.cards], c.count, bool(c.more_url))
            for key, c in columns(response).items()
        }

    for user in (personas.alice, personas.manager):
        drawn = {name: board(user, above) for name, above in READS.items()}
        assert drawn["from the user's deals"] == drawn["column by column"]
        assert drawn["column by column"]["qualify"][2]  # a column that pages on


def test_show_more_keeps_the_boards_filters(personas, login, stages, monkeypatch):
    monkeypatch.setattr("opportunities.views.CARDS_PER_COLUMN", 2)
    for i in range(4):
        OpportunityFactory(account=personas.account, name=f"Alice {i}")
        OpportunityFactory(account=personas.account, owner=personas.bob, name=f"Bob {i}")
    client = login(personas.alice)
    response = client.get(BOARD, {"owner": personas.bob.pk})
    url = more_link(response, stages["qualify"])
    assert parse_qs(urlsplit(url).query)["owner"] == [str(personas.bob.pk)]
    page = client.get(url)
    assert [d.name for d in page.context["column"].cards] == ["Bob 2", "Bob 3"]
    assert page.context["board_url"] == f"{BOARD}?owner={personas.bob.pk}"


@pytest.mark.parametrize("cursor", ["", "yesterday", "2027-13-01_4", "2027-01-01_x"])
def test_a_column_page_with_an_odd_cursor_starts_at_the_top(personas, login, stages, cursor):
    OpportunityFactory(account=personas.account, name="First deal")
    response = login(personas.alice).get(BOARD, {"stage": stages["qualify"].pk, "after": cursor})
    assert response.status_code == 200
    assert [d.name for d in response.context["column"].cards] == ["First deal"]


def test_a_column_page_never_shows_another_teams_deals(personas, login, stages):
    OpportunityFactory(account=personas.charlies_account, name="West deal")
    response = login(personas.alice).get(BOARD, {"stage": stages["qualify"].pk})
    assert response.context["column"].cards == []
    assert "West deal" not in response.content.decode()


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
    OpportunityFactory(
        account=others[0],
        stage=stages["bid"],
        kind="expansion",
        expected_close_date=datetime.date(2027, 3, 15),
    )
    assert count_queries(client, f"{BOARD}?close_month=2027-03&kind=expansion") == few


# --- moving from the board ----------------------------------------------------------------


def move(client, deal, stage, next_url=BOARD):
    return client.post(
        reverse("opportunities:move", args=[deal.pk]), {"stage": stage.pk, "next": next_url}
    )


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_each_card_links_to_its_move_page_and_the_board_has_one_move_form(personas, login, deals):
    html = login(personas.alice).get(f"{BOARD}?kind=new_customer").content.decode()
    assert '<select name="stage"' not in html
    assert html.count("data-move-form") == 1
    for deal in [deals["q1"], deals["n1"], deals["won"]]:
        move_url = reverse("opportunities:move", args=[deal.pk])
        assert f'href="{move_url}?next=/pipeline/%3Fkind%3Dnew_customer"' in html
    assert 'Move…<span class="visually-hidden"> “Qualify one” to another stage' in html


def outcome_boxes(html: str) -> list[str]:
    """The move page's outcome checkboxes, as the criterion ids they tick."""
    return re.findall(r'<input type="checkbox" name="ticked" value="(\d+)"', html)


def test_the_move_page_offers_the_other_stages_and_every_outcome_still_unticked(
    personas, login, deals, stages
):
    deal = deals["q1"]
    client = login(personas.alice)
    qualify = [c.pk for c in stages["qualify"].criteria.all()]
    client.post(reverse("opportunities:criteria", args=[deal.pk]), {"ticked": qualify[:1]})
    response = client.get(
        reverse("opportunities:move", args=[deal.pk]), {"next": f"{BOARD}?kind=new_customer"}
    )
    form = response.context["form"]
    offered = [stage.key for stage in form.fields["stage"].queryset]
    assert offered == ["needs_analysis", "solution", "bid", "negotiation", "won", "lost"]
    assert form["stage"].value() == stages["needs_analysis"].pk  # chosen already
    assert response.context["next"] == f"{BOARD}?kind=new_customer"
    html = response.content.decode()
    # Each open stage from the deal's own on, its outcomes not ticked yet, in order.
    open_keys = ["qualify", "needs_analysis", "solution", "bid", "negotiation"]
    expected = [
        str(criterion.pk)
        for key in open_keys
        for criterion in stages[key].criteria.order_by("order", "pk")
        if criterion.pk != qualify[0]
    ]
    assert outcome_boxes(html) == expected and len(expected) > 3
    assert "To leave Qualify:" in html and "To leave Negotiation:" in html
    for key in open_keys:  # each group says where the page shows it (board.js)
        assert f'class="outcome-group" data-order="{stages[key].order}"' in html
    assert f'name="version" value="{deal.version + 1}"' in html  # the tick was a version
    assert f'action="{reverse("opportunities:move", args=[deal.pk])}"' in html  # the dialog


def test_the_move_page_chooses_the_stage_a_card_was_dropped_on(personas, login, deals, stages):
    client = login(personas.alice)
    url = reverse("opportunities:move", args=[deals["q1"].pk])
    chosen = client.get(url, {"stage": stages["bid"].pk}).context["form"]["stage"].value()
    assert chosen == stages["bid"].pk
    for odd in [stages["qualify"].pk, "999", "abc", ""]:  # its own, unknown, not a number
        form = client.get(url, {"stage": odd}).context["form"]
        assert form["stage"].value() == stages["needs_analysis"].pk


def test_the_move_page_lists_no_outcome_once_all_are_ticked(personas, login, deals, stages):
    deal = deals["n1"]  # in Needs analysis: the outcomes of Qualify are behind it
    client = login(personas.alice)
    later = [
        c.pk
        for key in ["needs_analysis", "solution", "bid", "negotiation"]
        for c in stages[key].criteria.all()
    ]
    client.post(reverse("opportunities:criteria", args=[deal.pk]), {"ticked": later})
    html = client.get(reverse("opportunities:move", args=[deal.pk])).content.decode()
    assert outcome_boxes(html) == [] and "data-outcomes" not in html


def page_move(client, deal, stage, ticked, *, version=None):
    """The move page's POST: the stage, the outcomes ticked, the version it was drawn at."""
    return client.post(
        reverse("opportunities:move", args=[deal.pk]),
        {
            "stage": stage.pk,
            "ticked": [c.pk for c in ticked],
            "version": deal.version if version is None else version,
            "next": BOARD,
        },
    )


def test_the_move_page_ticks_the_outcomes_and_moves_in_one_write(personas, login, deals, stages):
    client = login(personas.alice)
    deal = deals["q1"]
    version = deal.version
    criteria = list(stages["qualify"].criteria.all())

    response = page_move(client, deal, stages["needs_analysis"], criteria)

    assert response.status_code == 302 and response["Location"] == BOARD
    assert texts(response) == ["“Qualify one” moved to Needs analysis."]
    deal.refresh_from_db()
    assert deal.stage == stages["needs_analysis"]
    assert deal.version == version + 1  # the ticks and the move: one new version
    assert set(deal.criterion_checks.values_list("criterion_id", flat=True)) == {
        c.pk for c in criteria
    }
    assert set(deal.criterion_checks.values_list("checked_by", flat=True)) == {personas.alice.pk}
    assert (
        StageChange.objects.filter(
            opportunity=deal, from_stage=stages["qualify"], to_stage=stages["needs_analysis"]
        ).count()
        == 1
    )


def test_the_move_page_keeps_ticked_outcomes_already_stored(personas, login, deals, stages):
    client = login(personas.alice)
    deal = deals["q1"]
    criteria = list(stages["qualify"].criteria.all())
    client.post(reverse("opportunities:criteria", args=[deal.pk]), {"ticked": [criteria[0].pk]})
    deal.refresh_from_db()

    page_move(client, deal, stages["needs_analysis"], criteria[1:])

    deal.refresh_from_db()
    assert deal.stage == stages["needs_analysis"]
    assert set(deal.criterion_checks.values_list("criterion_id", flat=True)) == {
        c.pk for c in criteria
    }


def test_the_outcomes_still_missing_are_listed_with_the_languages_punctuation(
    personas, login, deals, stages
):
    """ "；" between them in Chinese, "; " in English."""
    from django.utils import translation

    from keyaccounts.exceptions import ApplicationError
    from opportunities import services

    deal = deals["q1"]
    criteria = list(stages["qualify"].criteria.all())
    for language, mark in (("en", "; "), ("zh-hans", "；")):
        with translation.override(language), pytest.raises(ApplicationError) as refused:
            services.opportunity_move_prepare(deal, stages["needs_analysis"], missing=criteria)
        with translation.override(language):
            missing = [str(c) for c in criteria]  # each in the language too
        assert mark.join(missing) in refused.value.message


def test_a_move_page_short_of_outcomes_is_refused_with_the_ticks_kept_and_nothing_saved(
    personas, login, deals, stages
):
    client = login(personas.alice)
    deal = deals["q1"]
    version = deal.version
    criteria = list(stages["qualify"].criteria.all())

    response = page_move(client, deal, stages["needs_analysis"], criteria[:2])

    assert response.status_code == 200  # the page again, not the board
    html = response.content.decode()
    assert "Tick the outcomes that prove the stage is done first: " in html
    assert str(criteria[2]) in html
    for criterion in criteria[:2]:
        assert f'value="{criterion.pk}" id="move-criterion-{criterion.pk}" checked' in html
    assert f'value="{criteria[2].pk}" id="move-criterion-{criteria[2].pk}">' in html
    assert response.context["form"]["stage"].value() == str(stages["needs_analysis"].pk)
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"] and deal.version == version
    assert not deal.criterion_checks.exists()  # the two ticks were not written either

    response = page_move(client, deal, stages["needs_analysis"], criteria)
    deal.refresh_from_db()
    assert deal.stage == stages["needs_analysis"]


def test_a_move_page_drawn_before_someone_else_saved_the_deal_is_refused(
    personas, login, deals, stages
):
    client = login(personas.alice)
    deal = deals["q1"]
    criteria = list(stages["qualify"].criteria.all())
    drawn_at = deal.version
    client.post(reverse("opportunities:criteria", args=[deal.pk]), {"ticked": [criteria[0].pk]})
    deal.refresh_from_db()

    response = page_move(client, deal, stages["needs_analysis"], criteria, version=drawn_at)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This record was changed by someone else since you opened it."
    ]
    # Drawn again from the deal as stored: sending it again goes through.
    assert f'name="version" value="{deal.version}"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"]
    assert list(deal.criterion_checks.values_list("criterion_id", flat=True)) == [criteria[0].pk]


def test_closing_as_won_from_the_move_page_saves_the_ticks_then_asks_why(
    personas, login, deals, stages
):
    client = login(personas.alice)
    deal = deals["n1"]  # in Needs analysis: winning passes four stages
    ticked = [
        c for key in ["needs_analysis", "solution", "bid", "negotiation"]
        for c in stages[key].criteria.all()
    ]  # fmt: skip

    response = page_move(client, deal, stages["won"], ticked)

    assert response["Location"].startswith(reverse("opportunities:close", args=[deal.pk]))
    assert f"stage={stages['won'].pk}" in response["Location"]
    deal.refresh_from_db()
    assert deal.stage == stages["needs_analysis"]  # closing waits for the reason
    assert set(deal.criterion_checks.values_list("criterion_id", flat=True)) == {
        c.pk for c in ticked
    }


def test_closing_as_won_short_of_outcomes_writes_nothing(personas, login, deals, stages):
    client = login(personas.alice)
    deal = deals["n1"]
    version = deal.version
    ticked = list(stages["needs_analysis"].criteria.all())  # the later stages' left out

    response = page_move(client, deal, stages["won"], ticked)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tick the outcomes that prove the stage is done first: " in html
    assert str(stages["negotiation"].criteria.first()) in html
    deal.refresh_from_db()
    assert deal.version == version and not deal.criterion_checks.exists()


def test_losing_from_the_move_page_asks_why_and_leaves_the_ticks_alone(
    personas, login, deals, stages
):
    client = login(personas.alice)
    deal = deals["q1"]
    version = deal.version

    response = page_move(client, deal, stages["lost"], list(stages["qualify"].criteria.all()))

    assert response["Location"].startswith(reverse("opportunities:close", args=[deal.pk]))
    deal.refresh_from_db()
    assert deal.version == version and not deal.criterion_checks.exists()


@pytest.mark.parametrize("version", ["", "abc", "0", "²"])
def test_a_move_page_with_a_bad_version_is_drawn_again_as_the_deal_is_now(
    personas, login, deals, stages, version
):
    deal = deals["q1"]
    response = page_move(login(personas.alice), deal, stages["needs_analysis"], [], version=version)
    assert response.status_code == 200
    assert "The page was out of date: it shows the deal as it is now." in (
        response.content.decode()
    )
    assert f'name="version" value="{deal.version}"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"]


def test_a_move_page_ticking_a_closed_or_unknown_outcome_says_so(personas, login, deals, stages):
    from opportunities.models import ExitCriterion

    closed = ExitCriterion.objects.create(stage=stages["won"], name="Contract signed")
    deal = deals["q1"]
    client = login(personas.alice)
    for value in [closed.pk, 999999, "abc"]:
        response = client.post(
            reverse("opportunities:move", args=[deal.pk]),
            {"stage": stages["needs_analysis"].pk, "ticked": [value], "version": deal.version},
        )
        assert response.status_code == 200
        assert "An outcome ticked is not one this deal can tick now" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages["qualify"] and not deal.criterion_checks.exists()


def test_odd_stage_ids_on_the_move_page_choose_the_next_stage(personas, login, deals, stages):
    url = reverse("opportunities:move", args=[deals["q1"].pk])
    client = login(personas.alice)
    for odd in ["²", "1" * 30, "-1"]:
        response = client.get(url, {"stage": odd})
        assert response.status_code == 200
        assert response.context["form"]["stage"].value() == stages["needs_analysis"].pk


def test_ticking_more_outcomes_costs_only_their_own_writes(personas, login, stages):
    from opportunities.models import ExitCriterion

    client = login(personas.alice)
    few_deal = OpportunityFactory(account=personas.account)
    many_deal = OpportunityFactory(account=personas.account)
    client.get(BOARD)  # the session saved once

    def cost(deal, ticked):
        with CaptureQueriesContext(connection) as captured:
            page_move(client, deal, stages["needs_analysis"], ticked)
        deal.refresh_from_db()
        assert deal.stage == stages["needs_analysis"]
        return len(captured)

    three = cost(few_deal, list(stages["qualify"].criteria.all()))
    for i in range(10):
        ExitCriterion.objects.create(stage=stages["qualify"], name=f"More {i}", order=10 + i)
    thirteen = list(stages["qualify"].criteria.all())
    assert len(thirteen) == 13
    # Each tick more is its row and its history row; nothing is read per tick.
    assert cost(many_deal, thirteen) == three + 2 * 10


def test_a_move_page_without_a_stage_says_so_on_the_page(personas, login, deals):
    response = login(personas.alice).post(
        reverse("opportunities:move", args=[deals["q1"].pk]),
        {"version": deals["q1"].version, "next": BOARD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["stage"] == ["This field is required."]


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
    assert f'href="/pipeline/{deal.pk}/#criteria">Open “Qualify one” to tick them</a>' in message
    # From the deal's own page, the outcomes are below: no link "to open" it.
    on_its_page = texts(move(client, deal, stages["needs_analysis"], deal.get_absolute_url()))[-1]
    assert f'href="/pipeline/{deal.pk}/#criteria">Tick them below</a>' in on_its_page
    # The stage chosen there (not the next one) stays chosen for the next try.
    refused = move(client, deal, stages["bid"], deal.get_absolute_url())
    assert refused["Location"] == f"{deal.get_absolute_url()}?move_to={stages['bid'].pk}"
    page = client.get(refused["Location"]).content.decode()
    assert f'<option value="{stages["bid"].pk}" selected>' in page
    assert f'<option value="{stages["needs_analysis"].pk}" selected>' not in page

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
    # Without a reason too: both said at once, not the reason in a second round.
    response = client.post(close_url, {"stage": stages["won"].pk, "close_reason": ""})
    form = response.context["form"]
    assert "Tick the outcomes that prove the stage is done first" in str(form.non_field_errors())
    assert form.errors["close_reason"] == ["Say why the deal was won before closing it."]
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
    # Session and user (2, and 3 to save the session), the owner chosen (1), the stages
    # (1), the totals (1), each column's first cards (7, one per stage, each an index
    # read that stops at the page's end), the header (1), the owner choices (1).
    with django_assert_max_num_queries(17):
        client.get(f"{BOARD}?owner={personas.alice.pk}&close_month=2027-03")


def test_a_card_says_what_the_deal_is_in_the_readers_language_and_escapes_names(
    personas, login, stages
):
    """Each card (`deal_card`): the deal linked to its page, its account with the grade
    badge, amount, probability (an asterisk: set by hand), expected close date, owner and
    the move link; names written as text, never as markup; its words in Chinese too."""
    account = AccountFactory(name="Tom & Jerry <Ltd>", owner=personas.alice)
    deal = OpportunityFactory(
        account=account,
        name='Line "A" <b>big</b>',
        owner=personas.alice,
        amount=Decimal("1280000.50"),
        probability=35,
        probability_is_custom=True,
        expected_close_date=datetime.date(2027, 5, 9),
    )
    client = login(personas.alice)
    html = client.get(BOARD).content.decode()
    card = re.search(rf'<li class="deal"[^>]*data-deal="{deal.pk}">.*?</li>', html, re.S).group(0)
    assert f'data-stage="{stages["qualify"].pk}"' in card
    assert (
        f'<a class="deal-name" href="/pipeline/{deal.pk}/">'
        "Line &quot;A&quot; &lt;b&gt;big&lt;/b&gt;</a>" in card
    )
    assert "<b>" not in card and "<Ltd>" not in card
    assert 'title="Not graded yet">–</span> Tom &amp; Jerry &lt;Ltd&gt;</div>' in card
    assert "<strong>¥1,280,000.50</strong>" in card
    assert '<span class="badge" title="Probability">35%*</span>' in card
    assert '<time datetime="2027-05-09" title="Expected close date">2027-05-09</time>' in card
    assert f"· {personas.alice.get_full_name() or personas.alice.username}" in card
    assert (
        f'href="/pipeline/{deal.pk}/move/?next=/pipeline/">Move…<span class="visually-hidden">'
        " “Line &quot;A&quot; &lt;b&gt;big&lt;/b&gt;” to another stage</span></a>" in card
    )

    deal.probability_is_custom = False
    deal.save()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": BOARD})
    html = client.get(BOARD).content.decode()
    card = re.search(rf'<li class="deal"[^>]*data-deal="{deal.pk}">.*?</li>', html, re.S).group(0)
    assert '<span class="badge" title="赢单概率">35%</span>' in card  # no asterisk now
    assert '<time datetime="2027-05-09" title="预计成交日期">2027-05-09</time>' in card
    assert "推进…" in card and "”至其他阶段</span>" in card

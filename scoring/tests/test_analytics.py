"""Win/loss analytics: the numbers checked against the same counts done by hand in
Python over the deals and their stage history, each number opening exactly the deals
behind it, within what the user may see, and bad input explained."""

import datetime
import random
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Industry
from accounts.tests.factories import AccountFactory
from keyaccounts.tests.export_links import export_link
from opportunities.models import Opportunity, OpportunityCompetitor, StageChange
from opportunities.tests.factories import OpportunityFactory, default_stages
from scoring.models import ChangeReason, GradeChange
from scoring.services import active_model
from scoring.tests.exported_deals import deals_on_page, exported

pytestmark = pytest.mark.django_db

URL = reverse("scoring:analytics")


# Times of day at a local day's edges (and its middle): a date taken in UTC instead of the
# local time zone puts 00:30 on the day before.
EDGES = [datetime.time(0, 30), datetime.time(9), datetime.time(23, 30)]


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def decided(personas):
    """Alice's deals decided in the last year, and one of Charlie's (another team)."""
    stages = default_stages()
    finance = AccountFactory(owner=personas.alice, name="Fin Co", industry=Industry.FINANCE)
    energy = AccountFactory(owner=personas.alice, name="Power Co", industry=Industry.ENERGY)
    model = active_model()
    # Fin Co was graded A 100 days ago; Power Co never graded.
    GradeChange.objects.create(
        account=finance,
        from_grade="",
        to_grade="A",
        score=Decimal(80),
        model=model,
        reason=ChangeReason.FIRST,
        changed_at=timezone.now() - datetime.timedelta(days=100),
    )

    def deal(account, won, closed_days_ago, created_days_ago, reason="", competitors=()):
        opportunity = OpportunityFactory(
            account=account,
            stage=stages["won" if won else "lost"],
            closed_on=days_ago(closed_days_ago),
            close_reason=reason or ("Best fit" if won else "Price"),
            amount=100_000,
        )
        opportunity.__class__.all_objects.filter(pk=opportunity.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=created_days_ago)
        )
        for name in competitors:
            OpportunityCompetitor.objects.create(opportunity=opportunity, name=name)
        return opportunity

    return {
        "fin_won": deal(finance, True, 10, 40, competitors=["Rival"]),
        "fin_lost": deal(finance, False, 20, 50, competitors=["Rival", "Other"]),
        "fin_old": deal(finance, False, 200, 220),  # decided before the grade: not graded then
        "power_won": deal(energy, True, 5, 25),
        "too_old": deal(energy, True, 500, 520),  # outside the default year
        "west": deal(personas.charlies_account, True, 5, 10),
    }


def test_a_deal_recorded_after_it_closed_counts_as_won_but_not_in_the_cycle(
    personas, login, decided
):
    """History typed in later (a deal won last month, recorded today) has no known start:
    its "cycle" would be negative days. It is among the deals won, not in their mean
    cycle, overall and by industry."""
    backfilled = OpportunityFactory(
        account=decided["fin_won"].account,
        stage=default_stages()["won"],
        closed_on=days_ago(30),
        close_reason="Best fit",
        amount=100_000,
    )  # created now, closed 30 days ago
    response = login(personas.alice).get(URL)
    overall = response.context["overall"]
    assert overall["won_count"] == 3  # fin_won, power_won and the one recorded later
    # The cycle of the two with a start: (40 - 10 + 25 - 5) / 2 = 25 days, as before.
    assert overall["cycle_days"] == 25.0
    industry = {
        row["key"]: row
        for t in response.context["tables"]
        if t["key"] == "industry"
        for row in t["rows"]
    }
    assert industry[Industry.FINANCE]["won_count"] == 2
    assert industry[Industry.FINANCE]["cycle_days"] == 30.0  # fin_won alone: 40 - 10
    assert backfilled.created_at.date() > backfilled.closed_on


def counts(deals) -> tuple[int, int]:
    return len(deals), sum(1 for deal in deals if deal.stage.is_won)


def test_the_win_rates_are_the_deals_counted_by_hand(personas, login, decided):
    response = login(personas.alice).get(URL)
    context = response.context
    mine = [decided[k] for k in ("fin_won", "fin_lost", "fin_old", "power_won")]
    assert (context["overall"]["decided"], context["overall"]["won_count"]) == counts(mine)
    # The mean cycle of the deals won: (40 - 10 + 25 - 5) / 2 = 25 days.
    assert context["overall"]["cycle_days"] == 25.0

    tables = {
        table["key"]: {row["key"]: row for row in table["rows"]} for table in context["tables"]
    }
    by_industry = {
        key: (row["decided"], row["won_count"]) for key, row in tables["industry"].items()
    }
    assert by_industry == {
        Industry.FINANCE: counts([decided["fin_won"], decided["fin_lost"], decided["fin_old"]]),
        Industry.ENERGY: counts([decided["power_won"]]),
    }
    by_grade = {key: (row["decided"], row["won_count"]) for key, row in tables["grade"].items()}
    assert by_grade == {"A": (2, 1), "": (2, 1)}  # graded A 100 days ago: the two since
    by_competitor = {
        key: (row["decided"], row["won_count"]) for key, row in tables["competitor"].items()
    }
    assert by_competitor == {"Rival": (2, 1), "Other": (1, 0)}
    assert [(r["reason"], r["n"]) for r in context["reasons"]] == [("Price", 2)]


def table_row(context, table_key: str, row_key: str) -> dict:
    """The row `row_key` of the analytics' table `table_key` ("competitor", "industry")."""
    return next(
        row for table in context["tables"] if table["key"] == table_key
        for row in table["rows"] if row["key"] == row_key
    )  # fmt: skip


def test_each_number_opens_exactly_the_deals_behind_it(personas, login, decided):
    client = login(personas.alice)
    context = client.get(URL).context
    rival = table_row(context, "competitor", "Rival")

    def listed(url):
        parts = urlsplit(url)
        page = client.get(parts.path, dict(parse_qsl(parts.query))).context["page"]
        return {deal.pk for deal in page.object_list}

    assert listed(rival["url"]) == {decided["fin_won"].pk, decided["fin_lost"].pk}
    assert listed(rival["lost_url"]) == {decided["fin_lost"].pk}
    assert listed(context["won_url"]) == {decided["fin_won"].pk, decided["power_won"].pk}
    # A lost reason's count: the deals lost for it (fin_lost and fin_old, "Price").
    [price] = [row for row in context["reasons"] if row["reason"] == "Price"]
    assert listed(price["url"]) == {decided["fin_lost"].pk, decided["fin_old"].pk}


def test_a_months_number_goes_back_to_the_analytics_period_it_was_opened_from(
    personas, login, decided
):
    client = login(personas.alice)
    start = days_ago(180)
    page = client.get(URL, {"start": start.isoformat(), "end": days_ago(0).isoformat()})
    month = next(row for row in page.context["forecast"] if row["won"])
    parts = urlsplit(month["won_url"])
    deals = client.get(parts.path, dict(parse_qsl(parts.query)))
    back = deals.context["back_query"]
    assert dict(parse_qsl(back)) == {
        "start": start.isoformat(),
        "end": days_ago(0).isoformat(),
    }
    assert f"/analytics/?{back}".replace("&", "&amp;") in deals.content.decode()


def test_the_stage_funnel_is_the_stage_history_counted_by_hand(personas, login):
    stages = default_stages()
    account = AccountFactory(owner=personas.alice)
    now = timezone.now()
    order = ["qualify", "needs_analysis", "solution", "proposal", "negotiation"]
    ordered = [key for key in order if key in stages]
    moves = {
        "A": [(ordered[0], 30), (ordered[1], 20), (ordered[2], 5)],
        "B": [(ordered[0], 25), (ordered[1], 10)],
        "C": [(ordered[0], 8), ("lost", 2)],
    }
    for name, path in moves.items():
        deal = OpportunityFactory(account=account, name=name)
        StageChange.objects.filter(opportunity=deal).delete()
        previous = None
        for key, ago in path:
            change = StageChange.objects.create(
                opportunity=deal, from_stage=previous, to_stage=stages[key]
            )
            StageChange.objects.filter(pk=change.pk).update(
                changed_at=now - datetime.timedelta(days=ago)
            )
            previous = stages[key]
    funnel = {row["stage"].key: row for row in login(personas.alice).get(URL).context["funnel"]}
    first, second = funnel[ordered[0]], funnel[ordered[1]]
    # Qualify: A, B and C entered; A and B moved on (C was lost). Days there: A 10, B 15,
    # C 6 (until it was lost): 31 / 3.
    assert (first["entered"], first["moved_on"]) == (3, 2)
    assert first["stay_days"] == round(31 / 3, 1)
    # Needs analysis: A and B entered, A moved on after 15 days; B is still there.
    assert (second["entered"], second["moved_on"], second["stay_days"]) == (2, 1, 15.0)


def test_the_funnel_equals_a_walk_of_random_stage_histories(personas, login):
    """Random histories (moves back and forth, ties at one instant, changes before the
    period and after it): the funnel equals a plain Python walk over the changes."""
    rng = random.Random(14)
    stages = default_stages()
    ordered = sorted(stages.values(), key=lambda stage: stage.order)
    account = AccountFactory(owner=personas.alice)
    for n in range(25):
        deal = OpportunityFactory(account=account, name=f"Deal {n}")
        StageChange.objects.filter(opportunity=deal).delete()
        ago = rng.randint(360, 370)  # about the period's first day
        at = None
        previous = None
        for _ in range(rng.randint(1, 6)):
            stage = rng.choice(ordered)
            ago -= rng.choice([0, 0, 3, 40, 90])  # 0: the same instant as the last change
            if ago:
                at = timezone.make_aware(
                    datetime.datetime.combine(
                        timezone.localdate() - datetime.timedelta(days=ago), rng.choice(EDGES)
                    )
                )
            change = StageChange.objects.create(
                opportunity=deal, from_stage=previous, to_stage=stage
            )
            StageChange.objects.filter(pk=change.pk).update(changed_at=at)
            previous = stage
    funnel = login(personas.alice).get(URL).context["funnel"]

    start = timezone.localdate() - datetime.timedelta(days=365)
    changes = list(StageChange.objects.select_related("to_stage"))
    expected = {}
    for change in changes:
        day = timezone.localdate(change.changed_at)
        if change.to_stage.is_closed or not start <= day <= timezone.localdate():
            continue
        later = [
            other for other in changes
            if other.opportunity_id == change.opportunity_id
            and other.changed_at > change.changed_at
        ]  # fmt: skip
        row = expected.setdefault(change.to_stage.key, {"in": set(), "on": set(), "stays": []})
        row["in"].add(change.opportunity_id)
        if any(
            other.to_stage.is_won
            or (not other.to_stage.is_lost and other.to_stage.order > change.to_stage.order)
            for other in later
        ):
            row["on"].add(change.opportunity_id)
        if later:
            left = min(other.changed_at for other in later)
            row["stays"].append((left - change.changed_at).total_seconds() / 86400)
    assert any(row["on"] for row in expected.values())  # the data moves deals on
    client = login(personas.alice)

    def listed(url):  # 25 deals in all: one page
        parts = urlsplit(url)
        page = client.get(parts.path, dict(parse_qsl(parts.query))).context["page"]
        return {deal.pk for deal in page.object_list}

    for line in funnel:
        row = expected.get(line["stage"].key, {"in": set(), "on": set(), "stays": []})
        assert (line["entered"], line["moved_on"]) == (len(row["in"]), len(row["on"]))
        if line["moved_on"]:  # the number opens exactly the deals it counts
            assert listed(line["moved_on_url"]) == row["on"]
        stays = row["stays"]
        assert line["stay_days"] == (round(sum(stays) / len(stays), 1) if stays else None)


def test_another_teams_deals_are_not_counted_and_bad_dates_are_explained(personas, login, decided):
    client = login(personas.charlie)
    context = client.get(URL).context
    assert context["overall"]["decided"] == 1  # only his own
    response = login(personas.alice).get(URL, {"start": "2026-13-01", "end": "yesterday"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "start" in errors and "end" in errors
    assert response.context["overall"]["decided"] == 4  # the default year instead
    response = login(personas.alice).get(URL, {"start": "2026-06-01", "end": "2026-01-01"})
    assert "must end on or after" in str(response.context["form"].errors["end"])


def test_the_page_costs_the_same_queries_for_few_or_many_deals(personas, login, decided):
    client = login(personas.alice)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    stages = default_stages()
    for i in range(12):
        account = AccountFactory(owner=personas.alice, industry=Industry.MANUFACTURING)
        OpportunityFactory(
            account=account, stage=stages["won" if i % 2 else "lost"], closed_on=days_ago(i),
            close_reason=f"Reason {i % 3}",
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_forecast_accuracy_reads_the_deals_as_they_stood_when_the_month_began(personas, login):
    stages = default_stages()
    account = AccountFactory(owner=personas.alice)
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)  # last month
    before = timezone.make_aware(
        datetime.datetime.combine(month - datetime.timedelta(days=10), datetime.time(12))
    )

    def deal(name, amount, probability, close_day, *, known_before=True):
        opportunity = OpportunityFactory(
            account=account,
            name=name,
            amount=amount,
            probability=probability,
            probability_is_custom=True,
            expected_close_date=close_day,
        )
        if known_before:
            opportunity.history.update(history_date=before)
        return opportunity

    won = deal("Won", 1_000_000, 50, month + datetime.timedelta(days=14))
    lost = deal("Lost", 500_000, 20, month + datetime.timedelta(days=19))
    late = deal("Later", 300_000, 90, today.replace(day=1) + datetime.timedelta(days=40))
    new = deal("New", 200_000, 10, month + datetime.timedelta(days=20), known_before=False)
    for opportunity, stage, closed in (
        (won, "won", month + datetime.timedelta(days=11)),
        (lost, "lost", month + datetime.timedelta(days=15)),
        (new, "won", month + datetime.timedelta(days=24)),
    ):
        opportunity.stage, opportunity.closed_on = stages[stage], closed
        opportunity.close_reason = "x"
        opportunity.save()
    assert late.expected_close_date > month  # not in last month's forecast

    client = login(personas.alice)
    rows = {row["month"]: row for row in client.get(URL).context["forecast"]}
    row = rows[month]
    # Forecast at the start: 1,000,000 × 50 % + 500,000 × 20 % (the new deal was not known
    # yet, the later one closes after the month); won in it: 1,000,000 + 200,000.
    assert row["forecast"] == Decimal("600000")
    assert row["won"] == Decimal("1200000")
    assert row["ratio"] == 2
    parts = urlsplit(row["forecast_url"])
    listed = client.get(parts.path, dict(parse_qsl(parts.query))).context["page"].object_list
    assert {deal.pk for deal in listed} == {won.pk, lost.pk}


def test_a_deal_moved_to_an_account_the_user_cannot_see_leaves_their_forecast(personas, login):
    account = AccountFactory(owner=personas.alice)
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    before = timezone.make_aware(
        datetime.datetime.combine(month - datetime.timedelta(days=10), datetime.time(12))
    )
    kept, moved = (
        OpportunityFactory(
            account=account,
            amount=amount,
            probability=50,
            probability_is_custom=True,
            expected_close_date=month + datetime.timedelta(days=9),
        )
        for amount in (100_000, 1_000_000)
    )
    for deal in (kept, moved):
        deal.history.update(history_date=before)
    moved.account = personas.charlies_account  # another team's, since
    moved.save()

    row = {r["month"]: r for r in login(personas.alice).get(URL).context["forecast"]}[month]
    assert (row["forecast"], row["forecast_deals"]) == (Decimal("50000"), 1)


def test_the_forecast_equals_the_versions_in_force_as_each_month_began(personas, login):
    """Random histories (several versions a month, ties at one instant, deals closed,
    deleted, moved to another month): each month's forecast equals the versions in force
    at its start counted in Python, and opens exactly those deals."""
    rng = random.Random(9)
    stages = default_stages()
    open_stages = [stage for stage in stages.values() if not stage.is_closed]
    account = AccountFactory(owner=personas.alice)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    months = [this_month]
    while len(months) < 6:
        months.append((months[-1] - datetime.timedelta(days=1)).replace(day=1))

    def some_day():  # often a month's first day: versions at its start, and ties
        return rng.choice(months) + datetime.timedelta(days=rng.choice([0, 0, rng.randint(1, 27)]))

    for n in range(30):
        deal = OpportunityFactory(
            account=account,
            name=f"Deal {n}",
            probability_is_custom=True,
            probability=rng.choice([10, 50, 90]),
            expected_close_date=some_day(),
        )
        for _ in range(rng.randint(0, 4)):
            change = rng.choice(["close", "amount", "stage", "delete"])
            if change == "close":
                deal.expected_close_date = some_day()
            elif change == "amount":  # odd amounts: 12,345 × 33 % is not a whole number
                deal.amount, deal.probability = rng.randint(1, 9_000) * 137, rng.choice([33, 70])
            elif change == "stage":
                deal.stage = rng.choice([*open_stages, stages["won"]])
                deal.closed_on = today if deal.stage.is_won else None
            else:
                deal.deleted_at = timezone.now()
            deal.save()
        when = sorted(  # the day's edges in local time: 00:30 is still the day before in UTC
            timezone.make_aware(datetime.datetime.combine(some_day(), rng.choice(EDGES)))
            for _ in range(deal.history.count())
        )
        versions = deal.history.order_by("history_id")
        for version, at in zip(versions, when, strict=True):
            versions.model.objects.filter(pk=version.pk).update(history_date=at)

    page = login(personas.alice).get(URL, {"start": months[-1].isoformat()})
    rows = {row["month"]: row for row in page.context["forecast"]}
    history = list(Opportunity.history.select_related("stage").order_by("history_id"))
    # The deals the user can see now: a deal deleted since is in the bin, not a forecast.
    live = set(Opportunity.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    checked = 0
    for month in months:
        began = timezone.make_aware(datetime.datetime.combine(month, datetime.time.min))
        standing = {}
        for version in history:  # the latest before the month began, per deal
            if version.history_date < began:
                best = standing.get(version.id)
                if best is None or version.history_date >= best.history_date:
                    standing[version.id] = version
        counted = [
            v for v in standing.values()
            if v.id in live and v.history_type != "-" and v.deleted_at is None
            and not v.stage.is_closed
            and v.expected_close_date.replace(day=1) == month
        ]  # fmt: skip
        total = sum((v.amount * v.probability / 100 for v in counted), Decimal(0))
        row = rows[month]
        assert (row["forecast"], row["forecast_deals"]) == (total, len(counted)), month
        parts = urlsplit(row["forecast_url"])
        listed = login(personas.alice).get(parts.path, dict(parse_qsl(parts.query)))
        assert {deal.pk for deal in listed.context["page"].object_list} == {v.id for v in counted}
        checked += len(counted)
    assert checked  # the random histories put deals in some forecast


@pytest.mark.parametrize(
    "params",
    [
        {"start": "0001-01-01", "end": "0001-12-31"},
        {"start": "9999-01-01", "end": "9999-12-31"},
        {"start": "1899-12-31"},
    ],
)
def test_days_at_the_calendars_ends_are_explained_not_a_500(personas, login, params):
    response = login(personas.alice).get(URL, params)
    assert response.status_code == 200
    assert set(response.context["form"].errors) & {"start", "end"}
    for month in ("9999-12", "0001-01", "x"):
        deals = login(personas.alice).get(
            reverse("scoring:analytics_deals"), {"forecast_month": month}
        )
        assert deals.status_code == 200


def test_a_funnel_without_open_stages_is_empty_not_an_error(personas):
    from scoring.analytics import selectors

    closed = [stage for stage in default_stages().values() if stage.is_closed]
    scope = selectors.Scope(start=days_ago(365), end=timezone.localdate())
    assert selectors.stage_funnel(personas.alice, scope, closed) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"team": "99999"}, "Team"),
        ({"start": "2026-13-45"}, "Decided from"),
        ({"outcome": "garbage"}, "Outcome"),
        ({"industry": "nothing"}, "Industry"),
        ({"grade": "Z"}, "Grade when decided"),
        ({"entered": "no-such-stage"}, "Stage entered"),
        ({"forecast_month": "garbage"}, "Forecast month"),
    ],
)
def test_a_deals_link_with_a_value_it_cannot_read_says_so_and_lists_nothing(
    personas, login, decided, params, field
):
    """The defaults in place of a wrong value would list other deals than the number's
    (all decided deals of the year): the page names the field and lists none."""
    response = login(personas.alice).get(reverse("scoring:analytics_deals"), params)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    page = response.content.decode()
    assert "This link has values that cannot be read, so no deal is listed for it:" in page
    assert f"<li>{field}: " in page
    # Not the default period's dates, as if they were the link's.
    assert "from 20" not in page.split('class="muted">')[1].split("</p>")[0]


def test_the_deals_behind_a_number_show_their_amounts_as_money(personas, login, decided):
    page = login(personas.alice).get(reverse("scoring:analytics_deals"), {"outcome": "won"})
    won = decided["fin_won"]
    assert f"¥{won.amount:,.0f}" in page.content.decode()


def test_a_long_lost_reason_opens_its_deals_by_a_short_link(personas, login):
    """A reason of 300 Chinese characters would make a 2,700-byte address: the link
    carries its start and its length, and still opens exactly its deals."""
    stages = default_stages()
    account = AccountFactory(owner=personas.alice)
    long_reason = "客户预算冻结，" * 43  # 301 characters
    other = long_reason[:-1] + "。"  # the same start, another end
    wanted = {
        OpportunityFactory(
            account=account, stage=stages["lost"], closed_on=days_ago(3), close_reason=reason
        ).pk: reason
        for reason in (long_reason, long_reason, other, "预算冻结 ")
    }
    client = login(personas.alice)
    reasons = client.get(URL).context["reasons"]
    for row in reasons:
        parts = urlsplit(row["url"])
        assert len(row["url"].encode()) < 2500
        page = client.get(parts.path, dict(parse_qsl(parts.query))).context["page"]
        listed = {deal.pk for deal in page.object_list}
        assert listed == {pk for pk, reason in wanted.items() if reason.strip() == row["reason"]}
        assert len(listed) == row["n"]


def test_the_analytics_deals_export_as_the_page_lists_them(personas, login, decided):
    client = login(personas.alice)
    context = client.get(URL).context
    for url in (context["won_url"], context["lost_url"], context["all_url"]):
        html = client.get(url).content.decode()
        on_page = deals_on_page(client, url)
        assert on_page, url
        assert exported(client, export_link(html, "analytics-deals", "csv")) == on_page, url
    assert reverse("scoring:analytics_deals") in context["won_url"]


def test_the_deals_behind_a_number_are_headed_by_the_number(personas, login, decided):
    """ "Lost · Against Rival", not "Decided" for every number; a lost deal is 输单 in
    Chinese, as everywhere for deals (an account lost is 已流失)."""
    client = login(personas.alice)
    context = client.get(URL).context
    rival = table_row(context, "competitor", "Rival")
    [price] = [row for row in context["reasons"] if row["reason"] == "Price"]

    def heading(url):
        parts = urlsplit(url)
        return client.get(parts.path, dict(parse_qsl(parts.query))).context["what"]

    assert heading(rival["lost_url"]) == "Lost · Against Rival"
    assert heading(context["won_url"]) == "Won"
    assert heading(price["url"]).startswith("Lost · Why it was lost: “Price”")
    chinese = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    overall = chinese.split('data-field="won"')[1]
    assert "<dt>输单</dt>" in overall and "已流失" not in chinese

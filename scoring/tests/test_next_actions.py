"""Next best actions (下一步最佳行动): each action's effect is what the scoring engine
gives once the action is done — checked by doing it through the services and rescoring —,
they rank by that effect, done ones disappear, and the page, the API and the links
that do them follow the visibility rule."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Attitude, BuyingRole
from accounts.tests.factories import ContactFactory
from opportunities import services as deal_services
from opportunities.models import Opportunity
from scoring import services
from scoring.advice import actions
from scoring.advice.selectors import account_advice
from scoring.models import AccountScore, Source
from scoring.tests.builders import strong_soon_account
from visits import services as visit_services
from visits.models import VisitStatus

pytestmark = pytest.mark.django_db


def advice_of(account, shown=100):
    """Every action the rule offers (the pages show the first five)."""
    return account_advice(account, today=timezone.localdate(), shown=shown)


def by_kind(advice) -> dict:
    return {action.kind: action for action in advice.actions}


def stored_score(account) -> Decimal:
    services.rescore([account.pk])
    return AccountScore.objects.get(account=account).score


def with_factors(by, *extra):
    """A new version of the table: the default factors and `extra` ones."""
    model = services.active_model()
    services.scoring_model_new_version(
        by=by,
        base_version=model.version,
        note="More factors",
        strong_min=model.strong_min,
        fair_min=model.fair_min,
        soon_days=model.soon_days,
        factors=services.factors_of(model) + list(extra),
        grid=services.grid_of(model),
    )


COVERAGE = {
    "key": "coverage",
    "label": "Buying-center coverage",
    "label_zh": "采购角色覆盖",
    "source": Source.ROLE_COVERAGE,
    "weight": 20,
    "missing_points": 0,
    "guidance": "",
    "bands": [(0, 0), (1, 20), (2, 40), (3, 60), (4, 80), (5, 100)],
}
OPPOSITION = {
    "key": "opposition",
    "label": "Opponents",
    "label_zh": "反对者",
    "source": Source.OPPONENTS,
    "weight": 10,
    "missing_points": 0,
    "guidance": "",
    "bands": [(0, 100), (1, 50), (2, 0)],
}


def with_buying_center_factors(by):
    """A table version with the default factors and two of the buying center's."""
    with_factors(by, COVERAGE, OPPOSITION)


def record_meeting(account, contact, *, by):
    """A visit recorded an hour ago at which `contact` was met."""
    return visit_services.visit_save(
        by=by,
        account=account,
        contacts=[contact],
        status=VisitStatus.DONE,
        method="in_person",
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        duration_minutes=60,
        purpose="Meet the decider",
    )


RECENCY = {
    "key": "recency",
    "label": "Days since the last visit",
    "label_zh": "距上次拜访天数",
    "source": Source.DAYS_SINCE_CONTACT,
    "weight": 20,
    "missing_points": 0,
    "guidance": "",
    "bands": [(-36500, 100), (-30, 50), (-90, 0)],
}


def test_meeting_the_decider_gains_what_a_rescore_gives_once_the_visit_is_recorded(personas):
    with_factors(personas.admin, RECENCY)
    account = strong_soon_account(personas.alice)
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    meet = by_kind(advice_of(account))[actions.MEET_DECIDER]
    assert meet.effect > 0  # never met: the recency factor scores 0

    record_meeting(account, decider, by=personas.alice)
    assert stored_score(account) == meet.score_after


def test_finding_a_coach_gains_what_a_rescore_gives_once_one_is_added(personas):
    with_buying_center_factors(personas.admin)
    account = strong_soon_account(personas.alice)
    find = by_kind(advice_of(account))[actions.FIND_COACH]
    assert find.effect > 0
    ContactFactory(account=account, is_coach=True)
    assert stored_score(account) == find.score_after
    assert actions.FIND_COACH not in by_kind(advice_of(account))


def test_raising_the_relationship_gains_what_a_rescore_gives_once_it_is_raised(personas):
    account = strong_soon_account(personas.alice)  # relationship 4 of 5: 77.5, A
    advice = advice_of(account)
    assert (advice.score, advice.grade) == (Decimal("77.5"), "A")
    raise_it = by_kind(advice)[actions.RAISE_RELATIONSHIP]
    # Worked by hand: the relationship's points 75 -> 100, weight 15: +3.75 -> 81.3.
    assert (raise_it.effect, raise_it.score_after) == (Decimal("3.8"), Decimal("81.3"))

    services.assessment_save(account=account, by=personas.alice, relationship=5)
    assert stored_score(account) == raise_it.score_after
    assert actions.RAISE_RELATIONSHIP not in by_kind(advice_of(account))  # done: gone


def test_raising_the_relationship_is_in_hand_once_a_visit_is_planned_then_asks_to_rate_it(
    personas, login
):
    """Planning a visit (with anyone) puts the raise in hand: gone. Once a visit is
    recorded after the last rating, what is left is to rate it again: the same change
    and effect, its link the assessment form; saving the rating takes it away."""
    account = strong_soon_account(personas.alice)  # relationship 4 of 5
    raise_it = by_kind(advice_of(account))[actions.RAISE_RELATIONSHIP]
    planned = visit_services.visit_save(
        by=personas.alice,
        account=account,
        contacts=[],
        status=VisitStatus.PLANNED,
        method="in_person",
        planned_at=timezone.now() + datetime.timedelta(days=2),
        purpose="Lunch with the CIO",
    )
    kinds = by_kind(advice_of(account))
    assert actions.RAISE_RELATIONSHIP not in kinds
    assert actions.RATE_RELATIONSHIP not in kinds

    recorded = record_meeting(account, ContactFactory(account=account), by=personas.alice)
    visit_services.visit_delete(by=personas.alice, visit=planned)  # the plan, done another day
    rate = by_kind(advice_of(account))[actions.RATE_RELATIONSHIP]
    assert actions.RAISE_RELATIONSHIP not in by_kind(advice_of(account))
    assert (rate.effect, rate.score_after, rate.grade_after) == (
        raise_it.effect,
        raise_it.score_after,
        raise_it.grade_after,
    )
    assert rate.ids == {"visit": recorded.pk}
    met_on = timezone.localtime(recorded.occurred_at).date().isoformat()
    assert rate.reason == (
        f"Met on {met_on} since the relationship was rated 4: rate it again "
        "(5 if the visit went well)."
    )
    page = login(personas.alice).get(reverse("accounts:detail", args=[account.pk]))
    assert reverse("scoring:account_assessment", args=[account.pk]) in page.content.decode()

    services.assessment_save(account=account, by=personas.alice, relationship=4)  # rated again
    kinds = by_kind(advice_of(account))
    assert actions.RATE_RELATIONSHIP not in kinds
    assert actions.RAISE_RELATIONSHIP in kinds  # 4 still: the next visit would raise it


def test_ticking_a_deals_criteria_and_moving_it_on_gains_what_a_rescore_gives(personas):
    account = strong_soon_account(personas.alice)
    deal = Opportunity.objects.get(account=account)
    deal_services.opportunity_move_stage(
        opportunity=deal, to_stage=deal.stage.__class__.objects.get(key="qualify"),
        by=personas.alice,
    )  # fmt: skip
    deal.refresh_from_db()
    deal.probability, deal.probability_is_custom = 10, False
    deal.save()
    advance = by_kind(advice_of(account))[actions.ADVANCE_DEAL]
    assert advance.ids == {"deal": deal.pk} and advance.effect > 0

    nxt = deal.stage.__class__.objects.filter(order__gt=deal.stage.order).order_by("order")[0]
    for criterion in deal.stage.criteria.all():
        deal_services.criterion_set(
            opportunity=deal, criterion=criterion, checked=True, by=personas.alice
        )
    deal.refresh_from_db()
    deal_services.opportunity_move_stage(opportunity=deal, to_stage=nxt, by=personas.alice)
    assert stored_score(account) == advance.score_after


def test_an_account_without_a_decider_ranks_finding_one_by_its_computed_effect(personas):
    with_buying_center_factors(personas.admin)
    account = strong_soon_account(personas.alice)
    ContactFactory(account=account, buying_role=BuyingRole.USER, attitude=Attitude.OPPONENT)
    advice = advice_of(account)
    kinds = by_kind(advice)
    find = kinds[actions.FIND_DECIDER]
    assert find.effect > 0
    # The list is ranked by effect, largest first, whatever the kinds.
    effects = [action.effect for action in advice.actions]
    assert effects == sorted(effects, reverse=True)

    # Done through the services: a decider added, and the score is what it said.
    ContactFactory(account=account, buying_role=BuyingRole.DECIDER, name="Decider Ding")
    assert stored_score(account) == find.score_after
    after = by_kind(advice_of(account))
    assert actions.FIND_DECIDER not in after
    assert after[actions.MEET_DECIDER].reason.startswith("Decider Ding, the decider")


def test_meeting_the_decider_disappears_once_they_are_met(personas):
    account = strong_soon_account(personas.alice)
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    meet = by_kind(advice_of(account))[actions.MEET_DECIDER]
    assert meet.ids == {"contact": decider.pk}

    record_meeting(account, decider, by=personas.alice)
    kinds = by_kind(advice_of(account))
    assert actions.MEET_DECIDER not in kinds
    # Its follow-up is not overdue yet: nothing to log.
    assert actions.FOLLOW_UP not in kinds


def test_the_account_page_shows_the_actions_with_links_that_do_them(personas, login):
    account = strong_soon_account(personas.alice)
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    client = login(personas.alice)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    section = html.split('data-section="next-actions"')[1].split("</section>")[0]
    plan = reverse("visits:create", args=[account.pk]) + f"?status=planned&amp;contact={decider.pk}"
    assert 'data-action="meet_decider"' in section and plan in section

    # The link opens the visit plan with the decider ticked.
    form = client.get(plan.replace("&amp;", "&")).context["form"]
    assert list(form["contacts"].value()) == [decider.pk]


def test_the_api_lists_them_and_hides_another_teams_account(personas, api):
    account = strong_soon_account(personas.alice)
    body = api(personas.alice).get(f"/api/v1/accounts/{account.pk}/next-actions/").json()
    assert body[0]["kind"] == actions.RAISE_RELATIONSHIP
    assert body[0]["effect"] == "3.8" and body[0]["grade_after"] == "A"
    assert set(body[0]) == {"kind", "reason", "effect", "score_after", "grade_after", "ids"}
    response = api(personas.charlie).get(f"/api/v1/accounts/{account.pk}/next-actions/")
    assert response.status_code == 404


def test_reading_them_costs_the_same_queries_for_few_or_many_records(personas):
    account = strong_soon_account(personas.alice)
    with CaptureQueriesContext(connection) as few:
        advice_of(account)
    for i in range(6):
        ContactFactory(account=account, attitude=Attitude.OPPONENT, name=f"Opp {i}")
    with CaptureQueriesContext(connection) as many:
        advice = advice_of(account)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len([a for a in advice.actions if a.kind == actions.WIN_OVER]) <= 3


def test_my_week_shows_the_five_largest_effects_across_the_reps_accounts(personas, login):
    strong = strong_soon_account(personas.alice, name="Strong Co")
    other = strong_soon_account(personas.alice, name="Other Co")
    decider = ContactFactory(account=other, buying_role=BuyingRole.DECIDER, name="Dai")
    strong_soon_account(personas.charlie, name="West Co")  # not hers
    expected = sorted(
        (
            (action.effect, action.kind, pk)
            # Hers: these two and the personas' own account.
            for pk, advice in (
                (account.pk, advice_of(account, shown=5))
                for account in (personas.account, strong, other)
            )
            for action in advice.actions
        ),
        key=lambda row: (-row[0], actions.KINDS.index(row[1]), row[2]),
    )[:5]
    client = login(personas.alice)
    section = (
        client.get(reverse("visits:my_week"))
        .content.decode()
        .split('data-section="next-actions"')[1]
        .split("</section>")[0]
    )
    shown = [
        (part.split('"', 1)[0], int(part.split('data-account="')[1].split('"')[0]))
        for part in section.split('data-action="')[1:]
    ]
    assert shown == [(kind, pk) for _effect, kind, pk in expected]
    assert "West Co" not in section
    # One tap from the form: finding the decider opens the contact form, the role chosen.
    add = reverse("accounts:contact_create", args=[strong.pk]) + "?role=decider"
    assert ("find_decider", strong.pk) in shown and add in section
    assert decider.pk  # Other Co has one: nothing asks to find it there
    assert ("find_decider", other.pk) not in shown


def test_my_weeks_actions_cost_the_same_queries_for_one_or_many_accounts(personas, login):
    client = login(personas.alice)
    strong_soon_account(personas.alice, name="One Co")
    client.get(reverse("visits:my_week"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("visits:my_week"))
    for i in range(5):
        account = strong_soon_account(personas.alice, name=f"Many Co {i}")
        ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
        ContactFactory(account=account, attitude=Attitude.OPPONENT)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("visits:my_week"))
    assert len(many.captured_queries) == len(one.captured_queries)


# --- what is built once per process (scoring.inputs._annotated, advice._facts_query) ----


def test_the_next_day_reads_the_facts_as_of_that_day(personas):
    """The facts' query is kept per day: a follow-up due within the week is not overdue
    today and is the day after it was due, asked of the same process."""
    account = strong_soon_account(personas.alice)
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    visit = record_meeting(account, decider, by=personas.alice)
    today = timezone.localdate()
    assert actions.FOLLOW_UP not in by_kind(account_advice(account, today=today, shown=100))
    later = visit.follow_up_due + datetime.timedelta(days=1)
    follow_up = by_kind(account_advice(account, today=later, shown=100))[actions.FOLLOW_UP]
    assert follow_up.ids == {"visit": visit.pk}
    assert actions.FOLLOW_UP not in by_kind(account_advice(account, today=today, shown=100))


def test_the_inputs_are_read_at_the_rates_of_the_moment(personas, settings):
    """The inputs' query is kept per process; the rates it converts deal amounts with are
    settings: a change of them is read at once."""
    from opportunities.tests.factories import OpportunityFactory
    from scoring.inputs import account_inputs

    account = strong_soon_account(personas.alice)
    Opportunity.objects.filter(account=account).delete()
    OpportunityFactory(account=account, amount=1000, currency="USD")

    def pipeline():
        rows = account_inputs(
            type(account).objects.filter(pk=account.pk),
            {Source.OPEN_PIPELINE},
            timezone.localdate(),
        )
        return [values[Source.OPEN_PIPELINE] for _pk, values, _dates in rows]

    settings.CURRENCY_RATES_TO_CNY = {**settings.CURRENCY_RATES_TO_CNY, "USD": "7.0"}
    assert pipeline() == [Decimal(7000)]
    settings.CURRENCY_RATES_TO_CNY = {**settings.CURRENCY_RATES_TO_CNY, "USD": "8.0"}
    assert pipeline() == [Decimal(8000)]


def test_an_unrated_relationship_is_said_to_be_unrated_not_raised_from_a_dash(personas):
    from django.utils import translation

    from accounts.tests.factories import AccountFactory

    account = AccountFactory(owner=personas.alice)  # no assessment: no rating
    with translation.override("en"):
        reason = by_kind(advice_of(account))[actions.RAISE_RELATIONSHIP].reason
    assert reason == (
        "The relationship is not rated yet: a visit at the level that matches theirs "
        "brings it to 2."
    )
    with translation.override("zh-hans"):
        reason = by_kind(advice_of(account))[actions.RAISE_RELATIONSHIP].reason
    assert "–" not in reason and "尚未评分" in reason and "2" in reason


def test_the_account_page_reads_its_contacts_once_and_advises_as_a_fresh_read(personas, login):
    """The next best actions take the page's contacts (all of them, by name and id)
    instead of reading them again: the same advice, one query fewer."""
    account = personas.account
    ContactFactory(account=account, name="Zhao", buying_role=BuyingRole.DECIDER)
    ContactFactory(account=account, name="Bai", buying_role=BuyingRole.DECIDER)
    ContactFactory(
        account=account, name="Chen", buying_role=BuyingRole.USER, attitude=Attitude.OPPONENT
    )
    ContactFactory(account=account, name="Gone", is_coach=True, is_active=False)
    client = login(personas.alice)
    client.get(account.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        page = client.get(account.get_absolute_url())
    contact_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "accounts_contact".')]
    assert len(contact_reads) == 1

    shown = page.context["leading_sections"]
    advice = next(s.context["advice"] for s in shown if "advice" in s.context)
    fresh = account_advice(account, today=timezone.localdate())
    assert [(a.kind, a.effect, a.reason) for a in advice.actions] == [
        (a.kind, a.effect, a.reason) for a in fresh.actions
    ]
    kinds = {action.kind for action in fresh.actions}
    assert actions.FIND_COACH in kinds  # the coach who left does not count


def test_a_visit_planned_earlier_today_and_not_recorded_yet_is_still_in_hand(personas):
    account = strong_soon_account(personas.alice)
    decider = ContactFactory(account=account, buying_role=BuyingRole.DECIDER)
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    visit_services.visit_save(
        by=personas.alice,
        account=account,
        contacts=[decider],
        status=VisitStatus.PLANNED,
        method="in_person",
        planned_at=max(start, timezone.now() - datetime.timedelta(hours=1)),
        purpose="This morning's meeting",
    )
    kinds = by_kind(advice_of(account))
    assert actions.RAISE_RELATIONSHIP not in kinds
    assert actions.MEET_DECIDER not in kinds


def test_money_overdue_is_said_as_the_money_card_says_it(personas):
    """¥122,000 as everywhere else, not "122,000.00 CNY" (money over 90 days overdue:
    sales eight months ago still owed)."""
    from scoring.models import MonthlySales

    account = strong_soon_account(personas.alice)
    first = timezone.localdate().replace(day=1)
    for _ in range(8):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    MonthlySales.objects.create(account=account, month=first, sales=122000, receivables=122000)
    collect = by_kind(advice_of(account))[actions.COLLECT_MONEY]
    assert collect.reason == "¥122,000 is overdue: collect it."

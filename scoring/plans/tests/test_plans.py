"""Account plans: one live plan per period, owners on the team, progress from the monthly
sales, the plan page's queries, visibility, my week and the overdue reminder."""

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountTeamRole
from accounts.tests.factories import TeamMemberFactory
from keyaccounts.exceptions import ApplicationError
from scoring.models import MonthlySales
from scoring.plans import selectors, services
from scoring.plans.models import AccountPlan, Advantage, PeriodKind, PlanAction
from visits.models import Notification, NotificationKind
from visits.reminders import reminders_scan

TODAY = datetime.date(2026, 8, 12)


def make_plan(personas, **fields):
    values = {
        "period_kind": PeriodKind.YEAR,
        "period_start": datetime.date(2026, 1, 1),
        "sales_target": Decimal("1200000"),
        "share_target": Decimal("30"),
    }
    values.update(fields)
    return services.plan_create(by=personas.alice, account=personas.account, **values)


def make_action(personas, plan, *, due, owner=None, done_on=None, what="Run the cost workshop"):
    return services.action_create(
        by=personas.alice,
        plan=plan,
        what=what,
        owner=owner or personas.alice,
        due_on=due,
        done_on=done_on,
    )


def test_plan_defaults_to_account_owner_and_derives_the_period(personas):
    plan = make_plan(personas)
    assert plan.owner == personas.alice
    assert plan.period_end == datetime.date(2026, 12, 31)
    assert plan.period_label == "2026"
    half = services.plan_create(
        by=personas.bob,
        account=personas.account,
        period_kind=PeriodKind.HALF,
        period_start=datetime.date(2027, 7, 1),
        sales_target=Decimal("10"),
    )
    assert half.period_label == "2027 H2"
    assert half.period_end == datetime.date(2027, 12, 31)


def test_one_live_plan_per_account_and_period(personas):
    make_plan(personas)
    with pytest.raises(ValidationError) as caught:
        make_plan(personas)
    assert "already has a plan for 2026" in str(caught.value)
    # A half-year inside the year overlaps it too.
    with pytest.raises(ValidationError):
        make_plan(personas, period_kind=PeriodKind.HALF, period_start=datetime.date(2026, 7, 1))
    # The next year is free.
    make_plan(personas, period_start=datetime.date(2027, 1, 1))


def test_a_deleted_plan_frees_its_period_and_restores_only_when_free(personas):
    plan = make_plan(personas)
    make_action(personas, plan, due=TODAY)
    services.plan_delete(plan=plan, by=personas.alice)
    assert PlanAction.objects.filter(plan=plan).count() == 0  # went along
    other = make_plan(personas)
    plan.refresh_from_db()
    with pytest.raises(ApplicationError):
        services.plan_restore(plan=plan, by=personas.alice)
    services.plan_delete(plan=other, by=personas.alice)
    services.plan_restore(plan=AccountPlan.all_objects.get(pk=plan.pk), by=personas.alice)
    assert AccountPlan.objects.filter(pk=plan.pk).exists()
    assert PlanAction.objects.filter(plan=plan).count() == 1  # came back with it


def test_a_period_must_start_on_jan_1_or_jul_1(personas):
    with pytest.raises(ValidationError) as caught:
        make_plan(personas, period_start=datetime.date(2026, 3, 1))
    assert "period_start" in caught.value.message_dict
    with pytest.raises(ValidationError):
        make_plan(personas, period_start=datetime.date(2026, 7, 1))  # a year on Jul 1


def test_action_owner_must_be_on_the_account_team(personas):
    plan = make_plan(personas)
    make_action(personas, plan, due=TODAY, owner=personas.bob)  # on the team
    with pytest.raises(ValidationError) as caught:
        make_action(personas, plan, due=TODAY, owner=personas.carol)  # same sales team only
    assert "not on the account team" in str(caught.value.message_dict["owner"])
    TeamMemberFactory(account=personas.account, user=personas.carol, role=AccountTeamRole.PRESALES)
    make_action(personas, plan, due=TODAY, owner=personas.carol)


def test_only_who_sees_the_account_keeps_its_plans(personas):
    with pytest.raises(ApplicationError):
        services.plan_create(
            by=personas.charlie,
            account=personas.account,
            period_start=datetime.date(2026, 1, 1),
            sales_target=Decimal("1"),
        )
    plan = make_plan(personas)
    with pytest.raises(ApplicationError):
        services.action_create(
            by=personas.charlie, plan=plan, what="x", owner=personas.alice, due_on=TODAY
        )
    # The manager of the owner's team may.
    services.plan_update(plan=plan, by=personas.manager, summary="Grow the share")


def test_risk_factor_must_be_one_of_the_active_table(personas):
    from scoring.services import active_model

    plan = make_plan(personas)
    key = active_model().factors.values_list("key", flat=True).first()
    action = services.action_create(
        by=personas.alice, plan=plan, what="x", owner=personas.alice, due_on=TODAY, factor_key=key
    )
    assert action.factor_key == key
    with pytest.raises(ValidationError) as caught:
        services.action_create(
            by=personas.alice,
            plan=plan,
            what="y",
            owner=personas.alice,
            due_on=TODAY,
            factor_key="no-such-factor",
        )
    assert "factor_key" in caught.value.message_dict


def test_advantages_are_a_set_with_evidence(personas):
    plan = make_plan(personas, advantages={Advantage.LOWER_COST: "Saved 8% on spares"})
    version = plan.version
    services.plan_advantages_set(
        plan=plan,
        by=personas.alice,
        advantages={Advantage.LOWER_COST: "Saved 8% on spares", Advantage.SOLUTION: "Line fix"},
    )
    assert set(plan.advantages.values_list("kind", flat=True)) == {"lower_cost", "solution"}
    assert plan.version == version + 1
    services.plan_advantages_set(
        plan=plan, by=personas.alice, advantages={Advantage.SOLUTION: "Line fix"}
    )
    assert list(plan.advantages.values_list("kind", flat=True)) == ["solution"]
    same = plan.version
    services.plan_advantages_set(
        plan=plan, by=personas.alice, advantages={Advantage.SOLUTION: "Line fix"}
    )
    assert plan.version == same  # nothing changed, no new version
    with pytest.raises(ValidationError):
        services.plan_advantages_set(
            plan=plan, by=personas.alice, advantages={Advantage.LESS_WASTE: "  "}
        )


def test_progress_is_the_sum_of_the_periods_monthly_sales_so_far(personas):
    account = personas.account
    account.category_purchases = Decimal("600")  # 6,000,000 CNY a year
    account.save()
    figures = {
        datetime.date(2025, 12, 1): Decimal("999"),  # before the period
        datetime.date(2026, 1, 1): Decimal("100000"),
        datetime.date(2026, 3, 1): Decimal("250000.50"),
        datetime.date(2026, 8, 1): Decimal("40000"),
        datetime.date(2026, 9, 1): Decimal("77777"),  # after today
    }
    for month, sales in figures.items():
        MonthlySales.objects.create(account=account, month=month, sales=sales)
    plan = make_plan(personas)
    make_action(personas, plan, due=TODAY - datetime.timedelta(days=1))
    make_action(personas, plan, due=TODAY - datetime.timedelta(days=3), done_on=TODAY)
    make_action(personas, plan, due=TODAY + datetime.timedelta(days=3))
    annotated = selectors.with_progress(AccountPlan.objects.filter(pk=plan.pk), today=TODAY).get()
    progress = selectors.progress(annotated, today=TODAY)
    expected = sum(
        sales
        for month, sales in figures.items()
        if plan.period_start <= month <= plan.period_end and month <= TODAY
    )
    assert progress["sales_actual"] == expected
    assert progress["percent"] == round(expected * 100 / plan.sales_target, 1)
    # Eight months begun (Jan–Aug) of 6,000,000 a year: 4,000,000 expected.
    assert progress["share_actual"] == round(expected * 100 / Decimal("4000000"), 1)
    assert (progress["actions_total"], progress["actions_done"], progress["actions_overdue"]) == (
        3,
        1,
        1,
    )
    # Another account's sales do not count.
    MonthlySales.objects.create(
        account=personas.charlies_account, month=datetime.date(2026, 2, 1), sales=Decimal("5")
    )
    again = selectors.with_progress(AccountPlan.objects.filter(pk=plan.pk), today=TODAY).get()
    assert again.sales_actual == expected


def test_the_current_plan_comes_with_the_account_it_was_asked_for(
    personas, django_assert_num_queries
):
    """The account page's plan section reads the plan with its progress in one query:
    the progress's share of the customer's purchases reads the page's account, not the
    account again."""
    account = personas.account
    account.category_purchases = Decimal("600")
    account.save()
    MonthlySales.objects.create(account=account, month=datetime.date(2026, 1, 1), sales=100000)
    plan = make_plan(personas)
    with django_assert_num_queries(1):
        current = selectors.current_plan(account, today=TODAY)
        progress = selectors.progress(current, today=TODAY)
    assert current.pk == plan.pk and current.account is account
    # Eight months begun of 6,000,000 a year: 4,000,000 expected.
    assert progress["share_actual"] == round(Decimal("100000") * 100 / Decimal("4000000"), 1)


def _plan_with_actions(personas, count):
    plan = make_plan(personas, advantages={Advantage.SOLUTION: "Fixes the line"})
    for i in range(count):
        make_action(
            personas,
            plan,
            due=TODAY + datetime.timedelta(days=i - count // 2),
            owner=personas.bob if i % 2 else personas.alice,
            what=f"Action {i}",
        )
    return plan


def test_plan_page_queries_do_not_grow_with_actions(
    personas, login, django_assert_num_queries, django_assert_max_num_queries
):
    client = login(personas.alice)
    plan = _plan_with_actions(personas, 2)
    url = plan.get_absolute_url()
    client.get(url)  # warm caches (active model, session)
    with django_assert_max_num_queries(50) as small:
        response = client.get(url)
    assert response.status_code == 200
    small = len(small.captured_queries)
    assert small > 0
    services.plan_delete(plan=plan, by=personas.alice)
    plan = _plan_with_actions(personas, 20)
    url = plan.get_absolute_url()
    client.get(url)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('data-action="') == 20


def test_plan_page_says_status_in_words(personas, login):
    plan = make_plan(personas)
    today = timezone.localdate()
    make_action(personas, plan, due=today - datetime.timedelta(days=2), what="Late one")
    make_action(personas, plan, due=today + datetime.timedelta(days=2), what="Open one")
    make_action(personas, plan, due=today, done_on=today, what="Done one")
    html = login(personas.alice).get(plan.get_absolute_url()).content.decode()
    assert 'data-state="overdue"' in html and "Overdue" in html
    assert 'data-state="done"' in html and 'data-state="open"' in html


def test_plans_of_unseen_accounts_answer_404(personas, login):
    plan = make_plan(personas)
    action = make_action(personas, plan, due=TODAY)
    client = login(personas.charlie)
    for url in (
        plan.get_absolute_url(),
        reverse("plans:edit", args=[plan.account_id, plan.pk]),
        reverse("plans:history", args=[plan.account_id, plan.pk]),
        reverse("plans:list", args=[plan.account_id]),
        reverse("plans:create", args=[plan.account_id]),
        reverse("plans:action_create", args=[plan.account_id, plan.pk]),
        reverse("plans:action_detail", args=[action.pk]),
        reverse("plans:action_edit", args=[action.pk]),
        reverse("plans:action_history", args=[action.pk]),
        reverse("plans:action_delete", args=[action.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("plans:action_done", args=[action.pk])).status_code == 404
    # Another account's id in the URL does not reach the plan either.
    wrong = reverse("plans:detail", args=[personas.charlies_account.pk, plan.pk])
    assert login(personas.charlie).get(wrong).status_code == 404
    assert login(personas.manager).get(plan.get_absolute_url()).status_code == 200


def test_create_page_makes_a_plan_with_advantages(personas, login):
    client = login(personas.alice)
    url = reverse("plans:create", args=[personas.account.pk])
    page = client.get(url)
    assert page.status_code == 200
    token = page.context["form_token"]
    response = client.post(
        url,
        {
            "form_token": token,
            "period_kind": "year",
            "period_start": "2026-01-01",
            "sales_target": "500000",
            "share_target": "",
            "owner": str(personas.alice.pk),
            "owner_text": "",
            "advantage_efficiency": "Ordering takes a day instead of a week",
            "summary": "",
            "notes": "",
        },
    )
    plan = AccountPlan.objects.get(account=personas.account)
    assert response.status_code == 302
    assert list(plan.advantages.values_list("kind", flat=True)) == ["efficiency"]
    # The same period again is refused on the form, naming the clash.
    token = client.get(url).context["form_token"]

    def again(kind, start):
        data = {"form_token": token, "period_kind": kind, "period_start": start}
        return client.post(url, {**data, "sales_target": "1", "owner": personas.alice.pk})

    response = again("year", "2026-01-01")
    assert response.status_code == 200
    assert "already has a plan for 2026" in response.content.decode()
    # …with the way to that plan in the field's error, read with the field
    # (aria-describedby names the error).
    link = f' <a href="{plan.get_absolute_url()}">Open the plan for 2026</a></p>'
    html = response.content.decode()
    assert link in html
    error = html[html.index('<p class="error" id="id_period_start_error">') :]
    assert error.index(link) < error.index("</p>") + 1
    field = re.search(r'<input[^>]*name="period_start"[^>]*>', html)[0]
    assert re.search(r'aria-describedby="[^"]*\bid_period_start_error\b', field)
    # A half-year inside it: the year's plan is the one named and linked.
    response = again("half", "2026-07-01")
    assert link in response.content.decode()
    # A year over two half-year plans names and links both.
    AccountPlan.objects.filter(pk=plan.pk).update(
        period_kind="half", period_end=datetime.date(2026, 6, 30)
    )
    h2 = make_plan(personas, period_start=datetime.date(2026, 7, 1), period_kind="half")
    response = again("year", "2026-01-01")
    html = response.content.decode()
    assert "already has plans for 2026 H1 and 2026 H2: open those plans" in unescape(html)
    for other, label in [(plan, "2026 H1"), (h2, "2026 H2")]:
        assert f'<a href="{other.get_absolute_url()}">Open the plan for {label}</a>' in html
    # No clash, no link: a field error of its own says nothing of another plan.
    response = again("year", "2026-13-01")
    assert response.status_code == 200 and "Open the plan for" not in response.content.decode()


def test_account_page_shows_the_current_plan_or_an_invitation(personas, login):
    client = login(personas.alice)
    html = client.get(personas.account.get_absolute_url()).content.decode()
    year = timezone.localdate().year
    assert f"No plan for {year}" in html
    plan = make_plan(personas, period_start=datetime.date(year, 1, 1))
    make_action(personas, plan, due=timezone.localdate() - datetime.timedelta(days=1))
    html = client.get(personas.account.get_absolute_url()).content.decode()
    assert plan.get_absolute_url() in html
    assert 'data-overdue="1"' in html


def test_overdue_action_in_my_week_and_reminded_once(personas, login):
    today = timezone.localdate()
    plan = make_plan(personas, period_start=datetime.date(today.year, 1, 1))
    late = make_action(personas, plan, due=today - datetime.timedelta(days=2), what="Late one")
    make_action(personas, plan, due=today - datetime.timedelta(days=2), done_on=today, what="Done")
    bobs = make_action(
        personas, plan, due=today - datetime.timedelta(days=1), owner=personas.bob, what="Bob's"
    )
    html = login(personas.alice).get(reverse("visits:my_week")).content.decode()
    assert "Late one" in html and "Bob&#x27;s" not in html and ">Done<" not in html

    reminders_scan()
    reminders_scan()
    rows = Notification.objects.filter(kind=NotificationKind.PLAN_ACTION_OVERDUE)
    assert sorted(rows.values_list("object_key", "recipient__username")) == sorted(
        [(f"planaction:{late.pk}", "alice"), (f"planaction:{bobs.pk}", "bob")]
    )
    note = rows.get(recipient=personas.alice)
    from visits.reminders import notification_path, notification_text

    assert personas.account.name in notification_text(note)
    assert client_follows(login(personas.alice), notification_path(note)) == plan.get_absolute_url()
    # Done: no new reminder; a new due date: one more.
    services.action_done(action=late, by=personas.alice)
    services.action_update(action=bobs, by=personas.bob, due_on=today - datetime.timedelta(days=5))
    reminders_scan()
    assert rows.count() == 3


def client_follows(client, path):
    response = client.get(path)
    assert response.status_code == 302
    return response.url.split("#")[0]


def test_my_action_list(personas, login, django_assert_num_queries):
    today = timezone.localdate()
    plan = make_plan(personas, period_start=datetime.date(today.year, 1, 1))
    make_action(personas, plan, due=today - datetime.timedelta(days=3), what="Late")
    make_action(personas, plan, due=today + datetime.timedelta(days=30), what="Later")
    client = login(personas.alice)
    html = client.get(reverse("plans:action_list") + "?owner=me&due=overdue").content.decode()
    assert "Late" in html and "Later" not in html
    html = client.get(reverse("plans:action_list") + "?owner=me").content.decode()
    assert "Later" in html


def test_history_shows_the_plan_its_advantages_and_its_actions(personas, login):
    plan = make_plan(personas)
    services.plan_advantages_set(
        plan=plan, by=personas.alice, advantages={Advantage.EFFICIENCY: "Orders in a day"}
    )
    services.plan_update(plan=plan, by=personas.alice, sales_target=Decimal("1500000"))
    action = make_action(personas, plan, due=TODAY)
    services.action_done(action=action, by=personas.alice, on=TODAY)
    client = login(personas.bob)
    html = client.get(reverse("plans:history", args=[plan.account_id, plan.pk])).content.decode()
    assert "Higher efficiency" in html
    assert "1500000" in html.replace(",", "").replace("\u202f", "")
    html = client.get(reverse("plans:action_history", args=[action.pk])).content.decode()
    assert "2026-08-12" in html or "Aug. 12, 2026" in html
    # In the recycle bin, the history stays readable.
    services.plan_delete(plan=plan, by=personas.alice)
    url = reverse("plans:history", args=[plan.account_id, plan.pk])
    assert client.get(url).status_code == 200
    assert login(personas.charlie).get(url).status_code == 404


def test_a_merge_takes_the_plans_along_unless_two_share_a_period(personas):
    from accounts.services import account_merge
    from accounts.tests.factories import AccountFactory

    twin = AccountFactory(owner=personas.alice, name="Alice's Customer Twin")
    theirs = services.plan_create(
        by=personas.alice,
        account=twin,
        period_start=datetime.date(2026, 1, 1),
        sales_target=Decimal("5"),
    )
    make_plan(personas)  # the survivor's 2026 plan
    with pytest.raises(ApplicationError) as caught:
        account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    assert "2026" in caught.value.message
    services.plan_update(plan=theirs, by=personas.alice, period_start=datetime.date(2027, 1, 1))
    action = services.action_create(
        by=personas.alice, plan=theirs, what="x", owner=personas.alice, due_on=TODAY
    )
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    theirs.refresh_from_db()
    action.refresh_from_db()
    assert theirs.account_id == action.account_id == personas.account.pk


def test_a_plan_edited_by_two_people_writes_the_form_as_shown_and_says_so(personas, login):
    """A plan's advantages are parts the history does not keep, so its form does not
    merge after a conflict: the page says saving again writes the form as shown."""
    from visits.tests.test_admin_people import form_of

    plan = make_plan(personas)
    url = reverse("plans:edit", args=[plan.account_id, plan.pk])
    alice = login(personas.alice)
    mine = form_of(alice.get(url), "record-form")
    services.plan_update(plan=AccountPlan.objects.get(pk=plan.pk), by=personas.bob, notes="Bob's")
    response = alice.post(url, mine)
    page = response.content.decode()
    assert "Saving again writes the form as it is here, over their changes." in page
    assert "Saved meanwhile by someone else" not in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_plans_money_reads_as_money_in_both_languages(personas, login, language):
    """¥1,200,000 on the plan list, the plan and the account page, as on a deal: not
    "1200000 CNY" (Chinese number formats have no separator)."""
    from django.utils import translation

    year = timezone.localdate().year
    plan = make_plan(personas, period_start=datetime.date(year, 1, 1))
    client = login(personas.alice)
    with translation.override(language):
        pages = [
            client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            for url in (
                reverse("plans:list", args=[personas.account.pk]),
                plan.get_absolute_url(),
                personas.account.get_absolute_url(),
            )
        ]
    account_page = pages.pop()
    plan_section = account_page[account_page.index('<section id="plan"') :]
    pages.append(plan_section[: plan_section.index("</section>")])
    for page in pages:
        main = page.split("<main", 1)[-1]
        assert "¥1,200,000" in main
        assert "1200000" not in main and "CNY" not in main


def test_a_plan_for_a_period_not_begun_says_so_of_its_share(personas, login):
    """A plan made ahead for next year has no share yet; saying "no yearly purchases on
    the account" of an account that has them sent the rep to fill in what was there."""
    personas.account.category_purchases = Decimal("400")
    personas.account.save()
    next_year = timezone.localdate().year + 1
    plan = make_plan(personas, period_start=datetime.date(next_year, 1, 1))
    client = login(personas.alice)
    share = client.get(plan.get_absolute_url()).content.decode().split('data-progress="share">')[1]
    share = share.split("</dd>")[0]
    assert f"none yet: the period starts on {next_year}-01-01" in share
    assert "no yearly purchases" not in share
    personas.account.category_purchases = None  # unknown purchases, a period begun
    personas.account.save()
    current = make_plan(personas, period_start=datetime.date(next_year - 1, 1, 1))
    share = client.get(current.get_absolute_url()).content.decode().split('data-progress="share">')
    assert "unknown (no yearly purchases on the account)" in share[1].split("</dd>")[0]


def test_a_plan_with_several_problems_is_told_them_all_at_once(personas, login, api):
    """A period taken, an owner off the account team and a target below 0: every
    problem in one answer, on the page and in the API, and nothing saved."""
    make_plan(personas)  # 2026
    client = login(personas.alice)
    url = reverse("plans:create", args=[personas.account.pk])
    response = client.post(
        url,
        {
            "form_token": client.get(url).context["form_token"],
            "period_kind": "year",
            "period_start": "2026-01-01",
            "sales_target": "-5",
            "owner": str(personas.carol.pk),  # of the sales team, not the account's
        },
    )
    errors = response.context["form"].errors
    assert "already has a plan for 2026" in errors["period_start"][0]
    assert "is not on the account team" in errors["owner"][0]
    assert "sales_target" in errors
    answer = api(personas.alice).post(
        "/api/v1/plans/",
        {
            "account": personas.account.pk,
            "period_kind": "year",
            "period_start": "2026-01-01",
            "sales_target": "100",
            "owner": personas.carol.pk,
        },
        format="json",
    )
    assert answer.status_code == 400
    assert {"period_start", "owner"} <= set(answer.json()["errors"]), answer.json()
    assert AccountPlan.objects.filter(account=personas.account).count() == 1


def test_the_plan_pages_export_what_they_list(personas, login):
    """An account's plans and their actions, and my open actions (all, overdue, this
    week), each with an export link writing the same rows."""
    from keyaccounts.tests.export_links import export_link, exported_records

    today = timezone.localdate()
    plan = make_plan(personas, period_start=datetime.date(today.year, 1, 1))
    make_action(personas, plan, due=today - datetime.timedelta(days=3), what="Late")
    make_action(personas, plan, due=today + datetime.timedelta(days=30), what="Later")
    make_action(personas, plan, due=today, done_on=today, what="Done")
    make_action(personas, plan, due=today, what="Bob's", owner=personas.bob)  # not mine
    client = login(personas.alice)

    def exported(html: str, kind: str) -> list[str]:
        column = "What" if kind == "plan-actions" else "Period starts"
        return [row[column] for row in exported_records(client, export_link(html, kind))]

    plans_page = client.get(reverse("plans:list", args=[personas.account.pk])).content.decode()
    assert exported(plans_page, "plans") == [f"{today.year}-01-01"]
    assert sorted(exported(plans_page, "plan-actions")) == ["Bob's", "Done", "Late", "Later"]
    for due, listed in (("", ["Late", "Later"]), ("overdue", ["Late"]), ("week", ["Late"])):
        url = reverse("plans:action_list") + f"?owner=me&due={due}"
        page = client.get(url)
        assert [a.what for a in page.context["page"].object_list] == listed
        assert exported(page.content.decode(), "plan-actions") == listed, due

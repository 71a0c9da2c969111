"""The rep's home, "my week": plans, follow-ups due and overdue, lapsed contact."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountStatus
from accounts.tests.factories import AccountFactory, ContactFactory, policy_set
from keyaccounts.tests.paging_helpers import pages, rows_of
from scoring.services import grade_pin
from visits.models import Notification, NotificationKind, Visit
from visits.reminders import reminders_scan
from visits.selectors import accounts_with_lapsed_contact
from visits.tests.factories import NotificationFactory, PlannedVisitFactory, VisitFactory

pytestmark = pytest.mark.django_db

URL = reverse("visits:my_week")


def days(n):
    return datetime.timedelta(days=n)


def at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def test_the_start_page_is_my_week(personas, login):
    response = login(personas.alice).get("/")
    assert response.status_code == 302 and response["Location"] == URL


def test_planned_visits_of_today_and_the_next_seven_days_are_listed(personas, login):
    today = timezone.localdate()
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time(0, 5)))
    account = personas.account
    this_morning = PlannedVisitFactory(account=account, planned_at=start_of_today)
    in_a_week = PlannedVisitFactory(account=account, planned_at=at_noon(today + days(7)))
    PlannedVisitFactory(account=account, planned_at=at_noon(today + days(8)))  # too far
    with_bob = PlannedVisitFactory(
        account=account, owner=personas.bob, planned_at=at_noon(today + days(2))
    )
    with_bob.attendees.set([personas.alice])  # alice goes along: it is on her week too
    PlannedVisitFactory(account=account, owner=personas.bob, planned_at=at_noon(today))
    forgotten = PlannedVisitFactory(account=account, planned_at=at_noon(today - days(3)))

    context = login(personas.alice).get(URL).context
    assert context["planned"] == [this_morning, with_bob, in_a_week]
    assert context["unrecorded"] == [forgotten]


def test_open_follow_ups_are_split_into_overdue_due_soon_this_week_and_later(personas, login):
    today = timezone.localdate()
    account = personas.account
    overdue = VisitFactory(account=account, follow_up_due=today - days(1))
    due_today = VisitFactory(account=account, follow_up_due=today)
    due_tomorrow = VisitFactory(account=account, follow_up_due=today + days(1))
    this_week = VisitFactory(account=account, follow_up_due=today + days(5))
    in_a_week = VisitFactory(account=account, follow_up_due=today + days(7))
    later = VisitFactory(account=account, follow_up_due=today + days(8))
    VisitFactory(account=account, follow_up_due=today - days(3), followed_up_on=today)  # done
    VisitFactory(account=account, owner=personas.bob, follow_up_due=today)  # bob's, not hers

    response = login(personas.alice).get(URL)
    groups = response.context["follow_ups"]
    assert groups["overdue"] == [overdue]
    assert groups["soon"] == [due_today, due_tomorrow]
    assert groups["week"] == [this_week, in_a_week]
    assert response.context["follow_up_counts"] == {"overdue": 1, "soon": 2, "week": 2, "later": 1}
    assert response.context["follow_up_count"] == 6
    html = response.content.decode()
    assert f'data-visit="{overdue.pk}"' in html
    # Later ones are counted and a link away, not listed.
    assert f'data-visit="{later.pk}"' not in html
    assert f'href="{reverse("visits:follow_ups")}?due=later">1 more due after this week' in html


def test_a_logged_follow_up_leaves_my_week(personas, login):
    visit = VisitFactory(account=personas.account, follow_up_due=timezone.localdate())
    client = login(personas.alice)
    assert client.get(URL).context["follow_ups"]["soon"] == [visit]
    client.post(
        reverse("visits:follow_up", args=[visit.pk]),
        {
            "followed_up_on": timezone.localdate().isoformat(),
            "follow_up_method": "phone",
            "follow_up_feedback": "Fine",
        },
    )
    assert client.get(URL).context["follow_up_count"] == 0


def lapsed_names(response):
    return [account.name for account in response.context["lapsed"]]


def test_accounts_whose_contact_rhythm_lapsed_are_listed(personas, login, settings):
    policy_set(rhythm={"D": 30})
    now = timezone.now()
    personas.account.name = "Visited long ago"
    personas.account.save()
    VisitFactory(account=personas.account, occurred_at=now - days(40))
    recent = AccountFactory(name="Visited recently", owner=personas.alice)
    VisitFactory(account=recent, occurred_at=now - days(40))
    VisitFactory(account=recent, occurred_at=now - days(3))
    never = AccountFactory(name="Never visited, old", owner=personas.alice)
    AccountFactory(name="Never visited, new", owner=personas.alice)
    lost = AccountFactory(name="Lost", owner=personas.alice, status=AccountStatus.LOST)
    # Only a planned visit does not count as contact.
    planned_only = AccountFactory(name="Only planned", owner=personas.alice)
    PlannedVisitFactory(account=planned_only, planned_at=now + days(1))
    Account.objects.filter(pk__in=[never.pk, lost.pk, planned_only.pk]).update(
        created_at=now - days(60)
    )
    AccountFactory(name="Bob's own", owner=personas.bob)

    response = login(personas.alice).get(URL)
    assert lapsed_names(response) == ["Never visited, old", "Only planned", "Visited long ago"]
    assert response.context["rhythm_days"] == 30


def test_lapsed_accounts_show_their_grade_and_its_rhythm(personas, login, settings):
    policy_set(rhythm={"A": 14, "B": 30, "C": 60, "D": 90})
    now = timezone.now()
    VisitFactory(account=personas.account, occurred_at=now - days(20))
    ungraded = AccountFactory(name="Not graded", owner=personas.alice)
    Account.objects.filter(pk=ungraded.pk).update(created_at=now - days(100))
    grade_pin(
        account=personas.account,
        by=personas.manager,
        grade="A",
        reason="Strategic",
        expires_on=timezone.localdate() + days(30),
    )

    response = login(personas.alice).get(URL)

    assert lapsed_names(response) == ["Not graded", "Alice's Customer Co"]
    section = response.content.decode().split('id="lapsed"')[1]
    assert 'data-grade="A"' in section and "rhythm 14 days" in section
    assert 'data-grade="none"' in section and "rhythm 90 days" in section


def test_the_lapsed_rule_serves_the_reminder_scan_too(personas, settings):
    policy_set(rhythm={"D": 30})
    now = timezone.now()
    VisitFactory(account=personas.account, occurred_at=now - days(31))
    VisitFactory(account=personas.charlies_account, occurred_at=now - days(29))
    everyone = accounts_with_lapsed_contact(user=None, now=now)
    assert list(everyone) == [personas.account]
    lapsed = everyone.get()
    assert lapsed.lapses_at == lapsed.last_contact_at + days(30)
    # One account's rescan; and a day later the other lapses as well.
    narrowed = accounts_with_lapsed_contact(
        user=None,
        now=now + days(2),
        accounts=Account.objects.filter(pk=personas.charlies_account.pk),
    )
    assert list(narrowed) == [personas.charlies_account]
    # A user only ever gets the accounts they own and see.
    assert list(accounts_with_lapsed_contact(user=personas.charlie, now=now + days(2))) == [
        personas.charlies_account
    ]
    assert list(accounts_with_lapsed_contact(user=personas.bob, now=now + days(2))) == []


def test_my_week_and_the_reminder_scan_agree_on_which_accounts_lapsed(personas, settings):
    policy_set(rhythm={"D": 30})
    now = timezone.now()
    for ago in [10, 29, 31, 45, 200]:
        VisitFactory(account=AccountFactory(owner=personas.alice), occurred_at=now - days(ago))
    never = AccountFactory(owner=personas.alice)
    Account.objects.filter(pk=never.pk).update(created_at=now - days(40))
    AccountFactory(owner=personas.alice, status=AccountStatus.LOST)
    for later in [0, 5, 25]:
        scan_at = now + days(later)
        reminders_scan(now=scan_at)
        reminded = set(
            Notification.objects.filter(kind=NotificationKind.CONTACT_LAPSED).values_list(
                "account_id", flat=True
            )
        )
        lapsed = set(
            accounts_with_lapsed_contact(user=None, now=scan_at).values_list("pk", flat=True)
        )
        assert reminded == lapsed, later


def test_the_log_a_visit_box_picks_an_account_by_name_and_lists_none(personas, login):
    for i in range(30):
        AccountFactory(owner=personas.alice, name=f"Customer {i:02}")
    html = login(personas.alice).get(URL).content.decode()
    box = html.split('class="card logbox"')[1].split("</form>")[0]
    assert '<label for="log-account">Log a visit at</label>' in box
    assert 'name="account_name"' in box and 'id="log-account"' in box
    assert f'data-picker-search="{reverse("accounts:search")}"' in box
    assert "<option" not in box and "Customer 07" not in html
    assert "Charlie&#x27;s Customer Co" not in html


def test_log_a_visit_offers_the_accounts_of_the_reps_latest_visits_and_preselects_none(
    personas, login
):
    now = timezone.now()
    accounts = [AccountFactory(owner=personas.alice, name=f"Customer {i:02}") for i in range(8)]
    for days, account in zip([30, 2, 9, 5, 20, 14], accounts, strict=False):
        VisitFactory(
            account=account, owner=personas.alice, occurred_at=now - datetime.timedelta(days=days)
        )
    # Planned for next week only: not a recent account; someone else's visit: not hers.
    PlannedVisitFactory(
        account=accounts[6], owner=personas.alice, planned_at=now + datetime.timedelta(days=7)
    )
    VisitFactory(account=accounts[7], owner=personas.bob, occurred_at=now)
    html = login(personas.alice).get(URL).content.decode()
    box = html.split('class="card logbox"')[1].split("</form>")[0]
    offered = [part.split('"')[0] for part in box.split('<option value="')[1:]]
    # The five most recent by the visit's time, newest first.
    assert offered == ["Customer 01", "Customer 03", "Customer 02", "Customer 05", "Customer 04"]
    assert 'name="account" value=""' in box and 'name="account_name" value=""' in box


def test_log_a_visit_goes_to_the_chosen_accounts_form(personas, login):
    client = login(personas.alice)
    start = reverse("visits:start")
    response = client.get(start, {"account": personas.account.pk})
    assert response["Location"] == reverse("visits:create", args=[personas.account.pk])
    response = client.get(start, {"account": personas.account.pk, "status": "planned"})
    assert response["Location"].endswith("?status=planned")
    # Typed without JavaScript: the name (any case) is enough.
    response = client.get(start, {"account": "", "account_name": " alice's customer CO "})
    assert response["Location"] == reverse("visits:create", args=[personas.account.pk])


@pytest.mark.parametrize(
    "odd, error",
    [
        ({"account": "abc"}, "Choose one of your accounts"),
        ({"account": "999999"}, "Choose one of your accounts"),
        ({"account": "-1"}, "Choose one of your accounts"),
        ({"account": ""}, "This field is required."),
        ({"account": "", "account_name": ""}, "This field is required."),
        ({"account_name": "Charlie's Customer Co"}, "None of your accounts is called"),
    ],
)
def test_log_a_visit_with_an_odd_or_hidden_account_asks_again(personas, login, odd, error):
    response = login(personas.alice).get(reverse("visits:start"), odd)
    assert response.status_code == 200
    [message] = response.context["form"].errors["account"]
    assert message.startswith(error)
    html = response.content.decode()
    assert '<p class="error" id="id_account_error">' in html
    assert "Charlie&#x27;s Customer Co</option>" not in html


def test_another_reps_account_cannot_be_chosen(personas, login):
    response = login(personas.alice).get(
        reverse("visits:start"), {"account": personas.charlies_account.pk}
    )
    assert response.status_code == 200
    assert "Choose one of your accounts" in response.content.decode()


def test_the_unread_reminders_are_counted(personas, login):
    visit = VisitFactory(account=personas.account)
    NotificationFactory(visit=visit)
    NotificationFactory(visit=visit, kind="follow_up_overdue")
    NotificationFactory(visit=visit, kind="follow_up_escalation", read_at=timezone.now())
    html = login(personas.alice).get(URL).content.decode()
    assert "2 unread reminders" in html
    assert 'data-unread="2"' in html


def fill_week(user, account, n):
    today = timezone.localdate()
    for i in range(n):
        contact = ContactFactory(account=account)
        plan = PlannedVisitFactory(account=account, owner=user, planned_at=at_noon(today + days(1)))
        plan.contacts.set([contact])
        done = VisitFactory(account=account, owner=user, follow_up_due=today + days(i % 9 - 3))
        done.contacts.set([contact])
        stale = AccountFactory(owner=user)
        Account.objects.filter(pk=stale.pk).update(created_at=timezone.now() - days(400))
        NotificationFactory(visit=done)


def count_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


def test_my_week_runs_the_same_number_of_queries_for_2_or_20_rows(personas, login):
    client = login(personas.alice)
    fill_week(personas.alice, personas.account, 2)
    few = count_queries(client)
    fill_week(personas.alice, personas.account, 18)
    response = client.get(URL)
    assert len(response.context["planned"]) == 20
    assert len(list(response.context["lapsed"])) == 20
    assert count_queries(client) == few


def test_my_week_query_count_has_a_hard_ceiling(personas, login, django_assert_max_num_queries):
    fill_week(personas.alice, personas.account, 5)
    client = login(personas.alice)
    client.get(URL)  # what a process reads once (the risk table, the stages): as any test
    # Session and user (2, and 3 to save the session, as on every request), the header
    # (1), the visibility rule's team lookup per selector (4), the plans' ids and dates,
    # those shown and their contacts (3), follow-ups and their contacts (2), lapsed
    # accounts (1). The log-a-visit box lists no accounts: none.
    # The rep's best next actions (scoring.advice): 10, whatever the accounts — their
    # names, the table and its inputs, contacts, one row of facts, planned visits, the
    # deals and their criteria. The rep's own accounts, kept on the phone for no signal
    # (1).
    with django_assert_max_num_queries(27):
        client.get(URL)


# --- bounded: my week stays one screen however many follow-ups are open ----------------


def test_a_visit_recorded_just_now_shows_its_follow_up_without_expanding_anything(personas, login):
    client = login(personas.alice)
    # Years of open follow-ups: many overdue, many due after this week.
    today = timezone.localdate()
    for i in range(30):
        VisitFactory(account=personas.account, follow_up_due=today - days(1 + i))
        VisitFactory(account=personas.account, follow_up_due=today + days(8 + i))
    response = client.post(
        reverse("visits:create", args=[personas.account.pk]),
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "30",
            "method": "phone",
            "talking_points": "Renewal",
            "customer_attitude": "supporter",
            "follow_up_due": "",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.latest("pk")
    assert visit.follow_up_due == today + days(7)

    html = client.get(URL).content.decode()
    section = html.split('id="follow-ups"')[1].split("</section>")[0]
    this_week = section.split('data-group="week"')[1].split("</ul>")[0]
    assert f'data-visit="{visit.pk}"' in this_week
    # Nothing folded away: no <details> to open, no "show more" to press for it.
    assert "<details" not in section


def test_my_week_lists_the_first_overdue_and_links_to_all_of_them(personas, login):
    today = timezone.localdate()
    overdue = [
        VisitFactory(account=personas.account, follow_up_due=today - days(40 - i))
        for i in range(35)
    ]  # the oldest first
    later = [
        VisitFactory(account=personas.account, follow_up_due=today + days(9)) for _ in range(3)
    ]
    client = login(personas.alice)

    response = client.get(URL)
    # Five on the page (what is due this week stays near the top), the rest a link away.
    assert response.context["follow_ups"]["overdue"] == overdue[:5]
    assert response.context["follow_up_counts"]["overdue"] == 35
    html = response.content.decode()
    more = html.split('data-more="overdue"')[1].split("</p>")[0]
    assert f'href="{reverse("visits:follow_ups")}?due=overdue"' in more
    assert "5 of 35 shown: see them all" in more
    assert f'data-visit="{overdue[5].pk}"' not in html

    # The links lead to every one of them, a page at a time, each once and in order.
    listed = rows_of(pages(client, reverse("visits:follow_ups"), {"due": "overdue"}))
    assert listed == overdue
    listed = rows_of(pages(client, reverse("visits:follow_ups"), {"due": "later"}))
    assert listed == sorted(later, key=lambda visit: visit.pk)


def test_my_week_counts_each_group_up_to_a_limit_and_says_more_than_it(
    personas, login, monkeypatch
):
    from visits import selectors, views

    monkeypatch.setattr(selectors, "FOLLOW_UP_COUNT_LIMIT", 3)
    monkeypatch.setattr(views, "SHOWN", 3)
    today = timezone.localdate()
    overdue = [
        VisitFactory(account=personas.account, follow_up_due=today - days(9 - i)) for i in range(5)
    ]
    VisitFactory(account=personas.account, follow_up_due=today)
    for _ in range(4):
        VisitFactory(account=personas.account, follow_up_due=today + days(20))
    client = login(personas.alice)
    client.get(URL)  # what a process reads once (the scoring model) read before counting

    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(5):
        VisitFactory(account=personas.account, follow_up_due=today - days(30 + i))
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    # Counted up to the limit + 1: 4 means "more than 3"; the group that is not over it
    # is exact. The page's queries do not grow with the rows.
    assert response.context["follow_up_counts"] == {"overdue": 4, "soon": 1, "week": 0, "later": 4}
    assert len(many.captured_queries) == len(few.captured_queries)
    html = response.content.decode()
    section = html.split('id="follow-ups"')[1].split("</section>")[0]
    assert '<span class="badge">7+</span>' in section  # 3 + 1 + 3 shown as counted, and more
    assert '<span class="badge danger">3+</span>' in section
    more = section.split('data-more="overdue"')[1].split("</p>")[0]
    assert "3 of more than 3 shown: see them all" in more
    assert "More than 3 more due after this week" in section
    # The oldest three of the ten overdue are listed, and the list pages through all ten.
    listed = response.context["follow_ups"]["overdue"]
    assert [visit.follow_up_due for visit in listed] == sorted(
        visit.follow_up_due for visit in Visit.objects.filter(follow_up_due__lt=today)
    )[:3]
    assert overdue[0] not in listed  # nine days overdue: younger than the five added later
    everything = rows_of(pages(client, reverse("visits:follow_ups"), {"due": "overdue"}))
    assert len(everything) == 10


def test_the_follow_up_list_shows_only_the_users_own_open_follow_ups(personas, login):
    today = timezone.localdate()
    mine = VisitFactory(account=personas.account, follow_up_due=today)
    VisitFactory(account=personas.account, follow_up_due=today, followed_up_on=today)  # done
    VisitFactory(account=personas.account, owner=personas.bob, follow_up_due=today)
    VisitFactory(account=personas.charlies_account, follow_up_due=today)

    response = login(personas.alice).get(reverse("visits:follow_ups"))
    assert response.context["page"].object_list == [mine]
    assert response.context["page"].count == 1


def test_an_unknown_group_of_follow_ups_shows_them_all_and_says_why(personas, login):
    visit = VisitFactory(account=personas.account)
    response = login(personas.alice).get(reverse("visits:follow_ups"), {"due": "<someday>"})
    assert response.status_code == 200
    assert response.context["page"].object_list == [visit]
    html = response.content.decode()
    assert "There is no group of follow-ups called “&lt;someday&gt;”" in html


def test_the_list_of_follow_ups_costs_the_same_queries_on_its_first_and_a_deep_page(
    personas, login
):
    today = timezone.localdate()
    for i in range(80):
        VisitFactory(account=personas.account, follow_up_due=today - days(i))
    client = login(personas.alice)

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    # Pages of 25, by keyset: the third reads from where the second ended, no OFFSET.
    third = list(pages(client, reverse("visits:follow_ups")))[2].request
    assert queries(f"{third['PATH_INFO']}?{third['QUERY_STRING']}") == queries(
        reverse("visits:follow_ups")
    )


def test_my_week_lists_the_first_twenty_lapsed_accounts_and_links_to_all(personas, login, settings):
    policy_set(rhythm={"D": 30})
    stale = [AccountFactory(owner=personas.alice, name=f"Stale {i:02}") for i in range(26)]
    Account.objects.filter(pk__in=[a.pk for a in stale]).update(
        created_at=timezone.now() - days(100)
    )
    client = login(personas.alice)

    response = client.get(URL)
    assert len(response.context["lapsed"]) == 20
    assert response.context["lapsed_count"] == 26
    html = response.content.decode()
    link = html.split('data-more="lapsed"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "The 20 that lapsed first of 26." in html

    # The account list with the owner picked and the same rule lists all 26.
    listed = rows_of(pages(client, link.replace("&amp;", "&")))
    assert sorted(account.name for account in listed) == [f"Stale {i:02}" for i in range(26)]


def test_my_week_opens_with_today_then_overdue_then_the_rest_of_the_week(personas, login):
    today = timezone.localdate()
    now = timezone.now()
    account = personas.account
    later_today = PlannedVisitFactory(
        account=account, planned_at=max(now, at_noon(today)) + datetime.timedelta(minutes=1)
    )
    if timezone.localdate(later_today.planned_at) != today:  # run just before midnight
        later_today.planned_at = now
        later_today.save()
    in_three_days = PlannedVisitFactory(account=account, planned_at=at_noon(today + days(3)))
    due_tomorrow = VisitFactory(account=account, follow_up_due=today + days(1))
    overdue = [VisitFactory(account=account, follow_up_due=today - days(30 - i)) for i in range(9)]
    just_logged = VisitFactory(account=account, occurred_at=now)  # its follow-up: in 7 days
    assert just_logged.follow_up_due == today + days(7)

    html = login(personas.alice).get(URL).content.decode()
    position = {
        "today's visit": html.index(f'href="{later_today.get_absolute_url()}?'),
        "due tomorrow": html.index(f'data-visit="{due_tomorrow.pk}"'),
        "first overdue": html.index(f'data-visit="{overdue[0].pk}"'),
        "just logged": html.index(f'data-visit="{just_logged.pk}"'),
        "in three days": html.index(f'href="{in_three_days.get_absolute_url()}?'),
    }
    assert list(position) == sorted(position, key=position.get)
    today_card = html.split('id="today"')[1].split("</section>")[0]
    assert f'href="{later_today.get_absolute_url()}?' in today_card
    assert f'data-visit="{due_tomorrow.pk}"' in today_card
    assert f'data-visit="{overdue[5].pk}"' not in html  # five overdue, the rest a link away


def test_each_persons_follow_up_counts_are_their_own_from_the_one_compiled_statement(
    personas, client
):
    """The counts' statement is compiled once per process and day (keyaccounts/
    statements.py) and run with each person's id: Alice's and Bob's differ, and a
    superuser's (another statement) counts theirs."""
    today = timezone.localdate()
    bobs = AccountFactory(owner=personas.bob)
    for due in (-3, -2, 0):
        VisitFactory(
            account=personas.account, owner=personas.alice, follow_up_due=today + days(due)
        )
    VisitFactory(account=bobs, owner=personas.bob, follow_up_due=today + days(20))
    counts = {}
    for person in (personas.alice, personas.bob, personas.alice, personas.admin):
        client.force_login(person)
        counts.setdefault(person.username, []).append(client.get(URL).context["follow_up_counts"])
    alice = {"overdue": 2, "soon": 1, "week": 0, "later": 0}
    assert counts[personas.alice.username] == [alice, alice]
    assert counts[personas.bob.username] == [{"overdue": 0, "soon": 0, "week": 0, "later": 1}]
    assert counts[personas.admin.username] == [{"overdue": 0, "soon": 0, "week": 0, "later": 0}]


def test_a_follow_up_says_whom_when_and_how_due_in_the_readers_language(personas, client):
    """An open follow-up on my week (`follow_up_item`): the account (as text), the
    visit's date and whom we met, linked to the visit's follow-up form and back, and
    its due date as overdue, soon or later; in Chinese too."""
    today = timezone.localdate()
    account = AccountFactory(owner=personas.alice, name="Tom & Jerry <Ltd>")
    ana, li = (ContactFactory(account=account, name=name) for name in ("Ana", "李娜"))
    late = VisitFactory(account=account, owner=personas.alice, follow_up_due=today - days(2))
    late.contacts.set([ana, li])
    soon = VisitFactory(account=account, owner=personas.alice, follow_up_due=today + days(1))
    later = VisitFactory(account=account, owner=personas.alice, follow_up_due=today + days(5))
    client.force_login(personas.alice)

    def item(html, visit):
        start = html.index(f'<li class="followup" data-visit="{visit.pk}">')
        return html[start : html.index("</li>", start)]

    html = client.get(URL).content.decode()
    first = item(html, late)
    occurred = timezone.localtime(late.occurred_at).date().isoformat()
    assert f'href="/visits/{late.pk}/?next=/my-week/#follow-up"' in first
    assert "<strong>Tom &amp; Jerry &lt;Ltd&gt;</strong>" in first
    assert f"visit of {occurred} · Ana, 李娜</span>" in first
    due = late.follow_up_due.isoformat()
    assert f'<span class="badge danger">overdue since {due}</span>' in first
    due = soon.follow_up_due.isoformat()
    assert f'<span class="badge warn">due soon: {due}</span>' in item(html, soon)
    assert f'<span class="badge">due {later.follow_up_due.isoformat()}</span>' in item(html, later)

    client.post(reverse("set_language"), {"language": "zh-hans", "next": URL})
    html = client.get(URL).content.decode()
    assert f"{occurred} 拜访 · Ana、李娜</span>" in item(html, late)
    assert f"自 {late.follow_up_due.isoformat()} 起逾期" in item(html, late)
    assert f"即将到期：{soon.follow_up_due.isoformat()}" in item(html, soon)
    assert f"{later.follow_up_due.isoformat()} 到期" in item(html, later)

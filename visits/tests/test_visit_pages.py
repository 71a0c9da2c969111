"""Logging, planning, editing and cancelling a visit, its follow-up, and the timeline."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import BuyingRole
from accounts.tests.factories import ContactFactory
from keyaccounts.tests.paging_helpers import pages, rows_of
from keyaccounts.tests.section_helpers import section_context
from visits.forms import DATETIME_FORMAT
from visits.models import Visit, VisitStatus
from visits.tests.factories import PlannedVisitFactory, VisitFactory

VISITS = "visits/includes/account_visits_section.html"  # the account page's section
pytestmark = pytest.mark.django_db


def days(n):
    return datetime.timedelta(days=n)


def at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime(DATETIME_FORMAT)


def create_url(account, status=None):
    url = reverse("visits:create", args=[account.pk])
    return f"{url}?status={status}" if status else url


def done_data(**overrides):
    data = {
        "occurred_at": local(timezone.now() - datetime.timedelta(hours=3)),
        "duration_minutes": "45",
        "method": "in_person",
        "place": "Their office",
        "talking_points": "Budget for next year",
        "customer_views": "Wants a pilot first",
        "customer_attitude": "supporter",
        "next_steps": "Send the pilot proposal",
        "follow_up_due": "",
    }
    data.update(overrides)
    return data


# --- the form's defaults ------------------------------------------------------------------


def test_log_a_visit_starts_with_now_rounded_down_to_the_quarter_hour(personas, login):
    form = login(personas.alice).get(create_url(personas.account)).context["form"]
    occurred = form.initial["occurred_at"]
    now = timezone.localtime()
    assert occurred.minute % 15 == 0 and occurred.second == 0
    assert datetime.timedelta(0) <= now - occurred < datetime.timedelta(minutes=15)
    assert form.initial["method"] == "in_person"
    assert form.initial["duration_minutes"] == 60
    assert "planned_at" not in form.fields  # a recorded visit asks what happened instead
    assert {"talking_points", "customer_views", "follow_up_due"} <= set(form.fields)


def test_plan_a_visit_starts_tomorrow_at_ten_and_asks_for_preparation(personas, login):
    response = login(personas.alice).get(create_url(personas.account, "planned"))
    form = response.context["form"]
    planned = timezone.localtime(form.initial["planned_at"])
    assert planned.date() == timezone.localdate() + datetime.timedelta(days=1)
    assert (planned.hour, planned.minute) == (10, 0)
    assert {"purpose", "preparation", "pre_visit_call_held"} <= set(form.fields)
    assert "talking_points" not in form.fields and "occurred_at" not in form.fields
    assert 'type="datetime-local"' in response.content.decode()


def test_contacts_are_the_accounts_active_people_labelled_for_a_phone(personas, login):
    ContactFactory(
        account=personas.account, name="王芳", title="总经理", buying_role=BuyingRole.DECIDER
    )
    ContactFactory(account=personas.account, name="Gone Person", is_active=False)
    ContactFactory(account=personas.charlies_account, name="Not Hers")
    response = login(personas.alice).get(create_url(personas.account))
    field = response.context["form"].fields["contacts"]
    labels = [label for _, label in field.choices]
    assert labels == ["王芳 · 总经理 · Decider"]
    assert 'type="checkbox"' in response.content.decode()


def test_an_odd_status_in_the_url_falls_back_to_logging(personas, login):
    response = login(personas.alice).get(create_url(personas.account, "nonsense"))
    assert response.status_code == 200
    assert response.context["status"] == VisitStatus.DONE


# --- saving ---------------------------------------------------------------------------------


def test_a_logged_visit_is_saved_with_a_follow_up_one_week_after_it(personas, login):
    contact = ContactFactory(account=personas.account)
    occurred = timezone.now() - datetime.timedelta(days=2)
    response = login(personas.alice).post(
        create_url(personas.account),
        done_data(occurred_at=local(occurred), contacts=[contact.pk]),
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == visit.get_absolute_url()
    assert visit.status == VisitStatus.DONE
    assert visit.owner == personas.alice
    assert list(visit.contacts.all()) == [contact]
    assert visit.follow_up_due == timezone.localdate(occurred) + datetime.timedelta(days=7)


def test_a_chosen_follow_up_date_is_kept(personas, login):
    due = timezone.localdate() + datetime.timedelta(days=3)
    login(personas.alice).post(create_url(personas.account), done_data(follow_up_due=due))
    assert Visit.objects.get().follow_up_due == due


def test_a_contact_of_another_account_is_refused_with_a_clear_message(personas, login):
    ours = ContactFactory(account=personas.account)
    theirs = ContactFactory(account=personas.charlies_account, name="Secret Wang")
    response = login(personas.alice).post(
        create_url(personas.account),
        done_data(contacts=[ours.pk, theirs.pk], talking_points="Keep me"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["contacts"]
    assert errors == [f"Choose contacts of this account only; {theirs.pk} is not one of them."]
    assert not Visit.objects.exists()
    html = response.content.decode()
    assert "Keep me" in html  # nothing typed is lost
    assert "Secret Wang" not in html  # and nothing about the other account leaks


def test_a_contact_id_that_is_not_a_number_is_a_form_error_not_a_crash(personas, login):
    response = login(personas.alice).post(create_url(personas.account), done_data(contacts=["x"]))
    assert response.status_code == 200
    assert response.context["form"].errors["contacts"]
    assert not Visit.objects.exists()


def test_a_recorded_visit_in_the_future_is_refused(personas, login):
    future = timezone.now() + datetime.timedelta(days=1)
    response = login(personas.alice).post(
        create_url(personas.account), done_data(occurred_at=local(future))
    )
    assert response.status_code == 200
    assert "cannot be in the future" in str(response.context["form"].errors["occurred_at"])
    assert not Visit.objects.exists()


def test_a_time_refused_is_said_with_the_other_fields_problems_in_one_round(personas, login):
    """A phone sends the form once: a place too long and a time in the future, a plan in
    the past and a negative duration, each said at once (the time was said only after
    the rest was mended)."""
    client = login(personas.alice)
    future = timezone.now() + datetime.timedelta(days=1)
    recorded = client.post(
        create_url(personas.account), done_data(occurred_at=local(future), place="P" * 300)
    )
    planned = client.post(
        create_url(personas.account, "planned"),
        {
            "planned_at": "2020-01-01T10:00",
            "duration_minutes": "-5",
            "method": "in_person",
            "place": "Their office",
        },
    )

    assert set(recorded.context["form"].errors) == {"occurred_at", "place"}
    assert "cannot be in the future" in recorded.context["form"].errors["occurred_at"][0]
    assert set(planned.context["form"].errors) == {"planned_at", "duration_minutes"}
    assert "planned for today or later" in planned.context["form"].errors["planned_at"][0]
    assert not Visit.objects.exists()


def test_a_date_that_is_not_a_date_is_a_form_error(personas, login):
    response = login(personas.alice).post(
        create_url(personas.account), done_data(occurred_at="yesterday-ish")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["occurred_at"]


def test_a_follow_up_before_the_visit_is_refused(personas, login):
    response = login(personas.alice).post(
        create_url(personas.account),
        done_data(follow_up_due=timezone.localdate() - datetime.timedelta(days=10)),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["follow_up_due"]


def test_a_planned_visit_has_no_follow_up_yet(personas, login):
    when = timezone.now() + datetime.timedelta(days=2)
    login(personas.alice).post(
        create_url(personas.account, "planned"),
        {"planned_at": local(when), "method": "phone", "purpose": "Introduce the team"},
    )
    visit = Visit.objects.get()
    assert visit.status == VisitStatus.PLANNED
    assert visit.follow_up_due is None
    assert visit.purpose == "Introduce the team"


def test_the_plan_form_offers_no_past_time_but_a_plan_sent_late_is_kept(personas, login):
    """The picker's earliest time is now (a plan's own date where it is earlier, so that
    editing its notes needs no new date); a plan filled offline and sent after its time
    (the outbox) is saved all the same."""
    client = login(personas.alice)
    before = timezone.now().replace(second=0, microsecond=0)
    page = client.get(create_url(personas.account, "planned"))
    earliest = page.context["form"].fields["planned_at"].widget.attrs["min"]
    assert local(before) <= earliest <= local(timezone.now())
    assert f'min="{earliest}"' in page.content.decode()

    past = PlannedVisitFactory(
        account=personas.account, planned_at=timezone.now() - datetime.timedelta(days=2)
    )
    edit = client.get(reverse("visits:edit", args=[past.pk]))
    assert edit.context["form"].fields["planned_at"].widget.attrs["min"] == local(past.planned_at)

    # An hour late, or since midnight when it is not yet an hour past: a plan before
    # today is refused (listed nowhere), so a test run at 00:30 must not send one.
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))
    late = max(timezone.now() - datetime.timedelta(hours=1), midnight)
    client.post(
        create_url(personas.account, "planned"),
        {"planned_at": local(late), "method": "phone", "purpose": "Planned on the train"},
    )
    assert Visit.objects.get(purpose="Planned on the train").planned_at == late.replace(
        second=0, microsecond=0
    )


def test_a_planned_visit_needs_a_date(personas, login):
    response = login(personas.alice).post(
        create_url(personas.account, "planned"), {"planned_at": "", "method": "phone"}
    )
    assert response.context["form"].errors["planned_at"]
    assert not Visit.objects.exists()


def test_recording_the_outcome_of_a_planned_visit_opens_its_follow_up(personas, login):
    planned = PlannedVisitFactory(
        account=personas.account,
        planned_at=timezone.now() - datetime.timedelta(hours=5),
        purpose="Demo",
        preparation="Bring the case study",
    )
    url = reverse("visits:edit", args=[planned.pk]) + "?status=done"
    client = login(personas.alice)
    form = client.get(url).context["form"]
    assert form.initial["occurred_at"] == planned.planned_at  # it happened as planned
    assert form["purpose"].value() == "Demo"
    occurred = timezone.now() - datetime.timedelta(hours=4)
    client.post(url, done_data(occurred_at=local(occurred), version=planned.version))
    planned.refresh_from_db()
    assert planned.status == VisitStatus.DONE
    assert planned.preparation == "Bring the case study"  # not on this form, so kept
    assert planned.follow_up_due == timezone.localdate(occurred) + datetime.timedelta(days=7)


@pytest.mark.parametrize(
    ("given", "back"),
    [
        ("/my-week/planned/?when=unrecorded", "/my-week/planned/?when=unrecorded"),
        ("https://evil.example/", None),
    ],
)
def test_recording_the_outcome_goes_back_where_the_form_was_opened(personas, login, given, back):
    planned = PlannedVisitFactory(
        account=personas.account, planned_at=timezone.now() - datetime.timedelta(days=2)
    )
    url = reverse("visits:edit", args=[planned.pk])
    client = login(personas.alice)
    html = client.get(url, {"status": "done", "next": given}).content.decode()
    if back:  # kept through the post, and Cancel goes there too
        assert f'<input type="hidden" name="next" value="{back}">' in html
        assert f'<a href="{back}">Cancel</a>' in html
    else:
        assert '="https://evil.example/"' not in html
        assert f'<a href="{planned.get_absolute_url()}">Cancel</a>' in html
    occurred = timezone.now() - datetime.timedelta(days=2)
    response = client.post(
        f"{url}?status=done",
        {**done_data(occurred_at=local(occurred), version=planned.version), "next": given},
    )
    assert response.status_code == 302
    assert response.url == (back or planned.get_absolute_url())
    planned.refresh_from_db()
    assert planned.status == VisitStatus.DONE
    # Said as a new visit's record says it: when to follow up.
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"Visit recorded. Follow up by {planned.follow_up_due.isoformat()}."]


def test_a_recorded_visit_cannot_be_turned_back_into_a_plan(personas, login):
    visit = VisitFactory(account=personas.account)
    url = reverse("visits:edit", args=[visit.pk]) + "?status=planned"
    response = login(personas.alice).get(url)
    assert response.context["status"] == VisitStatus.DONE


def test_saving_over_someone_elses_newer_edit_is_refused_and_keeps_the_input(personas, login):
    visit = VisitFactory(account=personas.account, talking_points="Original")
    stale = visit.version
    visit.talking_points = "Bob's change"
    visit.save()
    response = login(personas.alice).post(
        reverse("visits:edit", args=[visit.pk]),
        done_data(
            occurred_at=local(visit.occurred_at), talking_points="Alice's change", version=stale
        ),
    )
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    assert "Alice&#x27;s change" in response.content.decode()
    visit.refresh_from_db()
    assert visit.talking_points == "Bob's change"


def test_a_planned_visit_can_be_cancelled_and_leaves_the_timeline(personas, login):
    visit = PlannedVisitFactory(account=personas.account)
    client = login(personas.alice)
    response = client.post(reverse("visits:cancel", args=[visit.pk]))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED
    page = client.get(personas.account.get_absolute_url())
    assert visit not in section_context(page, VISITS)["visits"]
    # A cancelled visit is history, not something to edit.
    edit = client.get(reverse("visits:edit", args=[visit.pk]), follow=True)
    assert "can no longer be changed" in edit.content.decode()


def test_a_recorded_visit_cannot_be_cancelled(personas, login):
    visit = VisitFactory(account=personas.account)
    response = login(personas.alice).post(reverse("visits:cancel", args=[visit.pk]), follow=True)
    assert "Only a planned visit can be cancelled." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE


def test_cancel_is_a_post_only_action(personas, login):
    visit = PlannedVisitFactory(account=personas.account)
    assert login(personas.alice).get(reverse("visits:cancel", args=[visit.pk])).status_code == 405


# --- the follow-up ---------------------------------------------------------------------------


def test_the_follow_up_form_defaults_to_today(personas, login):
    visit = VisitFactory(account=personas.account)
    form = login(personas.alice).get(visit.get_absolute_url()).context["follow_up_form"]
    assert form.fields["followed_up_on"].initial == timezone.localdate()


def test_logging_the_follow_up_closes_it(personas, login):
    visit = VisitFactory(account=personas.account)
    response = login(personas.bob).post(
        reverse("visits:follow_up", args=[visit.pk]),
        {
            "followed_up_on": timezone.localdate().isoformat(),
            "follow_up_method": "phone",
            "follow_up_feedback": "Happy with the proposal",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.followed_up_on == timezone.localdate()
    assert visit.followed_up_by == personas.bob
    assert not visit.follow_up_open


def test_the_follow_up_returns_to_the_page_it_came_from_but_never_off_site(personas, login):
    visit = VisitFactory(account=personas.account)
    data = {
        "followed_up_on": timezone.localdate().isoformat(),
        "follow_up_method": "visit",
        "follow_up_feedback": "OK",
        "next": "https://evil.example/",
    }
    response = login(personas.alice).post(reverse("visits:follow_up", args=[visit.pk]), data)
    assert response["Location"] == visit.get_absolute_url()
    other = VisitFactory(account=personas.account)
    data["next"] = "/my-week/"
    response = login(personas.alice).post(reverse("visits:follow_up", args=[other.pk]), data)
    assert response["Location"] == "/my-week/"


def test_a_follow_up_in_the_future_or_without_feedback_is_refused(personas, login):
    visit = VisitFactory(account=personas.account)
    response = login(personas.alice).post(
        reverse("visits:follow_up", args=[visit.pk]),
        {
            "followed_up_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
            "follow_up_method": "phone",
            "follow_up_feedback": "   ",
        },
    )
    assert response.status_code == 200
    form = response.context["follow_up_form"]
    assert form.errors["follow_up_feedback"]
    visit.refresh_from_db()
    assert visit.follow_up_open

    response = login(personas.alice).post(
        reverse("visits:follow_up", args=[visit.pk]),
        {
            "followed_up_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
            "follow_up_method": "phone",
            "follow_up_feedback": "Said yes",
        },
    )
    assert "cannot be in the future" in str(response.context["follow_up_form"].errors)
    assert "Said yes" in response.content.decode()
    visit.refresh_from_db()
    assert visit.follow_up_open


def test_a_settled_follow_up_cannot_be_logged_twice(personas, login):
    visit = VisitFactory(
        account=personas.account,
        followed_up_on=timezone.localdate(),
        follow_up_feedback="First",
    )
    response = login(personas.alice).post(
        reverse("visits:follow_up", args=[visit.pk]),
        {
            "followed_up_on": timezone.localdate().isoformat(),
            "follow_up_method": "phone",
            "follow_up_feedback": "Second",
        },
        follow=True,
    )
    assert "There is no open follow-up" in response.content.decode()
    visit.refresh_from_db()
    assert visit.follow_up_feedback == "First"


# --- the timeline --------------------------------------------------------------------------


def test_the_account_page_shows_its_visits_newest_first(personas, login):
    now = timezone.now()
    old = VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=30))
    new = VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=1))
    plan = PlannedVisitFactory(
        account=personas.account, planned_at=now + datetime.timedelta(days=3)
    )
    VisitFactory(account=personas.charlies_account)
    response = login(personas.alice).get(personas.account.get_absolute_url())
    assert section_context(response, VISITS)["visits"] == [plan, new, old]
    html = response.content.decode()
    assert reverse("visits:create", args=[personas.account.pk]) in html
    assert f"{reverse('visits:record_list')}?account={personas.account.pk}" in html


def test_the_account_page_shows_the_latest_ten_and_links_to_all(personas, login):
    for days in range(12):
        VisitFactory(
            account=personas.account, occurred_at=timezone.now() - datetime.timedelta(days=days)
        )
    client = login(personas.alice)
    response = client.get(personas.account.get_absolute_url())
    assert len(section_context(response, VISITS)["visits"]) == 10
    assert reverse("visits:account_visits", args=[personas.account.pk]) in response.content.decode()
    everything = rows_of(
        pages(client, reverse("visits:account_visits", args=[personas.account.pk]))
    )
    assert len(everything) == 12
    assert client.get(reverse("visits:account_visits", args=[personas.account.pk]), {"page": "abc"})


def make_visits(account, n):
    contacts = [ContactFactory(account=account) for _ in range(2)]
    for i in range(n):
        visit = VisitFactory(
            account=account, occurred_at=timezone.now() - datetime.timedelta(days=i + 1)
        )
        visit.contacts.set(contacts)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_timeline_runs_the_same_number_of_queries_for_2_or_25_visits(personas, login):
    client = login(personas.alice)
    make_visits(personas.account, 2)
    url = personas.account.get_absolute_url()
    all_url = reverse("visits:account_visits", args=[personas.account.pk])
    few, few_all = count_queries(client, url), count_queries(client, all_url)
    make_visits(personas.account, 23)
    assert count_queries(client, url) == few
    assert count_queries(client, all_url) == few_all


def test_the_visit_page_shows_the_record_and_who_was_there(personas, login):
    contact = ContactFactory(account=personas.account, name="李娜")
    visit = VisitFactory(
        account=personas.account, talking_points="Pilot scope", customer_views="Too pricey"
    )
    visit.contacts.set([contact])
    visit.attendees.set([personas.bob])
    html = login(personas.alice).get(visit.get_absolute_url()).content.decode()
    for text in ["Pilot scope", "Too pricey", "李娜", str(personas.bob), "Log the follow-up"]:
        assert text in html


def test_correcting_the_visits_date_moves_a_default_follow_up_but_not_a_chosen_one(personas, login):
    today = timezone.localdate()
    visit = VisitFactory(account=personas.account, occurred_at=at_noon(today - days(2)))
    chosen = VisitFactory(
        account=personas.account,
        occurred_at=at_noon(today - days(2)),
        follow_up_due=today + days(2),
    )
    client = login(personas.alice)
    for v in (visit, chosen):
        client.post(
            reverse("visits:edit", args=[v.pk]),
            done_data(
                occurred_at=local(at_noon(today - days(4))),
                follow_up_due=v.follow_up_due.isoformat(),
                version=v.version,
            ),
        )
        v.refresh_from_db()
    assert visit.follow_up_due == today - days(4) + days(7)
    assert chosen.follow_up_due == today + days(2)


@pytest.mark.parametrize("value", ["²", "-1", "x", "9" * 30, ""])
def test_an_odd_contact_to_tick_on_the_plan_form_ticks_nothing(personas, login, value):
    url = reverse("visits:create", args=[personas.account.pk])
    response = login(personas.alice).get(url, {"status": "planned", "contact": value})
    assert response.status_code == 200
    assert not response.context["form"]["contacts"].value()


def test_an_overdue_follow_up_says_so_in_words_not_only_in_red(personas, login):
    """The account page's visits: a follow-up past its day is named overdue (the red
    badge alone would tell a reader who cannot see red nothing); one still due says
    when it is due."""
    today = timezone.localdate()
    overdue = VisitFactory(account=personas.account, occurred_at=at_noon(today - days(10)))
    due = VisitFactory(account=personas.account, occurred_at=at_noon(today - days(2)))
    assert overdue.follow_up_due < today <= due.follow_up_due

    html = login(personas.alice).get(personas.account.get_absolute_url()).content.decode()

    def badge(visit):
        start = html.index(f'data-visit="{visit.pk}"')
        return html[start : html.index("</li>", start)]

    assert f"Follow-up overdue since {overdue.follow_up_due.isoformat()}" in badge(overdue)
    assert "Follow-up due" not in badge(overdue)
    assert f"Follow-up due {due.follow_up_due.isoformat()}" in badge(due)
    assert "overdue" not in badge(due)


def test_a_timeline_item_says_when_whom_and_what_in_the_readers_language(personas, login):
    """A visit's item (`visit_item`) on the account's visits: its time linked to its
    page, whom we met (joined by the language's comma), who went, what was said cut at
    160 characters; every name and text written as text, never as markup."""
    account = personas.account
    ana = ContactFactory(account=account, name="Ana <b>")
    li = ContactFactory(account=account, name="李娜")
    visit = VisitFactory(
        account=account,
        owner=personas.alice,
        occurred_at=at_noon(timezone.localdate() - days(3)),
        talking_points="<script>x</script> " + "长" * 200,
        followed_up_on=timezone.localdate() - days(1),
    )
    visit.contacts.set([ana, li])
    alone = VisitFactory(account=account, owner=personas.alice)
    client = login(personas.alice)
    url = reverse("visits:account_visits", args=[account.pk])

    def item(html, of):
        start = html.index(f'<li class="visit vs-done" data-visit="{of.pk}">')
        return html[start : html.index("</li>", start)]

    html = client.get(url).content.decode()
    mine = item(html, visit)
    when = timezone.localtime(visit.occurred_at)
    assert (
        f'<a href="/visits/{visit.pk}/"><time datetime="{when.isoformat()}">'
        f"{when:%Y-%m-%d %H:%M}</time></a>" in mine
    )
    assert "Ana &lt;b&gt;, 李娜" in mine
    assert f"· by {personas.alice}" in mine
    assert "<script>" not in mine and "&lt;script&gt;x&lt;/script&gt; " in mine
    # 160 characters with the "…": the 19 of the markup written as text, 140 of the rest.
    assert "长" * 140 + "…</p>" in mine and "长" * 141 not in mine
    followed = (timezone.localdate() - days(1)).isoformat()
    assert f'<span class="badge ok">Followed up {followed}</span>' in mine
    assert "No contact recorded" in item(html, alone)

    client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    html = client.get(url).content.decode()
    assert "Ana &lt;b&gt;、李娜" in item(html, visit)
    assert f"· 记录人：{personas.alice}" in item(html, visit)
    assert f"已于 {followed} 回访" in item(html, visit)
    assert "未记录拜访对象" in item(html, alone)


def test_saving_again_after_a_conflict_keeps_the_contacts_someone_else_added(personas, login):
    """The people on a visit are many-to-many: the merge reads them from the history
    entry of the version the form was opened at, as it does the visit's own fields."""
    from visits import services
    from visits.tests.test_admin_people import form_of

    wang, li = ContactFactory(account=personas.account), ContactFactory(account=personas.account)
    planned = PlannedVisitFactory(
        account=personas.account,
        owner=personas.alice,
        planned_at=timezone.now() + datetime.timedelta(days=2),
        purpose="Demo",
    )
    planned.contacts.set([wang])
    planned = Visit.objects.get(pk=planned.pk)
    url = reverse("visits:edit", args=[planned.pk])
    alice = login(personas.alice)
    mine = form_of(alice.get(url), "record-form")  # Alice opens the plan...
    # ...Bob adds Li to it...
    services.visit_save(
        by=personas.bob,
        account=personas.account,
        visit=Visit.objects.get(pk=planned.pk),
        contacts=[wang, li],
    )
    # ...and Alice, from the form opened before, changes the purpose.
    mine["purpose"] = "Demo and pricing"
    response = alice.post(url, mine)
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()

    assert alice.post(url, form_of(response, "record-form")).status_code == 302
    planned.refresh_from_db()
    assert planned.purpose == "Demo and pricing"
    assert set(planned.contacts.all()) == {wang, li}  # Bob's addition kept


def test_recording_an_outcome_after_a_conflict_keeps_the_prefilled_time_and_their_change(
    personas, login
):
    """The outcome form fills in when the visit happened (as planned). After a conflict,
    saving again writes that time as shown — it is not someone else's change — and keeps
    what the other person did change."""
    from visits import services
    from visits.tests.test_admin_people import form_of

    planned = PlannedVisitFactory(
        account=personas.account,
        owner=personas.alice,
        planned_at=(timezone.now() - datetime.timedelta(hours=5)).replace(second=0, microsecond=0),
        purpose="Demo",
    )
    url = reverse("visits:edit", args=[planned.pk]) + "?status=done"
    alice = login(personas.alice)
    mine = form_of(alice.get(url), "record-form")
    assert mine["occurred_at"] == local(planned.planned_at)  # prefilled
    services.visit_save(
        by=personas.bob,
        account=personas.account,
        visit=Visit.objects.get(pk=planned.pk),
        place="Their new plant",
    )
    mine.update(
        talking_points="Budget",
        customer_views="Wants a pilot",
        customer_attitude="supporter",
        next_steps="Send the proposal",
    )
    response = alice.post(url, mine)
    assert "Someone else saved this record" in response.content.decode()

    assert alice.post(url, form_of(response, "record-form")).status_code == 302
    planned.refresh_from_db()
    assert planned.status == VisitStatus.DONE
    assert planned.occurred_at == planned.planned_at  # the time she saw, written
    assert planned.place == "Their new plant"  # Bob's change kept
    assert planned.next_steps == "Send the proposal"


def test_a_time_with_seconds_left_alone_keeps_the_new_time_someone_else_saved(personas, login):
    """The time inputs send minutes; a planned time with seconds (from the API or an
    import), left alone, is no change of the person's: the time someone else saved
    since stays."""
    from visits import services
    from visits.tests.test_admin_people import form_of

    at = (timezone.now() + datetime.timedelta(days=2)).replace(second=30, microsecond=0)
    planned = PlannedVisitFactory(
        account=personas.account, owner=personas.alice, planned_at=at, purpose="Demo"
    )
    url = reverse("visits:edit", args=[planned.pk])
    alice = login(personas.alice)
    mine = form_of(alice.get(url), "record-form")
    later = (at + datetime.timedelta(days=1)).replace(second=0)
    services.visit_save(
        by=personas.bob,
        account=personas.account,
        visit=Visit.objects.get(pk=planned.pk),
        planned_at=later,
    )
    mine["purpose"] = "Demo and pricing"
    response = alice.post(url, mine)
    assert "Someone else saved this record" in response.content.decode()
    assert alice.post(url, form_of(response, "record-form")).status_code == 302
    planned.refresh_from_db()
    assert (planned.planned_at, planned.purpose) == (later, "Demo and pricing")


def test_a_colleague_who_cannot_see_the_account_is_named_after_the_save(personas, login):
    """Carol is of Alice's team but not of this account's: she would not see the visit she
    goes to. The save says so, and what to do."""
    from accounts.selectors import accounts_visible_to
    from accounts.tests.factories import TeamMemberFactory

    assert not accounts_visible_to(personas.carol).filter(pk=personas.account.pk).exists()
    client = login(personas.alice)
    response = client.post(
        create_url(personas.account), done_data(attendees=[personas.carol.pk]), follow=True
    )
    said = [str(message) for message in response.context["messages"]]
    assert (
        f"{personas.carol} cannot see Alice's Customer Co, so they do not see this visit in "
        "their week: add them to the account team."
    ) in said
    TeamMemberFactory(account=personas.account, user=personas.carol)
    again = client.post(
        create_url(personas.account),
        done_data(attendees=[personas.carol.pk], place="Another office"),
        follow=True,
    )
    assert not any("cannot see" in str(message) for message in again.context["messages"])

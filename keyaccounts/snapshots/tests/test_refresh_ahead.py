"""Snapshots kept fresh in the background (keyaccounts/snapshots/: `refresh_due`): a page
its person viewed lately is computed again before it goes stale and once a save of
theirs has settled, by the page's own view, so their next view shows it at once; a
snapshot nobody looks at is left to its next view."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keyaccounts.models import Snapshot
from keyaccounts.snapshots import services as snapshots
from keyaccounts.snapshots.tests.test_dashboard_snapshots import (
    MY_WEEK,
    URL,
    grades,
    next_actions,
    shown_tile,
    view,
)
from scoring.tests.test_dashboard import set_grade

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kept(settings):
    settings.SNAPSHOT_SECONDS = 300
    settings.SNAPSHOT_REFRESH_LEAD_SECONDS = 90
    settings.SNAPSHOT_REFRESH_VIEWED_SECONDS = 3600
    cache.clear()  # no note of an earlier test's writes, no lock of an earlier run


def age(user, name: str, seconds: float, *, viewed_seconds_ago: float | None = None) -> None:
    """Make `user`'s snapshot `name` `seconds` old (and viewed that long ago, or as said)."""
    now = timezone.now()
    viewed = seconds if viewed_seconds_ago is None else viewed_seconds_ago
    Snapshot.objects.filter(user=user, name=name).update(
        computed_at=now - datetime.timedelta(seconds=seconds),
        viewed_at=now - datetime.timedelta(seconds=viewed),
    )


def the_snapshot(user, name: str = "dashboard") -> Snapshot:
    return Snapshot.objects.get(user=user, name=name)


def test_a_dashboard_viewed_lately_is_computed_again_before_it_goes_stale(personas, login):
    client = login(personas.manager)
    assert grades(view(client))["A"] == 0
    set_grade(personas.account, "A", personas.other_manager)  # someone else's change
    age(personas.manager, "dashboard", 250)  # 50 s before it would go stale
    before = the_snapshot(personas.manager)

    assert snapshots.refresh_due() == 1

    after = the_snapshot(personas.manager)  # the same page's snapshot, replaced
    assert after.computed_at > before.computed_at
    assert after.viewed_at == before.viewed_at  # a refresh is no view
    with CaptureQueriesContext(connection) as queries:
        response = view(client)
    assert response.context["snapshot"].kept  # shown at once ...
    assert shown_tile(response, "A") == 1  # ... with the change
    assert not any("scoring_accountscore" in q["sql"] for q in queries.captured_queries)


def test_a_snapshot_still_fresh_or_not_viewed_lately_is_left_alone(personas, login):
    client = login(personas.manager)
    view(client)
    age(personas.manager, "dashboard", 100)  # fresh for another 200 s
    assert snapshots.refresh_due() == 0
    age(personas.manager, "dashboard", 4000)  # stale, but its person stopped looking
    assert snapshots.refresh_due() == 0
    assert (timezone.now() - the_snapshot(personas.manager).computed_at).total_seconds() > 3900


def test_with_snapshots_or_their_refresh_off_nothing_is_computed(personas, login, settings):
    client = login(personas.manager)
    view(client)
    age(personas.manager, "dashboard", 250)
    settings.SNAPSHOT_SECONDS = 0
    assert snapshots.refresh_due() == 0
    settings.SNAPSHOT_SECONDS = 300
    settings.SNAPSHOT_REFRESH_VIEWED_SECONDS = 0
    assert snapshots.refresh_due() == 0
    settings.SNAPSHOT_REFRESH_VIEWED_SECONDS = 3600
    cache.add(snapshots.REFRESH_LOCK, 1)  # a run still at it
    assert snapshots.refresh_due() == 0
    cache.delete(snapshots.REFRESH_LOCK)
    assert snapshots.refresh_due() == 1


def test_once_the_viewers_own_save_has_settled_their_figures_are_computed_again(
    personas, login, settings
):
    settings.SCORING_RESCORE_DELAY_SECONDS = 10
    client = login(personas.manager)
    view(client)
    age(personas.manager, "dashboard", 100)  # fresh by its age
    set_grade(personas.account, "B", personas.other_manager)
    key = snapshots._wrote_key(personas.manager.pk)
    # The manager saved 5 s ago: its rescoring has not run yet, the view would compute.
    cache.set(key, timezone.now().timestamp() - 5)
    assert snapshots.refresh_due() == 0
    # Saved 40 s ago (after the snapshot): settled now.
    cache.set(key, timezone.now().timestamp() - 40)
    assert snapshots.refresh_due() == 1
    response = view(client)
    assert response.context["snapshot"].kept
    assert shown_tile(response, "B") == 1
    assert snapshots.refresh_due() == 0  # computed after the save: nothing left to do


def test_it_is_computed_in_the_language_and_with_the_filters_it_was_viewed_with(personas, login):
    client = login(personas.manager)
    chinese = client.get(URL, {"owner": personas.alice.pk}, headers={"accept-language": "zh-hans"})
    assert chinese.status_code == 200 and not chinese.context["snapshot"].kept
    row = the_snapshot(personas.manager)
    assert (row.path, row.language) == (f"{URL}?owner={personas.alice.pk}", "zh-hans")
    set_grade(personas.account, "A", personas.other_manager)  # alice's account
    age(personas.manager, "dashboard", 250)

    assert snapshots.refresh_due() == 1

    again = client.get(URL, {"owner": personas.alice.pk}, headers={"accept-language": "zh-hans"})
    assert again.context["snapshot"].kept
    assert "各等级客户" in again.content.decode()
    assert shown_tile(again, "A") == 1
    assert Snapshot.objects.filter(user=personas.manager, name="dashboard").count() == 1


@pytest.mark.parametrize(
    ("page", "name", "persona"),
    [
        ("scoring:analytics", "analytics", "manager"),
        ("visits:team", "team", "manager"),
        ("visits:my_week", "my_week_next_actions", "alice"),
        ("visits:heat_map", "heat-map", "manager"),
    ],
)
def test_every_kept_page_is_computed_again_by_its_own_view(personas, login, page, name, persona):
    from scoring.tests.builders import strong_soon_account

    strong_soon_account(personas.alice, name="Strong Co")  # something to advise
    user = getattr(personas, persona)
    client = login(user)
    assert client.get(reverse(page)).status_code == 200
    age(user, name, 250)
    before = the_snapshot(user, name)

    assert snapshots.refresh_due() == 1

    after = the_snapshot(user, name)
    assert after.computed_at > before.computed_at
    assert after.content == before.content  # nothing changed meanwhile: the same figures
    assert client.get(reverse(page)).status_code == 200
    # The view showed what the background kept: it computed nothing of its own.
    assert the_snapshot(user, name).computed_at == after.computed_at


def test_my_weeks_next_actions_computed_again_leave_out_what_was_done(personas, login):
    from accounts.models import BuyingRole
    from accounts.tests.factories import ContactFactory
    from scoring.tests.builders import strong_soon_account

    account = strong_soon_account(personas.alice, name="Strong Co")
    client = login(personas.alice)
    assert ("find_decider", account.pk) in next_actions(client.get(MY_WEEK))
    ContactFactory(account=account, buying_role=BuyingRole.DECIDER, name="Dai")
    age(personas.alice, "my_week_next_actions", 250)
    assert snapshots.refresh_due() == 1
    assert ("find_decider", account.pk) not in next_actions(client.get(MY_WEEK))


def test_a_page_its_person_can_no_longer_open_loses_its_snapshot(personas, login):
    client = login(personas.manager)
    assert client.get(reverse("visits:team")).status_code == 200
    personas.manager.managed_teams.update(manager=None)  # no longer manages a team
    age(personas.manager, "team", 250)
    assert snapshots.refresh_due() == 0
    assert not Snapshot.objects.filter(user=personas.manager, name="team").exists()


def test_a_view_notes_when_it_was_seen_at_most_once_a_minute(personas, login):
    client = login(personas.manager)
    view(client)
    seen = timezone.now() - datetime.timedelta(seconds=30)
    Snapshot.objects.filter(name="dashboard").update(viewed_at=seen)
    assert view(client).context["snapshot"].kept
    assert the_snapshot(personas.manager).viewed_at == seen  # 30 s ago: not noted again
    seen = timezone.now() - datetime.timedelta(seconds=61)
    Snapshot.objects.filter(name="dashboard").update(viewed_at=seen)
    assert view(client).context["snapshot"].kept
    assert the_snapshot(personas.manager).viewed_at > seen


def test_beat_runs_the_refresh_every_minute(personas, login, settings):
    from keyaccounts.tasks import snapshots_refresh

    assert settings.CELERY_BEAT_SCHEDULE["snapshots-refresh"]["schedule"] == 60.0
    client = login(personas.manager)
    view(client)
    age(personas.manager, "dashboard", 250)
    assert snapshots_refresh.apply().get() == 1  # as a worker runs it


def test_snapshots_shorter_than_the_lead_and_a_minute_are_left_to_their_views(
    personas, login, settings
):
    """Kept 120 s with a lead of 90 s: due on every minute's run, viewed or not."""
    settings.SNAPSHOT_SECONDS = 120
    client = login(personas.manager)
    view(client)
    age(personas.manager, "dashboard", 100, viewed_seconds_ago=10)
    assert snapshots.refresh_due() == 0
    settings.SNAPSHOT_SECONDS = 151
    assert snapshots.refresh_due() == 1


def test_a_person_whose_rights_change_during_a_run_is_computed_with_their_rights_now(
    personas, login
):
    client = login(personas.admin)  # a superuser: the whole company
    set_grade(personas.account, "A", personas.other_manager)
    assert shown_tile(view(client), "A") == 1
    age(personas.admin, "dashboard", 250)
    # As a run read it, its person with it, before ...
    row = Snapshot.objects.select_related("user").get(user=personas.admin, name="dashboard")
    admin = personas.admin
    admin.is_superuser = False  # ... the admin is made a user, owning nothing
    admin.save()

    assert snapshots._compute_again(row) == 1

    response = view(client)
    assert response.context["snapshot"].kept
    assert shown_tile(response, "A") == 0


def test_a_page_that_fails_is_logged_and_left_to_its_next_view(
    personas, login, monkeypatch, caplog
):
    from scoring.dashboard import views as dashboard_views

    client = login(personas.manager)
    view(client)
    age(personas.manager, "dashboard", 250)
    calls = []

    def fails(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(dashboard_views, "_figures", fails)

    assert snapshots.refresh_due() == 0
    assert snapshots.refresh_due() == 0  # not tried again every minute

    assert len(calls) == 1
    assert "could not compute snapshot" in caplog.text
    assert the_snapshot(personas.manager).viewed_at is None
    monkeypatch.undo()
    # Its next view shows it while fresh and notes the view: refreshed again after it.
    assert view(client).context["snapshot"].kept
    assert the_snapshot(personas.manager).viewed_at is not None
    assert snapshots.refresh_due() == 1


def test_a_snapshot_of_a_person_made_inactive_or_of_a_page_gone_is_deleted(personas, login):
    client = login(personas.manager)
    view(client)
    age(personas.manager, "dashboard", 250)
    Snapshot.objects.filter(user=personas.manager).update(path="/no-such-page/")
    assert snapshots.refresh_due() == 0
    assert not Snapshot.objects.filter(user=personas.manager, name="dashboard").exists()

    view(client)
    age(personas.manager, "dashboard", 250)
    type(personas.manager).objects.filter(pk=personas.manager.pk).update(is_active=False)
    assert snapshots.refresh_due() == 0
    assert not Snapshot.objects.filter(user=personas.manager, name="dashboard").exists()


def test_a_view_noted_while_the_refresh_computes_is_kept(personas, login, monkeypatch):
    from scoring.dashboard import views as dashboard_views

    client = login(personas.manager)
    view(client)
    age(personas.manager, "dashboard", 250, viewed_seconds_ago=120)
    computing = dashboard_views._figures
    seen = timezone.now()

    def viewed_meanwhile(*args, **kwargs):
        Snapshot.objects.filter(user=personas.manager).update(viewed_at=seen)
        return computing(*args, **kwargs)

    monkeypatch.setattr(dashboard_views, "_figures", viewed_meanwhile)

    assert snapshots.refresh_due() == 1
    assert the_snapshot(personas.manager).viewed_at == seen


def test_a_page_served_under_a_script_prefix_is_computed_again_under_it(personas, login):
    client = login(personas.manager)
    response = client.get(URL, SCRIPT_NAME="/crm")
    assert response.status_code == 200
    row = the_snapshot(personas.manager)
    assert (row.path, row.prefix) == (URL, "/crm/")
    age(personas.manager, "dashboard", 250)

    assert snapshots.refresh_due() == 1

    content = the_snapshot(personas.manager).content
    assert 'href="/crm/accounts/' in content
    assert 'href="/accounts/' not in content

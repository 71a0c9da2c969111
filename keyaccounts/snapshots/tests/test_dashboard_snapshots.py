"""Page snapshots (keyaccounts/snapshots/) on the dashboard: figures kept a few minutes
for their person only, computed again after that person saves anything, when what they
may see changes, on `?refresh=1`, and in another language, filter or day."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from keyaccounts.models import Snapshot
from keyaccounts.snapshots import services as snapshots
from scoring.tests.test_dashboard import set_grade

pytestmark = pytest.mark.django_db

URL = reverse("scoring:dashboard")


@pytest.fixture(autouse=True)
def kept(settings):
    settings.SNAPSHOT_SECONDS = 300
    cache.clear()  # no note of an earlier test's writes


def grades(response) -> dict:
    """The grade tiles' counts as computed for this answer (its figures were rendered)."""
    return {tile["grade"]: tile["count"] for tile in response.context["grades"]}


def shown_tile(response, grade: str) -> int:
    """The count a grade's tile shows on the page, computed now or kept."""
    found = re.search(
        rf'data-grade="{grade}">\s*<span class="tile-label">[^<]*</span>\s*'
        r'<span class="tile-value">(\d+)</span>',
        response.content.decode(),
    )
    assert found, f"no tile for grade {grade}"
    return int(found.group(1))


def view(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def test_a_second_view_shows_the_kept_figures_without_adding_them_up_again(personas, login):
    client = login(personas.manager)
    first = view(client)
    assert grades(first)["A"] == 0
    assert not first.context["snapshot"].kept
    # A grade changes without the manager doing anything (a rep, a nightly rescore).
    set_grade(personas.account, "A", personas.other_manager)
    with CaptureQueriesContext(connection) as queries:
        second = view(client)
    snapshot = second.context["snapshot"]
    assert snapshot.kept and snapshot.computed_at == first.context["snapshot"].computed_at
    assert "Figures as of" in second.content.decode()
    # The kept figures: the count before the change, and none of the dashboard's sums ran.
    assert shown_tile(second, "A") == 0
    assert "grades" not in second.context
    assert not any("scoring_accountscore" in q["sql"] for q in queries.captured_queries)
    assert len(queries) <= 9
    # Computing them now shows the change, then answers the page without `refresh` (the
    # other parameters kept).
    response = client.get(URL, {"refresh": "1", "owner": personas.alice.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?owner={personas.alice.pk}"
    response = client.get(URL, {"refresh": "1"})
    assert response.status_code == 302 and response["Location"] == URL
    third = client.get(URL)
    assert third.context["snapshot"].kept
    assert third.context["snapshot"].computed_at > snapshot.computed_at
    assert shown_tile(third, "A") == 1


def test_the_figures_are_computed_again_after_the_viewer_saves_anything(personas, login):
    client = login(personas.manager)
    assert grades(view(client))["A"] == 0
    response = client.post(
        reverse("scoring:account_grade_pin", args=[personas.account.pk]),
        {
            "grade": "A",
            "reason": "board decided",
            "expires_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    after = view(client)
    assert not after.context["snapshot"].kept
    assert grades(after)["A"] == 1


def test_the_figures_are_computed_again_once_they_are_older_than_the_setting(
    personas, login, settings
):
    client = login(personas.manager)
    view(client)
    set_grade(personas.account, "B", personas.other_manager)
    assert shown_tile(view(client), "B") == 0  # kept: the old figures
    Snapshot.objects.update(computed_at=timezone.now() - datetime.timedelta(seconds=301))
    later = view(client)
    assert not later.context["snapshot"].kept
    assert grades(later)["B"] == 1


def test_a_change_of_what_the_viewer_may_see_is_a_new_snapshot(personas, login):
    client = login(personas.alice)
    before = view(client).context["accounts_total"]
    assert view(client).context["snapshot"].kept
    # The account goes to charlie (West): alice may no longer see it.
    account = personas.account
    account.owner = personas.charlie
    account.save()
    after = view(client)
    assert not after.context["snapshot"].kept
    assert after.context["accounts_total"] == before - 1


def test_a_superuser_made_a_user_again_no_longer_sees_the_whole_company(personas, login):
    AccountFactory.create_batch(3, owner=personas.charlie)
    client = login(personas.admin)
    everything = view(client).context["accounts_total"]
    assert everything >= 5 and view(client).context["snapshot"].kept
    admin = personas.admin
    admin.is_superuser = False
    admin.save()
    after = view(client)
    assert not after.context["snapshot"].kept
    assert after.context["accounts_total"] == 0


def test_a_snapshot_is_its_persons_own(personas, login, client):
    AccountFactory(owner=personas.charlie)
    manager_total = view(login(personas.manager)).context["accounts_total"]
    client.logout()
    west = view(login(personas.other_manager))
    # The other manager's first view computes their own figures, not the manager's.
    assert not west.context["snapshot"].kept
    assert west.context["accounts_total"] != manager_total
    assert Snapshot.objects.filter(name="dashboard").count() == 2


def test_another_filter_or_language_has_its_own_snapshot(personas, login):
    client = login(personas.manager)
    view(client)
    assert not view(client, owner=personas.alice.pk).context["snapshot"].kept
    assert view(client, owner=personas.alice.pk).context["snapshot"].kept
    chinese = client.get(URL, headers={"accept-language": "zh-hans"})
    client.cookies.pop("django_language", None)
    assert not chinese.context["snapshot"].kept
    assert "各等级客户" in chinese.content.decode()


def test_a_cache_that_does_not_answer_reads_as_just_saved(personas, login, monkeypatch):
    client = login(personas.manager)
    view(client)
    assert view(client).context["snapshot"].kept
    # Redis away: ResilientRedisCache answers from this process's memory, which may lack
    # a note another web process wrote.
    monkeypatch.setattr(snapshots, "shared_cache_answers", lambda: False)
    assert not view(client).context["snapshot"].kept

    def down(*args, **kwargs):
        raise ConnectionError("redis is away")

    monkeypatch.setattr(snapshots.cache, "get", down)
    assert snapshots._wrote_since(personas.manager, timezone.now())


def test_a_save_counts_what_it_sets_off_until_the_rescoring_has_run(personas, login, settings):
    """A snapshot computed within the settling time after the person's save (its
    rescoring may not have run yet) is not kept; one computed after it is."""
    settings.SCORING_RESCORE_DELAY_SECONDS = 10
    client = login(personas.manager)
    computed_at = view(client).context["snapshot"].computed_at
    key = snapshots._wrote_key(personas.manager.pk)
    # Saved 5 s before the figures were computed: its rescoring (10 s later) had not run.
    cache.set(key, computed_at.timestamp() - 5)
    assert not view(client).context["snapshot"].kept
    computed_at = view(client).context["snapshot"].computed_at  # kept again just now
    # Saved a minute and a half before: settled.
    cache.set(key, computed_at.timestamp() - 90)
    assert view(client).context["snapshot"].kept


def test_only_refresh_1_computes_now_and_the_purge_keeps_what_may_still_be_shown(personas, login):
    client = login(personas.manager)
    first = view(client).context["snapshot"]
    assert view(client, refresh="0").context["snapshot"].kept
    assert view(client, refresh="0").context["snapshot"].computed_at == first.computed_at
    fresh = Snapshot.objects.get(user=personas.manager, name="dashboard")
    old = Snapshot.objects.create(
        user=personas.manager,
        name="dashboard",
        key="0" * 64,
        computed_at=timezone.now() - datetime.timedelta(hours=2),
        content="<p>old</p>",
    )
    assert snapshots.purge() == 1
    # (The filters' options, kept beside it: accounts.options.)
    assert list(Snapshot.objects.filter(name="dashboard")) == [fresh]
    assert not Snapshot.objects.filter(pk=old.pk).exists()


def test_with_snapshots_off_every_view_computes(personas, login, settings):
    settings.SNAPSHOT_SECONDS = 0
    client = login(personas.manager)
    view(client)
    again = view(client)
    assert not again.context["snapshot"].kept
    assert not Snapshot.objects.exists()
    # Nothing kept, nothing to say "as of".
    assert "Figures as of" not in again.content.decode()


# --- the win/loss analytics (issue 14) keep theirs the same way ---------------------------

ANALYTICS = reverse("scoring:analytics")


def test_the_analytics_keep_their_figures_per_period_and_compute_them_on_refresh(personas, login):
    client = login(personas.manager)
    with CaptureQueriesContext(connection) as computing:
        first = client.get(ANALYTICS)
    assert first.status_code == 200 and not first.context["snapshot"].kept
    assert any("opportunities_stagechange" in q["sql"] for q in computing.captured_queries)
    assert 'data-section="funnel"' in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(ANALYTICS)
    assert second.context["snapshot"].kept
    assert second.context["snapshot"].computed_at == first.context["snapshot"].computed_at
    assert 'data-section="funnel"' in second.content.decode()
    assert not any("opportunities_stagechange" in q["sql"] for q in queries.captured_queries)
    # Another period is another snapshot.
    other = client.get(ANALYTICS, {"start": "2026-01-01", "end": "2026-03-31"})
    assert other.status_code == 200 and not other.context["snapshot"].kept
    response = client.get(ANALYTICS, {"start": "2026-01-01", "end": "2026-03-31", "refresh": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{ANALYTICS}?start=2026-01-01&end=2026-03-31"
    assert set(Snapshot.objects.filter(user=personas.manager).values_list("name", flat=True)) == {
        "analytics"
    }


def test_signing_in_is_no_save(personas, client):
    personas.manager.set_password("pw-12345-secret")
    personas.manager.save()
    response = client.post(reverse("login"), {"username": "manager", "password": "pw-12345-secret"})
    assert response.status_code == 302
    assert cache.get(snapshots._wrote_key(personas.manager.pk)) is None
    view(client)
    assert view(client).context["snapshot"].kept


# --- my week's best next actions (issue 14) keep theirs the same way ----------------------

MY_WEEK = reverse("visits:my_week")


def next_actions(response) -> list[tuple[str, int]]:
    """(kind, account id) of each action my week shows, computed now or kept."""
    html = response.content.decode().split('data-section="next-actions"')[1]
    html = html.split("</section>")[0]
    return [
        (kind, int(account))
        for kind, account in re.findall(r'data-action="(\w+)" data-account="(\d+)"', html)
    ]


def test_my_weeks_next_actions_are_kept_until_the_rep_saves_or_asks(personas, login):
    from accounts.models import BuyingRole
    from accounts.tests.factories import ContactFactory
    from scoring.tests.builders import strong_soon_account

    account = strong_soon_account(personas.alice, name="Strong Co")
    client = login(personas.alice)
    with CaptureQueriesContext(connection) as computing:
        first = client.get(MY_WEEK)
    assert ("find_decider", account.pk) in next_actions(first)
    assert any("scoring_monthlysales" in q["sql"] for q in computing.captured_queries)
    # Someone else adds the decider: the kept list still shows what was worked out, and
    # says when; reading it re-scores nothing.
    ContactFactory(account=account, buying_role=BuyingRole.DECIDER, name="Dai")
    with CaptureQueriesContext(connection) as queries:
        second = client.get(MY_WEEK)
    assert ("find_decider", account.pk) in next_actions(second)
    assert "Worked out at" in second.content.decode()
    assert not any("scoring_monthlysales" in q["sql"] for q in queries.captured_queries)
    assert len(queries) < len(computing)
    # "Work them out now": worked out, kept, and my week shown without `refresh`.
    response = client.get(MY_WEEK, {"refresh": "1", "outbox": "kept"})
    assert response.status_code == 302 and response["Location"] == f"{MY_WEEK}?outbox=kept"
    response = client.get(MY_WEEK, {"refresh": "1"})
    assert response.status_code == 302 and response["Location"] == MY_WEEK
    third = client.get(MY_WEEK)
    assert ("find_decider", account.pk) not in next_actions(third)
    assert Snapshot.objects.filter(user=personas.alice, name="my_week_next_actions").count() == 1


def test_my_weeks_next_actions_are_worked_out_again_after_the_rep_saves(personas, login):
    from accounts.tests.test_contact_forms import contact_data
    from scoring.tests.builders import strong_soon_account

    account = strong_soon_account(personas.alice, name="Strong Co")
    client = login(personas.alice)
    assert ("find_decider", account.pk) in next_actions(client.get(MY_WEEK))
    # The action's own link: the contact form with the role chosen; saved, it is done.
    response = client.post(
        reverse("accounts:contact_create", args=[account.pk]) + "?role=decider",
        contact_data(name="Dai"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = client.get(MY_WEEK)
    assert ("find_decider", account.pk) not in next_actions(after)
    assert next_actions(after), "the other actions are still advised"


def test_an_account_deleted_by_someone_else_leaves_the_kept_next_actions_at_once(
    personas, login, django_capture_on_commit_callbacks
):
    """A kept list names accounts: one moved to the recycle bin by a manager is gone from
    the rep's my week on their next view, not SNAPSHOT_SECONDS later."""
    from keyaccounts.recyclebin.services import soft_delete
    from scoring.tests.builders import strong_soon_account

    account = strong_soon_account(personas.alice, name="Strong Co")
    other = strong_soon_account(personas.alice, name="Other Co")
    client = login(personas.alice)
    shown = {pk for _kind, pk in next_actions(client.get(MY_WEEK))}
    assert {account.pk, other.pk} <= shown
    with django_capture_on_commit_callbacks(execute=True):
        soft_delete(root=account, by=personas.manager)
    after = client.get(MY_WEEK)
    assert "Strong Co" not in after.content.decode()
    assert other.pk in {pk for _kind, pk in next_actions(after)}

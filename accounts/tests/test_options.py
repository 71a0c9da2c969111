"""The regions and industries among a person's accounts (the filters' options) are kept
under an exact key (`accounts.options`): a page after the first reads the kept row
instead of every account the person sees, and the options are always those of the
person's live visible accounts as they are now — after an account's region changes, an
account goes to the recycle bin or comes back, is given to the person or taken, or is
purged."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Account
from accounts.options import NAME, account_options
from accounts.selectors import account_list, accounts_visible_to
from accounts.tests.factories import AccountFactory
from keyaccounts.models import Snapshot
from keyaccounts.recyclebin.services import purge_expired

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kept(settings):
    settings.SNAPSHOT_SECONDS = 300


def by_the_rule(user) -> tuple[tuple, frozenset]:
    """The options told from scratch: the user's live visible accounts, read one by one."""
    accounts = list(accounts_visible_to(user))
    regions = tuple(sorted({a.region for a in accounts if a.region}))
    return regions, frozenset(a.industry for a in accounts)


def options(user):
    got = account_options(user=user, accounts=accounts_visible_to(user))
    assert (got.regions, got.industries) == by_the_rule(user)
    return got


def region_choices(response) -> list[str]:
    field = response.context["filter"].form.fields["region"]
    return [value for value, _ in field.choices if value]


def distinct_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if "DISTINCT" in q["sql"]]


def test_the_second_page_reads_the_kept_options_not_the_accounts(personas, login, settings):
    AccountFactory(owner=personas.alice, region="华东", industry="energy")
    client = login(personas.alice)
    settings.SNAPSHOT_SECONDS = 0
    with CaptureQueriesContext(connection) as worked_out:
        client.get(reverse("accounts:list"))
    settings.SNAPSHOT_SECONDS = 300
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("accounts:list"))
    with CaptureQueriesContext(connection) as second:
        response = client.get(reverse("accounts:list"))

    assert distinct_reads(worked_out.captured_queries)
    assert distinct_reads(first.captured_queries)
    # The accounts' DISTINCT gives way to one statement of the key and the kept row.
    assert not distinct_reads(second.captured_queries)
    assert len(second.captured_queries) == len(worked_out.captured_queries)
    assert "华东" in region_choices(response)
    assert Snapshot.objects.filter(user=personas.alice, name=NAME).count() == 1


def test_the_options_follow_every_change_of_the_accounts_seen(personas):
    alice, bob = personas.alice, personas.bob
    east = AccountFactory(owner=alice, region="华东", industry="energy")
    assert "华东" in options(alice).regions

    # A region changed.
    services.account_update(account=east, by=alice, region="华南")
    assert "华南" in options(alice).regions
    assert "华东" not in options(alice).regions

    # Binned, then restored.
    east = Account.objects.get(pk=east.pk)
    services.account_delete(account=east, by=alice)
    assert "华南" not in options(alice).regions
    services.account_restore(account=Account.all_objects.get(pk=east.pk), by=alice)
    assert "华南" in options(alice).regions

    # Given to someone else: Bob now sees it, Alice no longer does.
    before = options(bob)
    assert "华南" not in before.regions
    east = Account.objects.get(pk=east.pk)
    services.account_update(account=east, by=personas.manager, owner=bob)
    assert "华南" in options(bob).regions
    assert "华南" not in options(alice).regions


def test_a_purge_of_accounts_drops_every_kept_row(personas):
    alice = personas.alice
    gone = AccountFactory(owner=alice, region="西北")
    services.account_delete(account=gone, by=alice)
    options(alice)
    assert Snapshot.objects.filter(name=NAME).exists()

    purge_expired(now=timezone.now() + datetime.timedelta(days=1), days=0)

    assert not Account.all_objects.filter(pk=gone.pk).exists()
    assert not Snapshot.objects.filter(name=NAME).exists()
    assert "西北" not in options(alice).regions


def test_a_superusers_options_are_every_live_accounts(personas):
    AccountFactory(owner=personas.charlie, region="东北", industry="finance")
    binned = AccountFactory(owner=personas.charlie, region="西南")
    services.account_delete(account=binned, by=personas.charlie)

    got = options(personas.admin)
    assert "东北" in got.regions and "西南" not in got.regions
    assert "finance" in got.industries
    assert account_options(user=personas.admin, accounts=Account.objects.all()) == got


def test_the_dashboard_offers_the_kept_industries_and_regions(personas, login):
    AccountFactory(owner=personas.alice, region="华中", industry="finance")
    client = login(personas.alice)
    client.get(reverse("scoring:dashboard"))
    with CaptureQueriesContext(connection) as second:
        response = client.get(reverse("scoring:dashboard"))

    assert not distinct_reads(second.captured_queries)
    form = response.context["form"]
    assert "华中" in [value for value, _ in form.fields["region"].choices]
    assert "finance" in [value for value, _ in form.fields["industry"].choices]


def test_without_snapshots_the_options_are_worked_out_on_every_page(personas, login, settings):
    settings.SNAPSHOT_SECONDS = 0
    AccountFactory(owner=personas.alice, region="华东")
    client = login(personas.alice)
    client.get(reverse("accounts:list"))
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("accounts:list"))

    assert distinct_reads(second.captured_queries)
    assert not Snapshot.objects.filter(name=NAME).exists()


def test_a_change_of_who_sees_what_alone_is_a_new_key(personas):
    """No account is written: Alice moves to the West team, so her accounts leave the
    East manager's view and come into the West manager's (their access changes)."""
    AccountFactory(owner=personas.alice, region="华东")
    assert "华东" in options(personas.manager).regions
    assert "华东" not in options(personas.other_manager).regions
    seq = Account.objects.order_by("-change_seq").values_list("change_seq", flat=True)[0]

    personas.alice.sales_team = personas.west
    personas.alice.save()

    assert Account.objects.order_by("-change_seq").values_list("change_seq", flat=True)[0] == seq
    assert "华东" not in options(personas.manager).regions
    assert "华东" in options(personas.other_manager).regions


def test_a_kept_row_is_worked_out_from_the_accounts_as_they_are_after_its_key(personas):
    """The page read its ids before an account came in; the key is read after: the row
    kept under it must hold the new account's region, not the page's older list."""
    bob = personas.bob
    AccountFactory(owner=bob, region="华东")
    page_accounts = account_list(user=bob)  # the page reads Bob's ids here
    AccountFactory(owner=bob, region="华北")  # another request commits meanwhile

    account_options(user=bob, accounts=page_accounts)

    assert "华北" in options(bob).regions


def test_a_kept_row_older_than_an_hour_is_worked_out_again(personas):
    """The nightly purge of old access changes may bring a person's key back to an
    earlier one: a row is read only within KEPT_SECONDS of being worked out."""
    from accounts.options import KEPT_SECONDS

    AccountFactory(owner=personas.alice, region="华东")
    options(personas.alice)
    Snapshot.objects.filter(name=NAME).update(
        content='{"regions": ["stale"], "industries": []}',
        computed_at=timezone.now() - datetime.timedelta(seconds=KEPT_SECONDS + 1),
    )
    assert "stale" not in options(personas.alice).regions
    assert Snapshot.objects.filter(name=NAME, user=personas.alice).count() == 1

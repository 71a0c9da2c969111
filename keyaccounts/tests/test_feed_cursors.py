"""Cursors that cannot mislead: a cursor the database cannot serve truly answers 410
`resync_required` — from another installation, from the future (a database restored
from a backup), older than FEED_RETENTION_DAYS, older than a change of the caller's
whole view — and the nightly purge forgets what is older than the retention."""

import datetime

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import F
from django.utils import timezone

from accounts.access import access_rebuild
from accounts.models import AccountAccess
from accounts.services import contact_delete
from accounts.tests.factories import ContactFactory
from keyaccounts import tasks
from keyaccounts.feed.models import AccessChange, FeedExit, FeedState
from keyaccounts.feed.retention import feed_purge
from keyaccounts.models import ChangeCounter, Tombstone

from .api_records import RECORD_TYPES
from .feed_client import Replica, sync

pytestmark = pytest.mark.django_db

CONTACTS = RECORD_TYPES[1]


def changes(client, since):
    return client.get("/api/v1/contacts/changes/", {"since": since})


def assert_resync(response):
    assert response.status_code == 410, response.content
    body = response.json()
    assert body["code"] == "resync_required"
    assert body["errors"]["since"] == [body["detail"]]
    assert "leave out since" in body["detail"]


def test_a_cursor_of_another_installation_answers_410(personas, api):
    client = api(personas.alice)
    cursor = sync(client, CONTACTS, Replica()).cursor
    epoch = FeedState.objects.get().epoch
    assert cursor.startswith(f"{epoch}-")

    other = "deadbeef" if epoch != "deadbeef" else "cafebabe"
    foreign = cursor.replace(epoch, other, 1)

    assert_resync(changes(client, foreign))
    assert changes(client, cursor).status_code == 200


def test_a_cursor_ahead_of_the_database_answers_410(personas, api):
    """A client synced against a database that was then restored from an older backup:
    its cursor is past every change this database has issued."""
    client = api(personas.alice)
    ContactFactory(account=personas.account)
    cursor = sync(client, CONTACTS, Replica()).cursor
    ChangeCounter.objects.update(value=F("value") - 3)

    assert_resync(changes(client, cursor))


@pytest.mark.django_db(transaction=True)
def test_a_cursor_survives_a_restart(personas, api):
    client = api(personas.alice)
    replica = sync(client, CONTACTS, Replica())
    contact = ContactFactory(account=personas.account)
    connections.close_all()  # what a restart of every web process does to this test

    replica = sync(api(personas.alice), CONTACTS, replica)

    assert contact.pk in replica.rows


def test_a_cursor_older_than_the_retention_answers_410_and_the_purge_forgets(personas, api):
    client, charlie = api(personas.alice), api(personas.charlie)
    contact = ContactFactory(account=personas.account, external_id="GONE-1")
    old = sync(client, CONTACTS, Replica()).cursor
    contact_delete(contact=contact, by=personas.alice)
    assert Tombstone.objects.exists() and FeedExit.objects.exists()
    start = timezone.now()

    feed_purge(now=start)  # a checkpoint; nothing is old enough yet
    assert changes(client, old).status_code == 200
    recent = sync(client, CONTACTS, Replica(cursor=old)).cursor
    later = start + datetime.timedelta(days=settings.FEED_RETENTION_DAYS, minutes=1)
    horizon = feed_purge(now=later)

    assert_resync(changes(client, old))
    assert not Tombstone.objects.filter(change_seq__lte=horizon).exists()
    assert not FeedExit.objects.filter(change_seq__lte=horizon).exists()
    assert not AccessChange.objects.filter(change_seq__lte=horizon).exists()
    # A cursor from after the checkpoint still works, and so does starting over.
    assert changes(client, recent).status_code == 200
    assert sync(client, CONTACTS, Replica()).rows == {}
    assert sync(charlie, CONTACTS, Replica()).rows == {}


def test_with_a_retention_of_zero_days_every_older_cursor_answers_410(personas, api, settings):
    settings.FEED_RETENTION_DAYS = 0
    client = api(personas.alice)
    cursor = sync(client, CONTACTS, Replica()).cursor
    ContactFactory(account=personas.account)

    tasks.feed_purge.delay()

    assert_resync(changes(client, cursor))
    assert sync(client, CONTACTS, Replica()).rows != {}


def test_beat_purges_the_feed_nightly_after_the_recycle_bin():
    from keyaccounts.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    entry = schedule["feed-purge"]
    assert entry["task"] == "keyaccounts.tasks.feed_purge"
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == schedule["recycle-bin-purge"]["schedule"].hour
    assert min(entry["schedule"].minute) > max(schedule["recycle-bin-purge"]["schedule"].minute)


def test_becoming_a_superuser_restarts_that_users_feed_only(personas, api):
    alice, carol = api(personas.alice), api(personas.carol)
    mine, hers = sync(alice, CONTACTS, Replica()), sync(carol, CONTACTS, Replica())
    personas.alice.is_superuser = True
    personas.alice.save()

    assert_resync(changes(alice, mine.cursor))
    assert changes(carol, hers.cursor).status_code == 200
    assert sync(alice, CONTACTS, Replica()).pages >= 1


def test_a_user_deactivated_and_back_syncs_again_from_the_start(personas, api):
    client = api(personas.bob)
    cursor = sync(client, CONTACTS, Replica()).cursor
    personas.bob.is_active = False
    personas.bob.save()
    personas.bob.is_active = True
    personas.bob.save()

    assert_resync(changes(client, cursor))


def test_a_rebuild_that_corrects_the_access_table_restarts_the_feeds_it_changed(personas, api):
    alice, bob = api(personas.alice), api(personas.bob)
    mine, his = sync(alice, CONTACTS, Replica()), sync(bob, CONTACTS, Replica())
    AccountAccess.objects.filter(user=personas.alice).delete()  # drift, by hand

    access_rebuild()

    assert_resync(changes(alice, mine.cursor))
    assert changes(bob, his.cursor).status_code == 200


def test_without_since_the_feed_starts_from_the_beginning_whatever_the_horizon(personas, api):
    ContactFactory(account=personas.account)
    FeedState.objects.update(horizon=F("horizon") + 10**6)

    replica = sync(api(personas.alice), CONTACTS, Replica())

    assert len(replica.rows) == 1


def test_a_first_sync_over_many_pages_survives_a_horizon_and_a_reset_before_it(personas, api):
    """A cursor is as old as what its holder knows, not as its position: a client reading
    from the start after the horizon moved up to the counter (as the migration that made
    the feed does) or after its view was reset gets through every page, while a cursor
    issued before the reset still answers 410."""
    for n in range(7):
        ContactFactory(account=personas.account, external_id=f"MANY-{n}")
    client = api(personas.alice)
    before = sync(client, CONTACTS, Replica(), limit=2).cursor
    AccountAccess.objects.filter(user=personas.alice).delete()  # drift, by hand
    access_rebuild()  # resets alice's view
    FeedState.objects.update(horizon=ChangeCounter.objects.get(pk=1).value)

    replica = sync(client, CONTACTS, Replica(), limit=2)

    assert replica.pages >= 4
    assert len(replica.rows) == 7
    assert_resync(changes(client, before))
    # The cursor the first sync ended with keeps working.
    assert changes(client, replica.cursor).status_code == 200

"""Cursors stay gap-free in commit order on PostgreSQL under concurrent writers: three
writer processes (alice and carol editing contacts, a manager moving accounts between
them and changing alice's account teams) write while alice's client pages through her
contacts and accounts feeds; when they are done and the client has read to the end, it
holds exactly what the lists show. (Who is told of what is the property test's:
test_feed_equals_list.py.)"""

import os
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.pytest_plugin import _database_url

from .api_records import RECORD_TYPES
from .feed_client import Replica, listed, sync

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ACCOUNTS, CONTACTS = RECORD_TYPES[0], RECORD_TYPES[1]


def start_writer(role: str, seed: int, steps: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keyaccounts.test_settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CONN_MAX_AGE": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "keyaccounts.tests.feed_writer", role, str(seed), str(steps)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_reader_paging_while_three_processes_write_misses_nothing(
    require_postgres, personas, api
):
    for _ in range(3):
        for owner in (personas.alice, personas.carol):
            account = AccountFactory(owner=owner)
            ContactFactory(account=account)
            ContactFactory(account=account)
    client = api(personas.alice)
    replicas = {kind.name: sync(client, kind, Replica()) for kind in (ACCOUNTS, CONTACTS)}

    writers = [
        start_writer("alice", 1, 40),
        start_writer("carol", 2, 40),
        start_writer("manager", 3, 40),
    ]
    done = threading.Event()
    reads = {"count": 0}

    def wait_for_writers():
        for writer in writers:
            writer.wait(180)
        done.set()

    waiter = threading.Thread(target=wait_for_writers)
    waiter.start()
    try:
        while not done.is_set():
            for kind in (ACCOUNTS, CONTACTS):
                replicas[kind.name] = sync(client, kind, replicas[kind.name], limit=3)
                reads["count"] += 1
            time.sleep(0.01)
    finally:
        waiter.join(200)
    outputs = [writer.stdout.read().decode(errors="replace") for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0, 0], "\n".join(outputs)
    assert reads["count"] >= 4, "the reader never read while the writers wrote"

    for kind in (ACCOUNTS, CONTACTS):
        replicas[kind.name] = sync(client, kind, replicas[kind.name], limit=3)
        assert replicas[kind.name].rows == listed(client, kind), kind.name
    # The writers did take things out of her view while she read.
    assert any(how == "removed" for r in replicas.values() for _pk, how in r.exits)

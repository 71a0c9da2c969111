"""The sync contract under concurrency (PostgreSQL): two clients racing on one record,
a pager reading the changes feed while another client writes, one Idempotency-Key sent
twice at once."""

import random
import threading
import time

import pytest
from django.db import connection, transaction

from keyaccounts.pytest_plugin import in_threads

from .api_records import RECORD_TYPES, changes_all

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

each_type = pytest.mark.parametrize("kind", RECORD_TYPES, ids=str)


@each_type
def test_two_clients_racing_on_one_version_one_wins_the_other_gets_412(
    require_postgres, personas, api, kind
):
    record = kind.make(personas)
    alice, bob = api(personas.alice), api(personas.bob)
    assert alice.get(kind.url(record))["ETag"] == bob.get(kind.url(record))["ETag"] == '"1"'

    for round_ in range(3):  # the race is real: make it happen more than once
        version = f'"{record.version}"'

        def write(client, value, version=version):
            return client.patch(kind.url(record), {kind.field: value}, HTTP_IF_MATCH=version)

        # New values each round: a write of the stored values would change nothing.
        answers = in_threads(
            lambda n=round_: write(alice, f"alice's {n}"), lambda n=round_: write(bob, f"bob's {n}")
        )

        assert sorted(a.status_code for a in answers) == [200, 412], round_
        winner = next(a for a in answers if a.status_code == 200).json()
        loser = next(a for a in answers if a.status_code == 412).json()
        record.refresh_from_db()
        assert record.version == winner["version"] == loser["current_version"]
        assert getattr(record, kind.field) == winner[kind.field]


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@each_type
def test_a_save_landing_between_the_if_match_check_and_the_write_still_answers_412(
    require_postgres, personas, api, kind
):
    """The check in the view passes (the other save is not committed yet); the service's
    conditional UPDATE waits for it, then refuses: 412, and the other save stands."""
    record = kind.make(personas)
    client = api(personas.alice)
    saved, release = threading.Event(), threading.Event()

    def other_writer():
        with transaction.atomic():
            row = kind.model.objects.get(pk=record.pk)
            setattr(row, kind.field, "the other save")
            row.save()  # version 2, holding the change counter until commit
            saved.set()
            assert release.wait(10)

    def api_writer():
        assert saved.wait(10)
        return client.patch(kind.url(record), kind.change, HTTP_IF_MATCH='"1"')

    def releaser():
        assert saved.wait(10)
        deadline = time.monotonic() + 10
        while lock_waiters() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)  # until the API's write waits for the other one
        release.set()

    _none, answer, _none = in_threads(other_writer, api_writer, releaser)

    assert answer.status_code == 412
    assert answer.json()["current_version"] == 2
    record.refresh_from_db()
    assert (record.version, getattr(record, kind.field)) == (2, "the other save")


@each_type
def test_a_pager_reading_while_another_client_writes_misses_nothing_and_repeats_nothing(
    require_postgres, personas, api, kind
):
    records = [kind.make(personas) for _ in range(12)]
    reader, writer = api(personas.alice), api(personas.alice)  # two devices of one rep
    writing_done = threading.Event()

    def write():
        rng = random.Random(7)
        alive = [r.pk for r in records]
        try:
            for step in range(60):
                action = rng.choice(["change", "change", "create", "delete"])
                if action == "create" or len(alive) < 3:
                    body = kind.payload(personas)
                    if "name" in body:  # another one each time, not a likely duplicate
                        body["name"] = f"{body['name']} {step}"
                    response = writer.post(kind.path, body)
                    assert response.status_code == 201, response.content
                    alive.append(response.json()["id"])
                elif action == "delete":
                    pk = alive.pop(rng.randrange(len(alive)))
                    assert writer.delete(f"{kind.path}{pk}/").status_code == 204
                else:
                    pk = rng.choice(alive)
                    body = {kind.field: f"change {step}"}
                    assert writer.patch(f"{kind.path}{pk}/", body).status_code == 200
        finally:
            writing_done.set()

    def read():
        seen, deleted, cursor, last_round = [], [], None, False
        while True:
            pages, cursor = changes_all(reader, kind, since=cursor, limit=3)
            for page in pages:
                seen += [(row["id"], row["version"]) for row in page["results"]]
                deleted += [row["id"] for row in page["deleted"]]
            if last_round:
                return seen, deleted
            last_round = writing_done.is_set()  # one more full read after the last write

    _none, (seen, deleted) = in_threads(write, read)

    assert len(seen) == len(set(seen)), "a change came twice"
    assert len(deleted) == len(set(deleted)), "a deletion came twice"
    final = set(kind.visible_to(personas.alice).values_list("pk", "version"))
    assert final <= set(seen), "a record's latest state was missed"
    gone = {pk for pk, _version in seen} - {pk for pk, _version in final}
    assert gone <= set(deleted), "a deletion was missed"
    assert not set(deleted) & {pk for pk, _version in final}


@each_type
def test_one_idempotency_key_sent_twice_at_once_creates_one_record(
    require_postgres, personas, api, kind
):
    client_one, client_two = api(personas.alice), api(personas.alice)
    payload = kind.payload(personas)
    before = kind.model.objects.count()

    answers = in_threads(
        lambda: client_one.post(kind.path, payload, HTTP_IDEMPOTENCY_KEY="twice-at-once"),
        lambda: client_two.post(kind.path, payload, HTTP_IDEMPOTENCY_KEY="twice-at-once"),
    )

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert kind.model.objects.count() == before + 1


@each_type
def test_puts_of_one_new_external_id_at_once_create_one_record_and_replace_it(
    require_postgres, personas, api, kind
):
    """A client retrying a PUT by external ID while its first attempt is still running
    (a network that dropped the answer): one creates (201), the others replace it (200,
    nothing changed) — none is refused as "already exists", a 400 that says not to retry."""
    payload = kind.payload(personas)
    clients = [api(personas.alice) for _ in range(4)]
    answers = in_threads(
        *[lambda c=client: c.put(kind.external_url("RACE-1"), payload) for client in clients]
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201], [
        a.content for a in answers
    ]
    assert {a.json()["id"] for a in answers} == {kind.model.objects.get(external_id="RACE-1").pk}
    assert kind.model.objects.filter(external_id="RACE-1").count() == 1

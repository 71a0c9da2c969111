"""What the tests of set-based bulk jobs share (test_bulk_jobs_set_based*.py): a job run
to its end, a spy on the set-based write, and each body run both ways — set-based where
it may, then item by item — in transactions rolled back, for their snapshots to be
compared."""

import json

from django.db import transaction

from keyaccounts.api import setbased
from keyaccounts.integrations.jobs import services
from keyaccounts.integrations.jobs.models import BulkJobChunk, JobStatus
from keyaccounts.integrations.models import WebhookDelivery
from scoring.models import RescoreRequest

# Columns that differ between the two runs whatever the path (ids, times, counters).
VOLATILE = {"id", "created_at", "updated_at", "change_seq", "history_id", "history_date"}


class _Rollback(Exception):
    pass


def body(*items) -> bytes:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode()


def run_job(owner, record_type: str, payload: bytes) -> list[dict]:
    """The job run to its end in chunks of 3; its results, one per line, in order."""
    job = services.bulk_job_create(
        owner=owner, record_type=record_type, body=payload, chunk_items=3
    )
    services.bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    results = []
    for chunk in BulkJobChunk.objects.filter(job=job).order_by("number"):
        results += [json.loads(line) for line in bytes(chunk.results).splitlines()]
    return results


def spy_set_based(monkeypatch) -> list[bool]:
    """Whether each list offered to the set-based write was taken, in order."""
    taken = []
    offered = setbased.write_set_based

    def spy(*args, **kwargs):
        results = offered(*args, **kwargs)
        taken.append(results is not None)
        return results

    monkeypatch.setattr(setbased, "write_set_based", spy)
    return taken


def both_ways(settings, taken: list, run) -> tuple[dict, dict, list[bool]]:
    """`run()` (returning a snapshot dict) set-based where it may, then item by item,
    each in a transaction rolled back: (set-based snapshot, item-by-item snapshot, the
    lists the set-based run took)."""
    snapshots, chunks = {}, {}
    for set_based in (True, False):
        settings.BULK_SET_BASED = set_based
        taken.clear()
        try:
            with transaction.atomic():
                snapshots[set_based] = run()
                chunks[set_based] = list(taken)
                raise _Rollback
        except _Rollback:
            pass
    assert chunks[False] == [], "item by item, nothing is offered to the set-based write"
    return snapshots[True], snapshots[False], chunks[True]


def assert_same(fast: dict, per_item: dict) -> None:
    """The same results, item by item, and the same of everything else snapshotted."""
    for run_fast, run_per_item in zip(fast["results"], per_item["results"], strict=True):
        for one, other in zip(run_fast, run_per_item, strict=True):
            assert one == other
    for key in per_item:
        assert fast[key] == per_item[key], key


def outbox(ext: dict) -> list:
    """The webhooks' deliveries queued, each record named by `ext` (id → external id)."""
    return sorted(
        [
            (row.webhook_id, row.record_type, ext.get(row.object_id), row.event, row.status)
            for row in WebhookDelivery.objects.all()
        ],
        key=repr,
    )


def rescore_requests() -> list:
    return sorted(RescoreRequest.objects.values_list("account__name", flat=True), key=repr)


def snapshot_of(model, results_by_run: list[list[dict]], *, prefix: str, links=None, volatile=()):
    """What the two ways are compared on for records of `model` (contacts, visits,
    deals): the jobs' results, the records and their history (ids and times left out,
    each link shown by `links` {column: {id: what it names}}), the history's origins,
    the accounts' versions, the webhooks' outbox and the rescore requests."""
    from accounts.models import Account

    links = {"account_id": dict(Account.all_objects.values_list("pk", "name")), **(links or {})}
    ext = dict(model.all_objects.values_list("pk", "external_id"))
    skip = VOLATILE | set(volatile)

    def plain(row: dict) -> dict:
        return {
            key: links[key].get(value, value) if key in links else value
            for key, value in row.items()
            if key not in skip
        }

    def result(entry: dict) -> dict:
        entry = dict(entry)
        if entry.get("id") is not None:
            assert ext[entry["id"]] == entry["external_id"].strip()
            entry["id"] = "id-of-" + entry["external_id"]
        entry["duplicates"] = [
            {**match, "id": ext[match["id"]], "url": ""} for match in entry.get("duplicates", [])
        ]
        return entry

    history = model.history.model.objects
    return {
        "results": [[result(entry) for entry in run] for run in results_by_run],
        "records": sorted(
            (plain(row) for row in model.all_objects.values()),
            key=lambda row: repr((row["external_id"] or "", sorted(row.items(), key=repr))),
        ),
        "history": sorted(
            ((ext.get(row["id"]), *sorted(plain(row).items())) for row in history.values()),
            key=repr,
        ),
        "history_origins": sorted(
            history.filter(external_id__startswith=prefix)
            .values_list("origin", "history_type")
            .distinct()
        ),
        "accounts": sorted(
            Account.all_objects.values_list("name", "version", "deleted_at"), key=repr
        ),
        "outbox": outbox(ext),
        "rescore_requests": rescore_requests(),
    }

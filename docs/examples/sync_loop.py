"""A complete sync loop against the keyaccounts API, in Python, with the client that
openapi-python-client generates from the schema (docs/api.md, "A sync loop in Python").

    pip install openapi-python-client
    openapi-python-client generate --url https://crm.example.com/api/v1/schema/ \\
        --meta none --output-path keyaccounts_client
    python sync_loop.py https://crm.example.com <your token>

It keeps a local copy of the accounts and contacts you can see: a full sync through the
changes feed the first time, then incremental syncs from the stored cursor; a cursor the
server cannot serve (410 `resync_required`) starts a full resync. It writes with
If-Match (a 412 re-reads, merges and retries) and with an Idempotency-Key (a retry after
a lost answer creates nothing twice), and loads many records at once with bulk.
keyaccounts/tests/test_sync_loop_example.py runs it against a live server, so this file
cannot drift from the API.
"""

import json
import sys
import uuid
from dataclasses import dataclass, field

import httpx
from keyaccounts_client import AuthenticatedClient
from keyaccounts_client.api.accounts import (
    accounts_bulk_create,
    accounts_changes_retrieve,
    accounts_create,
    accounts_partial_update,
    accounts_retrieve,
)
from keyaccounts_client.api.contacts import contacts_changes_retrieve
from keyaccounts_client.models import (
    AccountBulkItemRequest,
    AccountRequest,
    PatchedAccountRequest,
)
from keyaccounts_client.types import UNSET

# The record types kept in sync, each with its changes feed.
FEEDS = {
    "accounts": accounts_changes_retrieve,
    "contacts": contacts_changes_retrieve,
}
PAGE = 500  # changes per page (1 to 1000)


class ResyncRequired(Exception):
    """410 `resync_required`: the stored cursor cannot be served; start over."""


@dataclass
class LocalCopy:
    """What this program knows: records by type and id, and a cursor per type."""

    records: dict[str, dict[int, dict]] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)
    conflicts: int = 0  # 412s met (someone else wrote first): worth watching
    resyncs: int = 0  # full resyncs after a 410


def connect(base_url: str, token: str) -> AuthenticatedClient:
    # A personal token goes as `Token <key>`; an integration token (ka_…) as `Bearer`.
    prefix = "Bearer" if token.startswith("ka_") else "Token"
    return AuthenticatedClient(base_url=base_url, token=token, prefix=prefix, timeout=30.0)


def _follow(client, kind: str, since, apply) -> str:
    """Read the feed of `kind` from `since` until has_more is false; return the cursor."""
    while True:
        response = FEEDS[kind].sync_detailed(client=client, since=since, limit=PAGE)
        if response.status_code == 410:
            raise ResyncRequired(json.loads(response.content)["detail"])
        if response.status_code != 200:
            raise RuntimeError(f"{kind} feed: {response.status_code} {response.content!r}")
        page = response.parsed
        apply(page)
        since = page.next_cursor
        if not page.has_more:
            return since


def full_sync(client, copy: LocalCopy, kind: str) -> None:
    """From the beginning: everything you can see. The result replaces the local copy
    (drop what it did not return)."""
    seen: dict[int, dict] = {}

    def apply(page):
        for entry in page.results:
            seen[entry.id] = entry.to_dict()
        for gone in [*page.deleted, *page.removed]:
            seen.pop(gone.id, None)

    copy.cursors[kind] = _follow(client, kind, UNSET, apply)
    copy.records[kind] = seen


def incremental_sync(client, copy: LocalCopy, kind: str) -> None:
    """What changed since the stored cursor; a 410 falls back to a full resync."""
    if kind not in copy.cursors:
        return full_sync(client, copy, kind)
    records = copy.records.setdefault(kind, {})

    def apply(page):
        for entry in page.results:  # changed, or came into your view: upsert
            records[entry.id] = entry.to_dict()
        for gone in page.deleted:  # deleted while you could see it
            records.pop(gone.id, None)
        for gone in page.removed:  # still exists, but no longer yours to see
            records.pop(gone.id, None)

    try:
        copy.cursors[kind] = _follow(client, kind, copy.cursors[kind], apply)
    except ResyncRequired:
        copy.resyncs += 1
        full_sync(client, copy, kind)


def sync_all(client, copy: LocalCopy) -> None:
    for kind in FEEDS:
        incremental_sync(client, copy, kind)


def update_account(client, copy: LocalCopy, account_id: int, changes: dict) -> dict:
    """PATCH with If-Match: the version of the local copy. A 412 means someone changed
    it since: read it again, apply our changes on top, and try once more."""
    version = copy.records["accounts"][account_id]["version"]
    for _attempt in range(2):
        response = accounts_partial_update.sync_detailed(
            str(account_id),
            client=client,
            body=PatchedAccountRequest.from_dict(changes),
            if_match=f'"{version}"',
        )
        if response.status_code == 200:
            record = response.parsed.to_dict()
            copy.records["accounts"][account_id] = record
            return record
        if response.status_code != 412:
            raise RuntimeError(f"update: {response.status_code} {response.content!r}")
        # 412: the ETag header (and current_version) say where the record is now.
        copy.conflicts += 1
        current = accounts_retrieve.sync_detailed(str(account_id), client=client)
        copy.records["accounts"][account_id] = current.parsed.to_dict()
        version = int(current.headers["ETag"].strip('"'))
    raise RuntimeError("update: the record keeps changing under us")


def create_account(client, copy: LocalCopy, fields: dict, *, key: str | None = None) -> dict:
    """POST with an Idempotency-Key: a retry with the same key (after a timeout, a
    dropped connection) answers the first answer again and creates nothing."""
    key = key or str(uuid.uuid4())
    for _attempt in range(3):
        try:
            response = accounts_create.sync_detailed(
                client=client, body=AccountRequest.from_dict(fields), idempotency_key=key
            )
        except httpx.TransportError:
            continue  # the answer was lost: send the same request, same key, again
        if response.status_code != 201:
            raise RuntimeError(f"create: {response.status_code} {response.content!r}")
        record = response.parsed.to_dict()
        copy.records.setdefault("accounts", {})[record["id"]] = record
        return record
    raise RuntimeError("create: no answer after 3 tries")


def bulk_upsert_accounts(client, items: list[dict]) -> dict:
    """Up to 1,000 accounts by external_id in one request, each answered on its own
    (created, updated, unchanged or error with its field messages)."""
    response = accounts_bulk_create.sync_detailed(
        client=client,
        body=[AccountBulkItemRequest.from_dict(item) for item in items],
        idempotency_key=str(uuid.uuid4()),
    )
    if response.status_code != 200:
        raise RuntimeError(f"bulk: {response.status_code} {response.content!r}")
    return response.parsed.to_dict()


def main(base_url: str, token: str, state_file: str = "sync_state.json") -> None:
    client = connect(base_url, token)
    copy = LocalCopy()
    try:
        with open(state_file) as f:
            state = json.load(f)
        copy.cursors = state["cursors"]
        copy.records = {k: {int(i): r for i, r in v.items()} for k, v in state["records"].items()}
    except FileNotFoundError:
        pass
    sync_all(client, copy)
    with open(state_file, "w") as f:
        json.dump({"cursors": copy.cursors, "records": copy.records}, f)
    for kind, records in copy.records.items():
        print(f"{kind}: {len(records)} in sync")


if __name__ == "__main__":
    main(*sys.argv[1:3])

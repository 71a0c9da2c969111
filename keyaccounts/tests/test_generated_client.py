"""A client generated from the schema with openapi-python-client (as an integrator would)
comes out without a single warning, and drives docs/examples/sync_loop.py — the sync
loop docs/api.md ends with — against a live server: full sync, incremental sync, 410 and
a full resync, If-Match with a 412 in between, Idempotency-Key, bulk."""

import importlib.util
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from accounts.models import Account
from accounts.tests.factories import AccountFactory, ContactFactory

ROOT = Path(settings.BASE_DIR)
EXAMPLE = ROOT / "docs" / "examples" / "sync_loop.py"
PACKAGE = "keyaccounts_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The schema as /api/v1/schema/ serves it, and the client generated from it."""
    where = tmp_path_factory.mktemp("client")
    schema = where / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    config = where / "config.json"
    config.write_text(json.dumps({"post_hooks": []}))  # no formatting run: not needed
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(where / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return run, where


def test_the_client_is_generated_from_the_schema_without_a_warning(generated):
    run, where = generated
    output = run.stdout + run.stderr

    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert (where / PACKAGE / "api" / "accounts" / "accounts_changes_retrieve.py").exists()


@pytest.fixture
def sync_loop(generated, monkeypatch):
    run, where = generated
    assert run.returncode == 0, run.stdout + run.stderr
    monkeypatch.syspath_prepend(str(where))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        monkeypatch.delitem(sys.modules, name)
    spec = importlib.util.spec_from_file_location("sync_loop_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def listed(client, path: str) -> dict[int, int]:
    """{id: version} of everything the list endpoint shows."""
    found, page = {}, 1
    while True:
        body = client.get(path, {"page": page, "page_size": 200}).json()
        found.update({row["id"]: row["version"] for row in body["results"]})
        if not body["next"]:
            return found
        page += 1


def versions(records: dict[int, dict]) -> dict[int, int]:
    return {pk: record["version"] for pk, record in records.items()}


@pytest.mark.django_db(transaction=True)
def test_the_documented_sync_loop_runs_against_a_live_server(sync_loop, live_server, personas, api):
    ContactFactory(account=personas.account)
    token = Token.objects.create(user=personas.alice).key
    alice = api(personas.alice)
    client = sync_loop.connect(live_server.url, token)
    copy = sync_loop.LocalCopy()

    # The initial full sync through the feed: exactly what the lists show.
    sync_loop.sync_all(client, copy)
    assert versions(copy.records["accounts"]) == listed(alice, "/api/v1/accounts/")
    assert versions(copy.records["contacts"]) == listed(alice, "/api/v1/contacts/")
    assert personas.charlies_account.pk not in copy.records["accounts"]

    # Bulk: two new accounts by external id, one of them with an error.
    result = sync_loop.bulk_upsert_accounts(
        client,
        [
            {"external_id": "ERP-1", "name": "Bulk Steel", "industry": "manufacturing"},
            {"external_id": "ERP-2", "name": "", "industry": "manufacturing"},
        ],
    )
    assert [item["status"] for item in result["results"]] == ["created", "error"]
    assert "name" in result["results"][1]["errors"]

    # Idempotency-Key: the same create sent twice (a lost answer) makes one account.
    key = str(uuid.uuid4())
    fields = {"name": "Retry Logistics", "industry": "logistics"}
    first = sync_loop.create_account(client, copy, fields, key=key)
    again = sync_loop.create_account(client, copy, fields, key=key)
    assert first["id"] == again["id"]
    assert Account.objects.filter(name="Retry Logistics").count() == 1

    # Someone else changes an account: the incremental sync brings that, and the new ones.
    account = personas.account
    alice.patch(f"/api/v1/accounts/{account.pk}/", {"region": "North"})
    stale_version = copy.records["accounts"][account.pk]["version"]
    sync_loop.sync_all(client, copy)
    assert copy.records["accounts"][account.pk]["region"] == "North"
    assert copy.records["accounts"][account.pk]["version"] == stale_version + 1
    bulk_id = Account.objects.get(external_id="ERP-1").pk
    assert bulk_id in copy.records["accounts"]

    # If-Match: a write from the copy; then one from a stale copy gets 412, re-reads, wins.
    sync_loop.update_account(client, copy, account.pk, {"notes": "from the ERP"})
    alice.patch(f"/api/v1/accounts/{account.pk}/", {"region": "South"})  # behind our back
    written = sync_loop.update_account(client, copy, account.pk, {"notes": "merged"})
    account.refresh_from_db()
    assert (account.notes, account.region) == ("merged", "South")
    assert written["version"] == account.version
    assert copy.conflicts == 1

    # An account given to someone else leaves the view: the feed removes it from the copy.
    moved = api(personas.manager).patch(f"/api/v1/accounts/{bulk_id}/", {"owner": personas.bob.pk})
    assert moved.status_code == 200, moved.json()
    AccountFactory(owner=personas.alice, name="Later Co")
    sync_loop.sync_all(client, copy)
    assert bulk_id not in copy.records["accounts"]
    assert versions(copy.records["accounts"]) == listed(alice, "/api/v1/accounts/")

    # A cursor the server cannot serve: 410 resync_required, then a full resync.
    copy.cursors["accounts"] = "not-a-cursor"
    copy.records["accounts"][999_999] = {"id": 999_999, "version": 1}  # a stray record
    sync_loop.sync_all(client, copy)
    assert copy.resyncs == 1
    assert versions(copy.records["accounts"]) == listed(alice, "/api/v1/accounts/")
    assert versions(copy.records["contacts"]) == listed(alice, "/api/v1/contacts/")


def test_docs_api_md_ends_with_this_very_sync_loop():
    doc = (ROOT / "docs" / "api.md").read_text()
    last_section = doc.rsplit("\n## ", 1)[1]

    assert last_section.startswith("A sync loop in Python")
    code = last_section.split("```python\n", 1)[1].rsplit("```", 1)[0]
    assert code == EXAMPLE.read_text()
    assert doc.rstrip().endswith("```")

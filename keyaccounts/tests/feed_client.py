"""A sync client as an integrator writes one: it keeps a copy of what it can see (id →
version) and applies the changes feed onto it, and it can read the list endpoint to
compare."""

from dataclasses import dataclass, field

from .api_records import RecordType


@dataclass
class Replica:
    """What a client holds of one record type, and what the feed told it."""

    rows: dict = field(default_factory=dict)  # id -> version
    cursor: str | None = None
    exits: list = field(default_factory=list)  # (id, "deleted" | "removed") ever received
    pages: int = 0

    def copy(self) -> "Replica":
        return Replica(dict(self.rows), self.cursor, [], 0)


def sync(client, kind: RecordType, replica: Replica, *, limit: int = 5) -> Replica:
    """Follow the feed from the replica's cursor until has_more is false, applying each
    page: results are upserts, deleted and removed are deletions. A record comes at most
    once per page, so the order within a page does not matter."""
    while True:
        query = {"limit": limit}
        if replica.cursor is not None:
            query["since"] = replica.cursor
        response = client.get(f"{kind.path}changes/", query)
        assert response.status_code == 200, response.content
        page = response.json()
        ids = [row["id"] for name in ("results", "deleted", "removed") for row in page[name]]
        assert len(ids) == len(set(ids)), f"a record twice in one page: {page}"
        assert len(ids) <= limit
        for row in page["results"]:
            replica.rows[row["id"]] = row["version"]
        for name in ("deleted", "removed"):
            for row in page[name]:
                replica.rows.pop(row["id"], None)
                replica.exits.append((row["id"], name))
        replica.cursor = page["next_cursor"]
        replica.pages += 1
        if not page["has_more"]:
            return replica


def listed(client, kind: RecordType) -> dict:
    """What the list endpoint shows: id → version, every page."""
    rows, page = {}, 1
    while True:
        response = client.get(kind.path, {"page": page, "page_size": 200})
        assert response.status_code == 200, response.content
        body = response.json()
        rows.update((row["id"], row["version"]) for row in body["results"])
        if not body["next"]:
            return rows
        page += 1

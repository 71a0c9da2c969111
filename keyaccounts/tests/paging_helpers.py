"""Walking a list's pages as a person does: by its "Next" and "Previous" links."""

import html
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext


def link(response, rel: str) -> str | None:
    """The href of the page's pagination link `rel` ("next", "prev"), as rendered."""
    found = re.search(rf'<a href="([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found[1]) if found else None


def first_page_link(response) -> str | None:
    found = re.search(r'<a href="([^"]*)">First page</a>', response.content.decode())
    return html.unescape(found[1]) if found else None


def pages(client, url: str, params: dict | None = None):
    """Every page of the list at `url`, following its "Next" links to the end."""
    response = client.get(url, params or {})
    assert response.status_code == 200, url
    yield response
    seen = set()
    while (next_url := link(response, "next")) is not None:
        assert next_url not in seen, f"the Next links go round in a circle at {next_url}"
        seen.add(next_url)
        response = client.get(next_url)
        assert response.status_code == 200, next_url
        yield response


def rows_of(responses, name: str = "page") -> list:
    """The rows of every page, in order."""
    return [row for response in responses for row in response.context[name].object_list]


def pks(response, name: str = "page") -> list:
    """What tells the page's rows apart: their ids (a history entry's place in it)."""
    rows = response.context[name].object_list
    return [row.pk if hasattr(row, "pk") else row.sort_key for row in rows]


def walk_both_ways(client, url: str, params: dict | None = None) -> tuple[list, list]:
    """The pages' row ids walking "Next" from the first page to the last, and walking
    "Previous" from the last back to the first (put back in reading order)."""
    every_page = list(pages(client, url, params))
    forward = [pks(response) for response in every_page]
    response, backward = every_page[-1], [forward[-1]]
    while (previous := link(response, "prev")) is not None:
        response = client.get(previous)
        assert response.status_code == 200, previous
        backward.append(pks(response))
    return forward, backward[::-1]


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured.captured_queries)


def first_and_deep_query_counts(client, url: str) -> tuple[int, int]:
    """The queries of the list's first page and of its second (a page found by cursor),
    after a first load that settles the session."""
    client.get(url)
    second = link(client.get(url), "next")
    assert second is not None, "the list has a single page"
    return query_count(client, url), query_count(client, second)

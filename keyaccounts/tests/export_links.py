"""A list page's export link and the rows its CSV holds: what the tests of "the file
lists what the page lists" read (the deals behind a number, the plan pages, the missing
reviews)."""

import codecs
import csv
import io
import re
from html import unescape


def export_link(html: str, kind: str, extension: str = "csv") -> str:
    """The page's link to the `kind` export in `extension` (it must have one)."""
    found = re.search(rf'href="(/export/{kind}/\?format={extension}[^"]*)"', html)
    assert found, f"no {kind} {extension} link"
    return unescape(found.group(1))


def exported_records(client, link: str, **headers) -> list[dict]:
    """The rows of the CSV `link` answers, each as {header: value}, in the file's order
    (`headers`: the request's, e.g. HTTP_ACCEPT_LANGUAGE)."""
    response = client.get(link, **headers)  # its query as it is: a repeated name too
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(codecs.BOM_UTF8)
    header, *rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return [dict(zip(header, row, strict=True)) for row in rows]

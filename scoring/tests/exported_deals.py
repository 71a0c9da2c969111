"""What a deals page lists and what its export link writes, as (deal, account) names:
the dashboard's and the analytics' drill-downs export what they list."""

import codecs
import csv
import io
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

from keyaccounts.tests.paging_helpers import pages, rows_of
from opportunities.models import Opportunity


def export_link(html: str, kind: str, extension: str) -> str:
    found = re.search(rf'href="(/export/{kind}/\?format={extension}[^"]*)"', html)
    assert found, f"no {kind} {extension} link"
    return unescape(found.group(1))


def exported(client, link: str) -> list[tuple[str, str]]:
    """The (deal, account) names of a CSV export's rows, sorted."""
    parts = urlsplit(link)
    response = client.get(parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(codecs.BOM_UTF8)
    header, *rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    name, account = header.index("Name"), header.index("Account")
    return sorted((row[name], row[account]) for row in rows)


def deals_on_page(client, url: str) -> list[tuple[str, str]]:
    """The (deal, account) names of every page of a deals page's list, sorted."""
    ids = {deal.pk for deal in rows_of(pages(client, url))}
    deals = Opportunity.objects.filter(pk__in=ids).select_related("account")
    return sorted((deal.name, deal.account.name) for deal in deals)

"""What a deals page lists and what its export link writes, as (deal, account) names:
the dashboard's and the analytics' drill-downs export what they list."""

from keyaccounts.tests.export_links import exported_records
from keyaccounts.tests.paging_helpers import pages, rows_of
from opportunities.models import Opportunity


def exported(client, link: str) -> list[tuple[str, str]]:
    """The (deal, account) names of a CSV export's rows, sorted."""
    return sorted((row["Name"], row["Account"]) for row in exported_records(client, link))


def deals_on_page(client, url: str) -> list[tuple[str, str]]:
    """The (deal, account) names of every page of a deals page's list, sorted."""
    ids = {deal.pk for deal in rows_of(pages(client, url))}
    deals = Opportunity.objects.filter(pk__in=ids).select_related("account")
    return sorted((deal.name, deal.account.name) for deal in deals)

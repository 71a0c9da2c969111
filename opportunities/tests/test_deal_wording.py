"""English pages call a deal a deal: the account page's card, the deal's forms, its page
and history, the import types, the recycle bin (the model's own name included, which the
history, the bin and the admin show). The API keeps its resource name, `opportunities`."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from opportunities import services
from opportunities.tests.factories import OpportunityFactory, default_stages


@pytest.fixture
def stages(db):
    return default_stages()


class _Text(HTMLParser):
    """What a reader sees and hears: the text nodes and the labels given to controls."""

    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_starttag(self, tag, attrs):
        self.parts += [value for name, value in attrs if name in ("aria-label", "title") and value]

    def handle_data(self, data):
        self.parts.append(data)


def shown(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


def test_english_pages_say_deal_not_opportunity(personas, login, stages):
    deal = OpportunityFactory(account=personas.account, owner=personas.alice, name="MES")
    other = OpportunityFactory(account=personas.account, owner=personas.alice, name="ERP")
    services.opportunity_delete(opportunity=other, by=personas.alice)
    client = login(personas.alice)
    pages = {
        "account page": reverse("accounts:detail", args=[personas.account.pk]),
        "new deal": reverse("opportunities:create", args=[personas.account.pk]),
        "edit deal": reverse("opportunities:edit", args=[deal.pk]),
        "deal page": reverse("opportunities:detail", args=[deal.pk]),
        "deal history": reverse("opportunities:history", args=[deal.pk]),
        "imports": reverse("imports:index"),
        "recycle bin": reverse("recyclebin:bin"),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        text = shown(response)
        assert "pportunit" not in text, (name, text[text.find("pportunit") - 80 :][:200])
    assert "Deals" in shown(client.get(pages["imports"]))
    assert "ERP" in shown(client.get(pages["recycle bin"]))

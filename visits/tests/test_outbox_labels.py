"""The phone's outbox names a refused field as the form does, in the page's language
(`{% outbox_labels %}` in templates/base.html, kept per language)."""

import html
import json
import re

from django.urls import reverse


def _labels(client, language) -> dict:
    page = client.get(reverse("visits:my_week"), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    found = re.search(r'data-labels="([^"]*)"', page.content.decode())
    assert found, "the page carries the outbox's labels"
    return json.loads(html.unescape(found.group(1)))


def test_the_outbox_labels_follow_the_language_of_each_page(personas, login):
    client = login(personas.alice)
    english = _labels(client, "en")
    chinese = _labels(client, "zh-hans")
    assert english["occurred_at"] == "Took place"
    assert chinese["occurred_at"] == "拜访时间"
    # Asked again in English after Chinese: each language keeps its own words.
    assert _labels(client, "en") == english
    assert set(english) == set(chinese)

"""A page shown in Chinese writes its form's words in Chinese: every label, legend,
button and choice of every list's filter form and of the pages a rep and a manager use
each day. Found by walking the demo in Chinese: the account list's sort offered "Name
(descending)", django-filter's own words, whose catalogue it ships for zh_CN only (the
project's language is zh-hans), so Django never reads it. `test_route_walk`'s walk of
every page in Chinese looks for the catalogue's own English strings, which a library's
words are not; this looks at any English word, so only where no record's name is shown
(the forms' labels and choices; a choice that is a record or the company's data left
out)."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    "visits:my_week",
    "visits:follow_ups",
    "visits:planned",
    "accounts:list",
    "opportunities:board",
    "opportunities:approvals",
    "visits:record_list",
    "visits:heat_map",
    "visits:notifications",
    "complaints:list",
    "receivables:list",
    "plans:action_list",
    "reviews:missing",
    "recyclebin:bin",
    "scoring:sales_list",
    "scoring:table",
    "scoring:dashboard",
    "scoring:analytics",
]
# Pages for managers only (a rep gets 404).
MANAGERS_PAGES = ["visits:team"]
# Choices that are the company's data, not the product's words (regions as entered).
DATA_SELECTS = {"region"}
# Words that are the same in both languages.
# "English": the language switch names each language in its own words.
SAME = {"ABCD", "API", "CSV", "ERP", "XLSX", "Excel", "URL", "ID", "English"}
ENGLISH = re.compile(r"[A-Za-z]{3,}")
TAGS = {"label", "legend", "button", "summary", "option", "th", "h1", "h2", "h3"}


class FormWords(HTMLParser):
    """The text of the page's labels, legends, buttons, headings and choices; not an
    option whose value is a record's id (a person's or a team's name is data)."""

    def __init__(self):
        super().__init__()
        self.select = ""
        self.open: list[tuple[str, bool]] = []
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "select":
            self.select = dict(attrs).get("name") or ""
        if tag in TAGS:
            value = dict(attrs).get("value") or ""
            data = tag == "option" and (value.isdigit() or self.select in DATA_SELECTS)
            self.open.append((tag, data))

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            self.open.pop()

    def handle_data(self, data):
        if self.open and not self.open[-1][1] and data.strip():
            self.found.append((self.open[-1][0], data.strip()))


def english_in(html: str) -> list[tuple[str, str]]:
    parser = FormWords()
    parser.feed(html)
    return [
        (tag, text)
        for tag, text in parser.found
        if any(word not in SAME for word in ENGLISH.findall(text))
    ]


@pytest.mark.parametrize(
    "who, name",
    [("alice", name) for name in PAGES] + [("manager", name) for name in PAGES + MANAGERS_PAGES],
)
def test_a_page_in_chinese_writes_its_form_s_words_in_chinese(personas, login, who, name):
    client = login(getattr(personas, who))
    # With a filter given, as the list's own links open it (its form then shown open).
    response = client.get(reverse(name), {"q": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, (name, response.status_code)
    assert response["Content-Language"] == "zh-hans"
    assert english_in(response.content.decode()) == [], name


def test_the_check_finds_english_words():
    assert english_in('<select><option value="-name">Name (descending)</option></select>')
    assert english_in("<label>排序 order</label>")
    assert not english_in('<select><option value="7">Amy Lin</option></select>')
    assert not english_in('<select name="region"><option value="East">East</option></select>')
    assert english_in('<select name="industry"><option value="it">Technology</option></select>')
    assert not english_in("<label>导出 CSV</label>")

"""A list drawn without bullets keeps its list role. Safari's VoiceOver (WebKit) drops
the role of a `<ul>` or `<ol>` styled `list-style: none` — the page's messages, my week's
follow-ups, a record's history — so a screen reader no longer says "list, 3 items";
each such list says `role="list"` itself."""

import re
from pathlib import Path

import pytest
from django.contrib.messages import constants

ROOT = Path(__file__).resolve().parents[2]
LIST_TAG = re.compile(r"<(?:ul|ol)\b[^>]*>")


def unbulleted_classes() -> set[str]:
    """The classes app.css draws as lists without bullets."""
    css = (ROOT / "static" / "css" / "app.css").read_text()
    found = set()
    for rule in re.finditer(r"([^{}]+)\{[^}]*list-style:\s*none", css):
        for selector in rule.group(1).split(","):
            last = re.search(r"\.([\w-]+)\s*$", selector.strip())
            if last:
                found.add(last.group(1))
    return found


def lists_without_their_role(text: str, classes: set[str]) -> list[str]:
    found = []
    for tag in LIST_TAG.findall(text):
        given = re.search(r'\bclass="([^"]*)"', tag)
        if given and set(given.group(1).split()) & classes and 'role="list"' not in tag:
            found.append(tag)
    return found


def test_the_stylesheet_names_the_unbulleted_lists():
    assert {"messages", "plain", "followups", "timeline", "history"} <= unbulleted_classes()


def test_every_unbulleted_list_of_every_template_and_tag_says_it_is_a_list():
    classes = unbulleted_classes()
    sources = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templatetags/*.py")]
    sources += [*ROOT.glob("*/views.py")]
    missing = {
        str(path.relative_to(ROOT)): tags
        for path in sources
        if (tags := lists_without_their_role(path.read_text(), classes))
    }
    assert missing == {}


def test_the_check_finds_a_list_without_its_role():
    classes = {"plain"}
    assert lists_without_their_role('<ul class="plain levels">', classes)
    assert not lists_without_their_role('<ul role="list" class="plain levels">', classes)
    assert not lists_without_their_role('<ul class="errorlist">', classes)


@pytest.mark.django_db
def test_the_page_s_messages_are_a_list(personas, rf):
    from django.contrib.messages.storage.base import Message
    from django.template.loader import render_to_string

    request = rf.get("/my-week/")
    request.user = personas.alice
    html = render_to_string(
        "base.html", {"messages": [Message(constants.SUCCESS, "Saved.")]}, request=request
    )
    assert re.search(r'<ul role="list" class="messages">\s*<li class="msg msg-success">Saved', html)

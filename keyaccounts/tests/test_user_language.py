"""A person's language: the switch saves it on their user, a browser without a language
cookie then opens in it, and nobody else's pages change."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_switch_saves_the_language_and_a_new_browser_opens_in_it(personas, login):
    phone = login(personas.alice)
    phone.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/"})
    assert User.objects.get(pk=personas.alice.pk).language == "zh-hans"

    laptop = Client(HTTP_ACCEPT_LANGUAGE="en")  # no cookie; a browser set to English
    laptop.force_login(personas.alice)
    page = laptop.get(reverse("accounts:list"))
    assert page["Content-Language"] == "zh-hans"
    assert "客户" in page.content.decode()

    # The browser's own choice (its cookie) still wins on that browser.
    laptop.post(reverse("set_language"), {"language": "en", "next": "/accounts/"})
    assert laptop.get(reverse("accounts:list"))["Content-Language"] == "en"
    assert User.objects.get(pk=personas.alice.pk).language == "en"


def test_someone_without_a_saved_language_gets_what_the_browser_asks(personas):
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    browser.force_login(personas.charlie)
    assert browser.get(reverse("accounts:list"))["Content-Language"] == "zh-hans"
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(personas.charlie)
    assert english.get(reverse("accounts:list"))["Content-Language"] == "en"
    assert User.objects.get(pk=personas.charlie.pk).language == ""


def test_the_switch_before_signing_in_saves_nothing_and_refuses_no_one(personas):
    anonymous = Client()
    response = anonymous.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    assert not User.objects.exclude(language="").exists()


def test_an_unknown_language_is_not_saved(personas, login):
    client = login(personas.alice)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert User.objects.get(pk=personas.alice.pk).language == ""


def test_the_switch_on_a_page_answering_a_post_leads_back_to_the_page_it_was_sent_from(
    personas, login
):
    """A form shown again with its mistakes at an address that takes only POST (a
    review's follow-up, a complaint's answer): switching the language there led to a GET
    of that address, a blank 405 page, and what was typed was gone."""
    from django.test import RequestFactory

    from keyaccounts.templatetags.links import page_to_return_to

    client = login(personas.alice)
    url = reverse("accounts:contact_create", args=[personas.account.pk])
    page = client.post(
        url, {"name": ""}, HTTP_REFERER=f"http://testserver/accounts/{personas.account.pk}/?tab=1"
    )
    assert f'name="next" value="/accounts/{personas.account.pk}/?tab=1"' in page.content.decode()

    ask = RequestFactory()
    assert page_to_return_to(ask.get("/reviews/3/?x=1")) == "/reviews/3/?x=1"
    posted = ask.post("/reviews/3/follow-ups/new/", HTTP_REFERER="https://evil.example/x")
    # Another site's address is never followed; without one (or when the form was sent
    # again from its own error page), the record the action's address is under.
    assert page_to_return_to(posted) == "/reviews/3/"
    again = ask.post(
        "/complaints/4/respond/", HTTP_REFERER="http://testserver/complaints/4/respond/"
    )
    assert page_to_return_to(again) == "/complaints/4/"
    assert page_to_return_to(ask.post("/export/files/")) == "/"

"""A list's folded filters say how many are set: Apply with nothing chosen sets none,
even where a filter is a picker (its id and its text box are sent empty)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

LISTS = ["accounts:list", "opportunities:board", "visits:heat_map", "visits:record_list"]


def summary(page: str) -> str:
    return re.search(r"<summary>(.*?)</summary>", page, re.S).group(1)


def empty_form_of(client, url: str) -> dict:
    """Every field of the list's filter form, as a browser sends it with nothing chosen."""
    form = client.get(url).context["filter"].form
    data = {}
    for name, field in form.fields.items():
        widget = type(field.widget).__name__
        if "Multiple" in widget or "Checkbox" in widget:
            continue  # a browser sends nothing for a list or a box with nothing ticked
        data[name] = ""
        if "Picker" in widget:
            data[f"{name}_name"] = ""
    return data


@pytest.mark.parametrize("name", LISTS)
def test_apply_with_nothing_chosen_sets_no_filter(personas, login, name):
    client = login(personas.manager)
    url = reverse(name)
    with translation.override("en"):
        data = empty_form_of(client, url)
        assert any(key.endswith("_name") for key in data), "a list with a picker"
        page = client.get(url, data).content.decode()
    assert "set)" not in summary(page)
    assert '<details class="more-filters" open' not in page  # folded: nothing to show


def test_a_picker_with_a_choice_counts_once(personas, login):
    client = login(personas.manager)
    url = reverse("accounts:list")
    data = empty_form_of(client, url)
    picker = next(key[: -len("_name")] for key in data if key.endswith("_name"))
    data |= {picker: str(personas.alice.pk), f"{picker}_name": "alice"}
    page = client.get(url, data).content.decode()
    assert "(1 set)" in summary(page)


def test_an_unticked_box_is_no_filter_set(personas, login):
    """The complaints' "open only" and "resolved lately" boxes, unticked, set nothing:
    a search alone leaves the filters folded, a status is one."""
    client = login(personas.manager)
    url = reverse("complaints:list")
    with translation.override("en"):
        searched = client.get(url, {"q": "abc"}).content.decode()
        assert "set)" not in summary(searched)
        assert '<details class="more-filters" open' not in searched
        one = client.get(url, {"status": "closed"}).content.decode()
    assert "(1 set)" in summary(one)

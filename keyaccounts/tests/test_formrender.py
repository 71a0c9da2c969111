"""keyaccounts/formrender.py writes Django's select in Python: held here to Django's own
templates (`DjangoTemplates`), byte for byte, for the project's filter and form fields
and for the odd values a select can carry."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test import RequestFactory
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from keyaccounts.formrender import Renderer

DJANGO, OURS = DjangoTemplates(), Renderer()
DAY = datetime.date(2026, 12, 2)


def both(widget, name="field", value=None, attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs, renderer=DJANGO),
        widget.render(name, value, attrs, renderer=OURS),
    )


def test_pages_use_it():
    assert isinstance(get_default_renderer(), Renderer)


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=[("", "---------"), ("a", "Alpha"), ("b", "Beta")]), "b", None),
        (forms.Select(choices=[("a", "Alpha")]), None, {"id": "id_x", "required": True}),
        (forms.Select(choices=[("a", "A")]), "a", {"disabled": False, "autofocus": True}),
        (
            forms.Select(
                choices=[("<b>", 'Tom & "Jerry" <i>'), ("'", "l'apostrophe")],
                attrs={"data-x": '"quoted" & <tag>', "class": "wide"},
            ),
            "<b>",
            {"aria-describedby": "id_x_helptext"},
        ),
        (forms.Select(choices=[(1, 1000), (2, Decimal("12.50")), (3, 2.5)]), 2, None),
        (forms.Select(choices=[(DAY, DAY)]), None, None),
        (forms.Select(choices=[("a", gettext_lazy("Search"))]), "a", None),
        (
            forms.Select(
                choices=[("", "All"), ("Asia", [("cn", "China"), ("jp", "Japan")]), ("x", "Else")]
            ),
            "jp",
            None,
        ),
        (forms.SelectMultiple(choices=[("a", "A"), ("b", "B"), ("c", "C")]), ["a", "c"], None),
        (forms.SelectMultiple(choices=[]), None, {"id": "id_empty"}),
        (
            forms.Select(choices=[(mark_safe("a&b"), mark_safe("<b>A&amp;B</b>"))]),
            None,
            {"data-safe": mark_safe('"x"&y')},
        ),
        (forms.NullBooleanSelect(), True, None),
        (forms.NullBooleanSelect(), None, None),
    ],
)
def test_a_select_is_django_s_to_the_byte(widget, value, attrs):
    theirs, ours = both(widget, value=value, attrs=attrs)
    assert ours == theirs


def test_in_chinese_too():
    widget = forms.Select(choices=[("a", gettext_lazy("Search")), ("b", gettext_lazy("Apply"))])
    with translation.override("zh-hans"):
        theirs, ours = both(widget, value="b")
    assert ours == theirs
    assert "搜索" in ours


def test_an_option_template_of_a_widget_s_own_is_django_s_to_render(settings):
    class Starred(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Starred(choices=[("a", "A")])
    theirs, ours = both(widget, value="a")
    assert ours == theirs
    assert "<option" not in ours  # the widget's own option template was used


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_account_list_s_filters_are_django_s(personas, language):
    from accounts.filters import AccountFilter
    from accounts.selectors import accounts_visible_to

    request = RequestFactory().get("/accounts/", {"grade": ["A", "C"], "industry": "energy"})
    request.user = personas.alice
    filterset = AccountFilter(
        request.GET, queryset=accounts_visible_to(personas.alice), request=request
    )
    filterset.is_valid()
    form = filterset.form
    names = [name for name, field in form.fields.items() if isinstance(field.widget, forms.Select)]
    assert len(names) >= 10
    with translation.override(language):
        for name in names:
            form.renderer = DJANGO
            theirs = form[name].as_widget()
            form.renderer = OURS
            assert form[name].as_widget() == theirs, name
            assert "<select" in theirs

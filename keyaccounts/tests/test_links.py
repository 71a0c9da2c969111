"""`keyaccounts.links.record_url`: the link `reverse` gives, the resolver asked once per
kind of link. Held against `reverse` itself for every named route of the URLconf whose
arguments are ids, under a script prefix (the app served below a path) and after a test
swaps the URLconf; anything else is `reverse`'s to answer, errors included."""

import pytest
from django.http import HttpResponse
from django.template import engines
from django.test import override_settings
from django.urls import (
    NoReverseMatch,
    URLPattern,
    URLResolver,
    get_resolver,
    include,
    path,
    reverse,
    set_script_prefix,
)
from django.urls.converters import IntConverter

from keyaccounts.links import record_url


def _view(request, **kwargs):
    return HttpResponse("")


# A URLconf of this module's own: "accounts:detail" at another address.
urlpatterns = [
    path("elsewhere/", include(([path("<int:pk>/", _view, name="detail")], "accounts"))),
]


def id_routes() -> list[tuple[str, int]]:
    """(name, number of ids) of every named route whose arguments are all `<int:…>`."""
    found = []

    def walk(patterns, namespace, converters):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace and (
                    f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                )
                walk(
                    entry.url_patterns,
                    inner or namespace,
                    {**converters, **getattr(entry.pattern, "converters", {})},
                )
            elif isinstance(entry, URLPattern) and entry.name:
                kinds = {**converters, **getattr(entry.pattern, "converters", {})}
                if kinds and all(isinstance(c, IntConverter) for c in kinds.values()):
                    name = f"{namespace}:{entry.name}" if namespace else entry.name
                    found.append((name, len(kinds)))

    walk(get_resolver().url_patterns, None, {})
    return sorted(set(found))


ROUTES = id_routes()


def test_the_urlconf_has_the_record_links_of_every_app():
    names = {name for name, _ in ROUTES}
    for name in (
        "accounts:detail",
        "accounts:contact_edit",
        "visits:detail",
        "opportunities:detail",
        "opportunities:move",
        "plans:detail",
        "reviews:detail",
        "complaints:detail",
        "receivables:detail",
    ):
        assert name in names


@pytest.mark.parametrize(("name", "count"), ROUTES, ids=[name for name, _ in ROUTES])
def test_each_id_route_links_as_reverse_does(name, count):
    for ids in ([7] * count, list(range(1, count + 1)), [10**12 + i for i in range(count)]):
        expected = reverse(name, args=ids)
        assert record_url(name, *ids) == expected
        assert record_url(name, *ids) == expected  # the second time from what was kept


def test_below_a_script_prefix_the_links_carry_it():
    before = record_url("accounts:detail", 5)
    try:
        set_script_prefix("/crm/")
        assert record_url("accounts:detail", 5) == reverse("accounts:detail", args=[5])
        assert record_url("accounts:detail", 5) == f"/crm{before}"
    finally:
        set_script_prefix("/")
    assert record_url("accounts:detail", 5) == before


def test_another_urlconf_is_asked_again():
    assert record_url("accounts:detail", 5) == "/accounts/5/"
    with override_settings(ROOT_URLCONF=__name__):
        assert record_url("accounts:detail", 5) == "/elsewhere/5/"
    assert record_url("accounts:detail", 5) == "/accounts/5/"


def test_what_is_no_id_is_reverse_s_to_answer():
    assert record_url("accounts:detail", "5") == "/accounts/5/"  # as reverse takes it
    with pytest.raises(NoReverseMatch):
        record_url("accounts:detail", None)
    with pytest.raises(NoReverseMatch):
        record_url("accounts:detail", -1)
    with pytest.raises(NoReverseMatch):
        record_url("accounts:detail", 1, 2)  # one id too many
    with pytest.raises(NoReverseMatch):
        record_url("accounts:no-such-page", 1)


def test_the_link_filter_gives_the_url_tag_s_link():
    template = engines["django"].from_string(
        '{% load links %}{{ pk|link:"opportunities:move" }}|{% url "opportunities:move" pk %}'
    )
    filtered, tagged = template.render({"pk": 42}).split("|")
    assert filtered == tagged == "/pipeline/42/move/"

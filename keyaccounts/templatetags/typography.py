"""Punctuation between the pieces of a page's text, in the page's language: Chinese
text takes the full-width forms (：、；（）。), English the ASCII ones with their spaces.

A built-in library (settings.TEMPLATES): any template writes
`{% translate "Owner" %}{% colon %}{{ owner }}` or `{{ name }}{% lparen %}{{ role }}{% rparen %}`
instead of typing ": " or " (" between translated strings. Each mark is a catalogue entry
in the context "punctuation" (keyaccounts/locale)."""

from django import template
from django.utils.translation import pgettext

register = template.Library()


@register.simple_tag
def colon() -> str:
    return pgettext("punctuation", ": ")


@register.simple_tag
def comma() -> str:
    """Between the items of a list (names, advantages): "、" in Chinese."""
    return pgettext("punctuation", ", ")


@register.simple_tag
def semicolon() -> str:
    return pgettext("punctuation", "; ")


@register.simple_tag
def lparen(spacing: str = "") -> str:
    """ " (" after a word; `{% lparen "tight" %}` where a space is there already: "("."""
    if spacing == "tight":
        return pgettext("punctuation", "(")
    return pgettext("punctuation", " (")


@register.simple_tag
def rparen() -> str:
    return pgettext("punctuation", ")")


@register.simple_tag
def full_stop() -> str:
    return pgettext("punctuation", ". ")

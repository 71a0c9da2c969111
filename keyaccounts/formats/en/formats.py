"""Dates and times shown in English: the same one format as in Chinese (ISO order,
24-hour clock), so a date reads alike on every page, export and email in both
languages. Only what is shown; input formats stay Django's for the locale."""

from keyaccounts.formats.shown import *  # noqa: F403

"""Dates and times shown in Chinese: one format throughout (2026-12-01, 2026-12-01 14:30),
the one every page's own `|date:"Y-m-d"` uses, instead of Django's mix of 2026年12月1日
and 2026/12/01. Only what is shown; input formats stay Django's for the locale."""

from keyaccounts.formats.shown import *  # noqa: F403

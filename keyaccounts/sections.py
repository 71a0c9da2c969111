"""Sections that apps above a page add to it, so the page's app never imports them.

These pages compose what other apps know: my week (`visits`), the account page and the
account brief (`accounts`), the dashboard (`scoring`) and the deal page
(`opportunities`). The apps of issue 13 — complaints, account plans, reviews, money
risk, group customers, the people-move warning — live above
`accounts` and `visits`, so those pages cannot import them without an arrow running
back up. Instead each app registers a section from its `AppConfig.ready()`:

    sections.register("account", template="complaints/includes/account_section.html",
                      context=account_complaints_section, order=40)

and the page asks for its sections with what it has already read:

    "sections": sections.render_context("account", request, account=account)

`context(request, **page_data)` returns the section's template context (a dict), or None
to leave the section out (nothing to show, or the user may not see it). It runs the
section's own reads: keep them to a constant number of queries, whatever the rows. What
a section reads through the page's own record it names as `related` (relations to
select with it): the page reads its record with `related(page)` selected, so a section
about the account's grade costs no query of its own, and the page names nothing of it.

The account page is built this way throughout: its own cards (the buying center, the
facts, the team, the contacts) and, from the apps above, the next best actions, the
deals (`opportunities`), the grade card (`scoring`), the visits (`visits`), complaints,
the plan, reviews, money; `accounts` imports none of them.
The page's template renders each with `{% include section.template with section=section.context %}`
(`templates/includes/sections.html`). Order: lower first.

The dashboard's sections are rendered into its figures, which are kept for their person a
few minutes (keyaccounts/snapshots/) and rendered without the request: a dashboard
section shows figures and links only — no form, no CSRF token, nothing of the request.
My week's best next actions keep their list the same way (scoring/advice/sections.py);
its other sections are computed on every view.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

PAGES = ("my_week", "account", "brief", "dashboard", "deal")


@dataclass(frozen=True)
class Section:
    template: str
    context: Callable
    order: int = 100
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    template: str
    context: dict
    order: int = 100


# Sections ordered below this come before the page's own cards (on the account page:
# the next best actions and the group's gaps, then the deals, the grade and the visits:
# what a rep acts on first), the rest after them (`leading`).
LEADING_BELOW = 20


def leading(rendered: list[Rendered]) -> tuple[list[Rendered], list[Rendered]]:
    """`rendered` split into (the leading sections, the others), each in order."""
    first = [section for section in rendered if section.order < LEADING_BELOW]
    return first, [section for section in rendered if section.order >= LEADING_BELOW]


_registry: dict[str, list[Section]] = defaultdict(list)


def register(
    page: str, *, template: str, context: Callable, order: int = 100, related: tuple = ()
) -> None:
    """Add a section to `page` (one of PAGES); registering the same one twice is a no-op.
    `related`: what the section reads through the page's record, selected with it."""
    if page not in PAGES:
        raise ValueError(f"no page {page!r} takes sections: {PAGES}")
    section = Section(template=template, context=context, order=order, related=tuple(related))
    if section not in _registry[page]:
        _registry[page].append(section)
        _registry[page].sort(key=lambda s: s.order)


def render_context(page: str, request, **page_data) -> list[Rendered]:
    """The sections of `page` that have something to show, in order."""
    rendered = []
    for section in _registry[page]:
        context = section.context(request, **page_data)
        if context is not None:
            rendered.append(
                Rendered(template=section.template, context=context, order=section.order)
            )
    return rendered


def related(page: str) -> tuple[str, ...]:
    """What the sections of `page` read through its record: the relations the page
    selects with it (`select_related`), each once."""
    return tuple(dict.fromkeys(name for section in _registry[page] for name in section.related))


# --- what the apps above add to each row of a list ------------------------------------

# "brief_contacts": the account brief's contacts, when each was last met (visits).
LISTS = ("account_list", "brief_contacts")

_row_readers: dict[str, list[Callable]] = defaultdict(list)


def register_rows(page: str, reader: Callable) -> None:
    """Have `reader(rows)` run over each page of the list `page` (one of LISTS) before it
    is shown: it sets what its app adds to a row as attributes of the row (the account
    list's money flags: `scoring.money.risk.attach_money`), in a constant number of
    queries. Registered from the app's `AppConfig.ready()`; twice is a no-op."""
    if page not in LISTS:
        raise ValueError(f"no list {page!r} takes row readers: {LISTS}")
    if reader not in _row_readers[page]:
        _row_readers[page].append(reader)


def read_rows(page: str, rows) -> None:
    """Run the readers registered for the list `page` over a page of its `rows`."""
    rows = list(rows)
    for reader in _row_readers[page]:
        reader(rows)

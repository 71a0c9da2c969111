"""What the apps above carry over when two accounts, or two contacts, are merged
(`accounts.services.account_merge`, `contact_merge`), so that `accounts` imports none of
them: each app registers a mover from its `AppConfig.ready()`.

    merge_hooks.on_account_merge(move_visits)     # visits/merging.py

A mover is called inside the merge's transaction, after the survivor took its values and
before it is saved, as `mover(survivor=…, merged=…, by=…, now=…, relink=…)`; `relink(objs,
**changes)` sets `changes` on a list of records of one model in one statement, each with
a new version, a change number and a history entry (what sync clients and open forms
learn the move from). A mover that finds the merge impossible (two invoices with one
number, two plans for one period) raises `ApplicationError` with what to do first:
nothing of the merge is kept. Movers run in the order they registered (INSTALLED_APPS).
"""

from collections.abc import Callable

_account_movers: list[Callable] = []
_contact_movers: list[Callable] = []


def on_account_merge(mover: Callable) -> None:
    """Run `mover` in every merge of two accounts; registering it twice is a no-op."""
    if mover not in _account_movers:
        _account_movers.append(mover)


def on_contact_merge(mover: Callable) -> None:
    """Run `mover` in every merge of two contacts; registering it twice is a no-op."""
    if mover not in _contact_movers:
        _contact_movers.append(mover)


def move_account_rows(**merge) -> None:
    for mover in _account_movers:
        mover(**merge)


def move_contact_rows(**merge) -> None:
    for mover in _contact_movers:
        mover(**merge)

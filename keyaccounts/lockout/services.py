"""Lifting a lockout: the team's manager for a user name of their team, an admin for any
user name or address. The rule lives here; the page and the admin's records go through
django-axes' tables."""

import ipaddress
import logging

from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError

from .handler import ADDRESS, USERNAME, lift_records
from .selectors import lockable_usernames

logger = logging.getLogger(__name__)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def lockout_lift(*, by, kind: str, value: str) -> int:
    """End the lockout of a user name (kind USERNAME) or an address (ADDRESS) now: every
    recorded failure of it is forgotten. Refused with `not_found` — the same as for a
    user name nobody manages — when `by` may not lift it. Returns the records removed."""
    allowed = lockable_usernames(by)
    if kind == USERNAME and value:
        may = allowed is None or allowed.filter(username=value).exists()
    elif kind == ADDRESS and value:
        may = by.is_superuser and _is_address(value)
    else:
        may = False
    if not may:
        raise ApplicationError(
            _("There is no such lockout among those you manage."), code="not_found"
        )
    removed = lift_records(kind, value)
    logger.info("%s lifted the sign-in lockout of %s %s", by, kind, value)
    return removed

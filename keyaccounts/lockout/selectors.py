"""Which lockouts a person may see (and lift): a team's manager those of the user names
of their team's members, an admin every one, addresses too."""

from accounts.models import User
from accounts.selectors import users_managed_by

from .handler import ADDRESS, USERNAME, Lockout, current_lockouts


def lockable_usernames(user):
    """The user names whose lockout `user` may lift: None for every one (an admin)."""
    if user.is_superuser:
        return None
    return users_managed_by(user).values_list("username", flat=True)


def lockouts_visible_to(user) -> dict[str, list]:
    """{"usernames": [(Lockout, User or None)], "addresses": [Lockout]} for the page."""
    if not (user.is_authenticated and user.is_active):
        return {"usernames": [], "addresses": []}
    by_username = current_lockouts(USERNAME, among=lockable_usernames(user))
    people = User.objects.in_bulk([lock.value for lock in by_username], field_name="username")
    addresses: list[Lockout] = current_lockouts(ADDRESS) if user.is_superuser else []
    return {
        "usernames": [(lock, people.get(lock.value)) for lock in by_username],
        "addresses": addresses,
    }

"""Permissions that come with managing a sales team.

Team managers hold `MANAGER_PERMISSIONS` without an administrator giving them: being a
manager is a fact of the data (`accounts.selectors.is_manager`), not a flag to keep in
step. Superusers hold every permission already (Django's ModelBackend); anyone else can
be given them in the admin, on the user or a group.
"""

from django.contrib.auth.backends import BaseBackend

MANAGER_PERMISSIONS = frozenset({"integrations.add_webhook"})


class ManagerPermissionsBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if perm not in MANAGER_PERMISSIONS or not user_obj.is_active:
            return False
        if not hasattr(user_obj, "_manages_a_team"):
            from accounts.selectors import is_manager

            user_obj._manages_a_team = is_manager(user_obj)
        return user_obj._manages_a_team

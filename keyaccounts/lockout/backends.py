"""django-axes' backend, for sign-ins that come with a request."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out user name or address before any password is checked. An
    `authenticate()` without a request (a script, the test client's `login()`) has no
    address and is no way in from outside: it is left to the next backend, where
    django-axes' own backend would raise."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

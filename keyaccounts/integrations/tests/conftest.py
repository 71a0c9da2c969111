"""Fixtures of the integrations tests: a real receiver, and webhooks that may call it."""

import pytest

from .receiver import Receiver, free_port


@pytest.fixture
def allow_private(settings):
    """The receiver listens on 127.0.0.1: let webhooks call a loopback address."""
    settings.WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    receiver = Receiver(port=free_port())
    receiver.start()
    yield receiver
    receiver.stop()


def grant_webhooks(user) -> None:
    """Give `user` the permission to register webhooks, as an administrator does in the
    admin (a rep does not have it; a team manager does without it)."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="integrations", codename="add_webhook")
    )
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


@pytest.fixture
def make_webhook(allow_private):
    """`make_webhook(owner, url, types=...)`: a webhook registered through the service
    (the owner is given the permission); returns (webhook, secret)."""
    from keyaccounts.integrations.services import can_manage_webhooks, webhook_create

    def make(owner, url, types=("account", "contact")):
        if not can_manage_webhooks(owner):
            grant_webhooks(owner)
        return webhook_create(owner=owner, url=url, record_types=list(types))

    return make

"""Sign-in lockout: per user name, per address, what the user is told, lifting it, and
which address counts (REMOTE_ADDR unless TRUSTED_PROXY_COUNT proxies are trusted).

The limits come from settings (5 per user name, 30 per address in 15 minutes); the tests
that need the address limit lower it, so the story stays short.
"""

import datetime
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.tests.factories import UserFactory
from keyaccounts.clientip import client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"  # the factories'
LOGIN = "/login/"
TOKEN = "/api/v1/auth/token/"


def sign_in(client, username, password="wrong", address="10.0.0.1", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def ask_token(api_client, username, password="wrong", address="10.0.0.1", **headers):
    return api_client.post(
        TOKEN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail(client, username, times, address="10.0.0.1", **headers):
    answers = [sign_in(client, username, address=address, **headers) for _ in range(times)]
    return [answer.status_code for answer in answers]


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def lock_times(started: datetime.datetime, ended: datetime.datetime) -> set[str]:
    """How the page may show the end of a lock that began between `started` and `ended`:
    15 minutes after the oldest counted failure, local time, to the minute, with its date
    before it when that is not today (a lock taken before midnight ends tomorrow)."""
    shown = set()
    for moment in (started, ended):
        until = timezone.localtime(moment + datetime.timedelta(minutes=15))
        for today in {timezone.localdate(started), timezone.localdate(timezone.now())}:
            shown.add(date_format(until, "H:i" if until.date() == today else "Y-m-d H:i"))
    return shown


# --- per user name ------------------------------------------------------------------------


def test_five_failures_lock_the_user_name_from_every_address(client, personas):
    started = timezone.now()
    answers = [sign_in(client, "alice", address=f"10.0.1.{n}").status_code for n in range(1, 6)]
    ended = timezone.now()

    assert answers == [200, 200, 200, 200, 429]  # the fifth failure locks
    # The right password, from yet another address, is refused too.
    locked = sign_in(client, "alice", PASSWORD, address="10.0.1.99")
    assert locked.status_code == 429
    assert not signed_in(client)
    text = locked.content.decode()
    shown = re.search(
        r"Try again after ((?:\d{4}-\d\d-\d\d )?\d\d:\d\d) \(in (\d+) minutes?\)", text
    )
    assert shown, text
    assert shown.group(1) in lock_times(started, ended)
    assert shown.group(2) in ("14", "15")
    assert 840 <= int(locked["Retry-After"]) <= 900
    assert 'name="username"' in text  # the login form is still there, for later


def test_another_user_name_is_not_locked_by_it(client, personas):
    fail(client, "alice", 5, address="10.0.1.1")

    response = sign_in(client, "bob", PASSWORD, address="10.0.1.1")

    assert response.status_code == 302
    assert signed_in(client)


def test_a_user_name_that_does_not_exist_is_locked_the_same_way(client, personas):
    assert fail(client, "nobody", 5) == fail(client, "alice", 5, address="10.0.0.2")

    nobody = sign_in(client, "nobody").content.decode()
    alice = sign_in(client, "alice", address="10.0.0.2").content.decode()
    assert "Too many failed sign-ins" in nobody and "Too many failed sign-ins" in alice


def test_failures_while_locked_do_not_extend_the_lock(client, personas):
    fail(client, "alice", 5)
    first = int(sign_in(client, "alice")["Retry-After"])

    later = [int(sign_in(client, "alice")["Retry-After"]) for _ in range(3)]

    assert all(seconds <= first for seconds in later)


def test_a_successful_sign_in_forgets_that_clients_own_failures(client, personas):
    fail(client, "alice", 4)
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()

    assert fail(client, "alice", 4) == [200] * 4  # counted from zero again


def test_the_lock_ends_on_its_own(client, personas, settings):
    fail(client, "alice", 5)
    settings.LOGIN_LOCKOUT_MINUTES = 0  # as if the 15 minutes had passed

    assert sign_in(client, "alice", PASSWORD).status_code == 302


# --- per address --------------------------------------------------------------------------


def test_failures_from_one_address_lock_the_address_for_every_user_name(client, personas, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    for name in ("ann", "ben", "cat"):
        sign_in(client, name, address="10.0.0.7")

    assert sign_in(client, "bob", PASSWORD, address="10.0.0.7").status_code == 429
    assert sign_in(client, "bob", PASSWORD, address="10.0.0.8").status_code == 302


def test_a_forged_x_forwarded_for_gains_nothing(client, personas, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    for n, name in enumerate(("ann", "ben", "cat")):
        sign_in(client, name, address="10.0.0.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    response = sign_in(
        client, "bob", PASSWORD, address="10.0.0.9", HTTP_X_FORWARDED_FOR="198.51.100.77"
    )

    assert response.status_code == 429


def test_behind_one_trusted_proxy_the_client_is_the_last_hop(client, personas, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    proxy = "10.0.0.1"
    for name in ("ann", "ben", "cat"):
        # The client forged the first entry; the proxy appended the address it saw.
        sign_in(client, name, address=proxy, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")

    same_client = sign_in(
        client, "bob", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="7.7.7.7, 203.0.113.5"
    )
    other_client = sign_in(
        client, "bob", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.6"
    )

    assert same_client.status_code == 429
    assert other_client.status_code == 302


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "203.0.113.5", "10.0.0.1"),  # no proxy trusted: the header is ignored
        (1, "10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.1", " 203.0.113.5 ", "203.0.113.5"),
        (2, "10.0.0.2", "6.6.6.6, 203.0.113.5, 10.0.0.1", "203.0.113.5"),
        (2, "10.0.0.2", "203.0.113.5", "10.0.0.2"),  # fewer hops than proxies
        (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
        (1, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_the_hop_the_trusted_proxies_name(
    settings, count, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


# --- the API's token endpoint -------------------------------------------------------------


def test_the_token_endpoint_locks_out_with_the_apis_error_and_retry_after(api, personas):
    client = api()
    started = timezone.now()
    answers = [ask_token(client, "alice").status_code for _ in range(5)]
    ended = timezone.now()

    locked = ask_token(client, "alice", PASSWORD)

    assert answers == [400, 400, 400, 400, 429]
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "locked_out" and body["errors"] == {}
    shown = re.search(r"Try again after ((?:\d{4}-\d\d-\d\d )?\d\d:\d\d)", body["detail"])
    assert shown and shown.group(1) in lock_times(started, ended), body
    assert 840 <= int(locked["Retry-After"]) <= 900
    assert "token" not in body


def test_the_login_page_and_the_token_endpoint_count_together(client, api, personas):
    fail(client, "alice", 3)

    answers = [ask_token(api(), "alice").status_code for _ in range(2)]

    assert answers == [400, 429]


def test_the_token_endpoints_throttle_counts_the_address_not_the_header(api, personas, settings):
    settings.API_ANON_THROTTLE_RATE = "2/min"
    from django.core.cache import cache

    cache.clear()
    client = api()

    answers = [
        ask_token(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(3)
    ]

    assert answers == [200, 200, 429]
    assert client.post(TOKEN, {}, REMOTE_ADDR="10.0.0.2").status_code == 400  # its own count


# --- lifting a lockout --------------------------------------------------------------------


def test_the_teams_manager_lifts_a_members_lockout(client, login, personas):
    fail(client, "alice", 5)
    client.logout()
    manager = login(personas.manager)

    page = manager.get(reverse("lockout:list"))
    assert page.status_code == 200
    assert "Lift the lock of alice" in page.content.decode()
    lifted = manager.post(reverse("lockout:list"), {"kind": "username", "value": "alice"})
    assert lifted.status_code == 302
    manager.logout()

    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_another_teams_manager_neither_sees_nor_lifts_it(client, login, personas):
    fail(client, "alice", 5)
    client.logout()
    other = login(personas.other_manager)

    assert "alice" not in other.get(reverse("lockout:list")).content.decode()
    refused = other.post(reverse("lockout:list"), {"kind": "username", "value": "alice"})
    assert refused.status_code == 404
    other.logout()
    assert sign_in(client, "alice", PASSWORD).status_code == 429


def test_a_rep_has_no_lockout_page(login, personas):
    rep = login(personas.bob)

    assert rep.get(reverse("lockout:list")).status_code == 404
    assert rep.post(reverse("lockout:list"), {"kind": "username", "value": "x"}).status_code == 404


def test_an_admin_lifts_any_user_name_and_an_address(client, login, personas, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    charlie = UserFactory(username="charlie2", sales_team=personas.west)
    for n in range(1, 6):
        sign_in(client, charlie.username, address=f"10.0.3.{n}")
    for name in ("ann", "ben", "cat"):
        sign_in(client, name, address="10.0.0.7")
    admin = login(personas.admin)

    page = admin.get(reverse("lockout:list")).content.decode()
    assert "Lift the lock of charlie2" in page and "Lift the lock of 10.0.0.7" in page
    admin.post(reverse("lockout:list"), {"kind": "username", "value": "charlie2"})
    admin.post(reverse("lockout:list"), {"kind": "ip_address", "value": "10.0.0.7"})
    admin.logout()

    assert sign_in(client, "charlie2", PASSWORD, address="10.0.3.9").status_code == 302
    client.logout()
    assert sign_in(client, "bob", PASSWORD, address="10.0.0.7").status_code == 302


def test_a_manager_cannot_lift_an_address(client, login, personas, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    for name in ("ann", "ben", "cat"):
        sign_in(client, name, address="10.0.0.7")
    manager = login(personas.manager)

    answer = manager.post(reverse("lockout:list"), {"kind": "ip_address", "value": "10.0.0.7"})

    assert answer.status_code == 404

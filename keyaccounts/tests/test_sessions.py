"""The idle timeout without a session write per request (keyaccounts/sessions.py).

A signed-in user is signed out SESSION_COOKIE_AGE after their last request (less at most
SESSION_REFRESH_AFTER), and stays signed in as long as they keep coming back within it;
but a request writes the session row only when its expiry was last pushed back more than
SESSION_REFRESH_AFTER ago. Time passing is played by moving the session's stored moments
(its expiry and its refresh stamp) back, as the clock moving forward would leave them.
"""

import datetime

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keyaccounts.sessions import REFRESHED, refresh_after

HOME = "/accounts/"


def session_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def let_time_pass(client, seconds: int) -> None:
    """What `seconds` without a request leave in the store: the expiry and the last
    refresh that many seconds nearer."""
    key = session_key(client)
    store = SessionStore(key)
    store[REFRESHED] = store[REFRESHED] - seconds
    store.save()
    Session.objects.filter(pk=key).update(
        expire_date=F("expire_date") - datetime.timedelta(seconds=seconds)
    )


def expires_in(client) -> float:
    expiry = Session.objects.get(pk=session_key(client)).expire_date
    return (expiry - timezone.now()).total_seconds()


def session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_a_signed_in_users_pages_do_not_write_the_session(personas, login):
    client = login(personas.alice)
    assert client.get(HOME).status_code == 200  # the first request stamps the session

    for path in [HOME, reverse("visits:notifications"), HOME]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, path
        assert session_writes(queries) == [], path
        assert settings.SESSION_COOKIE_NAME not in response.cookies, path


def test_the_expiry_is_pushed_back_once_the_last_push_is_older_than_the_refresh_interval(
    personas, login
):
    client = login(personas.alice)
    client.get(HOME)
    let_time_pass(client, refresh_after() - 60)
    with CaptureQueriesContext(connection) as queries:
        client.get(HOME)
    assert session_writes(queries) == []
    assert expires_in(client) < settings.SESSION_COOKIE_AGE - refresh_after() + 120

    let_time_pass(client, 120)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert len(session_writes(queries)) == 1
    assert settings.SESSION_COOKIE_NAME in response.cookies  # the browser's expiry too
    assert expires_in(client) > settings.SESSION_COOKIE_AGE - 60


def test_a_user_who_keeps_coming_back_stays_signed_in_past_the_session_age(personas, login):
    client = login(personas.alice)
    client.get(HOME)
    step = int(settings.SESSION_COOKIE_AGE * 0.4)
    for _ in range(5):  # twice the session's age in all
        let_time_pass(client, step)
        response = client.get(HOME)
        assert response.status_code == 200
        assert response.context["user"] == personas.alice


def test_an_idle_user_is_signed_out_after_the_session_age(personas, login):
    client = login(personas.alice)
    client.get(HOME)
    let_time_pass(client, settings.SESSION_COOKIE_AGE + 1)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_anonymous_visit_creates_no_session_row(db, client):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(HOME).status_code == 302
    assert Session.objects.count() == 0


def test_signing_in_through_the_form_stamps_the_session_so_the_next_pages_write_nothing(
    client, personas
):
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "pw-for-tests"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 302
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    assert session_writes(queries) == []
    assert expires_in(client) > settings.SESSION_COOKIE_AGE - 60

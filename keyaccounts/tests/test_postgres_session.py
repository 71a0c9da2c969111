"""Every PostgreSQL session of the project starts with the planner settings of
`keyaccounts.postgres.SESSION_OPTIONS` (keyaccounts/postgres.py says why each)."""

import pytest
from django.db import connection

from keyaccounts.postgres import SESSION_OPTIONS

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_session_starts_with_the_projects_planner_settings(require_postgres):
    wanted = dict(option.removeprefix("-c ").split("=") for option in SESSION_OPTIONS.split(" -c "))
    assert set(wanted) == {"jit", "random_page_cost", "parallel_setup_cost"}
    with connection.cursor() as cursor:
        for name, value in wanted.items():
            cursor.execute(f"SHOW {name}")
            assert cursor.fetchone()[0] == value, name

"""Routes that apps above add to a viewset below (keyaccounts/api/extra_actions.py)."""

import pytest
from django.urls import reverse
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from keyaccounts.api import extra_actions


def test_an_added_action_is_an_extra_action_of_the_viewset():
    class Things(viewsets.GenericViewSet):
        pass

    @action(detail=True, methods=["get"])
    def ping(self, request, pk=None):
        return Response({"pong": pk})

    extra_actions.add(Things, ping)
    assert [a.__name__ for a in Things.get_extra_actions()] == ["ping"]


def test_a_function_that_is_no_action_is_refused():
    class Things(viewsets.GenericViewSet):
        pass

    def ping(self, request, pk=None):
        return Response()

    with pytest.raises(TypeError, match="no DRF @action"):
        extra_actions.add(Things, ping)


def test_a_name_the_viewset_uses_otherwise_is_refused():
    class Things(viewsets.GenericViewSet):
        def ping(self):
            return "mine"

    @action(detail=True, methods=["get"])
    def ping(self, request, pk=None):
        return Response()

    with pytest.raises(ValueError, match="taken"):
        extra_actions.add(Things, ping)
    assert Things().ping() == "mine"


def test_scoring_adds_the_grade_and_next_actions_to_the_accounts_api():
    from accounts.api.views import AccountViewSet

    names = {a.url_path for a in AccountViewSet.get_extra_actions()}
    assert {"grade", "next-actions"} <= names
    assert reverse("api:account-grade", args=[7]) == "/api/v1/accounts/7/grade/"
    assert reverse("api:account-next-actions", args=[7]) == "/api/v1/accounts/7/next-actions/"


def test_the_grade_fields_offer_the_grades_scoring_gives():
    from accounts.api.grades import GRADES
    from scoring.models import Grade

    assert GRADES == [grade.value for grade in Grade]

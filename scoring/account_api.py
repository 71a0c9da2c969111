"""The account's grade and next best actions in the REST API, as routes of the accounts
viewset (`GET /api/v1/accounts/{id}/grade/`, `…/next-actions/`) that scoring adds to it
from `ScoringConfig.ready()` (`keyaccounts.api.extra_actions`): the account is found by
the viewset's own visibility rule and answers 404 outside it, and `accounts` imports
nothing of scoring (docs/api.md, "Grades" and "Next best actions")."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from keyaccounts.api import extra_actions

from .advice.api import NextActionSerializer, next_actions_data
from .api import GRADE_RELATED, AccountGradeSerializer, account_grade


@extend_schema(
    summary="The account's grade: score, pin, why (each factor's part) and history",
    responses={200: AccountGradeSerializer},
)
@action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
def grade(self, request, pk=None):
    """The grade in force and the table's own, the score and each factor's
    contribution to it, the manager's pin if one holds, and the latest changes. 404
    for an account you cannot see, and for one not graded yet (graded within a
    minute of being saved)."""
    account = get_object_or_404(self.get_queryset().select_related(*GRADE_RELATED), pk=pk)
    self.check_object_permissions(request, account)
    score = account_grade(account)
    if score is None:
        raise NotFound(_("This account has not been graded yet."))
    return Response(AccountGradeSerializer(score).data)


@extend_schema(
    summary="The account's next best actions: what would move its score most, and why",
    responses={200: NextActionSerializer(many=True)},
)
@action(
    detail=True,
    methods=["get"],
    url_path="next-actions",
    filter_backends=[],
    pagination_class=None,
)
def next_actions(self, request, pk=None):
    """At most five actions, largest effect first: each re-scored by the active risk
    table with the action done (`effect`: the points it gains; `grade_after`), the
    reason in one sentence, and the records it concerns. Actions that move no factor
    (an overdue follow-up, an open complaint, overdue money) come after, with an
    effect of 0. 404 for an account you cannot see (docs/scoring.md)."""
    data = next_actions_data(self.get_object(), today=timezone.localdate())
    return Response(NextActionSerializer(data, many=True).data)


def register() -> None:
    from accounts.api.views import AccountViewSet

    extra_actions.add(AccountViewSet, grade)
    extra_actions.add(AccountViewSet, next_actions)

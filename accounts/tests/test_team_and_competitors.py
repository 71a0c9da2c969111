import pytest
from django.urls import reverse

from accounts.models import AccountCompetitor, AccountTeamMember

pytestmark = pytest.mark.django_db


def test_owner_adds_a_colleague_to_the_account_team_who_then_sees_it(personas, login):
    url = reverse("accounts:team_add", args=[personas.account.pk])
    login(personas.alice).post(url, {"user": personas.carol.pk, "role": "project_manager"})
    member = AccountTeamMember.objects.get(account=personas.account, user=personas.carol)
    assert member.role == "project_manager"
    detail = reverse("accounts:detail", args=[personas.account.pk])
    assert login(personas.carol).get(detail).status_code == 200


def test_adding_someone_twice_changes_their_role_instead_of_duplicating(personas, login):
    url = reverse("accounts:team_add", args=[personas.account.pk])
    login(personas.alice).post(url, {"user": personas.bob.pk, "role": "executive_sponsor"})
    roles = AccountTeamMember.objects.filter(account=personas.account, user=personas.bob)
    assert list(roles.values_list("role", flat=True)) == ["executive_sponsor"]


def test_a_teammate_who_is_not_the_owner_cannot_change_the_team(personas, login):
    url = reverse("accounts:team_add", args=[personas.account.pk])
    response = login(personas.bob).post(
        url, {"user": personas.carol.pk, "role": "presales"}, follow=True
    )
    assert not AccountTeamMember.objects.filter(user=personas.carol).exists()
    assert "Only the owner or a manager" in response.content.decode()


def test_invalid_team_input_is_explained(personas, login):
    url = reverse("accounts:team_add", args=[personas.account.pk])
    response = login(personas.alice).post(url, {"user": "", "role": "astronaut"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 2
    assert AccountTeamMember.objects.filter(account=personas.account).count() == 1


def test_manager_removes_a_team_member(personas, login):
    member = AccountTeamMember.objects.get(user=personas.bob)
    login(personas.manager).post(
        reverse("accounts:team_remove", args=[personas.account.pk, member.pk])
    )
    assert not AccountTeamMember.objects.filter(pk=member.pk).exists()
    detail = reverse("accounts:detail", args=[personas.account.pk])
    assert login(personas.bob).get(detail).status_code == 404


def test_team_changes_need_post(personas, login):
    url = reverse("accounts:team_add", args=[personas.account.pk])
    assert login(personas.alice).get(url).status_code == 405


def test_competitor_is_added_edited_and_removed(personas, login):
    client = login(personas.bob)
    create = reverse("accounts:competitor_create", args=[personas.account.pk])
    client.post(create, {"name": "浪潮", "threat": "high", "strengths": "Local service"})
    competitor = AccountCompetitor.objects.get(account=personas.account)
    assert (competitor.name, competitor.threat) == ("浪潮", "high")
    edit = reverse("accounts:competitor_edit", args=[personas.account.pk, competitor.pk])
    client.post(edit, {"name": "浪潮", "threat": "low"})
    competitor.refresh_from_db()
    assert competitor.threat == "low"
    client.post(reverse("accounts:competitor_remove", args=[personas.account.pk, competitor.pk]))
    assert not AccountCompetitor.objects.exists()


def test_the_same_competitor_twice_is_refused_with_a_message(personas, login):
    client = login(personas.alice)
    create = reverse("accounts:competitor_create", args=[personas.account.pk])
    client.post(create, {"name": "SAP", "threat": "medium"})
    response = client.post(create, {"name": "SAP", "threat": "high", "weaknesses": "Price"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "Price" in response.content.decode()
    assert AccountCompetitor.objects.filter(name="SAP").count() == 1


def test_the_account_page_asks_once_whether_its_reader_manages_a_team(personas, login):
    """Whether the reader manages a team (may merge, may shape the account team) is read
    once for the page, not again for the team card (the header folds its own into its
    query)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    detail = reverse("accounts:detail", args=[personas.account.pk])
    client = login(personas.manager)  # not the owner: the team card asks whether a manager
    with CaptureQueriesContext(connection) as captured:
        response = client.get(detail)
    assert response.status_code == 200
    assert reverse("accounts:team_add", args=[personas.account.pk]) in response.text
    asked = [
        q["sql"]
        for q in captured
        if q["sql"].startswith('SELECT 1 AS "a" FROM "accounts_salesteam"')
        and '"accounts_salesteam"."manager_id" =' in q["sql"]
    ]
    assert len(asked) == 1, asked

import factory

from accounts.models import (
    Account,
    AccountCompetitor,
    AccountTeamMember,
    AccountTeamRole,
    Attitude,
    BuyingRole,
    Contact,
    Industry,
    SalesTeam,
    User,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests")


class SalesTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesTeam

    name = factory.Sequence(lambda n: f"Team {n}")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    industry = Industry.MANUFACTURING
    region = "East China"
    owner = factory.SubFactory(UserFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    title = "Manager"
    buying_role = BuyingRole.OTHER
    attitude = Attitude.NEUTRAL


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = AccountTeamRole.PRESALES


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountCompetitor

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Rival {n}")

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


def policy_set(*, rhythm=None, levels=None, ceilings=None, note="set by a test", by=None):
    """Make a new active version of the service policy (accounts/policy/) for a test:
    `rhythm` {grade: days}, `levels` {grade: (respond, resolve)}, `ceilings` {grade:
    percent or None}; grades not named keep the values of the version in force."""
    from decimal import Decimal

    from django.db.models import Max

    from accounts.models import GradePolicy, ServicePolicy
    from accounts.policy import current_policy, forget_policy

    current = current_policy()
    ServicePolicy.objects.filter(is_active=True).update(is_active=False)
    version = (ServicePolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    policy = ServicePolicy.objects.create(version=version, is_active=True, note=note, created_by=by)
    rows = []
    for row in current.rows():
        respond, resolve = (levels or {}).get(
            row.grade, (row.respond_working_days, row.resolve_working_days)
        )
        ceiling = (ceilings or {}).get(row.grade, row.discount_ceiling_percent)
        rows.append(
            GradePolicy(
                policy=policy,
                grade=row.grade,
                contact_rhythm_days=(rhythm or {}).get(row.grade, row.contact_rhythm_days),
                respond_working_days=respond,
                resolve_working_days=resolve,
                discount_ceiling_percent=None if ceiling is None else Decimal(str(ceiling)),
            )
        )
    GradePolicy.objects.bulk_create(rows)
    forget_policy()
    return policy

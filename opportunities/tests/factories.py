import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from opportunities.defaults import ensure_default_stages
from opportunities.models import ExitCriterion, Opportunity, Stage


def default_stages() -> dict[str, Stage]:
    """The default stages by key (recreated if a transactional test flushed them)."""
    ensure_default_stages(Stage, ExitCriterion)
    return {stage.key: stage for stage in Stage.objects.all()}


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda o: o.account.owner)
    name = factory.Sequence(lambda n: f"Deal {n}")
    amount = 500000
    expected_close_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=60)
    )
    stage = factory.LazyFunction(lambda: default_stages()["qualify"])
    probability = factory.LazyAttribute(lambda o: o.stage.default_probability)

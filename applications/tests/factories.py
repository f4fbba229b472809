import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from applications.models import Application, Stage
from jobs.tests.factories import JobFactory


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    job = factory.SubFactory(JobFactory)
    candidate = factory.SubFactory(UserFactory)
    stage = factory.LazyAttribute(
        lambda o: Stage.objects.get(company=o.job.company, kind=Stage.Kind.APPLIED)
    )
    consent_processing = True
    consented_at = factory.LazyFunction(timezone.now)
    stage_entered_at = factory.LazyFunction(timezone.now)

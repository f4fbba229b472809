import factory
from django.utils import timezone

from accounts.tests.factories import CompanyFactory
from jobs.models import Job, Skill


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Skill {n}")
    slug = factory.Sequence(lambda n: f"skill-{n}")


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    company = factory.SubFactory(CompanyFactory)
    title = "Senior Python Engineer"
    slug = factory.Sequence(lambda n: f"job-{n}")
    description_text = "Build the platform with Python, Django and PostgreSQL."
    city = "Berlin"
    country = "DE"
    salary_min = 60000
    salary_max = 80000
    salary_currency = "EUR"
    status = Job.Status.OPEN
    published_at = factory.LazyFunction(timezone.now)

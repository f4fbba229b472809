import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import CompanyFactory, UserFactory
from jobs.models import CurrencyRate, Job, JobSkill, SearchQuery, SearchTerm, Skill


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


def _job_with_skill():
    job = JobFactory()
    JobSkill.objects.create(job=job, skill=SkillFactory())
    return job


# One fresh row per call, for every model the jobs admin registers
# (used by recruitment/tests/test_admin_pages.py).
_codes = itertools.count(1)
ADMIN_ROWS = {
    CurrencyRate: lambda: CurrencyRate.objects.create(
        currency=f"Z{next(_codes):02d}", rate=Decimal("0.5")
    ),
    SearchTerm: lambda: SearchTerm.objects.create(word=f"term{next(_codes)}", frequency=3),
    Skill: lambda: SkillFactory(),
    Job: _job_with_skill,
    SearchQuery: lambda: SearchQuery.objects.create(
        query="python",
        normalized_query="python",
        result_count=3,
        user=UserFactory(),
        clicked_job=JobFactory(),
    ),
}

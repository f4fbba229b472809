import factory

from accounts.models import CandidateProfile, Company, Membership, Role, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class CompanyFactory(factory.django.DjangoModelFactory):
    """A tenant company with the default pipeline stages (made by the registered hook)."""

    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    is_tenant = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.services import company_create

        return company_create(**kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, is_staff=True)
    company = factory.SubFactory(CompanyFactory)
    role = Role.RECRUITER


class CandidateProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CandidateProfile

    user = factory.SubFactory(UserFactory)
    headline = "Backend engineer"
    city = "Berlin"
    country = "DE"
    skills = factory.LazyFunction(lambda: ["python", "django", "postgresql"])

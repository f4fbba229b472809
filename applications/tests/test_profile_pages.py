"""The candidate's profile page /me/profile/ and its skills autocomplete."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, CandidateProfile
from accounts.tests.factories import CandidateProfileFactory, UserFactory
from jobs.tests.factories import SkillFactory

URL = reverse("me-profile")
SKILLS_URL = reverse("me-profile-skills")


@pytest.fixture
def skills(db):
    return [
        SkillFactory(slug="python", name="Python", aliases=["py"]),
        SkillFactory(slug="django", name="Django"),
        SkillFactory(slug="postgresql", name="PostgreSQL", aliases=["postgres", "psql"]),
        SkillFactory(slug="machine-learning", name="Machine learning", aliases=["ml"]),
    ]


@pytest.fixture
def profile(skills) -> CandidateProfile:
    return CandidateProfileFactory(skills=["python"], city="Berlin", country="DE")


@pytest.fixture
def signed_in(client, profile):
    client.force_login(profile.user)
    return client


def form_data(**overrides) -> dict:
    data = {
        "full_name": "Ada Lovelace",
        "headline": "Backend engineer",
        "current_title": "Senior engineer",
        "summary": "I build data systems.",
        "years_experience": "8",
        "seniority": "senior",
        "skills": "Python, django, postgres",
        "city": "Berlin",
        "region": "Berlin",
        "country": "de",
        "remote_preference": "hybrid",
        "desired_salary_min": "85000",
        "desired_salary_currency": "EUR",
        "desired_salary_period": "year",
        "phone": "+49 30 1234567",
    }
    data.update(overrides)
    return data


def test_profile_page_requires_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_profile_page_shows_the_profile_in_the_site_layout(signed_in, profile):
    response = signed_in.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert 'class="site-header"' in html
    assert 'aria-current="page">Profile</a>' in html
    assert 'value="Python"' in html  # skills by name, not slug
    assert '<label for="id_country">' in html
    assert reverse("me-profile-skills") in html


def test_profile_page_for_someone_without_a_profile_shows_an_empty_form(client, db):
    user = UserFactory()
    client.force_login(user)

    response = client.get(URL)

    assert response.status_code == 200
    assert not CandidateProfile.objects.filter(user=user).exists()  # a GET writes nothing


def test_saving_the_profile_stores_every_field_and_confirms_them(signed_in, profile):
    response = signed_in.post(URL, form_data())

    assert response.status_code == 302
    assert response["Location"] == URL
    profile.refresh_from_db()
    profile.user.refresh_from_db()
    assert profile.user.full_name == "Ada Lovelace"
    assert profile.skills == ["python", "django", "postgresql"]  # names and aliases resolved
    assert (profile.city, profile.region, profile.country) == ("Berlin", "Berlin", "DE")
    assert profile.remote_preference == "hybrid"
    assert (profile.desired_salary_min, profile.desired_salary_currency) == (85000, "EUR")
    assert profile.seniority == "senior" and profile.years_experience == 8
    assert profile.phone == "+49301234567"
    assert {"skills", "city", "country", "seniority", "phone"} <= set(profile.confirmed_fields)
    assert AuditEvent.objects.filter(action="profile.updated", target_id=str(profile.pk)).exists()
    page = signed_in.get(URL).content.decode()
    assert "Your profile is saved." in page


def test_a_skill_gone_from_the_taxonomy_stays_on_the_profile_it_was_on(signed_in, profile):
    profile.skills = ["python", "cobol-85"]
    profile.save()

    html = signed_in.get(URL).content.decode()
    assert 'value="Python, cobol-85"' in html
    response = signed_in.post(URL, form_data(skills="Python, cobol-85, Django"))

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.skills == ["python", "cobol-85", "django"]


def test_saving_creates_the_profile_of_someone_who_had_none(client, skills):
    user = UserFactory()
    client.force_login(user)

    response = client.post(URL, form_data())

    assert response.status_code == 302
    assert CandidateProfile.objects.get(user=user).skills == ["python", "django", "postgresql"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "Germany", "“DE” for Germany"),
        ("country", "Atlantis", "Use a two-letter country code"),
        ("country", "XX", "Use a two-letter country code"),
        ("desired_salary_currency", "euro", "Select a valid choice"),
        ("desired_salary_min", "-100", "greater than or equal to 0"),
        ("remote_preference", "moon", "Select a valid choice"),
        ("skills", "Python, Cobolscript", "know “Cobolscript”"),
        ("phone", "12345", "country code"),
        ("years_experience", "200", "less than or equal to 70"),
    ],
)
def test_bad_input_shows_inline_errors_keeps_the_input_and_stores_nothing(
    signed_in, profile, field, value, message
):
    before = CandidateProfile.objects.get(pk=profile.pk)

    response = signed_in.post(URL, form_data(**{field: value, "headline": "Typed headline"}))

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'id="id_{field}_error"' in html  # the error is tied to its field
    assert f'href="#id_{field}' in html  # and the summary on top leads to it
    assert 'aria-invalid="true"' in html
    assert 'value="Typed headline"' in html  # what was typed is kept
    profile.refresh_from_db()
    assert profile.headline == before.headline
    assert profile.skills == before.skills


def test_a_salary_needs_its_currency(signed_in, profile):
    response = signed_in.post(URL, form_data(desired_salary_currency=""))

    assert "Choose the currency of your salary." in response.content.decode()
    profile.refresh_from_db()
    assert profile.desired_salary_min is None


def test_suggestions_are_shown_beside_the_current_value_and_never_applied_by_themselves(
    signed_in, profile
):
    profile.suggestions = {
        "location": {"value": {"city": "London", "region": "", "country": "GB"}, "confidence": 0.9},
        "skills": {"value": ["python", "machine-learning"], "confidence": 0.8},
        "phone": {"value": "+441234567890", "confidence": 0.95},
    }
    profile.save()

    html = signed_in.get(URL).content.decode()

    assert "Suggestions from your resume" in html
    assert "London, GB" in html and "Berlin, DE" in html
    assert "Machine learning" in html
    assert html.count('name="action" value="use"') == 3
    profile.refresh_from_db()
    assert profile.city == "Berlin"


def test_use_this_takes_a_suggestion_and_confirms_it(signed_in, profile):
    profile.suggestions = {
        "location": {"value": {"city": "London", "region": "", "country": "GB"}, "confidence": 0.4},
    }
    profile.confirmed_fields = ["city"]  # even over a value the candidate confirmed before
    profile.save()

    response = signed_in.post(URL, {"action": "use", "field": "location"})

    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.city, profile.country) == ("London", "GB")
    assert {"city", "region", "country"} <= set(profile.confirmed_fields)
    assert "Suggestions from your resume" not in signed_in.get(URL).content.decode()


def test_use_this_for_an_unusable_suggestion_says_so_and_changes_nothing(signed_in, profile):
    profile.suggestions = {"years_experience": {"value": None, "confidence": 0}}
    profile.save()

    response = signed_in.post(URL, {"action": "use", "field": "years_experience"}, follow=True)

    assert "There is no suggestion for this field." in response.content.decode()
    response = signed_in.post(URL, {"action": "use", "field": "embedding"}, follow=True)
    assert "There is no such suggestion to use." in response.content.decode()


def test_a_candidate_only_ever_changes_their_own_profile(client, profile):
    other = CandidateProfileFactory(headline="Theirs")
    other.suggestions = {"phone": {"value": "+441234567890", "confidence": 0.9}}
    other.save()
    client.force_login(profile.user)

    client.post(URL, {"action": "use", "field": "phone"})
    client.post(URL, form_data(headline="Mine"))

    other.refresh_from_db()
    assert other.headline == "Theirs" and other.phone == ""


def test_saving_queues_the_profile_for_re_embedding(
    signed_in, profile, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signed_in.post(URL, form_data(headline="Data engineer"))

    assert callbacks  # the refresh task, queued on commit (run eagerly here)
    profile.refresh_from_db()
    assert profile.embedding is not None
    assert len(profile.embedding) == 384
    assert profile.content_hash


def test_saving_an_unchanged_profile_queues_no_re_embedding(
    signed_in, profile, django_capture_on_commit_callbacks
):
    signed_in.post(URL, form_data())
    with django_capture_on_commit_callbacks() as callbacks:
        signed_in.post(URL, form_data())

    assert callbacks == []


def test_skills_autocomplete_finds_names_then_words_then_aliases(signed_in, skills):
    SkillFactory(slug="pytorch", name="PyTorch")

    assert signed_in.get(SKILLS_URL, {"q": "py"}).json()["skills"] == [
        {"slug": "python", "name": "Python"},
        {"slug": "pytorch", "name": "PyTorch"},
    ]
    assert signed_in.get(SKILLS_URL, {"q": "learn"}).json()["skills"] == [
        {"slug": "machine-learning", "name": "Machine learning"}
    ]
    assert signed_in.get(SKILLS_URL, {"q": "postgres"}).json()["skills"][0]["slug"] == (
        "postgresql"
    )
    assert signed_in.get(SKILLS_URL, {"q": ""}).json() == {"skills": []}


def test_skills_autocomplete_requires_login(client, db):
    assert client.get(SKILLS_URL, {"q": "py"}).status_code == 302

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone
from pgvector.django import CosineDistance

from jobs.models import Job, JobSkill
from jobs.tests.factories import JobFactory, SkillFactory

pytestmark = pytest.mark.django_db


def test_salary_min_must_not_exceed_salary_max():
    with pytest.raises(IntegrityError):
        JobFactory(salary_min=90000, salary_max=80000)


def test_salary_needs_a_currency():
    with pytest.raises(IntegrityError):
        JobFactory(salary_currency="")


def test_an_open_job_has_a_publication_date():
    with pytest.raises(IntegrityError):
        JobFactory(status=Job.Status.OPEN, published_at=None)


def test_a_job_cannot_close_before_it_was_published():
    now = timezone.now()
    with pytest.raises(IntegrityError):
        JobFactory(published_at=now, closes_at=now - timedelta(days=1))


def test_slug_is_unique_within_a_company_only(company, other_company):
    JobFactory(company=company, slug="python-dev")
    JobFactory(company=other_company, slug="python-dev")
    with pytest.raises(IntegrityError):
        JobFactory(company=company, slug="python-dev")


def test_a_skill_is_listed_once_per_job():
    job, skill = JobFactory(), SkillFactory(name="Python", slug="python")
    JobSkill.objects.create(job=job, skill=skill, required=True)
    with pytest.raises(IntegrityError):
        JobSkill.objects.create(job=job, skill=skill, required=False)


def test_search_vector_is_maintained_with_weights(company):
    job = JobFactory(company=company, title="Data Engineer", description_text="Kafka pipelines")
    job.refresh_from_db()
    vector = str(job.search_vector)
    assert "'data':1A" in vector and "'engin':2A" in vector
    # The description weighs D, which tsvector output leaves unmarked ('kafka':6).
    assert "kafka" in vector and vector.split("'kafka':")[1].split()[0].isdigit()
    Job.objects.filter(pk=job.pk).update(title="Platform Engineer")
    job.refresh_from_db()
    assert "'platform'" in str(job.search_vector)
    assert "'data'" not in str(job.search_vector)


def test_full_text_and_trigram_search_use_their_indexes():
    JobFactory(title="Site Reliability Engineer")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'jobs_job' ORDER BY indexname"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {"jobs_job_search_gin", "jobs_job_title_trgm", "jobs_job_embedding_hnsw"} <= names
    assert Job.objects.filter(search_vector="reliability").count() == 1
    assert Job.objects.filter(title__trigram_similar="Site Reliabilty Enginer").count() == 1


def test_embedding_nearest_neighbour_by_cosine_distance():
    near = JobFactory(embedding=[1.0] + [0.0] * 383)
    far = JobFactory(embedding=[0.0] * 383 + [1.0])
    query = [0.9, 0.1] + [0.0] * 382
    ranked = list(Job.objects.order_by(CosineDistance("embedding", query)))
    assert ranked == [near, far]

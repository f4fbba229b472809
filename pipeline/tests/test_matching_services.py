"""Matching services on the real database: KNN shortlists, the match stage, labels."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from accounts.tests.factories import CandidateProfileFactory, CompanyFactory, MembershipFactory
from jobs import embeddings
from jobs import services as jobs_services
from jobs.services import job_close
from jobs.tests.factories import JobFactory
from pipeline import embedding as profile_embedding
from pipeline.enrich import jobs_enrich, profiles_enrich
from pipeline.matching import match_label, match_run, matches_for_candidate, matches_for_job
from pipeline.models import Match

pytestmark = pytest.mark.django_db

_VECTORS: dict[str, list[float]] = {}


@pytest.fixture(autouse=True)
def _embed_each_text_once(monkeypatch):
    """The real model, but each distinct text is embedded once per test session: the tests
    build the same world again and again."""
    real = embeddings.embed_array

    def embed_once(texts):
        todo = list(dict.fromkeys(text for text in texts if text not in _VECTORS))
        _VECTORS.update(zip(todo, real(todo), strict=True))
        return np.array([_VECTORS[text] for text in texts], dtype=np.float32)

    monkeypatch.setattr(jobs_services, "embed_array", embed_once)
    monkeypatch.setattr(profile_embedding, "embed_array", embed_once)


JAVA_JOB = """Our payments core is Java with Spring Boot, Kafka and PostgreSQL.

Must have: Java; Spring Boot; Kafka; PostgreSQL.

Seniority: senior. Location: Berlin, Germany, hybrid."""
NURSE_JOB = """Requirements: active RN license; ICU experience; BLS and ACLS.

Location: on site in Boston, Massachusetts."""
FRONTEND_JOB = """Requirements: JavaScript; TypeScript; React.

Seniority: senior. Location: Berlin, Germany, hybrid."""


@pytest.fixture
def world():
    """Three open jobs and four candidates, enriched and embedded."""
    company = CompanyFactory()
    jobs = {
        "java": JobFactory(company=company, title="Senior Java Backend Engineer",
                           description_text=JAVA_JOB),
        "nurse": JobFactory(company=company, title="ICU Registered Nurse",
                            description_text=NURSE_JOB),
        "frontend": JobFactory(company=company, title="Senior Frontend Engineer (React)",
                               description_text=FRONTEND_JOB),
    }  # fmt: skip
    profiles = {
        "java": CandidateProfileFactory(
            headline="Senior Java Engineer – Spring Boot, Kafka",
            resume_text="Eight years of Java: Spring Boot microservices on Kafka and "
            "PostgreSQL. Based in Berlin, Germany; hybrid is fine.",
            city="", country="", skills=[],
        ),
        "remote": CandidateProfileFactory(
            headline="Senior Java Engineer (remote only)",
            resume_text="Nine years of Java, Spring Boot, Kafka and PostgreSQL. I live in "
            "Berlin but I only accept fully remote positions.",
            city="", country="", skills=[],
        ),
        "recruiter": CandidateProfileFactory(
            headline="Tech Recruiter – Java engineers",
            resume_text="I hire senior Java engineers who build Spring Boot services with "
            "Kafka and PostgreSQL. Based in Berlin.",
            city="", country="", skills=[],
        ),
        "frontend": CandidateProfileFactory(
            headline="Senior Frontend Engineer – React, TypeScript",
            resume_text="Seven years of JavaScript and TypeScript with React. Based in Berlin.",
            city="", country="", skills=[],
        ),
    }  # fmt: skip
    jobs_enrich()
    profiles_enrich()
    for item in (*jobs.values(), *profiles.values()):
        item.refresh_from_db()
    return jobs, profiles


def test_matches_for_candidate_ranks_the_right_job_first_and_explains_it(world):
    jobs, profiles = world

    results = matches_for_candidate(profile=profiles["java"], limit=5)

    assert results[0].job_id == jobs["java"].pk
    assert results[0].feasible
    assert results[0].explanation["matched_skills"] == ["Java", "Spring", "Kafka", "PostgreSQL"]
    assert all(r.job_id != jobs["nurse"].pk for r in results[:1])
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_matches_from_the_copy_are_those_of_the_database_path_with_their_explanations(world):
    """Ranked on parts in memory, or on whole features read from the database (an exact
    scan): the same jobs, scores, parts and explanations, deal-breakers included; a job whose
    stored features are of an older reader is read and scored whole."""
    from pipeline.models import JobEnrichment

    jobs, profiles = world
    JobEnrichment.objects.filter(job=jobs["nurse"]).update(features={"version": 0})
    for profile in profiles.values():
        in_memory = matches_for_candidate(profile=profile, limit=5, include_infeasible=True)
        exact = matches_for_candidate(profile=profile, limit=5, include_infeasible=True, exact=True)
        assert in_memory == exact
        assert len(in_memory) == 3
    remote = matches_for_candidate(profile=profiles["remote"], include_infeasible=True)
    assert not all(r.feasible for r in remote)  # the deal-breaker went through the parts


def test_matches_for_job_filters_deal_breakers_and_ranks_doers_over_mentioners(world):
    jobs, profiles = world

    feasible = matches_for_job(job=jobs["java"])
    everyone = matches_for_job(job=jobs["java"], include_infeasible=True)

    ids = [r.candidate_id for r in feasible]
    assert ids[0] == profiles["java"].pk
    assert profiles["remote"].pk not in ids
    assert ids.index(profiles["recruiter"].pk) > 0
    assert everyone[-1].candidate_id == profiles["remote"].pk
    assert everyone[-1].explanation["blocked_by"] == ["remote_only"]


def test_matches_for_job_scores_a_given_pool_exhaustively(world):
    jobs, profiles = world

    results = matches_for_job(
        job=jobs["frontend"], profiles=type(profiles["java"]).objects.all(), include_infeasible=True
    )

    assert len(results) == 4
    assert results[0].candidate_id == profiles["frontend"].pk


def test_match_run_creates_matches_above_the_threshold(world, settings):
    jobs, profiles = world
    settings.MATCH_MIN_SCORE = 0.5

    counts = match_run()

    pairs = set(Match.objects.values_list("candidate_id", "job_id"))
    assert (profiles["java"].pk, jobs["java"].pk) in pairs
    assert (profiles["frontend"].pk, jobs["frontend"].pk) in pairs
    assert (profiles["recruiter"].pk, jobs["java"].pk) not in pairs
    assert not any(candidate == profiles["remote"].pk for candidate, _ in pairs)
    assert counts["matches.created"] == len(pairs)
    match = Match.objects.get(candidate=profiles["java"], job=jobs["java"])
    assert match.status == Match.Status.NEW
    assert match.score_parts["role"] == 1.0
    assert match.explanation["missing_required_skills"] == []


def test_match_run_keeps_status_notified_at_and_label_of_existing_matches(world, superuser):
    jobs, profiles = world
    match_run()
    match = Match.objects.get(candidate=profiles["java"], job=jobs["java"])
    notified = timezone.now() - timedelta(days=1)
    Match.objects.filter(pk=match.pk).update(
        status=Match.Status.NOTIFIED, notified_at=notified, score=0.55
    )
    match_label(match=match, label=Match.Label.GOOD, actor=superuser)

    counts = match_run(profiles=[profiles["java"]])

    match.refresh_from_db()
    assert counts["matches.updated"] >= 1
    assert match.score > 0.9  # rescored
    assert (match.status, match.notified_at, match.label) == (
        Match.Status.NOTIFIED,
        notified,
        Match.Label.GOOD,
    )


def test_match_run_drops_new_matches_that_became_infeasible_and_keeps_labelled_ones(
    world, superuser
):
    jobs, profiles = world
    match_run()
    java = Match.objects.get(candidate=profiles["java"], job=jobs["java"])
    frontend = Match.objects.get(candidate=profiles["frontend"], job=jobs["frontend"])
    match_label(match=frontend, label=Match.Label.BAD, actor=superuser)
    for profile in (profiles["java"], profiles["frontend"]):
        profile.resume_text += " I only consider fully remote positions."
        profile.save()
    profiles_enrich()

    counts = match_run(profiles=[profiles["java"], profiles["frontend"]])

    assert not Match.objects.filter(pk=java.pk).exists()
    frontend.refresh_from_db()
    assert frontend.stale_at is not None
    assert frontend.label == Match.Label.BAD
    assert counts["matches.deleted"] >= 1
    assert counts["matches.stale"] == 1


def test_match_run_since_touches_only_what_changed_and_retires_closed_jobs(world):
    jobs, profiles = world
    match_run()
    since = timezone.now()
    notified = Match.objects.get(candidate=profiles["java"], job=jobs["java"])
    Match.objects.filter(pk=notified.pk).update(status=Match.Status.NOTIFIED)
    job_close(job=jobs["java"], actor=None)
    job_close(job=jobs["frontend"], actor=None)

    counts = match_run(since=since)

    assert counts["jobs"] == 2
    assert counts.get("candidates", 0) == 0
    notified.refresh_from_db()
    assert notified.stale_at is not None
    assert not Match.objects.filter(job=jobs["frontend"]).exists()


def test_match_run_keeps_the_top_n_per_candidate(world, settings):
    jobs, profiles = world
    settings.MATCH_MIN_SCORE = 0.0
    settings.MATCH_TOP_N = 1

    match_run()

    assert Match.objects.filter(candidate=profiles["java"]).count() == 1
    assert Match.objects.get(candidate=profiles["java"]).job_id == jobs["java"].pk


def test_match_run_trims_to_the_top_n_but_keeps_labelled_matches(world, superuser, settings):
    jobs, profiles = world
    settings.MATCH_MIN_SCORE = 0.0
    match_run()
    ranked = list(Match.objects.filter(candidate=profiles["java"]).order_by("-score", "job_id"))
    assert len(ranked) >= 2
    match_label(match=ranked[1], label=Match.Label.GOOD, actor=superuser)
    settings.MATCH_TOP_N = 1

    counts = match_run(profiles=[profiles["java"]])

    kept = set(Match.objects.filter(candidate=profiles["java"]).values_list("job_id", flat=True))
    assert kept == {ranked[0].job_id, ranked[1].job_id}
    assert counts.get("matches.deleted", 0) == len(ranked) - 2


def test_match_label_records_who_and_when_and_audits(world, company):
    jobs, profiles = world
    match_run()
    match = Match.objects.get(candidate=profiles["java"], job=jobs["java"])
    member = MembershipFactory(company=jobs["java"].company, role=Role.HIRING_MANAGER).user

    match_label(match=match, label=Match.Label.GOOD, actor=member)

    match.refresh_from_db()
    assert (match.label, match.labeled_by) == (Match.Label.GOOD, member)
    assert match.labeled_at is not None
    assert AuditEvent.objects.filter(action="match.labelled").count() == 1
    match_label(match=match, label="", actor=member)
    match.refresh_from_db()
    assert (match.label, match.labeled_by, match.labeled_at) == ("", None, None)


def test_match_label_refuses_unknown_labels_and_other_companies(world, company):
    jobs, profiles = world
    match_run()
    match = Match.objects.get(candidate=profiles["java"], job=jobs["java"])
    outsider = MembershipFactory(company=company, role=Role.RECRUITER).user

    with pytest.raises(ValidationError):
        match_label(match=match, label="great", actor=None)
    with pytest.raises(PermissionDenied):
        match_label(match=match, label=Match.Label.BAD, actor=outsider)
    match.refresh_from_db()
    assert match.label == ""


def test_admin_action_labels_selected_matches(world, admin_client_):
    jobs, profiles = world
    match_run()
    match = Match.objects.get(candidate=profiles["java"], job=jobs["java"])

    response = admin_client_.post(
        reverse("admin:pipeline_match_changelist"),
        {"action": "label_good", "_selected_action": [match.pk]},
        follow=True,
    )

    assert response.status_code == 200
    match.refresh_from_db()
    assert match.label == Match.Label.GOOD
    assert "1 match(es) labelled." in response.content.decode()

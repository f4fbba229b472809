"""Jobs for you on the candidate's dashboard: their matches explained, apply or dismiss; a
dismissed match never comes back, not even after the match stage runs again."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tests.factories import CandidateProfileFactory, UserFactory
from applications.services import application_submit
from jobs.models import Job
from jobs.tests.factories import JobFactory
from pipeline.matching import match_run
from pipeline.matching.services import MatchResult, _trim, _upsert
from pipeline.models import Match

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("me-dashboard")
EXPLANATION = {
    "summary": "Strong match.",
    "matched_skills": ["Python", "PostgreSQL"],
    "missing_required_skills": ["Kafka or RabbitMQ"],
    "matched_nice_to_have": [],
    "reasons": ["Lives within reach of Berlin (hybrid).", "Covers 2 of 3 required skills."],
    "blocked_by": [],
}


@pytest.fixture
def profile(candidate):
    return candidate.candidate_profile


@pytest.fixture
def signed_in(client, candidate):
    client.force_login(candidate)
    return client


def _match(profile, job=None, score=0.83, **fields) -> Match:
    return Match.objects.create(
        candidate=profile,
        job=job or JobFactory(title="Data Platform Engineer"),
        score=score,
        explanation=fields.pop("explanation", EXPLANATION),
        **fields,
    )


def _jobs_for_you(response) -> str:
    html = response.content.decode()
    return html[html.index('id="jobs-for-you"') : html.index("</main>")]


def test_matches_show_with_their_explanation_and_actions(signed_in, profile):
    match = _match(profile)
    job = match.job

    section = _jobs_for_you(signed_in.get(DASHBOARD))

    assert "Data Platform Engineer" in section and job.company.name in section
    assert "83% match" in section and "Strong match." in section
    assert '<li class="tag tag-good">Python</li>' in section
    assert '<li class="tag tag-missing">Kafka or RabbitMQ</li>' in section
    assert "Why it fits" in section and "Lives within reach of Berlin (hybrid)." in section
    apply = reverse("job-apply", kwargs={"company_slug": job.company.slug, "slug": job.slug})
    assert apply in section
    assert f'action="{reverse("me-match-dismiss", args=[match.pk])}"' in section


def test_the_best_matches_come_first_and_others_stay_hidden(signed_in, profile, candidate):
    best = _match(profile, JobFactory(title="Best Fit Role"), score=0.95)
    _match(profile, JobFactory(title="Second Fit Role"), score=0.7)
    _match(profile, JobFactory(title="Stale Role"), stale_at=timezone.now())
    _match(profile, JobFactory(title="Closed Role", status=Job.Status.CLOSED))
    _match(profile, JobFactory(title="Gone Dismissed Role"), status=Match.Status.DISMISSED,
           dismissed_at=timezone.now())  # fmt: skip
    applied = _match(profile, JobFactory(title="Applied Role"))
    application_submit(job=applied.job, candidate=candidate, consent_processing=True)
    _match(CandidateProfileFactory(), JobFactory(title="Someone Else's Role"))

    section = _jobs_for_you(signed_in.get(DASHBOARD))

    assert section.index("Best Fit Role") < section.index("Second Fit Role")
    for hidden in ("Stale Role", "Closed Role", "Gone Dismissed Role", "Applied Role",
                   "Someone Else"):  # fmt: skip
        assert hidden not in section
    assert f"match-{best.pk}" in section


def test_no_matches_invite_the_candidate_to_complete_their_profile(signed_in, profile):
    section = _jobs_for_you(signed_in.get(DASHBOARD))
    assert "No suggestions for you yet." in section and reverse("me-profile") in section


def test_a_user_without_a_candidate_profile_sees_no_matches(client, db):
    client.force_login(UserFactory())
    assert "No suggestions for you yet." in _jobs_for_you(client.get(DASHBOARD))


def test_dismiss_records_it_and_never_shows_the_match_again(signed_in, profile, candidate):
    match = _match(profile)

    response = signed_in.post(reverse("me-match-dismiss", args=[match.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"{DASHBOARD}#jobs-for-you"
    match.refresh_from_db()
    assert match.status == Match.Status.DISMISSED and match.dismissed_at is not None
    assert AuditEvent.objects.filter(action="match.dismissed", actor=candidate).exists()
    page = signed_in.get(DASHBOARD)
    assert "Data Platform Engineer" not in _jobs_for_you(page)
    assert "suggest “Data Platform Engineer” to you again." in page.content.decode()

    again = signed_in.post(reverse("me-match-dismiss", args=[match.pk]))
    assert again.status_code == 302
    assert AuditEvent.objects.filter(action="match.dismissed").count() == 1


def test_the_match_stage_keeps_a_dismissed_match_dismissed(signed_in, profile, settings):
    dismissed, fresh = _match(profile), _match(CandidateProfileFactory())
    signed_in.post(reverse("me-match-dismiss", args=[dismissed.pk]))

    # The job closes and the stage retires its matches; then it opens again and the match
    # stage writes the pair afresh.
    Job.objects.filter(pk__in=[dismissed.job_id, fresh.job_id]).update(status=Job.Status.CLOSED)
    match_run(jobs=Job.objects.filter(pk__in=[dismissed.job_id, fresh.job_id]))

    assert not Match.objects.filter(pk=fresh.pk).exists()  # nobody saw it: dropped
    dismissed.refresh_from_db()
    assert dismissed.status == Match.Status.DISMISSED and dismissed.stale_at is not None

    Job.objects.filter(pk=dismissed.job_id).update(status=Job.Status.OPEN)
    _upsert([MatchResult(profile.pk, dismissed.job_id, 0.9, True, {}, EXPLANATION)], Counter())
    dismissed.refresh_from_db()
    assert dismissed.stale_at is None and dismissed.score == 0.9
    assert dismissed.status == Match.Status.DISMISSED and dismissed.dismissed_at is not None
    assert "Data Platform Engineer" not in _jobs_for_you(signed_in.get(DASHBOARD))


def test_another_persons_match_cannot_be_dismissed(signed_in):
    theirs = _match(CandidateProfileFactory())
    response = signed_in.post(reverse("me-match-dismiss", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Match.Status.NEW and theirs.dismissed_at is None
    assert signed_in.post(reverse("me-match-dismiss", args=[999_999])).status_code == 404


def test_dismiss_is_a_post_behind_login(client, signed_in, profile):
    match = _match(profile)
    url = reverse("me-match-dismiss", args=[match.pk])
    assert signed_in.get(url).status_code == 405
    client.logout()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    match.refresh_from_db()
    assert match.status == Match.Status.NEW


def test_a_dismissed_match_takes_no_place_among_the_candidates_best(signed_in, profile, settings):
    settings.MATCH_TOP_N = 2
    best, second, third = (_match(profile, score=score) for score in (0.95, 0.9, 0.85))
    signed_in.post(reverse("me-match-dismiss", args=[best.pk]))

    _trim([profile.pk], Counter())  # what the match stage does after writing matches

    kept = set(Match.objects.filter(candidate=profile).values_list("pk", flat=True))
    assert kept == {best.pk, second.pk, third.pk}  # two places for the undismissed ones
    shown = _jobs_for_you(signed_in.get(DASHBOARD))
    for match, showing in ((best, False), (second, True), (third, True)):
        assert (reverse("me-match-dismiss", args=[match.pk]) in shown) is showing

"""Candidate profile vectors: their text, and embedding only what changed."""

import numpy as np
import pytest

from accounts.models import CandidateProfile
from accounts.tests.factories import CandidateProfileFactory
from jobs.embeddings import embed_texts, text_hash
from jobs.tests.factories import SkillFactory
from pipeline.embedding import profile_embedding_text, profiles_embed
from pipeline.models import PipelineRun
from pipeline.runs import run_tracked


@pytest.fixture
def profiles(db):
    SkillFactory(name="Kubernetes", slug="kubernetes")
    SkillFactory(name="CI/CD", slug="ci-cd")
    sre = CandidateProfileFactory(
        headline="Site reliability engineer",
        current_title="Senior SRE",
        skills=["kubernetes", "ci-cd", "terraform"],
        summary="Runs platforms for fintechs.",
        resume_text="Eight years of on-call, k8s and Terraform.",
    )
    nurse = CandidateProfileFactory(
        headline="",
        current_title="Practice nurse",
        skills=[],
        summary="",
        resume_text="Smear tests.",
    )
    return sre, nurse


def test_profile_embedding_text_puts_title_and_skill_names_first(profiles):
    sre, nurse = profiles

    assert profile_embedding_text(sre) == (
        "Site reliability engineer. Senior SRE. Skills: CI/CD, Kubernetes, terraform. "
        "Runs platforms for fintechs.\nEight years of on-call, k8s and Terraform."
    )
    assert profile_embedding_text(nurse) == "Practice nurse. Smear tests."


def test_profiles_embed_embeds_each_profile_once_until_its_text_changes(profiles):
    sre, nurse = profiles

    with run_tracked(kind=PipelineRun.Kind.ENRICH) as progress:
        assert profiles_embed(profiles=CandidateProfile.objects.all(), progress=progress) == 2
    assert (progress.done, progress.total) == (2, 2)
    assert progress.counts["profiles.embedded"] == 2

    sre.refresh_from_db()
    expected = embed_texts([profile_embedding_text(sre)])[0]
    assert np.allclose(sre.embedding, expected, atol=1e-5)
    assert sre.content_hash == text_hash(profile_embedding_text(sre))

    # Unchanged text: nothing to do.
    assert profiles_embed(profiles=[sre, nurse]) == 0

    before = np.array(sre.embedding)
    sre.resume_text = "Now a pastry chef in Lyon."
    sre.save(update_fields=["resume_text"])
    assert profiles_embed(profiles=CandidateProfile.objects.all(), batch_size=1) == 1
    sre.refresh_from_db()
    assert float(before @ np.array(sre.embedding)) < 0.99
    assert sre.content_hash == text_hash(profile_embedding_text(sre))


def test_profiles_embed_re_embeds_when_the_token_limit_changes(profiles, settings):
    settings.EMBEDDING_MAX_TOKENS = 128
    profiles_embed(profiles=CandidateProfile.objects.all())

    settings.EMBEDDING_MAX_TOKENS = 256

    assert profiles_embed(profiles=CandidateProfile.objects.all()) == 2
    assert profiles_embed(profiles=CandidateProfile.objects.all()) == 0
